//! 401.3 — unauthorized due to the ACL on the resource: the identity IIS reads the content
//! with lacks Read & Execute.
//!
//! Every rule here judges one (site, content folder) at a time through [`scan`]: the folder's
//! DACL is evaluated for the identity the rule is about, with the AccessCheck walk of
//! [`crate::acl::access`]; the deciding ACEs become the evidence. A folder whose ACL was not
//! collected, or an account the accounts table does not resolve, is "not evaluated", never
//! guessed.
//!
//! Which rule reports a denial (one finding per cause):
//!
//! * The identity rules — U301 (IUSR), U302 (pool identity as anonymous user), U303 (custom
//!   anonymous account), U304 (connect-as account) — report when *their* identity may not read,
//!   whether an ACE is missing or a deny ACE blocks it; the deny ACE is then their evidence and
//!   their fix removes it.
//! * U307 takes the IUSR case over from U301 when the application pool runs as a configured
//!   identity (not ApplicationPoolIdentity) that *can* read and IUSR merely lacks a grant (no deny):
//!   the admin granted the pool account instead of the anonymous one. U301 stays silent then.
//! * U304 also owns UNC content served as IUSR without connect-as (IUSR has no network identity);
//!   U301 and U307 leave such folders alone.
//! * U305 (authenticated users) reports a missing grant only, and only when anonymous
//!   authentication is off (otherwise IIS serves the content anonymously and the anonymous rules
//!   judge it).
//! * U306 reports the deny ACEs (for Everyone, Users, Authenticated Users, IUSR, IIS_IUSRS or the
//!   pool SID) that block an identity IIS uses here and that none of U301–U304 already reports:
//!   denies that hit authenticated users, the pool identity, or only subfolders.
//! * U308 (stale pool SID) reports the rename even where U302 reports the same folder: U302 says
//!   who cannot read, U308 says why (the grant went to the pool's old name), and an admin who
//!   renames pools needs the second to find every other folder the rename broke.
//!
//! A child folder is not reported again by the same rule when its parent folder was, the child's
//! DACL is not protected and the cause is inherited (a missing grant, or an inherited deny): the
//! parent's fix, inherited with `(OI)(CI)`, covers it.

use crate::acl::{
    self, AccessDecision, AppIdentityInputs, ChildKind, ContentIdentity, Effect, IdentitySource,
    Outcome, PoolIdentityType, Principal, ReadExecute, SecurityDescriptor, Sid, Trustee,
};
use crate::finding::fix::FixStep;
use crate::finding::{EvidenceKind, Severity, Substatus};
use crate::iis::{sections, Application, Site, VirtualDirectory};
use crate::snapshot::{normalize_windows_path, AccountFact};

use super::common::{appcmd_path, value_evidence, SitePath};
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[
    &ANONYMOUS_IUSR_CANNOT_READ,
    &ANONYMOUS_POOL_IDENTITY_CANNOT_READ,
    &ANONYMOUS_CUSTOM_ACCOUNT_CANNOT_READ,
    &CONNECT_AS_CANNOT_READ,
    &AUTHENTICATED_USERS_CANNOT_READ,
    &DENY_ACE_BLOCKS_READ,
    &POOL_IDENTITY_ANONYMOUS_MISMATCH,
    &STALE_APP_POOL_SID,
];

const APPCMD: &str = r"%windir%\system32\inetsrv\appcmd.exe";

const REF_BUILTIN: &str = "https://learn.microsoft.com/en-us/iis/get-started/planning-for-security/understanding-built-in-user-and-group-accounts-in-iis";
const REF_IDENT: &str = "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/www-authentication-authorization/understanding-identities";
const REF_ANONPOOL: &str = "https://learn.microsoft.com/en-us/iis/web-hosting/web-server-for-shared-hosting/application-pool-identity-as-anonymous-user";
const REF_APID: &str =
    "https://learn.microsoft.com/en-us/iis/manage/configuring-security/application-pool-identities";
const REF_ACLIIS: &str = "https://learn.microsoft.com/en-us/iis/get-started/planning-for-security/secure-content-in-iis-through-file-system-acls";
const REF_CFG_ANON: &str = "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/anonymousauthentication";
const REF_CFG_VDIR: &str = "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/site/application/virtualdirectory";
const REF_DACL: &str =
    "https://learn.microsoft.com/en-us/windows/win32/secauthz/how-dacls-control-access-to-an-object";
const REF_ICACLS: &str =
    "https://learn.microsoft.com/en-us/windows-server/administration/windows-commands/icacls";

/// U301: anonymous requests run as IUSR, and the folder's DACL does not let IUSR read.
pub static ANONYMOUS_IUSR_CANNOT_READ: Rule = Rule {
    code: "U301",
    name: "anonymous-iusr-cannot-read",
    title: "IUSR, the anonymous identity, lacks Read & Execute on the content",
    substatus: &[Substatus::Acl],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::Acls],
    docs: RuleDocs {
        what: "For every content folder served with anonymous authentication and the default \
anonymous account (`userName=\"IUSR\"`, or no userName), evaluates the folder's DACL for the IUSR \
token (IUSR S-1-5-17 with Everyone, Users and Authenticated Users) — deny ACEs first, inheritance \
to the files inside — and reports when Read & Execute (0x1200A9) is not granted. When the \
application pool runs as a configured account that can read the folder and IUSR merely lacks a \
grant, U307 reports instead; UNC content without connect-as is U304's.",
        why: "IIS opens static files with the anonymous user's token. When IUSR cannot read the \
folder or the files it passes its ACL to, every anonymous request fails with 401.3 — typically \
after content was copied from another server, or after permissions were tightened to the \
application pool identity alone.",
        example: "D:\\Sites\\Shop  O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)\
(A;OICI;0x1200a9;;;S-1-5-82-…)   ← only the pool identity may read; IUSR may not",
        fix: "Grant IUSR (by SID, so it works on localized Windows) Read & Execute, inherited by \
files and folders: `icacls \"D:\\Sites\\Shop\" /grant \"*S-1-5-17:(OI)(CI)RX\"`. Or make \
anonymous requests use the pool identity (`userName=\"\"`) if the pool identity already has access. \
When a deny ACE blocks IUSR, remove it (`icacls \"<folder>\" /remove:d \"*S-1-5-32-545\"`).",
    },
    references: &[REF_BUILTIN, REF_IDENT],
    check: check_anonymous_iusr,
};

/// U302: anonymous requests run as the pool identity (`userName=""`), which may not read.
pub static ANONYMOUS_POOL_IDENTITY_CANNOT_READ: Rule = Rule {
    code: "U302",
    name: "anonymous-pool-identity-cannot-read",
    title: "The application pool identity, used for anonymous requests, lacks Read & Execute",
    substatus: &[Substatus::Acl],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::Acls],
    docs: RuleDocs {
        what: "For every content folder served with anonymous authentication and \
`userName=\"\"` (\"Application pool identity\" in IIS Manager), evaluates the folder's DACL for the \
pool's worker identity — `IIS APPPOOL\\<pool>` (S-1-5-82-…, with IIS_IUSRS unless \
manualGroupMembership), NetworkService, LocalService, LocalSystem, or the SpecificUser account \
resolved through the accounts table — and reports when Read & Execute is not granted to the folder \
or its files. A pool account the accounts table does not resolve is listed as not evaluated.",
        why: "With `userName=\"\"` IIS reads static content with the worker process token. When the \
DACL grants only IUSR (or only the old pool's SID after a rename), every anonymous request fails \
with 401.3 although \"anonymous access\" looks enabled.",
        example: "<anonymousAuthentication enabled=\"true\" userName=\"\" />\n\
D:\\Sites\\Shop  D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;S-1-5-17)   ← IUSR only",
        fix: "Grant the pool identity Read & Execute, inherited by files and folders: \
`icacls \"D:\\Sites\\Shop\" /grant \"IIS AppPool\\Shop:(OI)(CI)RX\"` (a custom pool account is \
granted by SID). When a deny ACE blocks it, remove that ACE.",
    },
    references: &[REF_ANONPOOL, REF_CFG_ANON, REF_APID],
    check: check_anonymous_pool_identity,
};

