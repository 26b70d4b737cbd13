//! Fuzz target for the registry exports of offline bundles (`reg export` .reg, `reg query` text): any bytes must be read without a panic.
//!
//! On stable Rust: `cargo fuzz run --sanitizer none parse_registry_export -- -runs=100000`.
//! The seed corpus in `corpus/parse_registry_export/` is also replayed by `cargo test` (no libFuzzer).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iis_sweep::bundle::fuzz_registry(data);
});
