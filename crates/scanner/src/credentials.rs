//! Where passwords come from: an environment variable, a file only its owner can read, or an
//! interactive prompt. Never the inventory.
//!
//! An inventory names a [`CredentialRef`] (user name plus where the password lives); the sweep
//! resolves each distinct reference once ([`resolve_all`]) into [`Credentials`]. The password
//! stays in a [`SecretString`] (zeroed on drop) and is never printed: `Debug` and `Display`
//! redact it and no error message carries it.
//!
//! Order, for one reference:
//! 1. `password_file`, when set (it must not be readable by group or others: `chmod 600`);
//! 2. the environment variable `password_env`, or [`DEFAULT_PASSWORD_ENV`] when none is named;
//! 3. an interactive prompt, only when standard input is a terminal;
//! 4. otherwise an error that names these options.
//!
//! Values that start with `$ANSIBLE_VAULT;` are refused: iis-sweep does not decrypt Ansible
//! Vault.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

/// The environment variable read when the inventory names none.
pub const DEFAULT_PASSWORD_ENV: &str = "IIS_SWEEP_PASSWORD";

/// The prefix of an Ansible Vault payload.
pub const VAULT_PREFIX: &str = "$ANSIBLE_VAULT;";

/// Where the credentials for a target come from. Holds names and paths, never a secret, so it
/// may be logged, hashed and written to reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CredentialRef {
    /// `user`, `DOMAIN\user` or `user@REALM`; `None` until the inventory or `--user` gives one.
    pub username: Option<String>,
    /// Environment variable holding the password (default [`DEFAULT_PASSWORD_ENV`]).
    pub password_env: Option<String>,
    /// File holding the password (first line); must be `chmod 600`.
    pub password_file: Option<PathBuf>,
    /// Client certificate (PEM) for certificate authentication.
    pub client_cert: Option<PathBuf>,
    /// Private key (PEM) of `client_cert`.
    pub client_key: Option<PathBuf>,
}

impl CredentialRef {
    /// The environment variable that will be read.
    pub fn env_name(&self) -> &str {
        self.password_env.as_deref().unwrap_or(DEFAULT_PASSWORD_ENV)
    }

    /// Resolves the password from the file, the environment or the prompt (in that order).
    pub fn resolve(&self, prompter: &mut dyn Prompter) -> Result<Credentials, CredentialError> {
        self.resolve_with(&|name| std::env::var_os(name), prompter)
    }

    /// [`resolve`](Self::resolve) with a stand-in for the process environment.
    pub fn resolve_with(
        &self,
        env: &dyn Fn(&str) -> Option<OsString>,
        prompter: &mut dyn Prompter,
    ) -> Result<Credentials, CredentialError> {
        let username = match self.username.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => u.to_string(),
            _ => return Err(CredentialError::NoUsername),
        };
        if let Some(path) = &self.password_file {
            let password = read_password_file(path)?;
            return Ok(Credentials {
                username,
                password,
                source: PasswordSource::File(path.clone()),
            });
        }
        let var = self.env_name();
        if let Some(value) = env(var) {
            let value = value
                .into_string()
                .map_err(|_| CredentialError::EnvNotUnicode { var: var.into() })?;
            if !value.is_empty() {
                if value.starts_with(VAULT_PREFIX) {
                    return Err(CredentialError::Vault {
                        origin: format!("environment variable {var}"),
                    });
                }
                return Ok(Credentials {
                    username,
                    password: exact_secret(value),
                    source: PasswordSource::Env(var.into()),
                });
            }
        }
        if prompter.is_interactive() {
            let password = prompter
                .prompt_password(&format!("Password for {username}: "))
                .map_err(CredentialError::Prompt)?;
            if password.expose_secret().starts_with(VAULT_PREFIX) {
                return Err(CredentialError::Vault {
                    origin: "the prompt".into(),
                });
            }
            return Ok(Credentials {
                username,
                password,
                source: PasswordSource::Prompt,
            });
        }
        Err(CredentialError::NoPassword {
            username,
            var: var.into(),
        })
    }
}

