//! Public result types: values with provenance, effective sections, issues and errors.

use std::fmt;
use std::sync::Arc;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::schema::{self, AttrKind, AttrSchema, CollectionSchema, ElementSchema, OverrideMode};
use crate::snapshot::FileRole;

/// Text of the model: a static schema name or default, inline when short, shared when long.
pub type Text = smol_str::SmolStr;

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A configuration file (Windows path) and 1-based line.
    File {
        /// Windows path of the file.
        path: Arc<str>,
        /// 1-based line.
        line: u32,
    },
    /// Nothing set it: the IIS/ASP.NET schema default applies (see [`super::schema`]).
    SchemaDefault,
    /// Computed with an assumption (e.g. `%SystemDrive%` absent from the host facts → `C:`).
    Assumed(String),
}

impl Origin {
    pub(crate) fn file(path: &Arc<str>, line: u32) -> Self {
        Origin::File {
            path: Arc::clone(path),
            line,
        }
    }

    /// The file path, for a file origin.
    pub fn path(&self) -> Option<&str> {
        match self {
            Origin::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The line, for a file origin.
    pub fn line(&self) -> Option<u32> {
        match self {
            Origin::File { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// True when the value comes from the schema default.
    pub fn is_schema_default(&self) -> bool {
        matches!(self, Origin::SchemaDefault)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{path}:{line}"),
            Origin::SchemaDefault => f.write_str("schema default"),
            Origin::Assumed(note) => write!(f, "assumed: {note}"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Origin::File { path, line } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("file", &**path)?;
                m.serialize_entry("line", line)?;
                m.end()
            }
            Origin::SchemaDefault => s.serialize_str("schema default"),
            Origin::Assumed(note) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("assumed", note)?;
                m.end()
            }
        }
    }
}

/// A value and where it comes from. Secret attributes (`password`) hold
/// `[enc:<provider>:…:enc]`, [`super::PLAINTEXT_MARK`] or an empty string — never a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Value {
    /// The attribute text as written (environment variables not expanded).
    pub value: Text,
    /// Where it was set.
    pub origin: Origin,
}

impl Value {
    pub(crate) fn new(value: impl Into<Text>, origin: Origin) -> Self {
        Value {
            value: value.into(),
            origin,
        }
    }

    /// A schema default (static text: nothing copied).
    pub(crate) fn schema_default(value: &'static str) -> Self {
        Value {
            value: Text::new_static(value),
            origin: Origin::SchemaDefault,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The value as a bool (`true`/`false`, any case).
    pub fn as_bool(&self) -> Option<bool> {
        schema::parse_bool(&self.value)
    }
}

/// A named attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// Attribute name.
    pub name: Text,
    /// Its value and origin.
    #[serde(flatten)]
    pub value: Value,
}

fn attr_lookup<'a>(attrs: &'a [Attribute], name: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .or_else(|| attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name)))
        .map(|a| &a.value)
}

fn enum_of(schema: Option<&'static AttrSchema>, raw: &str) -> Option<&'static str> {
    match schema?.kind {
        AttrKind::Enum(values) => schema::enum_name(values, raw),
        _ => None,
    }
}

fn flags_of(schema: Option<&'static AttrSchema>, raw: &str) -> Option<Vec<&'static str>> {
    match schema?.kind {
        AttrKind::Flags(values) => schema::flag_names(values, raw),
        _ => None,
    }
}

/// One collection entry (`add`, `allow`, `deny`, `filter`, `error`, `spn`, …) with its
/// attributes (schema defaults filled in) and origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Element name.
    pub element: Text,
    /// Attributes, as written, then schema defaults for absent ones.
    pub attributes: Vec<Attribute>,
    /// Where the entry is.
    pub origin: Origin,
    /// Nested elements of the entry, as written (e.g. `manyToOneMappings/add/rules`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Item>,
    /// `lockItem="true"`: lower levels may not remove it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub locked: bool,
    #[serde(skip)]
    pub(crate) schema: Option<&'static CollectionSchema>,
    #[serde(skip)]
    pub(crate) lock_file: u32,
}

impl Item {
    /// Attribute value with origin.
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        attr_lookup(&self.attributes, name)
    }

    /// Attribute text.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.attribute(name).map(|v| v.as_str())
    }

    /// Attribute as bool.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.attribute(name).and_then(|v| v.as_bool())
    }

    /// Attribute as canonical enum name (schema-known attributes only).
    pub fn enum_value(&self, name: &str) -> Option<&'static str> {
        let raw = self.value(name)?;
        enum_of(self.schema.and_then(|c| c.item_attr(name)), raw)
    }
}

