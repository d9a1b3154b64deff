//! Fuzz target `data_package`: see `takwire::fuzzing::data_package` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::data_package(data));
