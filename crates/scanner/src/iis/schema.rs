//! The one table of schema facts the engine and the rules rely on.
//!
//! Sources (the tags used in the comments below):
//! * **SCHEMA** — IIS 10 `IIS_schema.xml` (public copy `lextm/iis_schema`, commit `2a639ef`,
//!   cross-checked against the IIS 7.5 copy `de17a95`): attribute names, types, `defaultValue`s,
//!   enum/flag values, collection directives (`addElement`, `removeElement`, `clearElement`),
//!   key attributes (`isUniqueKey`/`isCombinedKey`, `caseSensitive`), `mergeAppend`.
//! * **ASPSCHEMA** — `lextm/iis_schema` `ASPNET_schema.xml`: `system.web/*`.
//! * **APPHOST** — `overrideModeDefault`/`allowDefinition` from the `<configSections>` of a real
//!   IIS 10 applicationHost.config (identical in IIS Express copies). Used only as a fallback
//!   when no `<configSections>` declares the section (e.g. a snapshot with only web.config files);
//!   the host's real `<configSections>` always wins.
//! * **MS-LOCK** — "none of the .NET framework (sections) are locked"; machine.config declares
//!   `system.web/authentication` with `allowDefinition="MachineToApplication"`.
//!
//! Only sections the rules read are described. Any other section is still parsed, merged and
//! shown; its collections are recognised heuristically (`add`/`remove`/`clear`).

use serde::Serialize;

/// `overrideMode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverrideMode {
    /// Lower levels may set the section.
    Allow,
    /// Lower levels may not set the section (500.19 if they do).
    Deny,
}

/// `allowDefinition` values: where a section may be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllowDefinition {
    /// machine.config only.
    MachineOnly,
    /// machine.config and the root web.config.
    MachineToWebRoot,
    /// Up to the web.config at an application root.
    MachineToApplication,
    /// applicationHost.config only.
    AppHostOnly,
    /// Anywhere.
    Everywhere,
}

impl AllowDefinition {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "machineonly" => Self::MachineOnly,
            "machinetowebroot" => Self::MachineToWebRoot,
            "machinetoapplication" => Self::MachineToApplication,
            "apphostonly" => Self::AppHostOnly,
            "everywhere" => Self::Everywhere,
            _ => return None,
        })
    }
}

/// Value kinds of schema attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    /// `true`/`false` (case-insensitive).
    Bool,
    /// Unsigned integer.
    Uint,
    /// Signed integer.
    Int,
    /// Free text.
    Text,
    /// One name out of a list (name, numeric value).
    Enum(&'static [(&'static str, i64)]),
    /// A comma-separated set of names out of a list (name, bit value), or a number.
    Flags(&'static [(&'static str, u64)]),
    /// An encrypted-capable secret (`password`); stored redacted.
    Secret,
}

/// One attribute of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrSchema {
    /// Attribute name (case-sensitive, as in the XML).
    pub name: &'static str,
    /// Its kind.
    pub kind: AttrKind,
    /// Schema `defaultValue`, when there is one.
    pub default: Option<&'static str>,
}

/// A collection inside an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionSchema {
    /// Element names that add an item (`add`; `allow,deny` for system.web/authorization).
    pub add: &'static [&'static str],
    /// Element that removes an item, if supported.
    pub remove: Option<&'static str>,
    /// Element that clears inherited items, if supported.
    pub clear: Option<&'static str>,
    /// Key attributes (unique or combined key). Empty: items have no key.
    pub keys: &'static [&'static str],
    /// Key attributes compared case-sensitively (others ignore case).
    pub case_sensitive_keys: &'static [&'static str],
    /// `false`: a lower level's items come before inherited ones.
    pub merge_append: bool,
    /// Duplicate keys allowed (no 500.19).
    pub allow_duplicates: bool,
    /// Item attributes (with defaults).
    pub item_attrs: &'static [AttrSchema],
}

/// One element of a section (the section element itself or a child element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementSchema {
    /// Element name.
    pub name: &'static str,
    /// Its attributes.
    pub attrs: &'static [AttrSchema],
    /// Its child elements.
    pub children: &'static [ElementSchema],
    /// Its collection, if it is (also) a collection.
    pub collection: Option<CollectionSchema>,
}

