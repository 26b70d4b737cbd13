//! Fleet generator: realistic host snapshots with planted misconfigurations and an answer key.
