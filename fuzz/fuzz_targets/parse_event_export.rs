//! Fuzz target for exported Security logs (.evtx or XML): any bytes must be read or refused without a panic.
//!
//! On stable Rust: `cargo fuzz run --sanitizer none parse_event_export -- -runs=100000`.
//! The seed corpus in `corpus/parse_event_export/` is also replayed by `cargo test` (no libFuzzer).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iis_sweep::events::read::fuzz_read(data);
});
