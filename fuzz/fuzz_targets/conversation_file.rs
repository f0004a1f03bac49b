#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pixloom_testkit::fuzzing::conversation_file(data));
