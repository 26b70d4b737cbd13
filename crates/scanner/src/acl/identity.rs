//! Which Windows identities IIS uses to read content, as SIDs with their token groups.
//!
//! * [`app_pool_sid`]: the virtual-account SID of `IIS APPPOOL\<pool>`.
//! * [`Principal`]: a user SID plus every group SID its token carries, built explicitly for the
//!   IIS identities ([`iusr`], [`app_pool_identity`], [`network_service`], [`local_service`],
//!   [`local_system`], [`authenticated_user`]) or resolved through the snapshot's accounts
//!   table ([`account_principal`]). An account the table does not resolve gives an
//!   [`Unresolved`]: the caller reports "not evaluated" and never guesses.
//! * [`content_identities`]: for one application's settings, the identities that read its files,
//!   one per enabled authentication mode.
//! * [`stale_app_pool_sids`]: pool SIDs in an ACL that match no current pool (renamed pools).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sha1::{Digest, Sha1};

use super::sid::{well_known as wk, Sid};
use crate::snapshot::AccountFact;

/// The SID of the ApplicationPoolIdentity virtual account `IIS APPPOOL\<pool>`:
/// `S-1-5-82-` + the SHA-1 of the lower-cased name in UTF-16LE, read as five little-endian
/// 32-bit values (verified against published SIDs).
///
/// Lower-casing uses Unicode lower-case mapping; for non-ASCII names it may differ from
/// Windows' own case table (unconfirmed).
pub fn app_pool_sid(pool: &str) -> Sid {
    let bytes: Vec<u8> = pool
        .to_lowercase()
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let digest = Sha1::digest(&bytes);
    let mut subs = [82u32; 6];
    for (i, chunk) in digest.chunks_exact(4).enumerate() {
        subs[i + 1] = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Sid::from_parts(5, &subs).unwrap_or(wk::APP_POOL_GROUP)
}

/// `IIS APPPOOL\<name>` for a pool SID among `pool_names`.
pub fn app_pool_name<S: AsRef<str>>(sid: &Sid, pool_names: &[S]) -> Option<String> {
    if !sid.is_app_pool_account() {
        return None;
    }
    pool_names
        .iter()
        .find(|p| app_pool_sid(p.as_ref()) == *sid)
        .map(|p| format!("IIS APPPOOL\\{}", p.as_ref()))
}

/// The pool SIDs (`S-1-5-82-a-b-c-d-e`) among `sids` that belong to no pool in `pool_names` —
/// typically left behind when a pool was renamed or deleted, so the ACE silently stopped
/// granting anything. `S-1-5-82-0` (the all-pools group) is never stale. Each SID is reported
/// once, in order of first appearance.
pub fn stale_app_pool_sids<'a, S: AsRef<str>>(
    sids: impl IntoIterator<Item = &'a Sid>,
    pool_names: &[S],
) -> Vec<Sid> {
    let candidates: Vec<&Sid> = sids
        .into_iter()
        .filter(|s| s.is_app_pool_account())
        .collect();
    if candidates.is_empty() {
        // Most ACLs name no pool account: no pool SID to hash.
        return Vec::new();
    }
    let current: Vec<Sid> = pool_names
        .iter()
        .map(|p| app_pool_sid(p.as_ref()))
        .collect();
    let mut out: Vec<Sid> = Vec::new();
    for s in candidates {
        if !current.contains(s) && !out.contains(s) {
            out.push(*s);
        }
    }
    out
}

/// A security principal as an access check sees it: the user SID and every group SID of its
/// token (including the implicit ones its logon type adds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// Who this is, for messages (`IIS APPPOOL\DefaultAppPool`, `NT AUTHORITY\IUSR`, …).
    pub description: String,
    /// The user SID.
    pub user_sid: Sid,
    /// Token group SIDs, without duplicates.
    pub group_sids: Vec<Sid>,
    /// Stands for a class of users (any authenticated user) rather than one account: its
    /// membership of domain groups is unknown, so ACEs for them are reported as uncertain.
    pub generic: bool,
    /// Assumptions and sources behind the token groups.
    pub notes: Vec<String>,
}