impl ElementSchema {
    /// The attribute named `name`.
    pub fn attr(&self, name: &str) -> Option<&'static AttrSchema> {
        // `attrs` is 'static; re-borrow through a helper to keep the lifetime.
        find_attr(self.attrs, name)
    }

    /// The child element named `name`.
    pub fn child(&self, name: &str) -> Option<&'static ElementSchema> {
        find_child(self.children, name)
    }
}

fn find_attr(attrs: &'static [AttrSchema], name: &str) -> Option<&'static AttrSchema> {
    attrs.iter().find(|a| a.name == name)
}

fn find_child(children: &'static [ElementSchema], name: &str) -> Option<&'static ElementSchema> {
    children.iter().find(|c| c.name == name)
}

impl CollectionSchema {
    /// The item attribute named `name`.
    pub fn item_attr(&self, name: &str) -> Option<&'static AttrSchema> {
        find_attr(self.item_attrs, name)
    }
}

/// One known section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionSchema {
    /// Full section path, e.g. `system.webServer/security/access`.
    pub name: &'static str,
    /// Fallback `overrideModeDefault` (APPHOST).
    pub override_mode_default: OverrideMode,
    /// Fallback `allowDefinition` (APPHOST / machine.config).
    pub allow_definition: AllowDefinition,
    /// The section element.
    pub root: ElementSchema,
}

// ----- building blocks -------------------------------------------------------------------

const fn a(name: &'static str, kind: AttrKind, default: Option<&'static str>) -> AttrSchema {
    AttrSchema {
        name,
        kind,
        default,
    }
}
const fn b(name: &'static str, default: bool) -> AttrSchema {
    a(
        name,
        AttrKind::Bool,
        Some(if default { "true" } else { "false" }),
    )
}
const fn s(name: &'static str) -> AttrSchema {
    a(name, AttrKind::Text, None)
}
const fn sd(name: &'static str, default: &'static str) -> AttrSchema {
    a(name, AttrKind::Text, Some(default))
}
const fn u(name: &'static str, default: &'static str) -> AttrSchema {
    a(name, AttrKind::Uint, Some(default))
}
const fn e(
    name: &'static str,
    values: &'static [(&'static str, i64)],
    default: &'static str,
) -> AttrSchema {
    a(name, AttrKind::Enum(values), Some(default))
}
const fn f(
    name: &'static str,
    values: &'static [(&'static str, u64)],
    default: &'static str,
) -> AttrSchema {
    a(name, AttrKind::Flags(values), Some(default))
}
const fn el(
    name: &'static str,
    attrs: &'static [AttrSchema],
    children: &'static [ElementSchema],
) -> ElementSchema {
    ElementSchema {
        name,
        attrs,
        children,
        collection: None,
    }
}
const fn coll(add: &'static [&'static str], keys: &'static [&'static str]) -> CollectionSchema {
    CollectionSchema {
        add,
        remove: Some("remove"),
        clear: Some("clear"),
        keys,
        case_sensitive_keys: &[],
        merge_append: true,
        allow_duplicates: false,
        item_attrs: &[],
    }
}