/// U303: anonymous requests run as a configured account, which may not read.
pub static ANONYMOUS_CUSTOM_ACCOUNT_CANNOT_READ: Rule = Rule {
    code: "U303",
    name: "anonymous-custom-account-cannot-read",
    title: "The custom anonymous account lacks Read & Execute on the content",
    substatus: &[Substatus::Acl],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::Acls, Fact::Accounts],
    docs: RuleDocs {
        what: "For every content folder served with anonymous authentication whose `userName` is \
a specific account (neither IUSR nor \"\"), resolves the account and its token groups through the \
accounts table and evaluates the folder's DACL for it; reports when Read & Execute is not granted \
to the folder or its files. An account the table does not resolve is listed as not evaluated.",
        why: "IIS logs the configured anonymous account on and reads the files with its token. \
Content ACLs are usually written for IUSR or IIS_IUSRS; a custom anonymous account that is in \
neither group gets 401.3 on every anonymous request.",
        example: "<anonymousAuthentication enabled=\"true\" userName=\"CONTOSO\\web-anon\" \
password=\"[enc:AesProvider:…:enc]\" />\nD:\\Sites\\Shop  D:PAI(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;S-1-5-17)",
        fix: "Grant the account (by SID) Read & Execute: `icacls \"D:\\Sites\\Shop\" /grant \
\"*S-1-5-21-…:(OI)(CI)RX\"`; or stop using a custom account (`userName=\"\"`, CIS 1.6), which also \
removes a stored password.",
    },
    references: &[REF_BUILTIN, REF_CFG_ANON, REF_IDENT],
    check: check_anonymous_custom_account,
};

/// U304: the virtual directory's connect-as account may not read; or UNC content as IUSR.
pub static CONNECT_AS_CANNOT_READ: Rule = Rule {
    code: "U304",
    name: "connect-as-cannot-read",
    title: "The connect-as account lacks Read & Execute, or UNC content is read as IUSR",
    substatus: &[Substatus::Acl],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::Acls, Fact::Accounts],
    docs: RuleDocs {
        what: "For a virtual directory with a connect-as `userName`, resolves that account through \
the accounts table and evaluates the content folder's DACL for it (it reads the files for every \
authentication method); reports when Read & Execute is not granted. Also reports a UNC \
`physicalPath` (`\\\\server\\share\\…`) without connect-as that anonymous requests read as IUSR: \
IUSR is a local identity with no network credentials, so the file server refuses it whatever its \
ACL says.",
        why: "With connect-as, IIS opens every file with that account's token; authentication only \
decides who the user is. A connect-as account missing from the share's or folder's ACL makes every \
request fail with 401.3. Without connect-as, UNC content is opened as the request's identity, and \
IUSR \"acts anonymously on the network\".",
        example: "<virtualDirectory path=\"/\" physicalPath=\"\\\\files01\\web\\shop\" />\n\
<anonymousAuthentication enabled=\"true\" userName=\"IUSR\" />   ← IUSR cannot reach the share",
        fix: "Grant the connect-as account Read & Execute (`icacls \"<path>\" /grant \
\"*S-1-5-21-…:(OI)(CI)RX\"`, and share permission for UNC paths); for UNC content read as IUSR, set \
a connect-as account: `appcmd set vdir \"Site/\" /userName:\"CONTOSO\\svc-web\" \
/password:\"…\"` and grant it on the share.",
    },
    references: &[REF_IDENT, REF_BUILTIN, REF_CFG_VDIR],
    check: check_connect_as,
};

/// U305: Windows/Basic/Digest users may not read: only service identities are granted.
pub static AUTHENTICATED_USERS_CANNOT_READ: Rule = Rule {
    code: "U305",
    name: "authenticated-users-cannot-read",
    title: "Authenticated users lack Read & Execute: only service identities are granted",
    substatus: &[Substatus::Acl],
    severity: Severity::Medium,
    needs: &[Fact::Config, Fact::Acls],
    docs: RuleDocs {
        what: "Heuristic. For content folders served with Windows, Basic or Digest authentication \
and anonymous authentication off (no connect-as), evaluates the DACL for a generic authenticated \
user (Everyone, Authenticated Users, BUILTIN\\Users, the logon-type SID) and reports when no ACE \
can grant it Read & Execute — i.e. the only grants are to service identities such as IUSR, \
IIS_IUSRS, pool SIDs, SYSTEM or Administrators. ACEs for domain or machine groups count as \
\"may grant\": their membership is unknown, so the rule stays silent. Deny ACEs are U306's.",
        why: "Static files and IIS handlers read the content with the authenticated user's own \
token. ACLs tightened for an anonymous site (IUSR and the pool only) make every authenticated \
request fail with 401.3 once anonymous access is switched off.",
        example: "<anonymousAuthentication enabled=\"false\" /> <windowsAuthentication enabled=\"true\" />\n\
D:\\Sites\\Intranet  D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;IS)",
        fix: "Grant the users who should read the content, e.g. Authenticated Users: \
`icacls \"D:\\Sites\\Intranet\" /grant \"*S-1-5-11:(OI)(CI)RX\"` (or the intended domain group).",
    },
    references: &[REF_ACLIIS, REF_IDENT],
    check: check_authenticated_users,
};

/// U306: a deny ACE blocks Read & Execute for an identity IIS uses.
pub static DENY_ACE_BLOCKS_READ: Rule = Rule {
    code: "U306",
    name: "deny-ace-blocks-read",
    title: "A deny ACE blocks reading for an identity IIS uses",
    substatus: &[Substatus::Acl],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::Acls],
    docs: RuleDocs {
        what: "Looks for deny ACEs (explicit or inherited) for Everyone, BUILTIN\\Users, \
Authenticated Users, IUSR, IIS_IUSRS or the application pool SID that actually deny Read & Execute \
bits (0x1200A9; a deny of Write denies SYNCHRONIZE too) to an identity IIS uses at the path — the \
anonymous identity, the authenticated user, the connect-as account or the pool identity — on the \
folder, its files or its subfolders. A deny that U301–U304 already report for their identity is \
not reported again.",
        why: "A deny ACE wins over every allow that follows it, so a single `(DENY)` entry for \
Users or Everyone blocks IUSR, authenticated users and pool identities alike: 401.3 for content, \
500.19 when the pool cannot read web.config.",
        example: "D:\\Sites\\Intranet  D:PAI(D;OICI;0x1200a9;;;AU)(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)\n\
← Authenticated Users denied: every Windows-authenticated user gets 401.3",
        fix: "Remove the deny ACE for that SID: `icacls \"D:\\Sites\\Intranet\" /remove:d \
\"*S-1-5-11\"`. For an inherited deny, remove it on the folder it comes from (or break inheritance \
first with `/inheritance:d`).",
    },
    references: &[REF_DACL, REF_ICACLS, REF_ACLIIS],
    check: check_deny_ace,
};