impl Principal {
    /// A principal with the given user SID and groups (duplicates and the user SID removed).
    pub fn new(
        description: impl Into<String>,
        user_sid: Sid,
        groups: impl IntoIterator<Item = Sid>,
    ) -> Principal {
        let mut p = Principal {
            description: description.into(),
            user_sid,
            group_sids: Vec::new(),
            generic: false,
            notes: Vec::new(),
        };
        p.add_groups(groups);
        p
    }

    /// Adds group SIDs not already present.
    pub fn add_groups(&mut self, groups: impl IntoIterator<Item = Sid>) {
        for g in groups {
            if g != self.user_sid && !self.group_sids.contains(&g) {
                self.group_sids.push(g);
            }
        }
    }

    /// Whether `sid` is the user SID or one of the group SIDs.
    pub fn has_sid(&self, sid: &Sid) -> bool {
        self.user_sid == *sid || self.group_sids.contains(sid)
    }

    /// The user SID followed by the group SIDs.
    pub fn sids(&self) -> impl Iterator<Item = &Sid> {
        std::iter::once(&self.user_sid).chain(self.group_sids.iter())
    }

    fn note(mut self, n: &str) -> Principal {
        self.notes.push(n.to_string());
        self
    }
}

/// Why an identity could not be turned into a principal. The caller must report the check as
/// "not evaluated".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// The account as configured.
    pub account: String,
    /// What is missing.
    pub reason: String,
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` not resolved: {}", self.account, self.reason)
    }
}

/// How IIS logs a user on (`logonMethod` of anonymous/basic authentication and virtual
/// directories; schema default `ClearText`). Decides the logon-type SID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum LogonMethod {
    /// LOGON32_LOGON_INTERACTIVE: adds INTERACTIVE (S-1-5-4).
    Interactive,
    /// LOGON32_LOGON_BATCH: adds BATCH (S-1-5-3).
    Batch,
    /// LOGON32_LOGON_NETWORK: adds NETWORK (S-1-5-2).
    Network,
    /// LOGON32_LOGON_NETWORK_CLEARTEXT: a network logon, adds NETWORK (S-1-5-2).
    #[default]
    ClearText,
}

impl LogonMethod {
    /// The logon-type group SID the token gets.
    pub fn logon_sid(self) -> Sid {
        match self {
            LogonMethod::Interactive => wk::INTERACTIVE,
            LogonMethod::Batch => wk::BATCH,
            LogonMethod::Network | LogonMethod::ClearText => wk::NETWORK,
        }
    }
}

impl FromStr for LogonMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "interactive" | "0" => Ok(LogonMethod::Interactive),
            "batch" | "1" => Ok(LogonMethod::Batch),
            "network" | "2" => Ok(LogonMethod::Network),
            "cleartext" | "3" => Ok(LogonMethod::ClearText),
            _ => Err(format!("unknown logonMethod `{s}`")),
        }
    }
}

/// `processModel/@identityType` (schema default `ApplicationPoolIdentity` since IIS 7.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum PoolIdentityType {
    /// `LocalSystem`.
    LocalSystem,
    /// `LocalService`.
    LocalService,
    /// `NetworkService`.
    NetworkService,
    /// `SpecificUser` (`processModel/@userName`).
    SpecificUser,
    /// `ApplicationPoolIdentity` (`IIS APPPOOL\<pool>`).
    #[default]
    ApplicationPoolIdentity,
}

impl FromStr for PoolIdentityType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "localsystem" | "0" => Ok(PoolIdentityType::LocalSystem),
            "localservice" | "1" => Ok(PoolIdentityType::LocalService),
            "networkservice" | "2" => Ok(PoolIdentityType::NetworkService),
            "specificuser" | "3" => Ok(PoolIdentityType::SpecificUser),
            "applicationpoolidentity" | "4" => Ok(PoolIdentityType::ApplicationPoolIdentity),
            _ => Err(format!("unknown identityType `{s}`")),
        }
    }
}

/// `processModel/@logonType` for SpecificUser pools (schema default `LogonBatch`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum PoolLogonType {
    /// `LogonBatch`: adds BATCH (S-1-5-3).
    #[default]
    Batch,
    /// `LogonService`: adds SERVICE (S-1-5-6).
    Service,
}

impl FromStr for PoolLogonType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "logonbatch" | "0" => Ok(PoolLogonType::Batch),
            "logonservice" | "1" => Ok(PoolLogonType::Service),
            _ => Err(format!("unknown logonType `{s}`")),
        }
    }
}

/// The anonymous account `NT AUTHORITY\IUSR` (S-1-5-17) with Everyone, BUILTIN\Users and
/// Authenticated Users.
///
/// Source: Microsoft docs (MS-BUILTIN, MS-IDENT; the default wwwroot ACL works for anonymous
/// requests only through `BUILTIN\Users:(RX)`). IUSR is **not** a member of IIS_IUSRS.
/// NETWORK (S-1-5-2) is **not** included: no source in the reference confirms it for the IUSR
/// token (IUSR is logged on by IIS itself, not through `logonMethod`), so an ACE for NETWORK
/// is treated as not applying to IUSR.
pub fn iusr() -> Principal {
    Principal::new(
        "NT AUTHORITY\\IUSR",
        wk::IUSR,
        [wk::EVERYONE, wk::BUILTIN_USERS, wk::AUTHENTICATED_USERS],
    )
    .note("IUSR token groups per Microsoft docs: Everyone, BUILTIN\\Users, Authenticated Users; not IIS_IUSRS; NETWORK not assumed")
}

/// The worker-process identity of an ApplicationPoolIdentity pool, with the token observed in
/// `whoami /all` of `IIS APPPOOL\DefaultAppPool`: Everyone, BUILTIN\Users,
/// SERVICE, CONSOLE LOGON, Authenticated Users, This Organization, IIS_IUSRS (injected unless
/// `manualGroupMembership`), LOCAL and S-1-5-82-0.
pub fn app_pool_identity(pool: &str, manual_group_membership: bool) -> Principal {
    let mut p = Principal::new(
        format!("IIS APPPOOL\\{pool}"),
        app_pool_sid(pool),
        [
            wk::EVERYONE,
            wk::BUILTIN_USERS,
            wk::SERVICE,
            wk::CONSOLE_LOGON,
            wk::AUTHENTICATED_USERS,
            wk::THIS_ORGANIZATION,
            wk::LOCAL,
            wk::APP_POOL_GROUP,
        ],
    )
    .note("token groups as observed for an ApplicationPoolIdentity worker");
    add_iis_iusrs(&mut p, manual_group_membership);
    p
}

fn add_iis_iusrs(p: &mut Principal, manual_group_membership: bool) {
    if manual_group_membership {
        p.notes
            .push("manualGroupMembership=true: IIS_IUSRS is not injected".to_string());
    } else {
        p.add_groups([wk::IIS_IUSRS]);
    }
}

fn service_account(description: &str, sid: Sid, manual_group_membership: bool) -> Principal {
    let mut p = Principal::new(
        description,
        sid,
        [
            wk::EVERYONE,
            wk::BUILTIN_USERS,
            wk::SERVICE,
            wk::CONSOLE_LOGON,
            wk::AUTHENTICATED_USERS,
            wk::THIS_ORGANIZATION,
            wk::LOCAL,
        ],
    )
    .note("token groups assumed like an ApplicationPoolIdentity worker's minus S-1-5-82-0; not separately confirmed");
    add_iis_iusrs(&mut p, manual_group_membership);
    p
}

/// A pool running as `NetworkService` (S-1-5-20).
pub fn network_service(manual_group_membership: bool) -> Principal {
    service_account(
        "NT AUTHORITY\\NETWORK SERVICE",
        wk::NETWORK_SERVICE,
        manual_group_membership,
    )
}

/// A pool running as `LocalService` (S-1-5-19).
pub fn local_service(manual_group_membership: bool) -> Principal {
    service_account(
        "NT AUTHORITY\\LOCAL SERVICE",
        wk::LOCAL_SERVICE,
        manual_group_membership,
    )
}

/// A pool running as `LocalSystem` (S-1-5-18): BUILTIN\Administrators, Everyone, Authenticated
/// Users (+ IIS_IUSRS unless `manualGroupMembership`).
pub fn local_system(manual_group_membership: bool) -> Principal {
    let mut p = Principal::new(
        "NT AUTHORITY\\SYSTEM",
        wk::LOCAL_SYSTEM,
        [
            wk::BUILTIN_ADMINISTRATORS,
            wk::EVERYONE,
            wk::AUTHENTICATED_USERS,
        ],
    )
    .note("SYSTEM token groups: Administrators, Everyone, Authenticated Users");
    add_iis_iusrs(&mut p, manual_group_membership);
    p
}

/// A generic "any authenticated domain user" (Windows, Basic or Digest authentication): Everyone,
/// Authenticated Users, BUILTIN\Users and the logon-type SID of `logon`.
///
/// BUILTIN\Users is included because `Domain Users` is a member of `BUILTIN\Users` on every
/// domain-joined machine by default. Windows/Digest authentication are network logons (NETWORK);
/// Basic uses its `logonMethod` (default ClearText → NETWORK, Interactive → INTERACTIVE, Batch →
/// BATCH). The principal is [`Principal::generic`]: ACEs for specific domain users or groups are
/// reported as uncertain rather than matched or ignored.
pub fn authenticated_user(logon: LogonMethod) -> Principal {
    let mut p = Principal::new(
        "any authenticated user",
        // The user SID of a generic principal matches nothing: use Authenticated Users itself.
        wk::AUTHENTICATED_USERS,
        [wk::EVERYONE, wk::BUILTIN_USERS, logon.logon_sid()],
    )
    .note("generic authenticated user: Everyone, Authenticated Users, BUILTIN\\Users (Domain Users is a member by default) and the logon-type SID; domain group memberships unknown");
    p.generic = true;
    p
}

/// Resolves a configured account name through the snapshot's accounts table (case-insensitive
/// exact name match, as the collector records names exactly as configured) and adds
/// `implicit` group SIDs (logon type, Everyone, …) to the table's token groups.
///
/// Unresolved when the name is not in the table, the collector reported an error, the SID is
/// missing or malformed. Malformed group SIDs are skipped with a note (a missing group could
/// hide a grant or a deny).
pub fn account_principal(
    name: &str,
    accounts: &[AccountFact],
    implicit: &[Sid],
) -> Result<Principal, Unresolved> {
    let unresolved = |reason: String| Unresolved {
        account: name.to_string(),
        reason,
    };
    let Some(fact) = accounts.iter().find(|a| a.name.eq_ignore_ascii_case(name)) else {
        return Err(unresolved(
            "the account is not in the snapshot's accounts table".to_string(),
        ));
    };
    if let Some(e) = &fact.error {
        return Err(unresolved(format!(
            "the collector could not resolve it: {e}"
        )));
    }
    let Some(sid_text) = &fact.sid else {
        return Err(unresolved(
            "the accounts table has no SID for it".to_string(),
        ));
    };
    let sid = Sid::parse(sid_text.trim())
        .map_err(|e| unresolved(format!("its SID `{sid_text}` is malformed: {e}")))?;
    let mut bad = Vec::new();
    let groups: Vec<Sid> = fact
        .groups
        .iter()
        .filter_map(|g| match Sid::parse(g.trim()) {
            Ok(s) => Some(s),
            Err(_) => {
                bad.push(g.clone());
                None
            }
        })
        .collect();
    let mut p = Principal::new(fact.name.clone(), sid, groups);
    p.add_groups(implicit.iter().copied());
    p.notes.push(format!(
        "resolved through the accounts table ({} token groups)",
        fact.groups.len()
    ));
    if !bad.is_empty() {
        p.notes
            .push(format!("malformed group SIDs ignored: {}", bad.join(", ")));
    }
    if fact.enabled == Some(false) {
        p.notes.push(
            "the account is disabled: logons with it fail (401.1), whatever the ACL".to_string(),
        );
    }
    Ok(p)
}

/// Adds to a built-in principal the groups the accounts table lists for it (admins sometimes add
/// IUSR or a pool to extra groups). Only when the table's SID is the expected one.
fn merge_observed(mut p: Principal, names: &[&str], accounts: &[AccountFact]) -> Principal {
    let fact = accounts
        .iter()
        .find(|a| names.iter().any(|n| a.name.eq_ignore_ascii_case(n)));
    if let Some(fact) = fact {
        let same = fact
            .sid
            .as_deref()
            .and_then(|s| Sid::parse(s.trim()).ok())
            .is_some_and(|s| s == p.user_sid);
        if same && fact.error.is_none() {
            let groups: Vec<Sid> = fact
                .groups
                .iter()
                .filter_map(|g| Sid::parse(g.trim()).ok())
                .collect();
            if !groups.is_empty() {
                p.add_groups(groups);
                p.notes
                    .push("token groups merged with the accounts table".to_string());
            }
        }
    }
    p
}

fn is_iusr_name(name: &str) -> bool {
    let n = name.trim();
    n.eq_ignore_ascii_case("IUSR") || n.eq_ignore_ascii_case("NT AUTHORITY\\IUSR")
}

/// The principal a pool's worker process runs as.
pub fn pool_principal(
    pool_name: &str,
    identity: PoolIdentityType,
    user_name: Option<&str>,
    logon_type: PoolLogonType,
    manual_group_membership: bool,
    accounts: &[AccountFact],
) -> Result<Principal, Unresolved> {
    let p = match identity {
        PoolIdentityType::ApplicationPoolIdentity => {
            let name = format!("IIS APPPOOL\\{pool_name}");
            merge_observed(
                app_pool_identity(pool_name, manual_group_membership),
                &[&name],
                accounts,
            )
        }
        PoolIdentityType::NetworkService => merge_observed(
            network_service(manual_group_membership),
            &["NT AUTHORITY\\NETWORK SERVICE", "NetworkService"],
            accounts,
        ),
        PoolIdentityType::LocalService => merge_observed(
            local_service(manual_group_membership),
            &["NT AUTHORITY\\LOCAL SERVICE", "LocalService"],
            accounts,
        ),
        PoolIdentityType::LocalSystem => merge_observed(
            local_system(manual_group_membership),
            &["NT AUTHORITY\\SYSTEM", "LocalSystem"],
            accounts,
        ),
        PoolIdentityType::SpecificUser => {
            let user = user_name.map(str::trim).filter(|u| !u.is_empty());
            let Some(user) = user else {
                return Err(Unresolved {
                    account: format!("pool `{pool_name}`"),
                    reason: "identityType is SpecificUser but processModel/@userName is empty"
                        .to_string(),
                });
            };
            let logon_sid = match logon_type {
                PoolLogonType::Batch => wk::BATCH,
                PoolLogonType::Service => wk::SERVICE,
            };
            let mut p = account_principal(
                user,
                accounts,
                &[wk::EVERYONE, wk::AUTHENTICATED_USERS, logon_sid],
            )?;
            add_iis_iusrs(&mut p, manual_group_membership);
            p.notes.push(format!(
                "pool `{pool_name}` worker: {} logon (processModel/@logonType)",
                match logon_type {
                    PoolLogonType::Batch => "batch",
                    PoolLogonType::Service => "service",
                }
            ));
            p
        }
    };
    Ok(p)
}

/// An IIS authentication mode that leads to a content-reading identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AuthMode {
    /// Anonymous authentication.
    Anonymous,
    /// Windows authentication (Negotiate/NTLM).
    Windows,
    /// Basic authentication.
    Basic,
    /// Digest authentication.
    Digest,
}

/// Where a content-reading identity comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IdentitySource {
    /// Anonymous with the default `IUSR` account.
    Iusr,
    /// Anonymous with `userName=""`: the pool identity.
    PoolIdentity,
    /// Anonymous with a configured account.
    AnonymousAccount(String),
    /// The authenticated user's own token (Windows/Basic/Digest).
    AuthenticatedUser,
    /// The virtual directory's connect-as account, which reads files for every mode.
    ConnectAs(String),
}

/// One identity that reads an application's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContentIdentity {
    /// The authentication modes for which this identity reads the files.
    pub modes: Vec<AuthMode>,
    /// Where it comes from.
    pub source: IdentitySource,
    /// The principal, or why it could not be resolved ("not evaluated").
    pub principal: Result<Principal, Unresolved>,
}

/// The settings of one application that decide who reads its files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppIdentityInputs {
    /// `anonymousAuthentication/@enabled`.
    pub anonymous_enabled: bool,
    /// `anonymousAuthentication/@userName`: `None` = attribute absent (→ IUSR), `Some("")` = the
    /// pool identity, `Some(name)` = that account.
    pub anonymous_user: Option<String>,
    /// `anonymousAuthentication/@logonMethod` (for a configured account).
    pub anonymous_logon: LogonMethod,
    /// The application pool's name.
    pub pool_name: String,
    /// `processModel/@identityType`.
    pub pool_identity: PoolIdentityType,
    /// `processModel/@userName` (SpecificUser).
    pub pool_user: Option<String>,
    /// `processModel/@logonType` (SpecificUser).
    pub pool_logon_type: PoolLogonType,
    /// `processModel/@manualGroupMembership`.
    pub manual_group_membership: bool,
    /// `windowsAuthentication/@enabled`.
    pub windows_auth: bool,
    /// `basicAuthentication/@enabled`.
    pub basic_auth: bool,
    /// `basicAuthentication/@logonMethod`.
    pub basic_logon: LogonMethod,
    /// `digestAuthentication/@enabled`.
    pub digest_auth: bool,
    /// The virtual directory's `userName` ("Connect as"); empty means pass-through.
    pub connect_as: Option<String>,
    /// The virtual directory's `logonMethod`.
    pub connect_as_logon: LogonMethod,
}

/// The identities that read the application's content files: one per enabled
/// authentication mode — anonymous (IUSR, the pool identity or a configured account) and the
/// authenticated user for Windows/Basic/Digest — or, when a connect-as account is set, that
/// account alone for all enabled modes (it replaces file access; authentication still decides
/// who the user is). Empty when no mode is enabled. The pool identity itself must also read
/// `web.config` files, but a failure there is a 500.19, not a 401, so it is not listed unless
/// it is the anonymous identity.
pub fn content_identities(
    app: &AppIdentityInputs,
    accounts: &[AccountFact],
) -> Vec<ContentIdentity> {
    let mut modes = Vec::new();
    if app.anonymous_enabled {
        modes.push(AuthMode::Anonymous);
    }
    if app.windows_auth {
        modes.push(AuthMode::Windows);
    }
    if app.basic_auth {
        modes.push(AuthMode::Basic);
    }
    if app.digest_auth {
        modes.push(AuthMode::Digest);
    }
    if modes.is_empty() {
        return Vec::new();
    }
    if let Some(user) = app
        .connect_as
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        let principal = if is_iusr_name(user) {
            Ok(merge_observed(
                iusr(),
                &["IUSR", "NT AUTHORITY\\IUSR"],
                accounts,
            ))
        } else {
            account_principal(
                user,
                accounts,
                &[
                    wk::EVERYONE,
                    wk::AUTHENTICATED_USERS,
                    app.connect_as_logon.logon_sid(),
                ],
            )
        };
        return vec![ContentIdentity {
            modes,
            source: IdentitySource::ConnectAs(user.to_string()),
            principal,
        }];
    }
    let mut out = Vec::new();
    for mode in modes {
        let (source, principal) = match mode {
            AuthMode::Anonymous => match app.anonymous_user.as_deref().map(str::trim) {
                None => (
                    IdentitySource::Iusr,
                    Ok(merge_observed(
                        iusr(),
                        &["IUSR", "NT AUTHORITY\\IUSR"],
                        accounts,
                    )),
                ),
                Some("") => (
                    IdentitySource::PoolIdentity,
                    pool_principal(
                        &app.pool_name,
                        app.pool_identity,
                        app.pool_user.as_deref(),
                        app.pool_logon_type,
                        app.manual_group_membership,
                        accounts,
                    ),
                ),
                Some(name) if is_iusr_name(name) => (
                    IdentitySource::Iusr,
                    Ok(merge_observed(
                        iusr(),
                        &["IUSR", "NT AUTHORITY\\IUSR"],
                        accounts,
                    )),
                ),
                Some(name) => (
                    IdentitySource::AnonymousAccount(name.to_string()),
                    account_principal(
                        name,
                        accounts,
                        &[
                            wk::EVERYONE,
                            wk::AUTHENTICATED_USERS,
                            app.anonymous_logon.logon_sid(),
                        ],
                    ),
                ),
            },
            AuthMode::Windows | AuthMode::Digest => (
                IdentitySource::AuthenticatedUser,
                Ok(authenticated_user(LogonMethod::Network)),
            ),
            AuthMode::Basic => (
                IdentitySource::AuthenticatedUser,
                Ok(authenticated_user(app.basic_logon)),
            ),
        };
        out.push(ContentIdentity {
            modes: vec![mode],
            source,
            principal,
        });
    }
    out
}
