//! Fuzz target `detail_xml`: see `takwire::fuzzing::detail_xml` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::detail_xml(data));
