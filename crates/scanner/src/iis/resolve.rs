//! URL → application, virtual directory, physical folder and the web.config chain.
//!
//! For URL `/a/b/c` of site S: the application is the longest
//! `application/@path` prefix, the virtual directory the longest `virtualDirectory` prefix
//! inside it, the physical path `physicalPath` + remaining segments. A web.config is looked up
//! in the folder of every URL prefix (site root first). All of them are skipped when the
//! target's application pool has `enableConfigurationOverride="false"`; a folder below a
//! virtual directory with `allowSubDirConfig="false"` is skipped.

use serde::Serialize;

use super::inventory::{Application, Site, VirtualDirectory};
use super::merge::{Step, Target};
use super::model::IgnoredReason;
use super::HostConfig;
use crate::snapshot::normalize_windows_path;

/// What a URL path resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvedPath {
    /// Site name as configured.
    pub site: String,
    /// Site id.
    pub site_id: Option<u64>,
    /// Normalized URL path (`/`, `/app/sub`).
    pub url_path: String,
    /// IIS config path (`MACHINE/WEBROOT/APPHOST/Site/app/sub`).
    pub config_path: String,
    /// The application serving the path (`None` when the site has no matching application).
    pub application: Option<String>,
    /// Its application pool name.
    pub application_pool: Option<String>,
    /// Whether that pool exists.
    pub application_pool_exists: bool,
    /// The virtual directory serving the path (full URL path of the vdir).
    pub virtual_directory: Option<String>,
    /// The physical path (expanded) the URL maps to.
    pub physical_path: Option<String>,
    /// The vdir's "connect as" user, if any.
    pub connect_as: Option<String>,
    /// web.config lookups, site root first.
    pub web_configs: Vec<WebConfigStep>,
}

/// One folder on the path where a web.config was looked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebConfigStep {
    /// URL of the folder.
    pub url_path: String,
    /// Physical folder.
    pub physical_folder: String,
    /// The web.config path, when the snapshot holds one there.
    pub file: Option<String>,
    /// Set when the file exists but is not applied.
    pub ignored: Option<IgnoredReason>,
}

pub(crate) fn push_lower(out: &mut String, s: &str) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.extend(s.chars().flat_map(char::to_lowercase));
    }
}

/// URL path → segments (`.` dropped, `..` pops, `\` as `/`).
pub(crate) fn url_segments(url: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for seg in url.split(['/', '\\']) {
        let seg = seg.trim();
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s.to_string()),
        }
    }
    out
}

fn app_segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn seg_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (!a.is_ascii() || !b.is_ascii())
            && a.chars()
                .flat_map(char::to_lowercase)
                .eq(b.chars().flat_map(char::to_lowercase))
}

fn is_prefix(prefix: &str, segs: &[String]) -> Option<usize> {
    let mut n = 0;
    for p in app_segments(prefix) {
        match segs.get(n) {
            Some(s) if seg_eq(s, p) => n += 1,
            _ => return None,
        }
    }
    Some(n)
}

/// The application and virtual directory for URL segments, with the number of segments the
/// vdir consumed.
pub(crate) fn locate<'s>(
    site: &'s Site,
    segs: &[String],
) -> Option<(&'s Application, Option<(&'s VirtualDirectory, usize)>)> {
    let app = site
        .applications
        .iter()
        .filter_map(|a| is_prefix(&a.path, segs).map(|n| (a, n)))
        .max_by_key(|(_, n)| *n)?
        .0;
    let vdir = app
        .virtual_directories
        .iter()
        .filter_map(|v| is_prefix(&v.url_path, segs).map(|n| (v, n)))
        .max_by_key(|(_, n)| *n);
    Some((app, vdir))
}

fn physical(v: &VirtualDirectory, segs: &[String], consumed: usize) -> String {
    let mut p = v
        .physical_path_expanded
        .trim_end_matches(['\\', '/'])
        .to_string();
    for s in &segs[consumed.min(segs.len())..] {
        p.push('\\');
        p.push_str(s);
    }
    p
}

impl HostConfig {
    /// Builds the merge target for `site_idx` and URL segments. With `with_web` false the
    /// web.config chain is left out (for occurrences of the global files only).
    pub(crate) fn target_for(&self, site_idx: usize, segs: Vec<String>, with_web: bool) -> Target {
        let site = &self.sites[site_idx];
        let mut key = String::with_capacity(site.name.len() + 16 * segs.len());
        let mut bounds = Vec::with_capacity(segs.len() + 2);
        bounds.push(0usize);
        push_lower(&mut key, &site.name);
        bounds.push(key.len());
        for s in &segs {
            key.push('/');
            push_lower(&mut key, s);
            bounds.push(key.len());
        }
        let located = locate(site, &segs);
        let app = located.map(|(a, _)| a);
        let pool = app.and_then(|a| a.pool_idx).map(|i| &self.app_pools()[i]);
        let override_disabled = pool.is_some_and(|p| !p.config_override_enabled());
        let app_root_depth = app.map_or(0, |a| 1 + app_segments(&a.path).count() as u32);
        let mut app_roots: Vec<u32> = site
            .applications
            .iter()
            .filter(|a| is_prefix(&a.path, &segs).is_some())
            .map(|a| 1 + app_segments(&a.path).count() as u32)
            .collect();
        app_roots.sort_unstable();

        let mut global_files = Vec::with_capacity(3);
        let (runtime, is32) = pool.map_or(("", false), |p| {
            (
                &*p.managed_runtime_version.value,
                p.enable_32bit_app_on_win64.as_bool().unwrap_or(false),
            )
        });
        if let Some(f) = self.pick_framework_file(&self.machine_files, runtime, is32) {
            global_files.push((f, 0));
        }
        if let Some(f) = self.pick_framework_file(&self.root_web_files, runtime, is32) {
            global_files.push((f, 1));
        }
        if let Some(f) = self.apphost {
            global_files.push((f, 2));
        }

        let mut steps = Vec::new();
        if with_web && !self.web_configs.is_empty() {
            for (d, folder) in self.folders(site, &segs) {
                let Some((folder, readable)) = folder else {
                    continue;
                };
                let file_key = normalize_windows_path(&format!("{folder}\\web.config"));
                if let Some(&f) = self.web_configs.get(&file_key) {
                    let ignored = if override_disabled {
                        Some(IgnoredReason::PoolConfigurationOverrideDisabled)
                    } else if !readable {
                        Some(IgnoredReason::SubDirConfigDisallowed)
                    } else {
                        None
                    };
                    steps.push(Step {
                        file: f,
                        depth: d as u32 + 1,
                        ignored,
                    });
                }
            }
        }
        Target {
            site_name: site.name.clone(),
            segments: segs,
            key,
            bounds,
            app_root_depth,
            app_roots,
            global_files,
            steps,
            names: Default::default(),
        }
    }