/// U307: the pool identity can read, but anonymous requests still run as IUSR, which cannot.
pub static POOL_IDENTITY_ANONYMOUS_MISMATCH: Rule = Rule {
    code: "U307",
    name: "pool-identity-anonymous-mismatch",
    title: "The pool's custom identity may read the content, but anonymous requests run as IUSR",
    substatus: &[Substatus::Acl],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::Acls, Fact::Accounts],
    docs: RuleDocs {
        what: "For content folders served anonymously as IUSR whose application pool runs as a \
configured identity (SpecificUser, NetworkService, LocalService or LocalSystem — not the \
ApplicationPoolIdentity default): reports when the pool identity (resolved through the accounts \
table for SpecificUser) is granted Read & Execute on the folder and its files while IUSR is not \
(no grant; a deny ACE is U301's). U301 does not report the same folder.",
        why: "The classic 401.3: the application pool was switched to a custom account and the \
content was granted to that account, but anonymous authentication still uses IUSR. IIS reads \
static files as IUSR, so every anonymous request fails although \"the site's account\" has access.",
        example: "<add name=\"Shop\"><processModel identityType=\"SpecificUser\" \
userName=\"CONTOSO\\svc-shop\" … /></add>\n<anonymousAuthentication enabled=\"true\" userName=\"IUSR\" />\n\
D:\\Sites\\Shop  D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;S-1-5-21-…-1105)",
        fix: "Make anonymous requests use the pool identity, so both are the same account: \
`appcmd set config \"Shop\" -section:system.webServer/security/authentication/anonymousAuthentication \
/userName:\"\" /commit:apphost` — or grant IUSR as well: `icacls \"D:\\Sites\\Shop\" /grant \
\"*S-1-5-17:(OI)(CI)RX\"`.",
    },
    references: &[REF_ANONPOOL, REF_BUILTIN, REF_IDENT],
    check: check_pool_mismatch,
};

/// U308: the DACL grants a pool SID that matches no current pool, and not the site's pool.
pub static STALE_APP_POOL_SID: Rule = Rule {
    code: "U308",
    name: "stale-app-pool-sid",
    title: "The ACL grants an application pool SID that matches no current pool (renamed pool)",
    substatus: &[Substatus::Acl],
    severity: Severity::Medium,
    needs: &[Fact::Config, Fact::Acls],
    docs: RuleDocs {
        what: "For content folders of applications whose pool runs as ApplicationPoolIdentity: \
reports allow ACEs for `S-1-5-82-…` virtual-account SIDs that match none of the host's current pool \
names (the SID is a hash of the pool name) while the application's own pool SID has no ACE at all. \
Where U302 reports the folder (anonymous requests run as that pool and cannot read), U302 carries \
this evidence instead.",
        why: "Renaming an application pool changes its SID. ACEs for the old name stay in the ACL, \
show up as unresolvable SIDs, and grant nothing: the pool identity silently loses the access it \
was given — 401.3 when it reads content for anonymous requests, 500.19 when it cannot read \
web.config.",
        example: "pool \"Shop\" (was \"ShopOld\")\nD:\\Sites\\Shop  D:PAI(A;OICI;FA;;;SY)\
(A;OICI;0x1200a9;;;S-1-5-82-<hash of shopold>)",
        fix: "Grant the current pool and remove the stale SID: `icacls \"D:\\Sites\\Shop\" \
/grant \"IIS AppPool\\Shop:(OI)(CI)RX\" && icacls \"D:\\Sites\\Shop\" /remove \"*S-1-5-82-…\"`.",
    },
    references: &[REF_APID, REF_ACLIIS],
    check: check_stale_pool_sid,
};

// ---------------------------------------------------------------------------------------------
// Folder scan shared by the rules of this family.

/// One (site, content folder) and the identities that read it.
pub(super) struct Folder<'a> {
    pub p: &'a SitePath,
    /// The physical folder.
    pub path: &'a str,
    pub inputs: &'a AppIdentityInputs,
    pub identities: &'a [ContentIdentity],
}

/// What every rule of this family needs of a site path with a content folder, worked out once
/// per host ([`HostContext::acl_folders`]).
pub(crate) struct FolderFacts {
    /// Index into [`HostContext::site_paths`].
    index: usize,
    path: String,
    site: String,
    norm: String,
    inputs: AppIdentityInputs,
    identities: Vec<ContentIdentity>,
}

fn folder_facts(ctx: &HostContext) -> Vec<FolderFacts> {
    let mut out = Vec::new();
    for (index, p) in ctx.site_paths().iter().enumerate() {
        let Some(path) = p.physical_path.clone() else {
            continue;
        };
        let inputs = ctx.identity_inputs(p);
        out.push(FolderFacts {
            index,
            site: p.site.to_lowercase(),
            norm: normalize_windows_path(&path),
            identities: acl::content_identities(&inputs, &ctx.snapshot.accounts),
            path,
            inputs,
        });
    }
    out
}

impl Folder<'_> {
    fn identity(&self, pred: impl Fn(&IdentitySource) -> bool) -> Option<&ContentIdentity> {
        self.identities.iter().find(|i| pred(&i.source))
    }

    /// `\\server\share\…`: read over the network.
    fn is_unc(&self) -> bool {
        self.path.starts_with(r"\\") || self.path.starts_with("//")
    }

    /// `Site` or `Site/app` as reported in messages.
    fn target(&self) -> String {
        if self.p.url_path == "/" {
            self.p.site.clone()
        } else {
            format!("{}{}", self.p.site, self.p.url_path)
        }
    }

    /// The path's pool, when it exists.
    fn pool_exists(&self, ctx: &HostContext) -> bool {
        self.p
            .pool
            .as_deref()
            .is_some_and(|n| ctx.config.pool(n).is_some())
    }
}

/// What a rule concluded about one folder.
enum Verdict {
    /// The rule is not about this folder (another path to the same folder may still be).
    NotApplicable,
    /// It could not be judged: listed as not evaluated.
    Skip(String),
    /// Judged, nothing to report.
    Fine,
    /// A finding. `cause` identifies the fix (grantee or denied SIDs); `inherited` is true when
    /// the cause comes from the parent (DACL not protected; missing grant or inherited deny), so
    /// a finding on an ancestor folder with the same cause covers it.
    Report {
        draft: Box<FindingDraft>,
        cause: String,
        inherited: bool,
    },
}

/// Runs `judge` once per (site, folder), shallow paths first.
fn scan(ctx: &HostContext, sink: &mut Sink, mut judge: impl FnMut(&Folder) -> Verdict) {
    let mut judged: Vec<(&str, &str)> = Vec::new();
    let mut reported: Vec<(&str, &str, String)> = Vec::new();
    let paths = ctx.site_paths();
    for facts in ctx.acl_folders.get_or_init(|| folder_facts(ctx)) {
        let (site, norm) = (facts.site.as_str(), facts.norm.as_str());
        if judged.iter().any(|(s, f)| *s == site && *f == norm) {
            continue;
        }
        let folder = Folder {
            p: &paths[facts.index],
            path: &facts.path,
            inputs: &facts.inputs,
            identities: &facts.identities,
        };
        match judge(&folder) {
            Verdict::NotApplicable => {}
            Verdict::Skip(reason) => {
                sink.skip(format!("{} {}: {reason}", folder.p.site, folder.p.url_path))
            }
            Verdict::Fine => judged.push((site, norm)),
            Verdict::Report {
                draft,
                cause,
                inherited,
            } => {
                let covered = inherited
                    && reported.iter().any(|(s, f, c)| {
                        *s == site && *c == cause && norm.starts_with(&format!("{f}\\"))
                    });
                if !covered {
                    sink.report(*draft);
                }
                reported.push((site, norm, cause));
                judged.push((site, norm));
            }
        }
    }
}

/// Names SIDs for evidence: well-known names, `IIS APPPOOL\<pool>` for the host's pools, and
/// the accounts table for domain and machine accounts.
pub(super) struct Naming<'a> {
    pub pools: Vec<String>,
    accounts: &'a [AccountFact],
}