/// Logon methods (anonymous, basic, iisClientCertificateMapping, virtualDirectory).
pub const LOGON_METHOD: &[(&str, i64)] = &[
    ("Interactive", 0),
    ("Batch", 1),
    ("Network", 2),
    ("ClearText", 3),
];
/// ipSecurity / dynamicIpSecurity `denyAction`.
pub const DENY_ACTION: &[(&str, i64)] = &[
    ("AbortRequest", 0),
    ("Unauthorized", 401),
    ("Forbidden", 403),
    ("NotFound", 404),
];
/// `access/@sslFlags`.
pub const SSL_FLAGS: &[(&str, u64)] = &[
    ("None", 0),
    ("Ssl", 8),
    ("SslNegotiateCert", 32),
    ("SslRequireCert", 64),
    ("Ssl128", 256),
];
/// `processModel/@identityType`.
pub const IDENTITY_TYPE: &[(&str, i64)] = &[
    ("LocalSystem", 0),
    ("LocalService", 1),
    ("NetworkService", 2),
    ("SpecificUser", 3),
    ("ApplicationPoolIdentity", 4),
];
/// `managedPipelineMode`.
pub const PIPELINE_MODE: &[(&str, i64)] = &[("Integrated", 0), ("Classic", 1)];
/// Site `logFile/@logExtFileFlags`.
pub const LOG_EXT_FILE_FLAGS: &[(&str, u64)] = &[
    ("Date", 1),
    ("Time", 2),
    ("ClientIP", 4),
    ("UserName", 8),
    ("SiteName", 16),
    ("ComputerName", 32),
    ("ServerIP", 64),
    ("Method", 128),
    ("UriStem", 256),
    ("UriQuery", 512),
    ("HttpStatus", 1024),
    ("Win32Status", 2048),
    ("BytesSent", 4096),
    ("BytesRecv", 8192),
    ("TimeTaken", 16384),
    ("ServerPort", 32768),
    ("UserAgent", 65536),
    ("Cookie", 131072),
    ("Referer", 262144),
    ("ProtocolVersion", 524288),
    ("Host", 1048576),
    ("HttpSubStatus", 2097152),
];
/// Site `logFile/@logFormat`.
pub const LOG_FORMAT: &[(&str, i64)] = &[("IIS", 0), ("NCSA", 1), ("W3C", 2), ("Custom", 3)];
/// Site `logFile/@period`.
pub const LOG_PERIOD: &[(&str, i64)] = &[
    ("MaxSize", 0),
    ("Daily", 1),
    ("Weekly", 2),
    ("Monthly", 3),
    ("Hourly", 4),
];
/// Site `logFile/@logTargetW3C`.
pub const LOG_TARGET: &[(&str, u64)] = &[("File", 1), ("ETW", 2)];

/// The schema default of `logExtFileFlags` (IIS 8.0+, with Referer).
pub const LOG_EXT_FILE_FLAGS_DEFAULT: &str = "Date, Time, ClientIP, UserName, ServerIP, Method, UriStem, UriQuery, TimeTaken, HttpStatus, Win32Status, ServerPort, UserAgent, HttpSubStatus, Referer";

/// `processModel` attributes (applicationPools/add and applicationPoolDefaults).
pub const PROCESS_MODEL: ElementSchema = el(
    "processModel",
    &[
        e("identityType", IDENTITY_TYPE, "ApplicationPoolIdentity"),
        s("userName"),
        a(
            "password",
            AttrKind::Secret,
            Some("[enc:IISWASOnlyAesProvider::enc]"),
        ),
        b("loadUserProfile", false),
        b("setProfileEnvironment", true),
        e(
            "logonType",
            &[("LogonBatch", 0), ("LogonService", 1)],
            "LogonBatch",
        ),
        b("manualGroupMembership", false),
    ],
    &[],
);

/// Attributes of an application pool (`add` and `applicationPoolDefaults`).
pub const APP_POOL_ATTRS: &[AttrSchema] = &[
    b("autoStart", true),
    b("enable32BitAppOnWin64", false),
    sd("managedRuntimeVersion", ""),
    e("managedPipelineMode", PIPELINE_MODE, "Integrated"),
    b("enableConfigurationOverride", true),
    b("passAnonymousToken", true),
    e(
        "startMode",
        &[("OnDemand", 0), ("AlwaysRunning", 1)],
        "OnDemand",
    ),
];

/// Site `logFile` element.
pub const LOG_FILE: ElementSchema = el(
    "logFile",
    &[
        f(
            "logExtFileFlags",
            LOG_EXT_FILE_FLAGS,
            LOG_EXT_FILE_FLAGS_DEFAULT,
        ),
        e("logFormat", LOG_FORMAT, "W3C"),
        f("logTargetW3C", LOG_TARGET, "File"),
        sd("directory", "%SystemDrive%\\inetpub\\logs\\LogFiles"),
        e("period", LOG_PERIOD, "Daily"),
        b("localTimeRollover", false),
        b("enabled", true),
    ],
    &[],
);

/// Virtual directory attributes (`virtualDirectory` and `virtualDirectoryDefaults`).
pub const VDIR_ATTRS: &[AttrSchema] = &[
    s("physicalPath"),
    s("userName"),
    a("password", AttrKind::Secret, Some("[enc:AesProvider::enc]")),
    e("logonMethod", LOGON_METHOD, "ClearText"),
    b("allowSubDirConfig", true),
];

