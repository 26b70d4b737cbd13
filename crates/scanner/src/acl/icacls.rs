//! `icacls` text, as an admin can make it on a server without installing anything (offline
//! bundles, docs/offline.md): the `/save` format (exact SDDL with SIDs) and the plain listing
//! (`icacls PATH`, names instead of SIDs).
//!
//! The listing names trustees in the host's language, so only names that are the same on every
//! en-US host (well-known and BUILTIN accounts, `IIS APPPOOL\<pool>`, SIDs printed for accounts
//! that no longer resolve) are turned into SIDs. A listing that names any other account (a
//! domain group, a local user, a localised name) is not guessed at: that path is "not
//! evaluated", and the error says to use `/save` instead.

use super::identity::app_pool_sid;
use super::render::{SIMPLE, SPECIFIC, WRITE};
use super::sddl::{self, Ace, AceFlags, AceType, Acl, SecurityDescriptor, Trustee};
use super::sid::{well_known_sid, Sid};

/// Bytes of `icacls` text read from one file.
pub const MAX_TEXT: usize = 16 << 20;
/// Paths read from one file.
pub const MAX_PATHS: usize = 20_000;

/// One path of an `icacls` text, with its descriptor in SDDL or why it cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcaclsEntry {
    /// The path as written (absolute in a listing; relative to the saved folder's parent in a
    /// `/save` file).
    pub path: String,
    /// The SDDL (`D:…`), or why the ACL cannot be turned into one.
    pub sddl: Result<String, String>,
}

/// What kind of `icacls` text a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcaclsFormat {
    /// `icacls PATH /save FILE`: a path line, then its SDDL line.
    Save,
    /// The plain listing `icacls PATH` prints.
    Listing,
}

/// Recognises and reads `icacls` text; `None` when the text is neither format.
pub fn parse(text: &str) -> Option<(IcaclsFormat, Vec<IcaclsEntry>)> {
    let text = &text[..text.floor_char_boundary(MAX_TEXT)];
    let save = parse_save(text);
    if !save.is_empty() {
        return Some((IcaclsFormat::Save, save));
    }
    let listing = parse_listing(text);
    (!listing.is_empty()).then_some((IcaclsFormat::Listing, listing))
}

/// Reads a `/save` file: pairs of a relative path and its SDDL. Empty unless every non-blank
/// line pairs up and each second line parses as a descriptor with a DACL.
pub fn parse_save(text: &str) -> Vec<IcaclsEntry> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches(['\r', '\0']))
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.is_empty() || !lines.len().is_multiple_of(2) {
        return Vec::new();
    }
    let is_descriptor = |l: &str| sddl::parse(l).is_ok_and(|sd| sd.dacl.is_some());
    let mut out = Vec::new();
    for pair in lines.chunks_exact(2).take(MAX_PATHS) {
        let (path, descriptor) = (pair[0].trim(), pair[1].trim());
        if is_descriptor(path) || !is_descriptor(descriptor) {
            return Vec::new();
        }
        out.push(IcaclsEntry {
            path: path.to_string(),
            sddl: Ok(descriptor.to_string()),
        });
    }
    out
}

/// Reads a plain listing: for each path, its ACEs converted to SDDL. A path line starts at the
/// first column; its ACEs follow on the same line and on lines indented to line up with the
/// first ACE. Status lines ("Successfully processed …", in any language) are skipped.
pub fn parse_listing(text: &str) -> Vec<IcaclsEntry> {
    let mut out: Vec<IcaclsEntry> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, aces)) = current.as_mut() {
                if looks_like_ace(line.trim()) {
                    aces.push(line.trim().to_string());
                }
            }
            continue;
        }
        // A path line: the indent of the next line says where its first ACE starts.
        let next_indent = lines
            .get(i + 1)
            .filter(|n| n.starts_with(' '))
            .map(|n| n.len() - n.trim_start_matches(' ').len());
        let Some((path, ace)) = split_path_line(line, next_indent) else {
            continue;
        };
        if let Some((p, aces)) = current.take() {
            out.push(entry(p, &aces));
        }
        if out.len() == MAX_PATHS {
            return out;
        }
        current = Some((path, vec![ace]));
    }
    if let Some((p, aces)) = current {
        out.push(entry(p, &aces));
    }
    out
}

