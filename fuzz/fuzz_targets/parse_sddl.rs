//! Fuzz target for the SDDL parser and access evaluation: any text must parse or fail with a
//! positioned error, never panic; what parses must print and parse back to the same value, and
//! evaluating Read & Execute for the IIS identities must not panic either.
//!
//! On stable Rust: `cargo fuzz run --sanitizer none parse_sddl -- -runs=100000`.
//! The seed corpus in `corpus/parse_sddl/` is also replayed by `cargo test` (no libFuzzer).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iis_sweep::acl::fuzz_sddl(data);
});
