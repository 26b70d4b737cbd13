//! 401.3 — unauthorized due to the ACL on the resource: the identity IIS reads the content
//! with lacks Read & Execute.

use crate::acl::{self, IdentitySource, ReadExecute};
use crate::report::model::{EvidenceKind, Severity, Substatus};

use super::common::SitePath;
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[&ANONYMOUS_IUSR_CANNOT_READ];

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
to the files inside — and reports when Read & Execute (0x1200A9) is not granted.",
        why: "IIS opens static files with the anonymous user's token. When IUSR cannot read the \
folder or the files it passes its ACL to, every anonymous request fails with 401.3 — typically \
after content was copied from another server, or after permissions were tightened to the \
application pool identity alone.",
        example: "D:\\Sites\\Shop  O:BAD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)\
(A;OICI;0x1200a9;;;S-1-5-82-…)   ← only the pool identity may read; IUSR may not",
        fix: "Grant IUSR (by SID, so it works on localized Windows) Read & Execute, inherited by \
files and folders: `icacls \"D:\\Sites\\Shop\" /grant \"*S-1-5-17:(OI)(CI)RX\"`. Or make \
anonymous requests use the pool identity (`userName=\"\"`) if the pool identity already has access.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/get-started/planning-for-security/understanding-built-in-user-and-group-accounts-in-iis",
        "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/www-authentication-authorization/understanding-identities",
    ],
    check: check_anonymous_iusr,
};

fn check_anonymous_iusr(ctx: &HostContext, sink: &mut Sink) {
    let mut seen: Vec<(String, String)> = Vec::new();
    for p in ctx.site_paths() {
        let Some(folder) = p.physical_path.clone() else {
            continue;
        };
        let key = (
            p.site.to_lowercase(),
            crate::snapshot::normalize_windows_path(&folder),
        );
        if seen.contains(&key) {
            continue;
        }
        let inputs = ctx.identity_inputs(&p);
        let identities = acl::content_identities(&inputs, &ctx.snapshot.accounts);
        let Some(iusr) = identities.iter().find(|i| i.source == IdentitySource::Iusr) else {
            continue;
        };
        let principal = match &iusr.principal {
            Ok(pr) => pr,
            Err(u) => {
                sink.skip(format!("{} {}: {u}", p.site, p.url_path));
                continue;
            }
        };
        let sd = match ctx.folder_sd(&folder) {
            Ok(sd) => sd,
            Err(reason) => {
                sink.skip(format!("{} {}: {reason}", p.site, p.url_path));
                continue;
            }
        };
        seen.push(key);
        let rx = acl::read_execute(&sd, principal);
        if let Some(d) = denied_finding(&p, &folder, "IUSR", "*S-1-5-17", &rx) {
            sink.report(d);
        }
    }
}

/// A finding when the principal definitely lacks Read & Execute on the folder or its files.
pub(super) fn denied_finding(
    p: &SitePath,
    folder: &str,
    who: &str,
    grant_sid: &str,
    rx: &ReadExecute,
) -> Option<FindingDraft> {
    let folder_denied = !rx.folder.is_granted() && rx.folder.is_definite();
    let files_denied = !rx.files.is_granted()
        && rx.files.is_definite()
        && rx.files.outcome != acl::Outcome::Undetermined;
    if !folder_denied && !files_denied {
        return None;
    }
    let what = match (folder_denied, files_denied) {
        (true, true) => "the folder or its files",
        (true, false) => "the folder",
        _ => "the files in the folder",
    };
    let mut d = FindingDraft::new(format!(
        "{who} may not read {folder} ({what}): anonymous requests to {}{} get 401.3.",
        p.site,
        if p.url_path == "/" {
            String::new()
        } else {
            p.url_path.clone()
        }
    ))
    .at(&p.site, p.application.as_deref(), Some(&p.url_path))
    .physical(folder)
    .fix(format!(
        "icacls \"{folder}\" /grant \"{grant_sid}:(OI)(CI)RX\""
    ));
    let decision = if folder_denied { &rx.folder } else { &rx.files };
    if decision.evidence.is_empty() {
        d = d.fact(
            EvidenceKind::Acl,
            Some(folder),
            format!("no ACE grants {who} (or its groups) Read & Execute"),
        );
    }
    for e in &decision.evidence {
        d = d.fact(
            EvidenceKind::Acl,
            Some(folder),
            format!("ACE #{} {} ({:?})", e.index + 1, e.ace, e.effect),
        );
    }
    if decision.missing != 0 {
        d = d.fact(
            EvidenceKind::Acl,
            Some(folder),
            format!("missing rights: {}", acl::icacls_rights(decision.missing)),
        );
    }
    Some(d)
}
