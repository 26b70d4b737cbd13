//! What a fix changes, as data: one [`FixStep`] per change. A finding carries its steps next to
//! its `fix` text, and both the cmd.exe line shown in the report and the PowerShell of
//! `iis-sweep fixes` are rendered from them, so host-supplied names (sites, paths, pools,
//! accounts) are only ever quoted values, never code.
//!
//! Quoting:
//! - **PowerShell**: every value is a single-quoted literal with each quote doubled, including
//!   the typographic quotes PowerShell also accepts as single quotes (U+2018–U+201B); nothing in
//!   a single-quoted literal is expanded.
//! - **cmd.exe**: values go inside double quotes, with trailing backslashes doubled (so `"C:\x\"`
//!   does not escape its closing quote). A value with a `"`, a `%`, a `!` or a control character
//!   cannot be quoted for cmd.exe at all; its line then says so instead of running something
//!   else, and the PowerShell script is the way to apply it.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// appcmd.exe as cmd.exe lines name it.
pub const APPCMD: &str = r"%windir%\system32\inetsrv\appcmd.exe";

/// Where a configuration change is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Commit {
    /// applicationHost.config, in a `<location>` for the path when there is one.
    Apphost,
    /// The web.config file at the path (appcmd's default).
    WebConfig,
    /// The root web.config of the .NET Framework (server level, ASP.NET sections).
    RootWebConfig,
    /// machine.config (server level).
    MachineConfig,
}

/// A registry value to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data", rename_all = "kebab-case")]
pub enum RegValue {
    Dword(u32),
    MultiSz(Vec<String>),
}

/// One change on a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum FixStep {
    /// Set an attribute of a configuration section, at a path (`Site/app`) or server-wide.
    SetConfig {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        section: String,
        /// The attribute, dotted for child elements (`forms.requireSSL`).
        attribute: String,
        value: String,
        commit: Commit,
    },
    /// Add an entry to a collection of a section (`modules`, `providers`, …), in
    /// applicationHost.config at the path.
    AddToCollection {
        location: String,
        section: String,
        /// The child element that holds the collection (`providers`), or none when the section
        /// is the collection itself (`system.webServer/modules`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collection: Option<String>,
        /// The new entry's attributes, e.g. `name` = `UrlAuthorizationModule`.
        entry: Vec<(String, String)>,
    },
    /// Set an attribute of an application pool (`processModel.identityType`).
    SetAppPool {
        pool: String,
        attribute: String,
        value: String,
    },
    /// Grant a trustee rights on a folder, inherited by files and subfolders.
    Grant {
        path: String,
        /// `*S-1-5-17` (by SID) or an account name.
        trustee: String,
        /// icacls rights, e.g. `(OI)(CI)RX`.
        rights: String,
    },
    /// Remove a trustee's ACEs from a folder (`deny_only`: only its deny ACEs).
    RemoveAces {
        path: String,
        trustee: String,
        deny_only: bool,
    },
    /// Stop inheriting the parent's ACEs, keeping copies of them (so an inherited deny can be
    /// removed here).
    StopInheritance { path: String },
    /// Write a registry value under HKLM.
    SetRegistry {
        /// `HKLM\SYSTEM\…`.
        key: String,
        name: String,
        value: RegValue,
    },
    /// Delete a registry value under HKLM.
    RemoveRegistry { key: String, name: String },
    /// Install a Windows feature (IIS role service).
    InstallFeature { name: String },
}

/// `value` as a PowerShell single-quoted literal: nothing in it is expanded or run.
pub fn ps_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        // PowerShell reads U+2018..U+201B as single quotes too: double them like '.
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `value` in double quotes for a cmd.exe command line, or `None` when cmd.exe cannot carry it
/// literally (`"`, `%`, `!`, control characters).
pub fn cmd_quote(value: &str) -> Option<String> {
    if value
        .chars()
        .any(|c| matches!(c, '"' | '%' | '!') || c.is_control())
    {
        return None;
    }
    let trailing = value.len() - value.trim_end_matches('\\').len();
    Some(format!("\"{value}{}\"", "\\".repeat(trailing)))
}

