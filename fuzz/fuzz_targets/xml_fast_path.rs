//! Fuzz target `xml_fast_path`: see `takwire::fuzzing::xml_fast_path` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::xml_fast_path(data));
