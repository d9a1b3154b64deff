//! Fuzz target `enroll_answer`: see `takwire::fuzzing::enroll_answer` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::enroll_answer(data));
