//! Fuzz target `xml_event`: see `takwire::fuzzing::xml_event` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::xml_event(data));
