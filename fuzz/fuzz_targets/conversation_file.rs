#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pixloom::fuzzing::conversation_file(data));
