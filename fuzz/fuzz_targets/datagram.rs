//! Fuzz target `datagram`: see `takwire::fuzzing::datagram` for the input and the properties checked.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| takwire::fuzzing::datagram(data));
