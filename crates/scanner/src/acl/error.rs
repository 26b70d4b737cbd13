//! Errors of the SDDL and SID parsers, on their own so that both parsers can use them without
//! importing each other.

/// Why an SDDL string was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SDDL at character {offset}: {kind}")]
pub struct SddlError {
    /// Character (not byte) offset of the offending input, counted from 0.
    pub offset: usize,
    /// What was wrong.
    pub kind: SddlErrorKind,
}

/// The kinds of [`SddlError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SddlErrorKind {
    /// The string is longer than [`MAX_SDDL_LEN`](super::sddl::MAX_SDDL_LEN).
    #[error("the string is {len} bytes long; at most {max} are accepted")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// More than [`MAX_ACES`](super::sddl::MAX_ACES) ACEs.
    #[error("more than {max} ACEs")]
    TooManyAces {
        /// The bound.
        max: usize,
    },
    /// Something else was expected here.
    #[error("expected {expected}, found {found}")]
    Expected {
        /// What the grammar wanted.
        expected: &'static str,
        /// What is there (`end of input`, or the character).
        found: String,
    },
    /// A component (`O:`, `G:`, `D:`, `S:`) appears twice.
    #[error("duplicate `{0}:` component")]
    DuplicateComponent(char),
    /// A two-letter SID alias that SDDL does not define.
    #[error("unknown SID alias `{0}` (expected a SID string S-1-… or a two-letter alias such as BU, SY, IS)")]
    UnknownSidAlias(String),
    /// A malformed SID string.
    #[error("malformed SID: {0}")]
    BadSid(&'static str),
    /// An ACE type that SDDL does not define.
    #[error("unknown ACE type `{0}`")]
    UnknownAceType(String),
    /// An ACE flag that SDDL does not define.
    #[error("unknown ACE flag `{0}` (expected OI, CI, NP, IO, ID, SA, FA, CR or TP)")]
    UnknownAceFlag(String),
    /// A rights code that SDDL does not define.
    #[error("unknown access right `{0}` (expected a 0x… mask or letters such as FA, FR, GR, RC)")]
    UnknownRight(String),
    /// A malformed numeric access mask.
    #[error("bad access mask: {0}")]
    BadMask(&'static str),
    /// A malformed GUID.
    #[error("bad GUID: {0}")]
    BadGuid(&'static str),
    /// A GUID on an ACE type that takes none.
    #[error("ACE type `{0}` takes no object GUIDs (only OA, OD, OU, OL and ZA do)")]
    UnexpectedGuid(&'static str),
    /// The parenthesised extra field of a conditional/resource ACE is not closed.
    #[error("unbalanced parentheses or quotes in the condition or attribute field")]
    Unbalanced,
}

impl SddlError {
    /// An error at byte offset `byte_pos` of `input` (converted to a character offset).
    pub(crate) fn at(input: &str, byte_pos: usize, kind: SddlErrorKind) -> SddlError {
        SddlError {
            offset: char_offset(input, byte_pos),
            kind,
        }
    }
}

/// The character offset of byte `pos` (characters starting before it).
fn char_offset(s: &str, pos: usize) -> usize {
    s.char_indices().take_while(|(i, _)| *i < pos).count()
}

/// Describes the input at byte `pos` for error messages.
pub(crate) fn describe_at(s: &str, pos: usize) -> String {
    if pos >= s.len() {
        return "end of input".to_string();
    }
    match s.get(pos..).and_then(|t| t.chars().next()) {
        Some(c) => format!("`{}`", c.escape_debug()),
        None => format!("byte 0x{:02x}", s.as_bytes()[pos]),
    }
}