/// Splits `C:\My Sites\a BUILTIN\Users:(RX)` into the path and the first ACE: at the indent of
/// the following lines when there are any, else at the first space after which a known trustee
/// follows.
fn split_path_line(line: &str, indent: Option<usize>) -> Option<(String, String)> {
    if let Some(k) = indent.filter(|k| *k > 1 && line.is_char_boundary(*k)) {
        let (path, ace) = line.split_at(k);
        if looks_like_ace(ace.trim()) && path.ends_with(' ') {
            return Some((path.trim_end().to_string(), ace.trim().to_string()));
        }
    }
    let spaces = line.match_indices(' ').map(|(i, _)| i);
    let mut first_ace = None;
    for i in spaces {
        let ace = line[i + 1..].trim();
        if !looks_like_ace(ace) {
            continue;
        }
        first_ace.get_or_insert(i);
        if parse_ace_text(ace).is_ok() {
            return Some((line[..i].to_string(), ace.to_string()));
        }
    }
    first_ace.map(|i| (line[..i].to_string(), line[i + 1..].trim().to_string()))
}

/// `NAME:(…)…` with only parenthesised groups after the last `:(`.
fn looks_like_ace(s: &str) -> bool {
    s.rfind(":(").is_some_and(|i| {
        let perms = &s[i + 1..];
        perms.ends_with(')') && perms.split_inclusive(')').all(|g| g.starts_with('('))
    })
}

fn entry(path: String, aces: &[String]) -> IcaclsEntry {
    let parsed: Result<Vec<Ace>, String> = aces.iter().map(|a| parse_ace_text(a)).collect();
    let sddl = parsed.map(|aces| {
        SecurityDescriptor {
            dacl: Some(Acl {
                aces,
                ..Acl::default()
            }),
            ..SecurityDescriptor::default()
        }
        .to_sddl()
    });
    IcaclsEntry { path, sddl }
}

/// One ACE as the listing prints it: `BUILTIN\IIS_IUSRS:(I)(OI)(CI)(IO)(GR,GE)`,
/// `Everyone:(DENY)(W)`, `S-1-5-21-1-2-3-1001:(F)`.
pub fn parse_ace_text(text: &str) -> Result<Ace, String> {
    let i = text
        .rfind(":(")
        .ok_or_else(|| format!("`{text}` is not an icacls ACE (NAME:(rights))"))?;
    let (name, perms) = (text[..i].trim(), &text[i + 1..]);
    let sid = trustee_sid(name).ok_or_else(|| {
        format!(
            "icacls names `{name}`, whose SID a listing does not give: export the ACLs with \
             `icacls PATH /save FILE` (SDDL with SIDs) instead"
        )
    })?;
    let mut ace_type = AceType::Allow;
    let mut flags = 0u16;
    let mut rights = None;
    for group in perms.split_inclusive(')') {
        let inner = group
            .strip_prefix('(')
            .and_then(|g| g.strip_suffix(')'))
            .ok_or_else(|| format!("`{text}`: `{group}` is not a parenthesised group"))?;
        match inner {
            "DENY" => ace_type = AceType::Deny,
            "I" => flags |= AceFlags::INHERITED,
            "OI" => flags |= AceFlags::OBJECT_INHERIT,
            "CI" => flags |= AceFlags::CONTAINER_INHERIT,
            "IO" => flags |= AceFlags::INHERIT_ONLY,
            "NP" => flags |= AceFlags::NO_PROPAGATE,
            list => {
                if rights.is_some() {
                    return Err(format!("`{text}`: two rights groups"));
                }
                rights = Some(parse_rights(list).ok_or_else(|| {
                    format!("`{text}`: `{list}` are not icacls rights (F, M, RX, R, W, N, GR, …)")
                })?);
            }
        }
    }
    let mask = rights.ok_or_else(|| format!("`{text}`: no rights"))?;
    Ok(Ace::new(ace_type, flags, mask, Trustee::Sid(sid)))
}

/// `RX`, `M,DC`, `GR,GE`, `N` (no rights), `0x1200a9`.
fn parse_rights(list: &str) -> Option<u32> {
    let mut mask = 0u32;
    for code in list.split(',').map(str::trim) {
        mask |= match code {
            "N" => 0,
            "W" => WRITE,
            _ => {
                if let Some(hex) = code.strip_prefix("0x") {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    SIMPLE
                        .iter()
                        .chain(SPECIFIC)
                        .find(|(c, _)| *c == code)
                        .map(|(_, v)| *v)?
                }
            }
        };
    }
    Some(mask)
}

/// The SID of a trustee name `icacls` prints on an en-US host, when it is the same on every
/// host: well-known names, `IIS APPPOOL\<pool>`, a bare or `*`-prefixed SID.
pub fn trustee_sid(name: &str) -> Option<Sid> {
    let name = name.trim();
    if let Ok(sid) = Sid::parse(name.trim_start_matches('*')) {
        return Some(sid);
    }
    if let Some((domain, pool)) = name.split_once('\\') {
        if domain.eq_ignore_ascii_case("IIS APPPOOL") && !pool.is_empty() {
            return Some(app_pool_sid(pool));
        }
    }
    well_known_sid(name)
}

