//! `iis-sweep config` and `iis-sweep access`: look at one host the way the rules do.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::acl::{self, AccessDecision, IdentitySource};
use crate::input::{discover, load, Input};
use crate::rules::HostContext;
use crate::snapshot::Snapshot;

/// Reads exactly one host from a snapshot file or an applicationHost.config.
pub fn load_one(path: &Path) -> anyhow::Result<(Input, Snapshot)> {
    let inputs = discover(&[path.to_path_buf()])?;
    match inputs.as_slice() {
        [one] => {
            let mut snapshot = load(one).map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::logs::read_shipped(&mut snapshot);
            Ok((one.clone(), snapshot))
        }
        [] => anyhow::bail!("{}: no snapshot or applicationHost.config", path.display()),
        _ => anyhow::bail!(
            "{}: holds {} hosts; name one snapshot file",
            path.display(),
            inputs.len()
        ),
    }
}

fn check_site(ctx: &HostContext, site: &str, given: &Path) -> anyhow::Result<()> {
    if ctx.config.site(site).is_some() {
        return Ok(());
    }
    // An applicationHost.config that does not parse has no sites: say why, with the place.
    if let Some(e) = ctx
        .config
        .file_errors()
        .iter()
        .find(|e| e.role == crate::snapshot::FileRole::ApplicationHost)
    {
        anyhow::bail!(
            "{}: line {}, column {}: {} — the host's applicationHost.config ({}) cannot be read, \
             so it has no sites to show",
            given.display(),
            e.line,
            e.column,
            e.message,
            e.file
        );
    }
    let names: Vec<&str> = ctx.config.sites().iter().map(|s| s.name.as_str()).collect();
    anyhow::bail!(
        "host {} has no site {site:?}; its sites are: {}",
        ctx.host(),
        if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(", ")
        }
    )
}

/// `config`: the effective configuration with every value's origin.
pub fn config(
    path: &Path,
    site: &str,
    url: &str,
    section: Option<&str>,
    json: bool,
) -> anyhow::Result<String> {
    let (_, snapshot) = load_one(path)?;
    let ctx = HostContext::new(&snapshot);
    check_site(&ctx, site, path)?;
    let report = crate::iis::ConfigReport::build(&ctx.config, site, url, section);
    if json {
        Ok(serde_json::to_string_pretty(&report)?)
    } else {
        Ok(report.to_text())
    }
}

/// One content-reading identity and whether it may read.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityAccess {
    /// Authentication modes served by this identity.
    pub modes: Vec<String>,
    /// Where the identity comes from (IUSR, pool identity, configured account, …).
    pub source: String,
    /// The principal, e.g. `IIS APPPOOL\Shop`.
    pub principal: Option<String>,
    /// Its SID, e.g. `S-1-5-82-…` for a pool identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `granted`, `denied`, `not-granted`, `unknown`.
    pub folder: String,
    pub files: String,
    /// The deciding ACEs and notes.
    pub evidence: Vec<String>,
    /// Why it could not be judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_evaluated: Option<String>,
}

/// What `access` prints.
#[derive(Debug, Clone, Serialize)]
pub struct AccessReport {
    pub host: String,
    pub site: String,
    pub url_path: String,
    pub physical_path: Option<String>,
    pub sddl: Option<String>,
    pub identities: Vec<IdentityAccess>,
}

fn outcome_word(d: &AccessDecision) -> String {
    match d.outcome {
        acl::Outcome::Granted => "granted",
        acl::Outcome::Denied => "denied",
        acl::Outcome::NotGranted => "not granted",
        acl::Outcome::Undetermined => "unknown",
    }
    .to_string()
}