impl<'a> Naming<'a> {
    pub fn new(ctx: &'a HostContext) -> Naming<'a> {
        Naming {
            pools: ctx
                .config
                .app_pools()
                .iter()
                .map(|p| p.name.clone())
                .collect(),
            accounts: &ctx.snapshot.accounts,
        }
    }

    fn account(&self, sid: &Sid) -> Option<&str> {
        if !sid.is_account_domain() {
            return None;
        }
        let text = sid.to_string();
        self.accounts
            .iter()
            .find(|a| {
                a.sid
                    .as_deref()
                    .is_some_and(|s| s.trim().eq_ignore_ascii_case(&text))
            })
            .map(|a| a.name.as_str())
    }

    /// A trustee's display name.
    pub fn trustee(&self, t: &Trustee) -> String {
        match t.sid().and_then(|s| self.account(s)) {
            Some(n) => n.to_string(),
            None => acl::display_trustee(t, &self.pools),
        }
    }

    /// An ACE as icacls prints it, with the trustee named.
    pub fn ace(&self, a: &acl::Ace) -> String {
        let text = acl::icacls_ace(a, &self.pools);
        match a
            .trustee
            .sid()
            .and_then(|s| self.account(s).map(|n| (s, n)))
        {
            Some((sid, name)) => text.replacen(&sid.to_string(), name, 1),
            None => text,
        }
    }
}

/// Loads the folder's security descriptor or says why it cannot be judged.
fn folder_sd(ctx: &HostContext, f: &Folder) -> Result<SecurityDescriptor, Verdict> {
    ctx.folder_sd(f.path).map_err(Verdict::Skip)
}

// ---------------------------------------------------------------------------------------------
// Denials and their findings.

/// The decisions of a principal that definitely lack Read & Execute.
pub(super) struct Denial<'a> {
    pub rx: &'a ReadExecute,
    /// The folder itself is not readable.
    pub folder: bool,
    /// Files inheriting the folder's ACL are not readable.
    pub files: bool,
}