/// Fuzzing entry point (`fuzz/fuzz_targets/parse_icacls.rs`): any bytes, as `icacls` text, must
/// be read without a panic, and every SDDL produced must parse.
#[doc(hidden)]
pub fn fuzz_icacls(data: &[u8]) {
    let text = crate::text::decode_text(data)
        .unwrap_or_else(|_| String::from_utf8_lossy(data).into_owned());
    if let Some((_, entries)) = parse(&text) {
        for e in entries {
            if let Ok(s) = e.sddl {
                sddl::parse(&s)
                    .unwrap_or_else(|err| panic!("produced SDDL {s} does not parse: {err}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::{iusr, read_execute};
    use std::path::Path;

    fn fixture(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/acls")
            .join(name);
        crate::text::decode_text(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn listing_is_read_into_sddl_per_path() {
        let (format, entries) = parse(&fixture("icacls-listing.txt")).unwrap();
        assert_eq!(format, IcaclsFormat::Listing);
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                r"C:\inetpub\wwwroot",
                r"D:\Sites\Shop Admin",
                r"D:\Sites\Public"
            ]
        );

        let wwwroot = entries[0].sddl.as_ref().unwrap();
        let sd = sddl::parse(wwwroot).unwrap();
        assert_eq!(sd.dacl.as_ref().unwrap().aces.len(), 11);
        assert!(wwwroot.contains("(A;OICIIOID;GRGX;;;BU)"), "{wwwroot}");
        // IUSR reads through BUILTIN\Users, on the folder and on its files.
        let rx = read_execute(&sd, &iusr());
        assert!(rx.folder.is_granted() && rx.files.is_granted());

        // A domain group has no SID in a listing: not guessed, the path says why.
        let err = entries[1].sddl.as_ref().unwrap_err();
        assert!(
            err.contains(r"CONTOSO\WebAdmins") && err.contains("/save"),
            "{err}"
        );

        let public = entries[2].sddl.as_ref().unwrap();
        assert_eq!(public, "D:(A;OICI;0x1200a9;;;WD)");
    }

    #[test]
    fn single_ace_paths_with_spaces_split_at_the_trustee() {
        let text = "C:\\My Sites\\a b Everyone:(DENY)(W)\r\n";
        let e = parse_listing(text);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].path, r"C:\My Sites\a b");
        assert_eq!(e[0].sddl.as_deref(), Ok("D:(D;;0x100116;;;WD)"));
    }

    #[test]
    fn pool_identities_and_unresolved_sids_are_read() {
        let a = parse_ace_text(r"IIS APPPOOL\Shop:(OI)(CI)(RX)").unwrap();
        assert_eq!(a.trustee, Trustee::Sid(app_pool_sid("Shop")));
        let a = parse_ace_text("S-1-5-21-1-2-3-1001:(NP)(M,DC)").unwrap();
        assert_eq!(a.mask, crate::acl::sddl::mask::MODIFY | 0x40);
        assert!(parse_ace_text("VORDEFINIERT\\Benutzer:(RX)").is_err());
        assert!(parse_ace_text("Everyone:(RX)(XYZ)").is_err());
    }

    #[test]
    fn save_files_are_read_as_utf16_without_a_bom() {
        let (format, entries) = parse(&fixture("icacls-save.acl")).unwrap();
        assert_eq!(format, IcaclsFormat::Save);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].path, "wwwroot");
        assert_eq!(entries[1].path, r"wwwroot\iisstart.htm");
        let sd = sddl::parse(entries[0].sddl.as_ref().unwrap()).unwrap();
        assert!(read_execute(&sd, &iusr()).files.is_granted());
    }

    #[test]
    fn other_text_is_not_icacls() {
        assert!(parse("HKEY_LOCAL_MACHINE\\SYSTEM\r\n    Name    REG_SZ    x\r\n").is_none());
        assert!(parse("").is_none());
        assert!(parse("just: (words) here\n").is_none());
    }

    #[test]
    fn fuzz_corpus_replays_without_panic() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_icacls");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("fuzz corpus directory") {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for cut in 0..bytes.len() {
                fuzz_icacls(&bytes[..cut]);
            }
            fuzz_icacls(&bytes);
            n += 1;
        }
        assert!(n >= 2, "seed corpus has {n} files");
    }
}
