//! Fuzz target `stream_split`: see `takwire::fuzzing::stream_split` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::stream_split(data));
