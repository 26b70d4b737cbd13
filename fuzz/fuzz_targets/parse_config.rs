//! Fuzz target for the IIS configuration engine: an applicationHost.config text, optionally
//! followed by a NUL byte and a web.config text. Parsing and evaluating must never panic.
//!
//! On stable Rust: `cargo fuzz run --sanitizer none parse_config -- -runs=100000`.
//! The seed corpus in `corpus/parse_config/` is also replayed by `cargo test` (no libFuzzer).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iis_sweep::iis::fuzz_parse_config(data);
});
