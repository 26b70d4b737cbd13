//! Rules of this family.

use super::Rule;

pub(super) static RULES: &[&Rule] = &[];