/// One element of an effective section: attributes (with schema defaults), child elements
/// and the merged collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EffectiveElement {
    /// Element name (`windowsAuthentication`, `forms`, `extendedProtection`, …).
    pub name: Text,
    /// Merged attributes; absent ones filled from the schema default.
    pub attributes: Vec<Attribute>,
    /// Child elements (known ones always present, with defaults).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<EffectiveElement>,
    /// The merged collection, in effective order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collection: Vec<Item>,
    /// Every file location that set this element, in merge order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub defined_at: Vec<Origin>,
    #[serde(skip)]
    pub(crate) schema: Option<&'static ElementSchema>,
    #[serde(skip)]
    pub(crate) locks: Vec<LockRule>,
}

static EMPTY_ELEMENT: EffectiveElement = EffectiveElement {
    name: Text::new_static(""),
    attributes: Vec::new(),
    children: Vec::new(),
    collection: Vec::new(),
    defined_at: Vec::new(),
    schema: None,
    locks: Vec::new(),
};

impl EffectiveElement {
    /// Attribute value with origin (exact name first, then ASCII case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        attr_lookup(&self.attributes, name)
    }

    /// Attribute text.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.attribute(name).map(|v| v.as_str())
    }

    /// Attribute as bool (`None` when absent or not a bool).
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.attribute(name).and_then(|v| v.as_bool())
    }

    /// Attribute as canonical enum name (`"2"` or `"network"` → `"Network"`), for
    /// schema-known attributes.
    pub fn enum_value(&self, name: &str) -> Option<&'static str> {
        let raw = self.value(name)?;
        enum_of(self.schema.and_then(|s| s.attr(name)), raw)
    }

    /// Attribute as canonical flag names (`"Ssl, SslNegotiateCert"` or `"40"`), for
    /// schema-known flags attributes.
    pub fn flags(&self, name: &str) -> Option<Vec<&'static str>> {
        let raw = self.value(name)?;
        flags_of(self.schema.and_then(|s| s.attr(name)), raw)
    }

    /// Whether a flags attribute contains `flag` (case-insensitive).
    pub fn has_flag(&self, name: &str, flag: &str) -> bool {
        self.flags(name)
            .is_some_and(|fl| fl.iter().any(|x| x.eq_ignore_ascii_case(flag)))
    }

    /// Attribute as an integer.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.value(name)?.trim().parse().ok()
    }

    /// Child element by name, or a `/`-separated path (`"forms/credentials"`). An absent child
    /// is an empty element.
    pub fn child(&self, path: &str) -> &EffectiveElement {
        let mut cur = self;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            cur = match cur.children.iter().find(|c| c.name == part).or_else(|| {
                cur.children
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(part))
            }) {
                Some(c) => c,
                None => return &EMPTY_ELEMENT,
            };
        }
        cur
    }

    /// The merged collection.
    pub fn collection(&self) -> &[Item] {
        &self.collection
    }

    /// Collection entries with element name `element` (e.g. `"deny"`).
    pub fn items<'a>(&'a self, element: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.collection.iter().filter(move |i| i.element == element)
    }

    /// True when some file set this element (as opposed to schema defaults only).
    pub fn is_defined(&self) -> bool {
        !self.defined_at.is_empty()
    }

    pub(crate) fn with_schema(name: Text, schema: Option<&'static ElementSchema>) -> Self {
        EffectiveElement {
            name,
            schema,
            ..EffectiveElement::default()
        }
    }
}

/// A lock set by a higher level (private; drives [`ConfigIssue`]s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LockRule {
    pub kind: LockKind,
    pub names: Vec<String>,
    pub file: u32,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockKind {
    Attributes,
    AllAttributesExcept,
    Elements,
    AllElementsExcept,
}

/// The effective configuration of one section at one path.
#[derive(Debug, Clone, Serialize)]
pub struct Effective {
    /// Site name (as configured), or empty for server level.
    pub site: std::sync::Arc<str>,
    /// Normalized URL path (`/`, `/app/sub`).
    pub url_path: std::sync::Arc<str>,
    /// IIS config path (`MACHINE/WEBROOT/APPHOST/Site/app/sub`).
    pub config_path: std::sync::Arc<str>,
    /// Section path (`system.webServer/security/authentication/windowsAuthentication`).
    pub section: std::sync::Arc<str>,
    /// Whether the section has a schema entry in [`super::schema`].
    pub known_section: bool,
    /// Whether a web.config at this path may set the section (and where that is decided).
    pub override_mode: OverrideModeAt,
    /// The merged section element, shared by every path whose merge is the same (same
    /// section occurrences applied the same way).
    #[serde(flatten)]
    pub element: std::sync::Arc<EffectiveElement>,
    /// Section occurrences that exist on the path but were not applied, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<Ignored>,
    /// Configuration errors met while merging this section at this path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<ConfigIssue>,
}

impl std::ops::Deref for Effective {
    type Target = EffectiveElement;
    fn deref(&self) -> &EffectiveElement {
        &self.element
    }
}

