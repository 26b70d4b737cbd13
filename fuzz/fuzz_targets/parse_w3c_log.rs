//! Fuzz target for the W3C/HTTPERR/FTP log reader: any bytes must summarise without a panic.
//!
//! On stable Rust: `cargo fuzz run --sanitizer none parse_w3c_log -- -runs=100000`.
//! The seed corpus in `corpus/parse_w3c_log/` is also replayed by `cargo test` (no libFuzzer).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iis_sweep::logs::fuzz_summarize(data);
});
