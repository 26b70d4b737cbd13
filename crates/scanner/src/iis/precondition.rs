//! `preCondition` on modules, handlers and ISAPI filters: whether an entry is loaded in an
//! application pool. IIS checks each comma-separated condition against the worker process:
//! `bitness32`/`bitness64` against `enable32BitAppOnWin64`, `runtimeVersionv2.0`/`v4.0` against
//! `managedRuntimeVersion` (a pool with no managed code matches neither), `integratedMode`/
//! `classicMode` against `managedPipelineMode`. `managedHandler` depends on the request (managed
//! content only), not on the pool, so it never excludes a pool here.
//! Source: <https://learn.microsoft.com/en-us/iis/configuration/system.webserver/handlers/add>
//! (the `preCondition` attribute) and the same attribute of `modules/add` and `isapiFilters/filter`.

use super::inventory::AppPool;

/// What a pool's worker process is, for preconditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRuntime {
    /// 32-bit worker process on 64-bit Windows.
    pub bitness32: bool,
    /// `v4.0`, `v2.0`, or empty for "No Managed Code".
    pub runtime: String,
    /// Integrated pipeline (otherwise Classic).
    pub integrated: bool,
}

impl PoolRuntime {
    /// The pool's settings (schema defaults where unset).
    pub fn of(pool: &AppPool) -> PoolRuntime {
        PoolRuntime {
            bitness32: pool.enable_32bit_app_on_win64.as_bool().unwrap_or(false),
            runtime: pool
                .managed_runtime_version
                .as_str()
                .trim()
                .to_ascii_lowercase(),
            integrated: !pool
                .managed_pipeline_mode
                .as_str()
                .trim()
                .eq_ignore_ascii_case("Classic"),
        }
    }

    /// `64-bit, v4.0, Integrated`.
    pub fn describe(&self) -> String {
        format!(
            "{}, {}, {}",
            if self.bitness32 { "32-bit" } else { "64-bit" },
            if self.runtime.is_empty() {
                "no managed code"
            } else {
                &self.runtime
            },
            if self.integrated {
                "Integrated"
            } else {
                "Classic"
            }
        )
    }
}

/// `Err(condition)` when `pre_condition` keeps the entry out of a pool like `pool`: the first
/// condition that fails. Unknown conditions are assumed to hold (never a guess that removes).
pub fn excludes(pre_condition: &str, pool: &PoolRuntime) -> Result<(), String> {
    for cond in pre_condition
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let holds = match cond.to_ascii_lowercase().as_str() {
            "bitness32" => pool.bitness32,
            "bitness64" => !pool.bitness32,
            c if c.starts_with("runtimeversionv") => {
                // `runtimeVersionv2.0` matches a `v2.0` pool, `v1.1` a `v1.1` one; a pool with
                // no managed code matches none.
                let major = c["runtimeversion".len()..].split('.').next().unwrap_or("");
                !pool.runtime.is_empty() && pool.runtime.split('.').next() == Some(major)
            }
            "integratedmode" => pool.integrated,
            "classicmode" => !pool.integrated,
            _ => true,
        };
        if !holds {
            return Err(cond.to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(bitness32: bool, runtime: &str, integrated: bool) -> PoolRuntime {
        PoolRuntime {
            bitness32,
            runtime: runtime.into(),
            integrated,
        }
    }

    #[test]
    fn each_condition_is_checked_against_the_pool() {
        let p64 = pool(false, "v4.0", true);
        assert!(excludes("bitness64,runtimeVersionv4.0,integratedMode", &p64).is_ok());
        assert_eq!(excludes("bitness32", &p64), Err("bitness32".into()));
        assert_eq!(
            excludes("integratedMode,runtimeVersionv2.0", &p64),
            Err("runtimeVersionv2.0".into())
        );
        let classic32 = pool(true, "v2.0", false);
        assert!(excludes("classicMode,bitness32,runtimeVersionv2.0", &classic32).is_ok());
        assert!(excludes("integratedMode", &classic32).is_err());
    }

    #[test]
    fn no_managed_code_matches_no_runtime_version_and_managed_handler_never_excludes() {
        let native = pool(false, "", true);
        assert!(excludes("runtimeVersionv4.0", &native).is_err());
        assert!(excludes("runtimeVersionv1.1", &pool(false, "v4.0", true)).is_err());
        assert!(excludes("runtimeVersionv2.0", &pool(false, "v2.0", true)).is_ok());
        assert!(excludes("managedHandler", &native).is_ok());
        assert!(excludes("", &native).is_ok());
        assert!(excludes("someFutureCondition", &native).is_ok());
    }
}