/// The override mode in force for a section at a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverrideModeAt {
    /// Allow or Deny.
    pub mode: OverrideMode,
    /// The location tag that set it, or the `<section overrideModeDefault>` declaration, or
    /// [`Origin::SchemaDefault`] for the built-in fallback.
    pub origin: Origin,
}

/// A section occurrence that was not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ignored {
    /// Where it is.
    pub origin: Origin,
    /// Why it was not applied.
    pub reason: IgnoredReason,
}

/// Why a section occurrence was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgnoredReason {
    /// The application pool has `enableConfigurationOverride="false"`.
    PoolConfigurationOverrideDisabled,
    /// The virtual directory has `allowSubDirConfig="false"` and the file is below its root.
    SubDirConfigDisallowed,
    /// A `<location inheritInChildApplications="false">` above the path's application.
    NotInheritedInChildApplication,
    /// Rejected by the configuration system (see the issue with the same file and line).
    ConfigError,
}

/// A configuration problem IIS itself reports (mostly HTTP 500.19).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ConfigIssue {
    /// What kind of problem.
    pub kind: IssueKind,
    /// Windows path of the file at fault.
    pub file: String,
    /// 1-based line of the offending element or attribute.
    pub line: u32,
    /// The section concerned (empty when not section-specific).
    pub section: String,
    /// The config path the problem was found at (`MACHINE/WEBROOT/APPHOST/Site/app`).
    pub config_path: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Kinds of [`ConfigIssue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueKind {
    /// A lower level sets a section whose override mode is Deny (500.19, 0x80070021).
    LockedSection,
    /// A lower level sets an attribute locked by `lockAttributes`/`lockAllAttributesExcept`.
    LockedAttribute,
    /// A lower level uses an element locked by `lockElements`/`lockAllElementsExcept`.
    LockedElement,
    /// A lower level removes or clears an item with `lockItem="true"`.
    LockedItem,
    /// A section set where its `allowDefinition` forbids it.
    DefinitionNotAllowed,
    /// A collection `add` whose key already exists (500.19, 0x800700b7).
    DuplicateKey,
    /// The same section twice for the same path in one file.
    DuplicateSection,
    /// A `remove` or `add` without the key attributes the schema requires.
    MissingKey,
    /// An application refers to an application pool that does not exist (503 at run time).
    MissingApplicationPool,
}

/// A file that could not be (fully) read or parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileError {
    /// Windows path.
    pub file: String,
    /// The file's role.
    pub role: FileRole,
    /// 1-based line (1 when unknown).
    pub line: u32,
    /// 1-based column (1 when unknown).
    pub column: u32,
    /// What went wrong.
    pub kind: FileErrorKind,
    /// Human-readable message.
    pub message: String,
}

/// Kinds of [`FileError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileErrorKind {
    /// The collector could not read it.
    Unreadable,
    /// The collector cut it at its size bound (parsing is still attempted).
    Truncated,
    /// Larger than the engine's bound.
    TooLarge,
    /// Nested deeper than the engine's bound.
    TooDeep,
    /// More XML nodes than the engine's bound.
    TooManyNodes,
    /// Has a DTD / entity declarations (refused).
    Dtd,
    /// Not well-formed XML.
    Malformed,
    /// Root element is not `<configuration>`.
    NotConfiguration,
    /// A second applicationHost.config (only the first is used).
    Ignored,
}

/// A `password`-like attribute stored in plain text. The value itself is never kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PlaintextSecret {
    /// Windows path of the file.
    pub file: String,
    /// 1-based line of the attribute.
    pub line: u32,
    /// Element path, e.g. `configuration/system.applicationHost/applicationPools/add[@name='Shop']/processModel`.
    pub element_path: String,
    /// Attribute name (`password`, or `connectionString` holding `Password=`).
    pub attribute: String,
}

/// The state of a secret attribute (value never kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "provider")]
pub enum SecretState {
    /// Not set anywhere (the schema default is an empty encrypted value).
    Absent,
    /// Set to the empty string.
    Empty,
    /// `[enc:<provider>:…:enc]`.
    Encrypted(String),
    /// Plain text (flagged in [`super::HostConfig::plaintext_secrets`]).
    Plaintext,
}

impl SecretState {
    pub(crate) fn of(v: Option<&Value>) -> Self {
        match v {
            None => SecretState::Absent,
            Some(v) if v.origin.is_schema_default() => SecretState::Absent,
            Some(v) => match super::xml::classify_secret(&v.value) {
                super::xml::SecretForm::Empty => SecretState::Empty,
                super::xml::SecretForm::Encrypted(p) => SecretState::Encrypted(p.to_string()),
                super::xml::SecretForm::Plaintext => SecretState::Plaintext,
            },
        }
    }

    /// True for [`SecretState::Plaintext`].
    pub fn is_plaintext(&self) -> bool {
        matches!(self, SecretState::Plaintext)
    }
}