impl<'a> Denial<'a> {
    /// `None` when the principal may read, or the answer is not definite.
    pub fn of(rx: &'a ReadExecute) -> Option<Denial<'a>> {
        let folder = !rx.folder.is_granted() && rx.folder.is_definite();
        let files = !rx.files.is_granted()
            && rx.files.is_definite()
            && rx.files.outcome != Outcome::Undetermined;
        (folder || files).then_some(Denial { rx, folder, files })
    }

    /// The denied decisions.
    fn decisions(&self) -> impl Iterator<Item = &'a AccessDecision> {
        let rx = self.rx;
        [(self.folder, &rx.folder), (self.files, &rx.files)]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, d)| d)
    }

    /// The decision shown as evidence: a deny ACE first, else the folder, else the files.
    fn shown(&self) -> &'a AccessDecision {
        self.decisions()
            .find(|d| d.outcome == Outcome::Denied)
            .or_else(|| self.decisions().next())
            .unwrap_or(&self.rx.folder)
    }

    fn what(&self) -> &'static str {
        match (self.folder, self.files) {
            (true, true) => "the folder or its files",
            (true, false) => "the folder",
            _ => "the files in the folder",
        }
    }

    /// Indexes of the deny ACEs that decided a denied decision.
    fn deny_aces(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for d in self.decisions() {
            if let Some(i) = deciding_deny(d) {
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        out
    }

    /// Some denied decision is a missing grant (no deny ACE).
    fn lacks_grant(&self) -> bool {
        self.decisions().any(|d| d.outcome == Outcome::NotGranted)
    }
}

/// The index of the deny ACE that ended a decision.
fn deciding_deny(d: &AccessDecision) -> Option<usize> {
    (d.outcome == Outcome::Denied)
        .then(|| d.evidence.iter().rev().find(|e| e.effect == Effect::Denied))
        .flatten()
        .map(|e| e.index)
}

/// How an ACE trustee is named on an icacls command line (`*SID`, so it works on localized
/// Windows).
fn icacls_trustee(t: &Trustee) -> String {
    match t {
        Trustee::Sid(s) => format!("*{s}"),
        Trustee::Relative { .. } => acl::display_trustee::<&str>(t, &[]),
    }
}

/// The ACE at `index` of the folder's DACL.
fn ace_at(sd: &SecurityDescriptor, index: usize) -> Option<&acl::Ace> {
    sd.dacl.as_ref().and_then(|d| d.aces.get(index))
}

/// The icacls steps that remove the deny ACEs at `indexes` (breaking inheritance first when
/// one of them is inherited, so the folder keeps the other inherited ACEs as explicit ones).
fn remove_deny_steps(folder: &str, sd: &SecurityDescriptor, indexes: &[usize]) -> Vec<FixStep> {
    let mut steps = Vec::new();
    let mut trustees: Vec<String> = Vec::new();
    let mut inherited = false;
    for &i in indexes {
        if let Some(ace) = ace_at(sd, i) {
            inherited |= ace.flags.inherited();
            let t = icacls_trustee(&ace.trustee);
            if !trustees.contains(&t) {
                trustees.push(t);
            }
        }
    }
    if inherited {
        steps.push(FixStep::StopInheritance {
            path: folder.to_string(),
        });
    }
    for trustee in trustees {
        steps.push(FixStep::RemoveAces {
            path: folder.to_string(),
            trustee,
            deny_only: true,
        });
    }
    steps
}

/// Grants Read & Execute on a folder, inherited by its files and subfolders.
fn grant_read(folder: &str, trustee: &str) -> FixStep {
    FixStep::Grant {
        path: folder.to_string(),
        trustee: trustee.to_string(),
        rights: "(OI)(CI)RX".to_string(),
    }
}

/// The fix for a denial: remove the deciding deny ACEs, grant when a grant is missing.
fn denial_steps(
    folder: &str,
    sd: &SecurityDescriptor,
    den: &Denial,
    grantee: &str,
) -> Vec<FixStep> {
    let mut steps = remove_deny_steps(folder, sd, &den.deny_aces());
    if den.lacks_grant() || steps.is_empty() {
        steps.push(grant_read(folder, grantee));
    }
    steps
}

/// Whether the denial's cause comes from the parent folder (see [`Verdict::Report`]).
fn inherited_cause(sd: &SecurityDescriptor, den: &Denial) -> bool {
    let protected = sd.dacl.as_ref().is_none_or(|d| d.flags.protected);
    !protected
        && den
            .deny_aces()
            .iter()
            .all(|&i| ace_at(sd, i).is_some_and(|a| a.flags.inherited()))
}

/// Adds the deciding ACEs of `decision` (icacls rendering included) and the missing rights.
fn decision_evidence(
    mut d: FindingDraft,
    folder: &str,
    who: &str,
    sd: &SecurityDescriptor,
    decision: &AccessDecision,
    names: &Naming,
) -> FindingDraft {
    if decision.evidence.is_empty() {
        d = d.fact(
            EvidenceKind::Acl,
            Some(folder),
            format!("no ACE grants {who} (or its groups) Read & Execute"),
        );
    }
    for e in &decision.evidence {
        let rendered = ace_at(sd, e.index)
            .map(|a| format!(" = {}", names.ace(a)))
            .unwrap_or_default();
        let effect = match e.effect {
            Effect::Allowed => "allows",
            Effect::Denied => "denies",
            Effect::Uncertain => "may affect",
        };
        d = d.fact(
            EvidenceKind::Acl,
            Some(folder),
            format!(
                "ACE #{} {}{rendered}: {effect} {}",
                e.index + 1,
                e.ace,
                acl::icacls_rights(e.bits)
            ),
        );
    }
    if decision.missing != 0 {
        d = d.fact(
            EvidenceKind::Acl,
            Some(folder),
            format!("missing rights: {}", acl::icacls_rights(decision.missing)),
        );
    }
    d
}

/// A finding when the principal definitely lacks Read & Execute on the folder or its files
/// (U301's original helper; the others use [`denial_draft`]).
pub(super) fn denied_finding(
    p: &SitePath,
    folder: &str,
    who: &str,
    grant_sid: &str,
    rx: &ReadExecute,
    sd: &SecurityDescriptor,
    names: &Naming,
) -> Option<FindingDraft> {
    let den = Denial::of(rx)?;
    Some(denial_draft(
        p,
        folder,
        who,
        "anonymous requests",
        grant_sid,
        &den,
        sd,
        names,
    ))
}

/// The finding for a denial: message, location, deciding ACEs, fix.
#[allow(clippy::too_many_arguments)]
fn denial_draft(
    p: &SitePath,
    folder: &str,
    who: &str,
    requests: &str,
    grantee: &str,
    den: &Denial,
    sd: &SecurityDescriptor,
    names: &Naming,
) -> FindingDraft {
    let d = FindingDraft::new(format!(
        "{who} may not read {folder} ({}): {requests} to {}{} get 401.3.",
        den.what(),
        p.site,
        if p.url_path == "/" {
            String::new()
        } else {
            p.url_path.clone()
        }
    ))
    .at(&p.site, p.application.as_deref(), Some(&p.url_path))
    .physical(folder)
    .steps(denial_steps(folder, sd, den, grantee));
    decision_evidence(d, folder, who, sd, den.shown(), names)
}

fn report(draft: FindingDraft, cause: String, sd: &SecurityDescriptor, den: &Denial) -> Verdict {
    Verdict::Report {
        draft: Box::new(draft),
        cause,
        inherited: inherited_cause(sd, den),
    }
}

/// Evidence for the effective anonymous `userName` at the path.
fn anonymous_user_evidence(ctx: &HostContext, f: &Folder, d: FindingDraft) -> FindingDraft {
    let anon = ctx.section(f.p, sections::ANONYMOUS_AUTHENTICATION);
    value_evidence(
        d,
        "anonymousAuthentication",
        "userName",
        anon.attribute("userName"),
    )
}

/// Evidence for how a principal was resolved.
fn account_evidence(d: FindingDraft, name: &str, pr: &Principal) -> FindingDraft {
    let mut d = d.fact(
        EvidenceKind::Account,
        Some(name),
        format!(
            "{name} = {} ({} token groups)",
            pr.user_sid,
            pr.group_sids.len()
        ),
    );
    for n in pr.notes.iter().filter(|n| n.contains("disabled")) {
        d = d.fact(EvidenceKind::Account, Some(name), n.clone());
    }
    d
}

/// Evidence for the pool's identity settings.
fn pool_evidence(ctx: &HostContext, f: &Folder, mut d: FindingDraft) -> FindingDraft {
    let Some(pool) = f.p.pool.as_deref().and_then(|n| ctx.config.pool(n)) else {
        return d;
    };
    d = value_evidence(d, "processModel", "identityType", Some(&pool.identity_type));
    if let Some(u) = &pool.user_name {
        d = value_evidence(d, "processModel", "userName", Some(u));
    }
    d
}

/// How icacls should name the pool identity: `IIS AppPool\<pool>` for a virtual account,
/// otherwise the principal's SID.
fn pool_grantee(inputs: &AppIdentityInputs, pr: &Principal) -> String {
    if inputs.pool_identity == PoolIdentityType::ApplicationPoolIdentity {
        format!("IIS AppPool\\{}", inputs.pool_name)
    } else {
        format!("*{}", pr.user_sid)
    }
}

/// The principal of the path's pool worker process.
fn pool_principal(ctx: &HostContext, f: &Folder) -> Result<Principal, acl::Unresolved> {
    acl::pool_principal(
        &f.inputs.pool_name,
        f.inputs.pool_identity,
        f.inputs.pool_user.as_deref(),
        f.inputs.pool_logon_type,
        f.inputs.manual_group_membership,
        &ctx.snapshot.accounts,
    )
}

// ---------------------------------------------------------------------------------------------
// U301 / U307

/// U307's condition: the pool runs as a configured identity that may read the folder and its
/// files, and IUSR only lacks a grant. `Err` when the pool account does not resolve.
fn pool_mismatch(
    ctx: &HostContext,
    f: &Folder,
    sd: &SecurityDescriptor,
    iusr: &Denial,
) -> Result<Option<(Principal, ReadExecute)>, acl::Unresolved> {
    if !f.pool_exists(ctx)
        || f.inputs.pool_identity == PoolIdentityType::ApplicationPoolIdentity
        || !iusr.deny_aces().is_empty()
    {
        return Ok(None);
    }
    let pool = pool_principal(ctx, f)?;
    let rx = acl::read_execute(sd, &pool);
    let reads = |d: &AccessDecision| d.is_granted() && d.is_definite();
    Ok((reads(&rx.folder) && reads(&rx.files)).then_some((pool, rx)))
}

fn iusr_principal<'a>(f: &'a Folder<'_>) -> Option<Result<&'a Principal, String>> {
    if f.is_unc() {
        // U304: IUSR has no network identity, whatever the share's ACL says.
        return None;
    }
    let id = f.identity(|s| *s == IdentitySource::Iusr)?;
    Some(id.principal.as_ref().map_err(|u| u.to_string()))
}

fn check_anonymous_iusr(ctx: &HostContext, sink: &mut Sink) {
    let names = Naming::new(ctx);
    scan(ctx, sink, |f| {
        let principal = match iusr_principal(f) {
            None => return Verdict::NotApplicable,
            Some(Err(r)) => return Verdict::Skip(r),
            Some(Ok(p)) => p,
        };
        let sd = match folder_sd(ctx, f) {
            Ok(sd) => sd,
            Err(v) => return v,
        };
        let rx = acl::read_execute(&sd, principal);
        let Some(den) = Denial::of(&rx) else {
            return Verdict::Fine;
        };
        if let Ok(Some(_)) = pool_mismatch(ctx, f, &sd, &den) {
            // U307 reports this folder.
            return Verdict::Fine;
        }
        let Some(d) = denied_finding(f.p, f.path, "IUSR", "*S-1-5-17", &rx, &sd, &names) else {
            return Verdict::Fine;
        };
        report(d, "*S-1-5-17".into(), &sd, &den)
    });
}

fn check_pool_mismatch(ctx: &HostContext, sink: &mut Sink) {
    let names = Naming::new(ctx);
    scan(ctx, sink, |f| {
        let principal = match iusr_principal(f) {
            None => return Verdict::NotApplicable,
            Some(Err(r)) => return Verdict::Skip(r),
            Some(Ok(p)) => p,
        };
        if !f.pool_exists(ctx)
            || f.inputs.pool_identity == PoolIdentityType::ApplicationPoolIdentity
        {
            return Verdict::NotApplicable;
        }
        let sd = match folder_sd(ctx, f) {
            Ok(sd) => sd,
            Err(v) => return v,
        };
        let rx = acl::read_execute(&sd, principal);
        let Some(den) = Denial::of(&rx) else {
            return Verdict::Fine;
        };
        let (pool, pool_rx) = match pool_mismatch(ctx, f, &sd, &den) {
            Ok(Some(m)) => m,
            Ok(None) => return Verdict::Fine,
            Err(u) => return Verdict::Skip(u.to_string()),
        };
        let pool_name = &f.inputs.pool_name;
        let target = f.target();
        let mut d = FindingDraft::new(format!(
            "Application pool {pool_name} runs as {}, which may read {}, but anonymous requests \
             still run as IUSR, which may not ({}): anonymous requests to {target} get 401.3.",
            pool.description,
            f.path,
            den.what()
        ))
        .at(&f.p.site, f.p.application.as_deref(), Some(&f.p.url_path))
        .physical(f.path)
        .fix(format!(
            "{APPCMD} set config \"{}\" \
             -section:system.webServer/security/authentication/anonymousAuthentication \
             /userName:\"\" /commit:apphost\n\
             rem or grant IUSR as well: icacls \"{}\" /grant \"*S-1-5-17:(OI)(CI)RX\"",
            appcmd_path(&f.p.site, &f.p.url_path),
            f.path
        ));
        d = pool_evidence(ctx, f, d);
        if f.inputs.pool_identity == PoolIdentityType::SpecificUser {
            d = account_evidence(d, &pool.description, &pool);
        }
        for e in pool_rx
            .folder
            .evidence
            .iter()
            .filter(|e| e.effect == Effect::Allowed)
        {
            let rendered = ace_at(&sd, e.index)
                .map(|a| format!(" = {}", names.ace(a)))
                .unwrap_or_default();
            d = d.fact(
                EvidenceKind::Acl,
                Some(f.path),
                format!(
                    "ACE #{} {}{rendered}: allows {} to the pool identity",
                    e.index + 1,
                    e.ace,
                    acl::icacls_rights(e.bits)
                ),
            );
        }
        d = anonymous_user_evidence(ctx, f, d);
        d = decision_evidence(d, f.path, "IUSR", &sd, den.shown(), &names);
        report(d, format!("mismatch {pool_name}"), &sd, &den)
    });
}

// ---------------------------------------------------------------------------------------------
// U302 / U303 / U304

/// The allow ACEs (with read bits) for pool SIDs that match no current pool.
fn stale_pool_aces(sd: &SecurityDescriptor, pools: &[String]) -> Vec<(usize, Sid)> {
    let Some(dacl) = sd.dacl.as_ref() else {
        return Vec::new();
    };
    let stale = acl::stale_app_pool_sids(dacl.sids().iter(), pools);
    dacl.aces
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            a.ace_type.is_allow()
                && a.object_type.is_none()
                && acl::map_generic(a.mask) & acl::READ_EXECUTE != 0
        })
        .filter_map(|(i, a)| a.trustee.sid().map(|s| (i, *s)))
        .filter(|(_, s)| stale.contains(s))
        .collect()
}