impl fmt::Display for CredentialRef {
    /// `CONTOSO\svc (password from $IIS_SWEEP_PASSWORD)`: names the source, never a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.username.as_deref().unwrap_or("(no user)"))?;
        match &self.password_file {
            Some(p) => write!(f, " (password from file {})", p.display()),
            None => write!(f, " (password from ${} or prompt)", self.env_name()),
        }
    }
}

/// Which source supplied a password (recorded in reports; the value never is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum PasswordSource {
    File(PathBuf),
    Env(String),
    Prompt,
    /// No password: Kerberos with the ticket the user already has (`kinit`; `KRB5CCNAME`).
    TicketCache,
}

impl fmt::Display for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordSource::File(p) => write!(f, "file {}", p.display()),
            PasswordSource::Env(v) => write!(f, "environment variable {v}"),
            PasswordSource::Prompt => f.write_str("prompt"),
            PasswordSource::TicketCache => f.write_str("the Kerberos ticket cache"),
        }
    }
}

/// A user name and its password. `Debug` and `Display` never show the password.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: SecretString,
    pub source: PasswordSource,
}

impl Credentials {
    /// `DOMAIN\user` → `(Some("DOMAIN"), "user")`; `user@REALM` and `user` → `(None, name)`
    /// (a UPN is passed whole, as Windows accepts it).
    pub fn domain_and_user(&self) -> (Option<&str>, &str) {
        match self.username.split_once('\\') {
            Some((domain, user)) if !domain.is_empty() => (Some(domain), user),
            _ => (None, self.username.as_str()),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &format_args!("\"[redacted]\""))
            .finish()
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (password from {})", self.username, self.source)
    }
}

/// Why no credentials could be resolved. No variant carries a password.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("no user name: set `username` (native inventory), `ansible_user` (Ansible) or --user")]
    NoUsername,
    #[error(
        "no password for {username}: set the environment variable {var}, \
         or name a file with `password_file` (chmod 600), \
         or run from a terminal to be prompted (standard input is not a terminal)"
    )]
    NoPassword { username: String, var: String },
    #[error("environment variable {var} is not valid UTF-8")]
    EnvNotUnicode { var: String },
    #[error("password file {}: {source}", path.display())]
    FileRead {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "password file {} can be read by other users (mode {mode:03o}); \
         run `chmod 600 {}` so that only you can read it",
        path.display(),
        path.display()
    )]
    FileTooOpen { path: PathBuf, mode: u32 },
    #[error("password file {} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    #[error("password file {} is empty", path.display())]
    FileEmpty { path: PathBuf },
    #[error("password file {} is not valid UTF-8", path.display())]
    FileNotUnicode { path: PathBuf },
    #[error(
        "the password from {origin} is encrypted with Ansible Vault ($ANSIBLE_VAULT;); \
         iis-sweep does not decrypt vault: put the decrypted password in the environment \
         variable or a chmod 600 file (e.g. `ansible-vault view`), or use the prompt"
    )]
    Vault { origin: String },
    #[error("password prompt failed: {0}")]
    Prompt(#[source] io::Error),
}

/// Asks the user for a password.
pub trait Prompter {
    /// Whether a prompt can be shown (standard input is a terminal).
    fn is_interactive(&self) -> bool;
    /// Prompts with echo off.
    fn prompt_password(&mut self, prompt: &str) -> io::Result<SecretString>;
}

/// Prompts on the controlling terminal with echo off (rpassword), only when standard input is
/// a terminal.
#[derive(Debug, Default, Clone, Copy)]
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    fn is_interactive(&self) -> bool {
        use std::io::IsTerminal;
        io::stdin().is_terminal()
    }

    fn prompt_password(&mut self, prompt: &str) -> io::Result<SecretString> {
        rpassword::prompt_password(prompt).map(exact_secret)
    }
}

/// Never prompts (batch runs, tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoPrompt;

