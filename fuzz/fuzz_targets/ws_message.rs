//! Fuzz target `ws_message`: see `takwire::fuzzing::ws_message` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::ws_message(data));