/// Whether the DACL names `sid` in any ACE.
fn dacl_names(sd: &SecurityDescriptor, sid: &Sid) -> bool {
    sd.dacl.as_ref().is_some_and(|d| d.sids().contains(sid))
}

/// U302's denial at a folder, when anonymous requests run as the pool identity.
/// The folder's security descriptor and `id`'s Read & Execute on it, or the verdict that ends
/// the check: an unresolved account is skipped, an unreadable ACL is not evaluated.
fn access_of<'a>(
    ctx: &HostContext,
    f: &Folder,
    id: &'a ContentIdentity,
) -> Result<(&'a Principal, SecurityDescriptor, ReadExecute), Verdict> {
    let pr = id
        .principal
        .as_ref()
        .map_err(|u| Verdict::Skip(u.to_string()))?;
    let sd = folder_sd(ctx, f)?;
    let rx = acl::read_execute(&sd, pr);
    Ok((pr, sd, rx))
}

fn pool_identity_denial<'a>(
    f: &'a Folder,
    sd: &SecurityDescriptor,
) -> Option<Result<(&'a Principal, ReadExecute), String>> {
    let id = f.identity(|s| *s == IdentitySource::PoolIdentity)?;
    Some(match &id.principal {
        Ok(pr) => Ok((pr, acl::read_execute(sd, pr))),
        Err(u) => Err(u.to_string()),
    })
}

fn check_anonymous_pool_identity(ctx: &HostContext, sink: &mut Sink) {
    let names = Naming::new(ctx);
    scan(ctx, sink, |f| {
        let Some(id) = f.identity(|s| *s == IdentitySource::PoolIdentity) else {
            return Verdict::NotApplicable;
        };
        if let Err(u) = &id.principal {
            return Verdict::Skip(u.to_string());
        }
        let sd = match folder_sd(ctx, f) {
            Ok(sd) => sd,
            Err(v) => return v,
        };
        let Some(Ok((pr, rx))) = pool_identity_denial(f, &sd) else {
            return Verdict::Fine;
        };
        let Some(den) = Denial::of(&rx) else {
            return Verdict::Fine;
        };
        let grantee = pool_grantee(f.inputs, pr);
        let mut d = denial_draft(
            f.p,
            f.path,
            &pr.description,
            "anonymous requests (which run as the application pool identity)",
            &grantee,
            &den,
            &sd,
            &names,
        );
        if f.inputs.pool_identity == PoolIdentityType::ApplicationPoolIdentity
            && !dacl_names(&sd, &pr.user_sid)
        {
            for (i, sid) in stale_pool_aces(&sd, &names.pools) {
                d = d.fact(
                    EvidenceKind::Acl,
                    Some(f.path),
                    format!(
                        "ACE #{} grants {sid}, a pool SID that matches no current pool (renamed \
                         pool?); {} ({}) has no ACE",
                        i + 1,
                        pr.description,
                        pr.user_sid
                    ),
                );
            }
        }
        d = anonymous_user_evidence(ctx, f, d);
        d = pool_evidence(ctx, f, d);
        if f.inputs.pool_identity == PoolIdentityType::SpecificUser {
            d = account_evidence(d, &pr.description, pr);
        }
        report(d, grantee, &sd, &den)
    });
}

fn check_anonymous_custom_account(ctx: &HostContext, sink: &mut Sink) {
    let names = Naming::new(ctx);
    scan(ctx, sink, |f| {
        let Some(id) = f.identity(|s| matches!(s, IdentitySource::AnonymousAccount(_))) else {
            return Verdict::NotApplicable;
        };
        let IdentitySource::AnonymousAccount(name) = &id.source else {
            return Verdict::NotApplicable;
        };
        let (pr, sd, rx) = match access_of(ctx, f, id) {
            Ok(a) => a,
            Err(v) => return v,
        };
        let Some(den) = Denial::of(&rx) else {
            return Verdict::Fine;
        };
        let grantee = format!("*{}", pr.user_sid);
        let mut d = denial_draft(
            f.p,
            f.path,
            name,
            &format!("anonymous requests (which run as {name})"),
            &grantee,
            &den,
            &sd,
            &names,
        );
        d = anonymous_user_evidence(ctx, f, d);
        d = account_evidence(d, name, pr);
        report(d, grantee, &sd, &den)
    });
}

/// The site, application and virtual directory serving a path.
pub(super) fn vdir_of<'a>(
    ctx: &'a HostContext,
    p: &SitePath,
) -> Option<(&'a Site, &'a Application, &'a VirtualDirectory)> {
    let r = ctx.config.resolve_path(&p.site, &p.url_path)?;
    let site = ctx.config.site(&p.site)?;
    let app = site.application(r.application.as_deref()?)?;
    let vurl = r.virtual_directory.as_deref()?;
    let vdir = app
        .virtual_directories
        .iter()
        .find(|v| v.url_path.eq_ignore_ascii_case(vurl))?;
    Some((site, app, vdir))
}

/// The name appcmd gives a virtual directory: `Site/`, `Site/app/`, `Site/images`.
pub(super) fn appcmd_vdir(site: &str, app_path: &str, vdir_path: &str) -> String {
    let app = app_path.trim_end_matches('/');
    format!("{site}{app}{vdir_path}")
}

