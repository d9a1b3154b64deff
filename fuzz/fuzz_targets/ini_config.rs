//! Fuzz target `ini_config`: see `takwire::fuzzing::ini_config` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::ini_config(data));
