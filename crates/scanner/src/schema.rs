//! JSON Schemas of the public contracts, generated from the types. The committed copies in
//! `docs/` are checked against these by a test.

use crate::report::model::Report;
use crate::snapshot::Snapshot;

/// The schema for `snapshot` or `report`, pretty-printed.
pub fn json_schema(which: &str) -> anyhow::Result<String> {
    let schema = match which {
        "snapshot" => schemars::schema_for!(Snapshot),
        "report" => schemars::schema_for!(Report),
        other => anyhow::bail!("no schema {other:?}; choose snapshot or report"),
    };
    Ok(serde_json::to_string_pretty(&schema)?)
}
