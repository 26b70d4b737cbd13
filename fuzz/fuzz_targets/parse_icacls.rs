//! Fuzz target for the `icacls` text of offline bundles (`/save` files and plain listings): any bytes must be read without a panic.
//!
//! On stable Rust: `cargo fuzz run --sanitizer none parse_icacls -- -runs=100000`.
//! The seed corpus in `corpus/parse_icacls/` is also replayed by `cargo test` (no libFuzzer).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    iis_sweep::acl::icacls::fuzz_icacls(data);
});