/// Application attributes (`application` and `applicationDefaults`).
pub const APP_ATTRS: &[AttrSchema] = &[
    s("applicationPool"),
    sd("enabledProtocols", "http"),
    b("preloadEnabled", false),
];

/// Every section described here, with its source.
pub static SECTIONS: &[SectionSchema] = &[
    // SCHEMA; APPHOST: overrideModeDefault="Deny" for all authentication sections.
    SectionSchema {
        name: "system.webServer/security/authentication/anonymousAuthentication",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "anonymousAuthentication",
            &[
                b("enabled", true),
                sd("userName", "IUSR"),
                a("password", AttrKind::Secret, Some("[enc:AesProvider::enc]")),
                e("logonMethod", LOGON_METHOD, "ClearText"),
            ],
            &[],
        ),
    },
    SectionSchema {
        name: "system.webServer/security/authentication/basicAuthentication",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "basicAuthentication",
            &[
                b("enabled", false),
                s("realm"),
                s("defaultLogonDomain"),
                e("logonMethod", LOGON_METHOD, "ClearText"),
            ],
            &[],
        ),
    },
    SectionSchema {
        name: "system.webServer/security/authentication/digestAuthentication",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "digestAuthentication",
            &[b("enabled", false), s("realm")],
            &[],
        ),
    },
    SectionSchema {
        name: "system.webServer/security/authentication/clientCertificateMappingAuthentication",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "clientCertificateMappingAuthentication",
            &[b("enabled", false)],
            &[],
        ),
    },
    SectionSchema {
        name: "system.webServer/security/authentication/iisClientCertificateMappingAuthentication",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "iisClientCertificateMappingAuthentication",
            &[
                b("enabled", false),
                b("oneToOneCertificateMappingsEnabled", true),
                b("manyToOneCertificateMappingsEnabled", true),
                s("defaultLogonDomain"),
                e("logonMethod", LOGON_METHOD, "ClearText"),
            ],
            &[
                ElementSchema {
                    name: "manyToOneMappings",
                    attrs: &[],
                    children: &[],
                    collection: Some(CollectionSchema {
                        remove: None,
                        item_attrs: &[
                            s("name"),
                            s("description"),
                            b("enabled", true),
                            e("permissionMode", &[("Allow", 1), ("Deny", 2)], "Allow"),
                            s("userName"),
                            a("password", AttrKind::Secret, Some("[enc:AesProvider::enc]")),
                        ],
                        ..coll(&["add"], &["name"])
                    }),
                },
                ElementSchema {
                    name: "oneToOneMappings",
                    attrs: &[],
                    children: &[],
                    collection: Some(CollectionSchema {
                        remove: None,
                        case_sensitive_keys: &["certificate"],
                        item_attrs: &[
                            b("enabled", true),
                            s("userName"),
                            a("password", AttrKind::Secret, Some("[enc:AesProvider::enc]")),
                            s("certificate"),
                        ],
                        ..coll(&["add"], &["certificate"])
                    }),
                },
            ],
        ),
    },
    SectionSchema {
        name: "system.webServer/security/authentication/windowsAuthentication",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "windowsAuthentication",
            &[
                b("enabled", false),
                b("authPersistSingleRequest", false),
                b("authPersistNonNTLM", false),
                b("useKernelMode", true),
                b("useAppPoolCredentials", false),
            ],
            &[
                ElementSchema {
                    name: "providers",
                    attrs: &[],
                    children: &[],
                    collection: Some(CollectionSchema {
                        item_attrs: &[s("value")],
                        ..coll(&["add"], &["value"])
                    }),
                },
                ElementSchema {
                    name: "extendedProtection",
                    attrs: &[
                        e(
                            "tokenChecking",
                            &[("None", 0), ("Allow", 1), ("Require", 2)],
                            "None",
                        ),
                        f(
                            "flags",
                            &[
                                ("None", 0),
                                ("Proxy", 1),
                                ("NoServiceNameCheck", 2),
                                ("AllowDotlessSpn", 4),
                                ("ProxyCohosting", 32),
                            ],
                            "None",
                        ),
                    ],
                    children: &[],
                    collection: Some(CollectionSchema {
                        remove: Some("removeSpn"),
                        clear: Some("clearSpns"),
                        item_attrs: &[s("name")],
                        ..coll(&["spn"], &["name"])
                    }),
                },
            ],
        ),
    },
    // SCHEMA; APPHOST: overrideModeDefault="Allow".
    SectionSchema {
        name: "system.webServer/security/authorization",
        override_mode_default: OverrideMode::Allow,
        allow_definition: AllowDefinition::Everywhere,
        root: ElementSchema {
            name: "authorization",
            attrs: &[b("bypassLoginPages", true)],
            children: &[],
            collection: Some(CollectionSchema {
                case_sensitive_keys: &["verbs"],
                item_attrs: &[
                    e("accessType", &[("Allow", 0), ("Deny", 1)], "Allow"),
                    sd("users", ""),
                    sd("roles", ""),
                    sd("verbs", ""),
                ],
                ..coll(&["add"], &["users", "roles", "verbs"])
            }),
        },
    },
    SectionSchema {
        name: "system.webServer/security/ipSecurity",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: ElementSchema {
            name: "ipSecurity",
            attrs: &[
                b("enableReverseDns", false),
                b("allowUnlisted", true),
                b("enableProxyMode", false),
                e("denyAction", DENY_ACTION, "Forbidden"),
            ],
            children: &[],
            collection: Some(CollectionSchema {
                item_attrs: &[
                    sd("ipAddress", ""),
                    sd("subnetMask", "255.255.255.255"),
                    sd("domainName", ""),
                    b("allowed", false),
                ],
                ..coll(&["add"], &["ipAddress", "subnetMask", "domainName"])
            }),
        },
    },
    SectionSchema {
        name: "system.webServer/security/dynamicIpSecurity",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "dynamicIpSecurity",
            &[
                e("denyAction", DENY_ACTION, "Forbidden"),
                b("enableProxyMode", false),
                b("enableLoggingOnlyMode", false),
            ],
            &[
                el(
                    "denyByConcurrentRequests",
                    &[b("enabled", false), u("maxConcurrentRequests", "5")],
                    &[],
                ),
                el(
                    "denyByRequestRate",
                    &[
                        b("enabled", false),
                        u("maxRequests", "20"),
                        u("requestIntervalInMilliseconds", "200"),
                    ],
                    &[],
                ),
            ],
        ),
    },
    SectionSchema {
        name: "system.webServer/security/access",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: el("access", &[f("sslFlags", SSL_FLAGS, "None")], &[]),
    },
    // SCHEMA; APPHOST: allowDefinition="MachineToApplication" overrideModeDefault="Deny".
    SectionSchema {
        name: "system.webServer/isapiFilters",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::MachineToApplication,
        root: ElementSchema {
            name: "isapiFilters",
            attrs: &[],
            children: &[],
            collection: Some(CollectionSchema {
                case_sensitive_keys: &["name"],
                item_attrs: &[
                    s("name"),
                    s("path"),
                    b("enabled", true),
                    b("enableCache", false),
                    s("preCondition"),
                ],
                ..coll(&["filter"], &["name"])
            }),
        },
    },
    // SCHEMA: handlers collection has mergeAppend="false" (lower levels' handlers match first).
    SectionSchema {
        name: "system.webServer/handlers",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::Everywhere,
        root: ElementSchema {
            name: "handlers",
            attrs: &[f(
                "accessPolicy",
                &[
                    ("None", 0),
                    ("Read", 1),
                    ("Write", 2),
                    ("Execute", 4),
                    ("Source", 16),
                    ("Script", 512),
                    ("NoRemoteWrite", 1024),
                    ("NoRemoteRead", 4096),
                    ("NoRemoteExecute", 8192),
                    ("NoRemoteScript", 16384),
                ],
                "Read",
            )],
            children: &[],
            collection: Some(CollectionSchema {
                case_sensitive_keys: &["name"],
                merge_append: false,
                item_attrs: &[
                    s("name"),
                    s("path"),
                    s("verb"),
                    s("type"),
                    sd("modules", "ManagedPipelineHandler"),
                    s("scriptProcessor"),
                    e(
                        "resourceType",
                        &[
                            ("File", 0),
                            ("Directory", 1),
                            ("Either", 2),
                            ("Unspecified", 3),
                        ],
                        "Unspecified",
                    ),
                    e(
                        "requireAccess",
                        &[
                            ("None", 0),
                            ("Read", 1),
                            ("Write", 2),
                            ("Script", 3),
                            ("Execute", 4),
                        ],
                        "Script",
                    ),
                    b("allowPathInfo", false),
                    s("preCondition"),
                ],
                ..coll(&["add"], &["name"])
            }),
        },
    },
    // APPHOST: modules overrideModeDefault="Deny", MachineToApplication (shipped inside
    // <location path="" overrideMode="Allow">).
    SectionSchema {
        name: "system.webServer/modules",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::MachineToApplication,
        root: ElementSchema {
            name: "modules",
            attrs: &[
                b("runAllManagedModulesForAllRequests", false),
                b("runManagedModulesForWebDavRequests", false),
            ],
            children: &[],
            collection: Some(CollectionSchema {
                case_sensitive_keys: &["name"],
                item_attrs: &[s("name"), s("type"), s("preCondition")],
                ..coll(&["add"], &["name"])
            }),
        },
    },
    SectionSchema {
        name: "system.webServer/globalModules",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::AppHostOnly,
        root: ElementSchema {
            name: "globalModules",
            attrs: &[],
            children: &[],
            collection: Some(CollectionSchema {
                case_sensitive_keys: &["name"],
                item_attrs: &[s("name"), s("image"), s("preCondition")],
                ..coll(&["add"], &["name"])
            }),
        },
    },
    // SCHEMA; APPHOST: httpErrors overrideModeDefault="Allow" (IIS 7.5+).
    SectionSchema {
        name: "system.webServer/httpErrors",
        override_mode_default: OverrideMode::Allow,
        allow_definition: AllowDefinition::Everywhere,
        root: ElementSchema {
            name: "httpErrors",
            attrs: &[
                e(
                    "errorMode",
                    &[("DetailedLocalOnly", 0), ("Custom", 1), ("Detailed", 2)],
                    "DetailedLocalOnly",
                ),
                e(
                    "existingResponse",
                    &[("Auto", 0), ("Replace", 1), ("PassThrough", 2)],
                    "Auto",
                ),
                s("defaultPath"),
                e(
                    "defaultResponseMode",
                    &[("File", 0), ("ExecuteURL", 1), ("Redirect", 2)],
                    "File",
                ),
                b("allowAbsolutePathsWhenDelegated", false),
            ],
            children: &[],
            collection: Some(CollectionSchema {
                item_attrs: &[
                    s("statusCode"),
                    a("subStatusCode", AttrKind::Int, Some("-1")),
                    s("path"),
                    e(
                        "responseMode",
                        &[("File", 0), ("ExecuteURL", 1), ("Redirect", 2)],
                        "File",
                    ),
                ],
                ..coll(&["error"], &["statusCode", "subStatusCode"])
            }),
        },
    },
    // SCHEMA defaultDocument: `enabled` true; `files` collection keyed by `value` (an `<add>`
    // of a name already inherited — typically `iisstart.htm` or `default.aspx` — is the classic
    // duplicate-entry 500.19). overrideModeDefault Allow (APPHOST).
    SectionSchema {
        name: "system.webServer/defaultDocument",
        override_mode_default: OverrideMode::Allow,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "defaultDocument",
            &[b("enabled", true)],
            &[ElementSchema {
                name: "files",
                attrs: &[],
                children: &[],
                collection: Some(CollectionSchema {
                    item_attrs: &[s("value")],
                    ..coll(&["add"], &["value"])
                }),
            }],
        ),
    },
    // SCHEMA staticContent: collection of `mimeMap` keyed by `fileExtension` (adding an
    // extension the server already maps, e.g. `.json` on IIS 10, is a duplicate-entry 500.19).
    SectionSchema {
        name: "system.webServer/staticContent",
        override_mode_default: OverrideMode::Allow,
        allow_definition: AllowDefinition::Everywhere,
        root: ElementSchema {
            name: "staticContent",
            attrs: &[],
            children: &[],
            collection: Some(CollectionSchema {
                item_attrs: &[s("fileExtension"), s("mimeType")],
                ..coll(&["mimeMap"], &["fileExtension"])
            }),
        },
    },
    SectionSchema {
        name: "system.webServer/directoryBrowse",
        override_mode_default: OverrideMode::Allow,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "directoryBrowse",
            &[
                b("enabled", false),
                f(
                    "showFlags",
                    &[
                        ("None", 0),
                        ("Date", 2),
                        ("Time", 4),
                        ("Size", 8),
                        ("Extension", 16),
                        ("LongDate", 32),
                    ],
                    "Date, Time, Size, Extension",
                ),
            ],
            &[],
        ),
    },
    // ASPSCHEMA; machine.config: allowDefinition="MachineToApplication"; MS-LOCK: not locked.
    SectionSchema {
        name: "system.web/authentication",
        override_mode_default: OverrideMode::Allow,
        allow_definition: AllowDefinition::MachineToApplication,
        root: el(
            "authentication",
            &[e(
                "mode",
                &[
                    ("None", 0),
                    ("Windows", 1),
                    ("Passport", 2),
                    ("Forms", 3),
                    ("Federated", 4),
                ],
                "Windows",
            )],
            &[el(
                "forms",
                &[
                    e(
                        "cookieless",
                        &[
                            ("UseUri", 0),
                            ("UseCookies", 1),
                            ("AutoDetect", 2),
                            ("UseDeviceProfile", 3),
                        ],
                        "UseDeviceProfile",
                    ),
                    sd("defaultUrl", "default.aspx"),
                    s("domain"),
                    b("enableCrossAppRedirects", false),
                    sd("loginUrl", "login.aspx"),
                    sd("name", ".ASPXAUTH"),
                    sd("path", "/"),
                    e(
                        "protection",
                        &[
                            ("All", 0),
                            ("None", 1),
                            ("Encryption", 2),
                            ("Validation", 3),
                        ],
                        "All",
                    ),
                    b("requireSSL", false),
                    b("slidingExpiration", true),
                    sd("timeout", "30"),
                ],
                &[ElementSchema {
                    name: "credentials",
                    attrs: &[e(
                        "passwordFormat",
                        &[("Clear", 0), ("SHA1", 1), ("MD5", 2)],
                        "SHA1",
                    )],
                    children: &[],
                    collection: Some(CollectionSchema {
                        remove: None,
                        clear: None,
                        item_attrs: &[s("name"), a("password", AttrKind::Secret, None)],
                        ..coll(&["user"], &["name"])
                    }),
                }],
            )],
        ),
    },
    // ASPSCHEMA: addElement="allow,deny" mergeAppend="false" allowDuplicates="true"; no
    // remove/clear (MS-ASPAUTHZ).
    SectionSchema {
        name: "system.web/authorization",
        override_mode_default: OverrideMode::Allow,
        allow_definition: AllowDefinition::Everywhere,
        root: ElementSchema {
            name: "authorization",
            attrs: &[],
            children: &[],
            collection: Some(CollectionSchema {
                add: &["allow", "deny"],
                remove: None,
                clear: None,
                keys: &[],
                case_sensitive_keys: &[],
                merge_append: false,
                allow_duplicates: true,
                item_attrs: &[sd("users", ""), sd("roles", ""), sd("verbs", "")],
            }),
        },
    },
    // ASPSCHEMA system.web/identity.
    SectionSchema {
        name: "system.web/identity",
        override_mode_default: OverrideMode::Allow,
        allow_definition: AllowDefinition::Everywhere,
        root: el(
            "identity",
            &[
                b("impersonate", false),
                sd("userName", ""),
                a("password", AttrKind::Secret, Some("")),
            ],
            &[],
        ),
    },
    // The applicationHost-only inventory sections: parsed by `inventory`, listed here for
    // delegation facts (APPHOST: allowDefinition="AppHostOnly" overrideModeDefault="Deny").
    SectionSchema {
        name: "system.applicationHost/sites",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::AppHostOnly,
        root: el("sites", &[], &[]),
    },
    SectionSchema {
        name: "system.applicationHost/applicationPools",
        override_mode_default: OverrideMode::Deny,
        allow_definition: AllowDefinition::AppHostOnly,
        root: el("applicationPools", &[], &[]),
    },
];

