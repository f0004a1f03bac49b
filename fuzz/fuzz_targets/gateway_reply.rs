#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pixloom_testkit::fuzzing::gateway_reply(data));
