#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pixloom::fuzzing::gateway_reply(data));