fn check_connect_as(ctx: &HostContext, sink: &mut Sink) {
    let names = Naming::new(ctx);
    scan(ctx, sink, |f| {
        if let Some(id) = f.identity(|s| matches!(s, IdentitySource::ConnectAs(_))) {
            let IdentitySource::ConnectAs(user) = &id.source else {
                return Verdict::NotApplicable;
            };
            let (pr, sd, rx) = match access_of(ctx, f, id) {
                Ok(a) => a,
                Err(v) => return v,
            };
            let Some(den) = Denial::of(&rx) else {
                return Verdict::Fine;
            };
            let grantee = format!("*{}", pr.user_sid);
            let mut d = denial_draft(
                f.p,
                f.path,
                user,
                &format!("requests (whose files are read as the connect-as account {user})"),
                &grantee,
                &den,
                &sd,
                &names,
            );
            if let Some((_, _, v)) = vdir_of(ctx, f.p) {
                d = value_evidence(d, "virtualDirectory", "userName", v.user_name.as_ref());
            }
            d = account_evidence(d, user, pr);
            return report(d, grantee, &sd, &den);
        }
        // UNC content read as IUSR: IUSR has no network identity.
        if !f.is_unc() || f.identity(|s| *s == IdentitySource::Iusr).is_none() {
            return Verdict::NotApplicable;
        }
        let Some((site, app, vdir)) = vdir_of(ctx, f.p) else {
            return Verdict::NotApplicable;
        };
        let vname = appcmd_vdir(&site.name, &app.path, &vdir.path);
        let mut d = FindingDraft::new(format!(
            "{} is on a network share and has no connect-as account: anonymous requests to {} \
             read it as IUSR, which has no network identity, and get 401.3.",
            f.path,
            f.target()
        ))
        .at(&f.p.site, f.p.application.as_deref(), Some(&f.p.url_path))
        .physical(f.path)
        .fix(format!(
            "{APPCMD} set vdir \"{vname}\" /userName:\"<DOMAIN\\account>\" /password:\"<password>\" \
             && icacls \"{}\" /grant \"<DOMAIN\\account>:(OI)(CI)RX\"",
            f.path
        ));
        d = value_evidence(
            d,
            "virtualDirectory",
            "physicalPath",
            vdir.physical_path.as_ref(),
        );
        let text = format!("virtual directory {vname} has no connect-as userName (pass-through)");
        d = match &vdir.origin {
            crate::iis::Origin::File { path, line } => d.config_line(path, *line, text),
            _ => d.fact(EvidenceKind::Config, None, text),
        };
        d = anonymous_user_evidence(ctx, f, d);
        Verdict::Report {
            draft: Box::new(d),
            cause: "unc".into(),
            inherited: true,
        }
    });
}

// ---------------------------------------------------------------------------------------------
// U305

fn check_authenticated_users(ctx: &HostContext, sink: &mut Sink) {
    let names = Naming::new(ctx);
    scan(ctx, sink, |f| {
        let anonymous = f.identities.iter().any(|i| {
            matches!(
                i.source,
                IdentitySource::Iusr
                    | IdentitySource::PoolIdentity
                    | IdentitySource::AnonymousAccount(_)
                    | IdentitySource::ConnectAs(_)
            )
        });
        let Some(id) = f.identity(|s| *s == IdentitySource::AuthenticatedUser) else {
            return Verdict::NotApplicable;
        };
        if anonymous {
            return Verdict::NotApplicable;
        }
        let Ok(pr) = &id.principal else {
            return Verdict::NotApplicable;
        };
        let sd = match folder_sd(ctx, f) {
            Ok(sd) => sd,
            Err(v) => return v,
        };
        let rx = acl::read_execute(&sd, pr);
        let Some(den) = Denial::of(&rx) else {
            return Verdict::Fine;
        };
        if !den.deny_aces().is_empty() {
            // A deny ACE: U306.
            return Verdict::Fine;
        }
        let grantee = "*S-1-5-11";
        let mut d = denial_draft(
            f.p,
            f.path,
            "Authenticated users",
            "authenticated (Windows/Basic/Digest) requests",
            grantee,
            &den,
            &sd,
            &names,
        );
        let readers = rx_grantees(&sd, &names);
        d = d.fact(
            EvidenceKind::Acl,
            Some(f.path),
            if readers.is_empty() {
                "no ACE grants Read & Execute to anyone".to_string()
            } else {
                format!("Read & Execute is granted only to: {}", readers.join(", "))
            },
        );
        for (section, element) in [
            (
                sections::ANONYMOUS_AUTHENTICATION,
                "anonymousAuthentication",
            ),
            (sections::WINDOWS_AUTHENTICATION, "windowsAuthentication"),
            (sections::BASIC_AUTHENTICATION, "basicAuthentication"),
            (sections::DIGEST_AUTHENTICATION, "digestAuthentication"),
        ] {
            let (on, v) = ctx.method_enabled(f.p, section);
            if on || section == sections::ANONYMOUS_AUTHENTICATION {
                d = value_evidence(d, element, "enabled", v.as_ref());
            }
        }
        report(d, grantee.into(), &sd, &den)
    });
}

