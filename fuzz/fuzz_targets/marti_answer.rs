//! Fuzz target `marti_answer`: see `takwire::fuzzing::marti_answer` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::marti_answer(data));