/// A plain word (letters, digits, `_`, `-`, `.`) as it is, anything else as [`cmd_quote`].
fn cmd_word(value: &str) -> Option<String> {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        Some(value.to_string())
    } else {
        cmd_quote(value)
    }
}

/// Text safe inside a PowerShell (or cmd `rem`) comment line: line breaks and other control,
/// zero-width and bidi characters shown as `⟦U+XXXX⟧`, so host text cannot end the comment.
pub fn comment_text(text: &str) -> String {
    crate::text::marked(text, |c| {
        crate::text::is_invisible(c) || c == '\n' || c == '\r'
    })
}

impl FixStep {
    /// The step as one cmd.exe line (appcmd.exe, icacls, reg, PowerShell for features).
    pub fn cmd(&self) -> String {
        match self.cmd_checked() {
            Some(line) => line,
            None => format!(
                "rem {}: a name here holds characters cmd.exe cannot quote; apply it with the \
                 PowerShell script of `iis-sweep fixes`",
                comment_text(&self.describe())
            ),
        }
    }

    fn cmd_checked(&self) -> Option<String> {
        Some(match self {
            FixStep::SetConfig {
                location,
                section,
                attribute,
                value,
                commit,
            } => {
                let at = match location {
                    Some(l) => format!(" {}", cmd_quote(l)?),
                    None => String::new(),
                };
                let commit = match commit {
                    Commit::Apphost => " /commit:apphost",
                    Commit::WebConfig => "",
                    Commit::RootWebConfig => " /commit:WEBROOT",
                    Commit::MachineConfig => " /commit:MACHINE",
                };
                format!(
                    "{APPCMD} set config{at} -section:{section} /{attribute}:{}{commit}",
                    cmd_quote(value)?
                )
            }
            FixStep::AddToCollection {
                location,
                section,
                collection,
                entry,
            } => {
                let mut item = String::new();
                for (k, v) in entry {
                    if v.contains(['\'', '"', ']']) || !k.chars().all(|c| c.is_ascii_alphanumeric())
                    {
                        return None;
                    }
                    let _ = write!(item, "{}{k}='{v}'", if item.is_empty() { "" } else { "," });
                }
                let prefix = collection
                    .as_deref()
                    .map(|c| format!("{c}."))
                    .unwrap_or_default();
                format!(
                    "{APPCMD} set config {} -section:{section} {} /commit:apphost",
                    cmd_quote(location)?,
                    cmd_quote(&format!("/+{prefix}[{item}]"))?
                )
            }
            FixStep::SetAppPool {
                pool,
                attribute,
                value,
            } => format!(
                "{APPCMD} set apppool {} /{attribute}:{}",
                cmd_quote(pool)?,
                cmd_quote(value)?
            ),
            FixStep::Grant {
                path,
                trustee,
                rights,
            } => format!(
                "icacls {} /grant {}",
                cmd_quote(path)?,
                cmd_quote(&format!("{trustee}:{rights}"))?
            ),
            FixStep::RemoveAces {
                path,
                trustee,
                deny_only,
            } => format!(
                "icacls {} /remove{} {}",
                cmd_quote(path)?,
                if *deny_only { ":d" } else { "" },
                cmd_quote(trustee)?
            ),
            FixStep::StopInheritance { path } => {
                format!("icacls {} /inheritance:d", cmd_quote(path)?)
            }
            FixStep::SetRegistry { key, name, value } => {
                let (kind, data) = match value {
                    RegValue::Dword(n) => ("REG_DWORD", n.to_string()),
                    // reg.exe separates REG_MULTI_SZ strings with \0.
                    RegValue::MultiSz(v) => ("REG_MULTI_SZ", cmd_quote(&v.join("\\0"))?),
                };
                format!(
                    "reg add {} /v {} /t {kind} /d {data} /f",
                    cmd_quote(key)?,
                    cmd_word(name)?
                )
            }
            FixStep::RemoveRegistry { key, name } => {
                format!("reg delete {} /v {} /f", cmd_quote(key)?, cmd_word(name)?)
            }
            FixStep::InstallFeature { name } => {
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return None;
                }
                format!("powershell -NoProfile -Command \"Install-WindowsFeature {name}\"")
            }
        })
    }

    /// One line saying what the step changes (host text as it is; quote it before use).
    pub fn describe(&self) -> String {
        match self {
            FixStep::SetConfig {
                location,
                section,
                attribute,
                value,
                commit,
            } => format!(
                "{}: {section} {attribute} = \"{value}\" (in {})",
                location.as_deref().unwrap_or("server"),
                match commit {
                    Commit::Apphost => "applicationHost.config",
                    Commit::WebConfig => "web.config",
                    Commit::RootWebConfig => "the root web.config",
                    Commit::MachineConfig => "machine.config",
                }
            ),
            FixStep::AddToCollection {
                location,
                section,
                collection,
                entry,
            } => format!(
                "{location}: add {} to {section}{}",
                entry
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(" "),
                collection
                    .as_deref()
                    .map(|c| format!("/{c}"))
                    .unwrap_or_default()
            ),
            FixStep::SetAppPool {
                pool,
                attribute,
                value,
            } => format!("application pool {pool}: {attribute} = \"{value}\""),
            FixStep::Grant {
                path,
                trustee,
                rights,
            } => format!("{path}: grant {trustee} {rights}"),
            FixStep::RemoveAces {
                path,
                trustee,
                deny_only,
            } => format!(
                "{path}: remove the {}ACEs of {trustee}",
                if *deny_only { "deny " } else { "" }
            ),
            FixStep::StopInheritance { path } => {
                format!("{path}: stop inheriting ACEs (keeping copies)")
            }
            FixStep::SetRegistry { key, name, value } => match value {
                RegValue::Dword(n) => format!("{key}\\{name} = {n} (REG_DWORD)"),
                RegValue::MultiSz(v) => {
                    format!("{key}\\{name} = {} (REG_MULTI_SZ)", v.join(", "))
                }
            },
            FixStep::RemoveRegistry { key, name } => format!("delete {key}\\{name}"),
            FixStep::InstallFeature { name } => format!("install the Windows feature {name}"),
        }
    }

    /// A PowerShell expression that is `$true` when the change is already in place (so a
    /// second run changes nothing), or `None` when that cannot be read cheaply.
    pub fn powershell_test(&self) -> Option<String> {
        Some(match self {
            FixStep::SetConfig {
                location,
                section,
                attribute,
                value,
                commit,
            } => {
                let (filter, name) = filter_and_name(section, attribute);
                format!(
                    "(Get-ConfigValue {} -Filter {} -Name {}) -eq {}",
                    ps_config_target(location.as_deref(), *commit),
                    ps_quote(&filter),
                    ps_quote(name),
                    ps_quote(value)
                )
            }
            FixStep::AddToCollection {
                location,
                section,
                collection,
                entry,
            } => {
                // An XPath test on the entry's first attribute; values with quotes get none.
                let (k, v) = entry.first()?;
                if v.contains(['\'', '"']) || !k.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return None;
                }
                let filter = match collection {
                    Some(c) => format!("{section}/{c}/add[@{k}='{v}']"),
                    None => format!("{section}/add[@{k}='{v}']"),
                };
                format!(
                    "$null -ne (Get-WebConfigurationProperty {} -Filter {} -Name '.')",
                    ps_config_target(Some(location), Commit::Apphost),
                    ps_quote(&filter)
                )
            }
            FixStep::SetAppPool {
                pool,
                attribute,
                value,
            } => format!(
                "[string](Get-ItemProperty -LiteralPath ('IIS:\\AppPools\\' + {}) -Name {}) -eq {}",
                ps_quote(pool),
                ps_quote(attribute),
                ps_quote(value)
            ),
            FixStep::SetRegistry { key, name, value } => format!(
                "(Get-RegistryText {} {}) -eq {}",
                ps_quote(&ps_registry_path(key)),
                ps_quote(name),
                ps_quote(&match value {
                    RegValue::Dword(n) => n.to_string(),
                    RegValue::MultiSz(v) => v.join("\n"),
                })
            ),
            FixStep::RemoveRegistry { key, name } => format!(
                "$null -eq (Get-RegistryText {} {})",
                ps_quote(&ps_registry_path(key)),
                ps_quote(name)
            ),
            FixStep::InstallFeature { name } => {
                format!("(Get-WindowsFeature -Name {}).Installed", ps_quote(name))
            }
            FixStep::Grant { .. }
            | FixStep::RemoveAces { .. }
            | FixStep::StopInheritance { .. } => return None,
        })
    }

    /// The step as a PowerShell statement in which every host-supplied value is a single-quoted
    /// literal; `Err` (why) when it cannot be written safely.
    ///
    /// icacls runs as a native command, whose arguments Windows PowerShell 5.1 joins without
    /// escaping embedded double quotes: a value with `"` (which no Windows path or account name
    /// can hold) would split into extra arguments, so such a step is refused; trailing
    /// backslashes are dropped from folders (`"C:\my dir\"` would escape its own quote).
    pub fn powershell(&self) -> Result<String, String> {
        let native = |values: &[&str]| {
            if values.iter().any(|v| v.contains('"')) {
                Err(
                    "a folder or account name holds a double quote, which no Windows path or \
                     account can: check the report before changing anything"
                        .to_string(),
                )
            } else {
                Ok(())
            }
        };
        Ok(match self {
            FixStep::SetConfig {
                location,
                section,
                attribute,
                value,
                commit,
            } => {
                let (filter, name) = filter_and_name(section, attribute);
                format!(
                    "Set-WebConfigurationProperty {} -Filter {} -Name {} -Value {}",
                    ps_config_target(location.as_deref(), *commit),
                    ps_quote(&filter),
                    ps_quote(name),
                    ps_quote(value)
                )
            }
            FixStep::AddToCollection {
                location,
                section,
                collection,
                entry,
            } => format!(
                "Add-WebConfigurationProperty {} -Filter {} -Name '.' -Value @{{ {} }}",
                ps_config_target(Some(location), Commit::Apphost),
                ps_quote(&match collection {
                    Some(c) => format!("{section}/{c}"),
                    None => section.clone(),
                }),
                entry
                    .iter()
                    .map(|(k, v)| format!("{} = {}", ps_quote(k), ps_quote(v)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            FixStep::SetAppPool {
                pool,
                attribute,
                value,
            } => format!(
                "Set-ItemProperty -LiteralPath ('IIS:\\AppPools\\' + {}) -Name {} -Value {}",
                ps_quote(pool),
                ps_quote(attribute),
                ps_quote(value)
            ),
            FixStep::Grant {
                path,
                trustee,
                rights,
            } => {
                native(&[path, trustee, rights])?;
                format!(
                    "Invoke-Native icacls.exe {} '/grant' {}",
                    ps_quote(folder(path)),
                    ps_quote(&format!("{trustee}:{rights}"))
                )
            }
            FixStep::RemoveAces {
                path,
                trustee,
                deny_only,
            } => {
                native(&[path, trustee])?;
                format!(
                    "Invoke-Native icacls.exe {} {} {}",
                    ps_quote(folder(path)),
                    if *deny_only {
                        "'/remove:d'"
                    } else {
                        "'/remove'"
                    },
                    ps_quote(trustee)
                )
            }
            FixStep::StopInheritance { path } => {
                native(&[path])?;
                format!(
                    "Invoke-Native icacls.exe {} '/inheritance:d'",
                    ps_quote(folder(path))
                )
            }
            FixStep::SetRegistry { key, name, value } => {
                let (kind, data) = match value {
                    RegValue::Dword(n) => ("DWord", n.to_string()),
                    RegValue::MultiSz(v) => (
                        "MultiString",
                        format!(
                            "@({})",
                            v.iter().map(|s| ps_quote(s)).collect::<Vec<_>>().join(", ")
                        ),
                    ),
                };
                format!(
                    "New-ItemProperty -LiteralPath {} -Name {} -PropertyType {kind} -Value {data} -Force | Out-Null",
                    ps_quote(&ps_registry_path(key)),
                    ps_quote(name)
                )
            }
            FixStep::RemoveRegistry { key, name } => format!(
                "Remove-ItemProperty -LiteralPath {} -Name {}",
                ps_quote(&ps_registry_path(key)),
                ps_quote(name)
            ),
            FixStep::InstallFeature { name } => {
                format!("Install-WindowsFeature -Name {} | Out-Null", ps_quote(name))
            }
        })
    }
}

/// appcmd's dotted attribute (`forms.requireSSL`) as the WebAdministration cmdlets take it: the
/// child element in the filter (`system.web/authentication/forms`) and the attribute's name.
fn filter_and_name<'a>(section: &str, attribute: &'a str) -> (String, &'a str) {
    match attribute.rsplit_once('.') {
        Some((element, name)) => (format!("{section}/{}", element.replace('.', "/")), name),
        None => (section.to_string(), attribute),
    }
}

/// A folder without trailing backslashes, except a drive root (`C:\`).
fn folder(path: &str) -> &str {
    let t = path.trim_end_matches('\\');
    if t.is_empty() || t.ends_with(':') {
        path
    } else {
        t
    }
}

/// `-PSPath` (and `-Location`) of a configuration change: applicationHost.config (in a
/// location for the path), the root web.config, or the path's own web.config.
fn ps_config_target(location: Option<&str>, commit: Commit) -> String {
    match (commit, location) {
        (Commit::Apphost, None) => "-PSPath 'MACHINE/WEBROOT/APPHOST'".to_string(),
        (Commit::Apphost, Some(l)) => {
            format!(
                "-PSPath 'MACHINE/WEBROOT/APPHOST' -Location {}",
                ps_quote(l)
            )
        }
        (Commit::WebConfig, Some(l)) => {
            format!(
                "-PSPath {}",
                ps_quote(&format!("MACHINE/WEBROOT/APPHOST/{l}"))
            )
        }
        (Commit::WebConfig, None) | (Commit::RootWebConfig, _) => {
            "-PSPath 'MACHINE/WEBROOT'".to_string()
        }
        (Commit::MachineConfig, _) => "-PSPath 'MACHINE'".to_string(),
    }
}

/// `HKLM\…` as a PowerShell registry provider path (`HKLM:\…`).
fn ps_registry_path(key: &str) -> String {
    match key.split_once('\\') {
        Some((hive, rest)) if hive.eq_ignore_ascii_case("HKLM") => format!("HKLM:\\{rest}"),
        _ => key.to_string(),
    }
}

/// Steps as the report's cmd.exe fix text: one line per step, joined with ` && `.
pub fn cmd_lines(steps: &[FixStep]) -> String {
    steps
        .iter()
        .map(FixStep::cmd)
        .collect::<Vec<_>>()
        .join(" && ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_literals_double_every_kind_of_single_quote() {
        assert_eq!(ps_quote("a'b"), "'a''b'");
        assert_eq!(ps_quote("x\u{2019}y"), "'x\u{2019}\u{2019}y'");
        assert_eq!(ps_quote("$(calc)"), "'$(calc)'");
    }

    #[test]
    fn cmd_quoting_refuses_what_cmd_cannot_carry() {
        assert_eq!(cmd_quote("C:\\x\\").unwrap(), "\"C:\\x\\\\\"");
        assert_eq!(cmd_quote("a & b").unwrap(), "\"a & b\"");
        assert!(cmd_quote("a\" & calc & \"").is_none());
        assert!(cmd_quote("100%x%").is_none());
        let step = FixStep::Grant {
            path: "C:\\a\" & calc".into(),
            trustee: "*S-1-5-17".into(),
            rights: "(OI)(CI)RX".into(),
        };
        let line = step.cmd();
        assert!(line.starts_with("rem "), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn comments_cannot_be_ended_by_host_text() {
        let c = comment_text("x\ny\r\u{2028}z");
        assert!(!c.contains(['\n', '\r', '\u{2028}']), "{c}");
    }
}