impl Prompter for NoPrompt {
    fn is_interactive(&self) -> bool {
        false
    }
    fn prompt_password(&mut self, _prompt: &str) -> io::Result<SecretString> {
        Err(io::Error::other("prompting is disabled"))
    }
}

/// Resolves every distinct reference once (so a prompt appears once per user, not per host).
/// Credentials for Kerberos targets: the ticket cache (`kinit` done; `KRB5CCNAME` and
/// `KRB5_CONFIG` honoured, as by every MIT krb5 tool), so no password is asked for.
pub fn ticket_cache(r: &CredentialRef) -> Credentials {
    Credentials {
        username: r.username.clone().unwrap_or_default(),
        password: SecretString::from(String::new()),
        source: PasswordSource::TicketCache,
    }
}

/// Gets a Kerberos ticket for `user` (`user@REALM`) with `password` into a new private cache
/// file in `dir`, with MIT krb5's `kinit` (the realm and its KDC from `/etc/krb5.conf` or
/// `KRB5_CONFIG`). One attempt per credential, whatever the number of hosts: a wrong password
/// counts once towards the account's lockout. Returns the cache file; the error says what the
/// KDC answered, never the password.
pub fn kinit(user: &str, password: &SecretString, dir: &Path) -> Result<PathBuf, String> {
    use std::io::Write;
    let cache = dir.join(format!("krb5cc-{}", sanitize(user)));
    let mut child = std::process::Command::new("kinit")
        .arg(user)
        .env("KRB5CCNAME", format!("FILE:{}", cache.display()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run kinit to get a Kerberos ticket for {user} ({e}): install MIT krb5's \
                 client (krb5-user), or run kinit yourself and leave the password out"
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let mut line = password.expose_secret().as_bytes().to_vec();
        line.push(b'\n');
        let _ = stdin.write_all(&line);
        secrecy::zeroize::Zeroize::zeroize(&mut line);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("kinit for {user}: {e}"))?;
    if out.status.success() {
        return Ok(cache);
    }
    let said = String::from_utf8_lossy(&out.stderr).replace(password.expose_secret(), "***");
    let said = said.trim().trim_start_matches("kinit: ").to_string();
    let lc = said.to_lowercase();
    Err(
        if lc.contains("password incorrect") || lc.contains("preauthentication failed") {
            format!(
                "the KDC refused the password of {user} (tried once for the whole sweep, so the \
             account's lockout counter moved by one): {said}"
            )
        } else if lc.contains("not found in kerberos database") {
            format!("the KDC does not know the user {user}: check the name and the realm: {said}")
        } else if lc.contains("cannot contact any kdc") || lc.contains("cannot find kdc") {
            format!(
                "cannot reach the KDC for {user}'s realm: check `kdc` in /etc/krb5.conf (or \
             $KRB5_CONFIG) and that port 88 is open from here: {said}"
            )
        } else if lc.contains("clock skew") {
            format!(
                "this machine's clock and the KDC's differ by more than 5 minutes: fix time \
             synchronisation: {said}"
            )
        } else {
            format!("kinit for {user} failed: {said}")
        },
    )
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

pub fn resolve_all<'a>(
    refs: impl IntoIterator<Item = &'a CredentialRef>,
    prompter: &mut dyn Prompter,
) -> Result<HashMap<CredentialRef, Credentials>, CredentialError> {
    let mut out = HashMap::new();
    for r in refs {
        if !out.contains_key(r) {
            let c = r.resolve(prompter)?;
            out.insert(r.clone(), c);
        }
    }
    Ok(out)
}

/// A `SecretString` from `s` without leaving a spare, unwiped copy behind: converting a `String`
/// whose capacity exceeds its length reallocates and frees the old buffer unwiped.
fn exact_secret(mut s: String) -> SecretString {
    use secrecy::zeroize::Zeroize;
    let mut exact = String::with_capacity(s.len());
    exact.push_str(&s);
    s.zeroize();
    SecretString::from(exact)
}

/// Reads the first line of a password file after checking it is private to its owner.
fn read_password_file(path: &Path) -> Result<SecretString, CredentialError> {
    use secrecy::zeroize::Zeroize;
    let meta = std::fs::metadata(path).map_err(|source| CredentialError::FileRead {
        path: path.into(),
        source,
    })?;
    if !meta.is_file() {
        return Err(CredentialError::NotAFile { path: path.into() });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CredentialError::FileTooOpen {
                path: path.into(),
                mode,
            });
        }
    }
    let mut bytes = std::fs::read(path).map_err(|source| CredentialError::FileRead {
        path: path.into(),
        source,
    })?;
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let mut line = &bytes[..line_end];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    let result = match std::str::from_utf8(line) {
        Err(_) => Err(CredentialError::FileNotUnicode { path: path.into() }),
        Ok("") => Err(CredentialError::FileEmpty { path: path.into() }),
        Ok(s) if s.starts_with(VAULT_PREFIX) => Err(CredentialError::Vault {
            origin: format!("file {}", path.display()),
        }),
        Ok(s) => Ok(SecretString::from(s)),
    };
    bytes.zeroize();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scripted(Option<&'static str>);
    impl Prompter for Scripted {
        fn is_interactive(&self) -> bool {
            self.0.is_some()
        }
        fn prompt_password(&mut self, _: &str) -> io::Result<SecretString> {
            Ok(SecretString::from(self.0.unwrap()))
        }
    }

    fn user(u: &str) -> CredentialRef {
        CredentialRef {
            username: Some(u.into()),
            ..Default::default()
        }
    }

    #[test]
    fn env_default_variable_is_read() {
        let env = |n: &str| (n == DEFAULT_PASSWORD_ENV).then(|| OsString::from("s3cret!"));
        let c = user("svc").resolve_with(&env, &mut NoPrompt).unwrap();
        assert_eq!(c.password.expose_secret(), "s3cret!");
        assert_eq!(c.source, PasswordSource::Env(DEFAULT_PASSWORD_ENV.into()));
    }

    #[test]
    fn empty_env_falls_through_to_prompt() {
        let env = |_: &str| Some(OsString::new());
        let c = user("svc")
            .resolve_with(&env, &mut Scripted(Some("typed")))
            .unwrap();
        assert_eq!(c.password.expose_secret(), "typed");
        assert_eq!(c.source, PasswordSource::Prompt);
    }

    #[test]
    fn vault_from_prompt_refused() {
        let err = user("svc")
            .resolve_with(&|_| None, &mut Scripted(Some("$ANSIBLE_VAULT;1.1;AES256")))
            .unwrap_err();
        assert!(matches!(err, CredentialError::Vault { .. }));
    }

    #[test]
    fn domain_split() {
        let c = Credentials {
            username: r"CONTOSO\svc".into(),
            password: SecretString::from("x"),
            source: PasswordSource::Prompt,
        };
        assert_eq!(c.domain_and_user(), (Some("CONTOSO"), "svc"));
        let c = Credentials {
            username: "svc@CONTOSO.COM".into(),
            ..c
        };
        assert_eq!(c.domain_and_user(), (None, "svc@CONTOSO.COM"));
    }

    #[test]
    fn resolve_all_prompts_once_per_reference() {
        struct Counting(usize);
        impl Prompter for Counting {
            fn is_interactive(&self) -> bool {
                true
            }
            fn prompt_password(&mut self, _: &str) -> io::Result<SecretString> {
                self.0 += 1;
                Ok(SecretString::from("p"))
            }
        }
        let a = CredentialRef {
            password_env: Some("IIS_SWEEP_TEST_UNSET_VARIABLE_A1".into()),
            ..user("a")
        };
        let b = CredentialRef {
            password_env: Some("IIS_SWEEP_TEST_UNSET_VARIABLE_A1".into()),
            ..user("b")
        };
        let mut p = Counting(0);
        let all = resolve_all([&a, &a, &b, &a], &mut p).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(p.0, 2);
    }
}