/// Section groups known without `<configSections>`: everything else under `<configuration>`
/// is a section.
pub const KNOWN_GROUPS: &[&str] = &[
    "system.applicationHost",
    "system.webServer",
    "system.webServer/security",
    "system.webServer/security/authentication",
    "system.webServer/rewrite",
    "system.webServer/webdav",
    "system.web",
    "system.web/caching",
    "system.net",
    "system.net/mailSettings",
    "system.serviceModel",
    "system.web.extensions",
    "system.web.extensions/scripting",
    "system.web.extensions/scripting/webServices",
    "system.ftpServer",
    "system.ftpServer/security",
    "system.transactions",
    "system.xml.serialization",
    "system.runtime.serialization",
    "system.serviceModel.activation",
];

/// The schema of `section` (exact name, then ASCII case-insensitive).
pub fn section(name: &str) -> Option<&'static SectionSchema> {
    SECTIONS
        .iter()
        .find(|s| s.name == name)
        .or_else(|| SECTIONS.iter().find(|s| s.name.eq_ignore_ascii_case(name)))
}

/// Parses a bool the way IIS does (case-insensitive `true`/`false`).
pub fn parse_bool(v: &str) -> Option<bool> {
    let t = v.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Canonical enum name for `v` (a name in any case, or its number).
pub fn enum_name(values: &'static [(&'static str, i64)], v: &str) -> Option<&'static str> {
    let t = v.trim();
    if let Some((n, _)) = values.iter().find(|(n, _)| n.eq_ignore_ascii_case(t)) {
        return Some(n);
    }
    let num: i64 = t.parse().ok()?;
    values.iter().find(|(_, x)| *x == num).map(|(n, _)| *n)
}

