//! Fuzz target `tak_message`: see `takwire::fuzzing::tak_message` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::tak_message(data));
