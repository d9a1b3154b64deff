//! Fuzz target `cot_url`: see `takwire::fuzzing::cot_url` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::cot_url(data));