/// The trustees of the allow ACEs that give the folder's content Read & Execute.
fn rx_grantees(sd: &SecurityDescriptor, names: &Naming) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Some(dacl) = sd.dacl.as_ref() else {
        return out;
    };
    for a in &dacl.aces {
        if !a.ace_type.is_allow() || a.object_type.is_some() {
            continue;
        }
        if acl::map_generic(a.mask) & acl::READ_EXECUTE != acl::READ_EXECUTE {
            continue;
        }
        let name = names.trustee(&a.trustee);
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// U306

/// The SIDs whose deny ACEs U306 looks at.
fn watched_sids(f: &Folder) -> Vec<Sid> {
    use acl::well_known as wk;
    let mut v = vec![
        wk::EVERYONE,
        wk::BUILTIN_USERS,
        wk::AUTHENTICATED_USERS,
        wk::IUSR,
        wk::IIS_IUSRS,
    ];
    if let Some(pool) = f.p.pool.as_deref() {
        v.push(acl::app_pool_sid(pool));
    }
    v
}

/// The deny ACEs the identity rules U301–U304 report at this folder.
fn explained_denies(f: &Folder, sd: &SecurityDescriptor) -> Vec<usize> {
    let mut out = Vec::new();
    for id in f.identities {
        let counts = match id.source {
            IdentitySource::Iusr => !f.is_unc(),
            IdentitySource::PoolIdentity
            | IdentitySource::AnonymousAccount(_)
            | IdentitySource::ConnectAs(_) => true,
            IdentitySource::AuthenticatedUser => false,
        };
        let Ok(pr) = &id.principal else {
            continue;
        };
        if !counts {
            continue;
        }
        let rx = acl::read_execute(sd, pr);
        if let Some(den) = Denial::of(&rx) {
            out.extend(den.deny_aces());
        }
    }
    out
}

fn check_deny_ace(ctx: &HostContext, sink: &mut Sink) {
    let names = Naming::new(ctx);
    scan(ctx, sink, |f| {
        let sd = match folder_sd(ctx, f) {
            Ok(sd) => sd,
            Err(v) => return v,
        };
        let has_deny = sd
            .dacl
            .as_ref()
            .is_some_and(|d| d.aces.iter().any(|a| a.ace_type.is_deny()));
        if !has_deny {
            return Verdict::Fine;
        }
        // Who reads here: the content identities, and the pool identity (web.config, code).
        let mut readers: Vec<(String, Principal)> = Vec::new();
        for id in f.identities {
            if let Ok(pr) = &id.principal {
                let label = match &id.source {
                    IdentitySource::Iusr => "IUSR (anonymous requests)".to_string(),
                    IdentitySource::PoolIdentity => {
                        format!("{} (anonymous requests)", pr.description)
                    }
                    IdentitySource::AnonymousAccount(n) => format!("{n} (anonymous requests)"),
                    IdentitySource::AuthenticatedUser => {
                        "authenticated users (Windows/Basic/Digest)".to_string()
                    }
                    IdentitySource::ConnectAs(n) => format!("{n} (connect-as)"),
                };
                if !readers.iter().any(|(l, _)| *l == label) {
                    readers.push((label, pr.clone()));
                }
            }
        }
        if f.pool_exists(ctx) {
            if let Ok(pr) = pool_principal(ctx, f) {
                if !readers.iter().any(|(_, p)| p.user_sid == pr.user_sid) {
                    readers.push((
                        format!("{} (the application pool identity)", pr.description),
                        pr,
                    ));
                }
            }
        }
        let watched = watched_sids(f);
        let dacl = sd.dacl.as_ref();
        // ACE index → (who, where) it blocks.
        let mut blocks: Vec<(usize, Vec<(String, &str)>)> = Vec::new();
        for (label, pr) in &readers {
            let decisions = [
                (
                    "folder",
                    acl::check_access(dacl, pr, acl::READ_EXECUTE, None),
                ),
                (
                    "files",
                    acl::check_child_access(dacl, ChildKind::File, pr, acl::READ_EXECUTE),
                ),
                (
                    "subfolders",
                    acl::check_child_access(dacl, ChildKind::Folder, pr, acl::READ_EXECUTE),
                ),
            ];
            for (scope, dec) in &decisions {
                if !dec.is_definite() {
                    continue;
                }
                let Some(i) = deciding_deny(dec) else {
                    continue;
                };
                let watched_ace = ace_at(&sd, i)
                    .and_then(|a| a.trustee.sid())
                    .is_some_and(|s| watched.contains(s));
                if !watched_ace {
                    continue;
                }
                let entry = (label.clone(), *scope);
                match blocks.iter_mut().find(|(x, _)| *x == i) {
                    Some((_, v)) => {
                        if !v.contains(&entry) {
                            v.push(entry)
                        }
                    }
                    None => blocks.push((i, vec![entry])),
                }
            }
        }
        let explained = explained_denies(f, &sd);
        blocks.retain(|(i, _)| !explained.contains(i));
        if blocks.is_empty() {
            return Verdict::Fine;
        }
        blocks.sort_by_key(|(i, _)| *i);
        let trustees: Vec<String> = blocks
            .iter()
            .filter_map(|(i, _)| ace_at(&sd, *i))
            .map(|a| names.trustee(&a.trustee))
            .collect();
        let mut who: Vec<String> = Vec::new();
        for (_, v) in &blocks {
            for (w, _) in v {
                if !who.contains(w) {
                    who.push(w.clone());
                }
            }
        }
        let indexes: Vec<usize> = blocks.iter().map(|(i, _)| *i).collect();
        let mut d = FindingDraft::new(format!(
            "A deny ACE for {} on {} blocks Read & Execute for {}: requests to {} that use it \
             fail (401.3 for content, 500.19 when the pool cannot read web.config).",
            trustees.join(", "),
            f.path,
            who.join("; "),
            f.target()
        ))
        .at(&f.p.site, f.p.application.as_deref(), Some(&f.p.url_path))
        .physical(f.path)
        .steps(remove_deny_steps(f.path, &sd, &indexes));
        for (i, v) in &blocks {
            let mut per_reader: Vec<(String, Vec<&str>)> = Vec::new();
            for (w, scope) in v {
                match per_reader.iter_mut().find(|(x, _)| x == w) {
                    Some((_, scopes)) => scopes.push(scope),
                    None => per_reader.push((w.clone(), vec![scope])),
                }
            }
            let v: Vec<String> = per_reader
                .iter()
                .map(|(w, scopes)| format!("{w} (on the {})", scopes.join(", ")))
                .collect();
            if let Some(a) = ace_at(&sd, *i) {
                d = d.fact(
                    EvidenceKind::Acl,
                    Some(f.path),
                    format!(
                        "ACE #{} {a} = {}: denies {} to {}",
                        i + 1,
                        names.ace(a),
                        acl::icacls_rights(acl::map_generic(a.mask) & acl::READ_EXECUTE),
                        v.join("; ")
                    ),
                );
            }
        }
        let protected = dacl.is_none_or(|d| d.flags.protected);
        let inherited = !protected
            && indexes
                .iter()
                .all(|&i| ace_at(&sd, i).is_some_and(|a| a.flags.inherited()));
        let mut cause: Vec<String> = indexes
            .iter()
            .filter_map(|&i| ace_at(&sd, i))
            .map(|a| icacls_trustee(&a.trustee))
            .collect();
        cause.sort();
        Verdict::Report {
            draft: Box::new(d),
            cause: cause.join(","),
            inherited,
        }
    });
}

// ---------------------------------------------------------------------------------------------
// U308

fn check_stale_pool_sid(ctx: &HostContext, sink: &mut Sink) {
    let names = Naming::new(ctx);
    scan(ctx, sink, |f| {
        let Some(pool) = f.p.pool.as_deref().and_then(|n| ctx.config.pool(n)) else {
            return Verdict::NotApplicable;
        };
        if f.inputs.pool_identity != PoolIdentityType::ApplicationPoolIdentity {
            return Verdict::NotApplicable;
        }
        let sd = match folder_sd(ctx, f) {
            Ok(sd) => sd,
            Err(v) => return v,
        };
        let pool_sid = acl::app_pool_sid(&pool.name);
        if dacl_names(&sd, &pool_sid) {
            return Verdict::Fine;
        }
        let stale = stale_pool_aces(&sd, &names.pools);
        if stale.is_empty() {
            return Verdict::Fine;
        }
        let mut sids: Vec<String> = Vec::new();
        for (_, s) in &stale {
            let t = s.to_string();
            if !sids.contains(&t) {
                sids.push(t);
            }
        }
        let mut steps = vec![grant_read(f.path, &format!("IIS AppPool\\{}", pool.name))];
        for s in &sids {
            steps.push(FixStep::RemoveAces {
                path: f.path.to_string(),
                trustee: format!("*{s}"),
                deny_only: false,
            });
        }
        let mut d = FindingDraft::new(format!(
            "The ACL of {} grants {} — application pool SID(s) matching none of this host's \
             pools (a renamed or deleted pool) — but not IIS APPPOOL\\{}, the pool of {}: the \
             pool identity lost the access it was given.",
            f.path,
            sids.join(", "),
            pool.name,
            f.target()
        ))
        .at(&f.p.site, f.p.application.as_deref(), Some(&f.p.url_path))
        .physical(f.path)
        .steps(steps);
        for (i, _) in &stale {
            if let Some(a) = ace_at(&sd, *i) {
                d = d.fact(
                    EvidenceKind::Acl,
                    Some(f.path),
                    format!(
                        "ACE #{} {a} = {}: pool SID of no current pool",
                        i + 1,
                        names.ace(a)
                    ),
                );
            }
        }
        d = d.fact(
            EvidenceKind::Acl,
            Some(f.path),
            format!(
                "no ACE for IIS APPPOOL\\{} ({pool_sid}); current pools: {}",
                pool.name,
                names.pools.join(", ")
            ),
        );
        let protected = sd.dacl.as_ref().is_none_or(|d| d.flags.protected);
        Verdict::Report {
            draft: Box::new(d),
            cause: format!("stale {}", pool.name.to_lowercase()),
            inherited: !protected,
        }
    });
}