/// `access`: who reads the content behind a path, per authentication method, and may they.
pub fn access(path: &Path, site: &str, url: &str) -> anyhow::Result<AccessReport> {
    let (_, snapshot) = load_one(path)?;
    let ctx = HostContext::new(&snapshot);
    check_site(&ctx, site, path)?;
    let r = ctx
        .config
        .resolve_path(site, url)
        .ok_or_else(|| anyhow::anyhow!("{site}{url}: path does not resolve"))?;
    let p = ctx
        .site_path_list(&r.site, std::iter::once(r.url_path.clone()))
        .pop()
        .ok_or_else(|| anyhow::anyhow!("{site}{url}: path does not resolve"))?;
    let sd = p.physical_path.as_deref().map(|f| ctx.folder_sd(f));
    let inputs = ctx.identity_inputs(&p);
    let mut identities = Vec::new();
    for id in acl::content_identities(&inputs, &snapshot.accounts) {
        let source = match &id.source {
            IdentitySource::Iusr => "anonymous: IUSR".to_string(),
            IdentitySource::PoolIdentity => "anonymous: application pool identity".to_string(),
            IdentitySource::AnonymousAccount(a) => format!("anonymous: configured account {a}"),
            IdentitySource::AuthenticatedUser => "the authenticated user".to_string(),
            IdentitySource::ConnectAs(a) => format!("virtual directory connect-as {a}"),
        };
        let modes = id
            .modes
            .iter()
            .map(|m| format!("{m:?}").to_lowercase())
            .collect();
        let mut row = IdentityAccess {
            modes,
            source,
            principal: None,
            sid: None,
            folder: "unknown".into(),
            files: "unknown".into(),
            evidence: Vec::new(),
            not_evaluated: None,
        };
        // Who serves the content is known from the configuration alone: named even when the
        // folder's ACL was not collected.
        if let Ok(pr) = &id.principal {
            row.principal = Some(pr.description.clone());
            row.sid = Some(pr.user_sid.to_string());
        }
        match (&id.principal, &sd) {
            (Err(u), _) => row.not_evaluated = Some(u.to_string()),
            (_, None) => row.not_evaluated = Some("the path has no physical folder".into()),
            (Ok(pr), Some(Err(e))) => {
                row.not_evaluated = Some(format!(
                    "{e}: whether {} ({}) may read it is unknown; run icacls \"{}\" on the host \
                     and look for that account or one of its groups",
                    pr.description,
                    pr.user_sid,
                    p.physical_path.as_deref().unwrap_or_default()
                ))
            }
            (Ok(pr), Some(Ok(sd))) => {
                let rx = acl::read_execute(sd, pr);
                row.folder = outcome_word(&rx.folder);
                row.files = outcome_word(&rx.files);
                for e in rx.folder.evidence.iter().chain(&rx.files.evidence) {
                    let line = format!("ACE #{} {} ({:?})", e.index + 1, e.ace, e.effect);
                    if !row.evidence.contains(&line) {
                        row.evidence.push(line);
                    }
                }
                row.evidence.extend(rx.folder.notes.iter().cloned());
                if rx.folder.evidence.is_empty() && !rx.folder.is_granted() {
                    row.evidence.push(format!(
                        "no ACE grants {} or its groups Read & Execute",
                        pr.description
                    ));
                }
            }
        }
        identities.push(row);
    }
    Ok(AccessReport {
        host: ctx.host().to_string(),
        site: r.site,
        url_path: r.url_path,
        sddl: p
            .physical_path
            .as_deref()
            .and_then(|f| snapshot.acl_at(f))
            .and_then(|a| a.sddl.clone()),
        physical_path: p.physical_path,
        identities,
    })
}

impl AccessReport {
    /// Text for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "host: {}", self.host);
        let _ = writeln!(out, "site: {}  path: {}", self.site, self.url_path);
        let _ = writeln!(
            out,
            "folder: {}",
            self.physical_path.as_deref().unwrap_or("(none)")
        );
        if let Some(s) = &self.sddl {
            let _ = writeln!(out, "sddl: {s}");
        }
        if self.identities.is_empty() {
            let _ = writeln!(
                out,
                "\nno authentication method is enabled: nobody reads this content (401.2)"
            );
        }
        for i in &self.identities {
            let _ = writeln!(out, "\n{} [{}]", i.source, i.modes.join(", "));
            match (&i.principal, &i.sid) {
                (Some(p), Some(sid)) => {
                    let _ = writeln!(out, "  principal: {p} ({sid})");
                }
                (Some(p), None) => {
                    let _ = writeln!(out, "  principal: {p}");
                }
                _ => {}
            }
            match &i.not_evaluated {
                Some(r) => {
                    let _ = writeln!(out, "  not evaluated: {r}");
                }
                None => {
                    let _ = writeln!(out, "  read & execute on the folder: {}", i.folder);
                    let _ = writeln!(out, "  read & execute on its files:  {}", i.files);
                }
            }
            for e in &i.evidence {
                let _ = writeln!(out, "    {e}");
            }
        }
        out
    }
}