    /// The physical folder of every URL prefix (site root first), with whether web.config
    /// files may be read there (false below a vdir with `allowSubDirConfig="false"`).
    fn folders(&self, site: &Site, segs: &[String]) -> Vec<(usize, Option<(String, bool)>)> {
        (0..=segs.len())
            .map(|d| {
                let prefix = &segs[..d];
                let f = match locate(site, prefix) {
                    Some((_, Some((vdir, consumed)))) => Some((
                        physical(vdir, prefix, consumed),
                        consumed >= d || vdir.allows_sub_dir_config(),
                    )),
                    _ => None,
                };
                (d, f)
            })
            .collect()
    }

    /// What `target` (built by [`Self::target_for`]) resolves to.
    pub(crate) fn resolved_for(&self, site_idx: usize, target: &Target) -> ResolvedPath {
        let site = &self.sites[site_idx];
        let segs = &target.segments;
        let located = locate(site, segs);
        let app = located.map(|(a, _)| a);
        let pool_name = app.map(|a| a.pool_name().to_string());
        let pool = pool_name.as_deref().and_then(|n| self.pool(n));
        let mut web_configs = Vec::new();
        for (d, folder) in self.folders(site, segs) {
            let Some((folder, _)) = folder else {
                continue;
            };
            let step = target.steps.iter().find(|s| s.depth as usize == d + 1);
            web_configs.push(WebConfigStep {
                url_path: super::merge::url_of(&segs[..d]),
                physical_folder: folder,
                file: step.map(|s| self.files[s.file as usize].path.to_string()),
                ignored: step.and_then(|s| s.ignored),
            });
        }
        let (vdir, physical_path, connect_as) = match located {
            Some((_, Some((v, consumed)))) => (
                Some(v.url_path.clone()),
                Some(physical(v, segs, consumed)),
                v.user_name
                    .as_ref()
                    .filter(|u| !u.value.trim().is_empty())
                    .map(|u| u.value.to_string()),
            ),
            _ => (None, None, None),
        };
        ResolvedPath {
            site: site.name.clone(),
            site_id: site.id,
            url_path: target.url_path(),
            config_path: target.config_path_at(target.bounds.len() as u32 - 1),
            application: app.map(|a| a.path.clone()),
            application_pool_exists: pool.is_some(),
            application_pool: pool_name,
            virtual_directory: vdir,
            physical_path,
            connect_as,
            web_configs,
        }
    }

    /// A target at server level (no site): machine.config, root web.config and the
    /// applicationHost.config top level and `<location path="">`.
    pub(crate) fn server_target(&self) -> Target {
        let mut global_files = Vec::new();
        if let Some(f) = self.pick_framework_file(&self.machine_files, "", false) {
            global_files.push((f, 0));
        }
        if let Some(f) = self.pick_framework_file(&self.root_web_files, "", false) {
            global_files.push((f, 1));
        }
        if let Some(f) = self.apphost {
            global_files.push((f, 2));
        }
        Target {
            site_name: String::new(),
            segments: Vec::new(),
            key: String::new(),
            bounds: vec![0],
            app_root_depth: 0,
            app_roots: Vec::new(),
            global_files,
            steps: Vec::new(),
            names: Default::default(),
        }
    }

    /// A target for a raw location path of applicationHost.config whose site does not exist
    /// (no web.config files apply).
    pub(crate) fn raw_target(&self, location_path: &str) -> Target {
        let mut t = self.server_target();
        let segs = url_segments(location_path);
        let mut it = segs.into_iter();
        if let Some(site) = it.next() {
            t.key = site.to_lowercase();
            t.bounds.push(t.key.len());
            t.site_name = site;
            for s in it {
                t.key.push('/');
                t.key.push_str(&s.to_lowercase());
                t.bounds.push(t.key.len());
                t.segments.push(s);
            }
        }
        t
    }

    /// Chooses among machine.config / root web.config copies by the pool's runtime version
    /// and bitness (Framework64 unless 32-bit; v4.0 unless the pool asks for v2.0).
    fn pick_framework_file(&self, files: &[u32], runtime: &str, is32: bool) -> Option<u32> {
        let want_v2 = runtime.trim().to_ascii_lowercase().starts_with("v2");
        files.iter().copied().max_by_key(|&f| {
            let p = self.files[f as usize].path.to_ascii_lowercase();
            let is64 = p.contains("framework64");
            let v2 = p.contains("v2.0");
            let mut score = 0;
            if is64 != is32 {
                score += 2;
            }
            if v2 == want_v2 {
                score += 4;
            }
            score
        })
    }
}