/// Canonical flag names for `v` (comma-separated names, or a number). Unknown names are
/// dropped; `None` when the value is neither.
pub fn flag_names(values: &'static [(&'static str, u64)], v: &str) -> Option<Vec<&'static str>> {
    let t = v.trim();
    if let Ok(num) = t.parse::<u64>() {
        let mut out: Vec<&'static str> = values
            .iter()
            .filter(|(_, bit)| *bit != 0 && num & bit == *bit)
            .map(|(n, _)| *n)
            .collect();
        if out.is_empty() {
            if let Some((n, _)) = values.iter().find(|(_, bit)| *bit == 0) {
                out.push(n);
            }
        }
        return Some(out);
    }
    let mut out = Vec::new();
    for part in t.split(',') {
        let p = part.trim();
        if p.is_empty() {
            continue;
        }
        let (n, _) = values.iter().find(|(n, _)| n.eq_ignore_ascii_case(p))?;
        out.push(*n);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_named_uniquely_and_defaults_valid() {
        for (i, sec) in SECTIONS.iter().enumerate() {
            assert!(SECTIONS[..i].iter().all(|o| o.name != sec.name));
            assert!(sec.name.ends_with(sec.root.name), "{}", sec.name);
            check(&sec.root);
        }
        fn check(el: &ElementSchema) {
            for a in el.attrs {
                check_attr(a);
            }
            if let Some(c) = &el.collection {
                for a in c.item_attrs {
                    check_attr(a);
                }
            }
            for c in el.children {
                check(c);
            }
        }
        fn check_attr(a: &AttrSchema) {
            match (a.kind, a.default) {
                (AttrKind::Bool, Some(d)) => assert!(parse_bool(d).is_some()),
                (AttrKind::Enum(v), Some(d)) => assert!(enum_name(v, d).is_some(), "{}", a.name),
                (AttrKind::Flags(v), Some(d)) => {
                    assert!(flag_names(v, d).is_some(), "{}", a.name)
                }
                _ => {}
            }
        }
    }

    #[test]
    fn enum_and_flags() {
        assert_eq!(enum_name(LOGON_METHOD, "network"), Some("Network"));
        assert_eq!(enum_name(LOGON_METHOD, "2"), Some("Network"));
        assert_eq!(
            flag_names(SSL_FLAGS, "Ssl, SslNegotiateCert"),
            Some(vec!["Ssl", "SslNegotiateCert"])
        );
        assert_eq!(
            flag_names(SSL_FLAGS, "40"),
            Some(vec!["Ssl", "SslNegotiateCert"])
        );
        assert_eq!(flag_names(SSL_FLAGS, "0"), Some(vec!["None"]));
    }
}
