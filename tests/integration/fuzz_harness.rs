//! The fuzz targets' bodies (`pixloom_testkit::fuzzing`) on stable Rust, for CI:
//! every committed seed in `fuzz/corpus/<target>/`, then proptest-driven
//! mutations of the seeds (bit flips, truncation, splices, inserted and
//! random bytes). A body panics when an invariant breaks, so any panic
//! fails the test. Coverage-guided fuzzing is `scripts/fuzz` (nightly
//! libFuzzer); see docs/fuzzing.md.
//!
//! The seeds are generated: `cargo test --test integration -- --ignored
//! fuzz_harness::write_seed_corpus` rewrites the `seed-*` files (regression inputs
//! found by fuzzing are `regress-*`, kept by hand).
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

use pixloom_testkit::fuzzing;

mod mutations;
mod seeds;

use seeds::{conversation_seeds, image_seeds, reply_seeds};

/// A fuzz target: its name (the corpus folder and the cargo-fuzz binary)
/// and its body.
struct Target {
    name: &'static str,
    body: fn(&[u8]),
    /// Mutated inputs per run: the whole file stays well under 20 s in a
    /// debug build on two cores.
    cases: u32,
}

const GATEWAY_REPLY: Target = Target {
    name: "gateway_reply",
    body: fuzzing::gateway_reply,
    cases: 3000,
};
const CONVERSATION_FILE: Target = Target {
    name: "conversation_file",
    body: fuzzing::conversation_file,
    cases: 1000,
};
const REFERENCE_IMAGE: Target = Target {
    name: "reference_image",
    body: fuzzing::reference_image,
    cases: 400,
};
const TARGETS: [&Target; 3] = [&GATEWAY_REPLY, &CONVERSATION_FILE, &REFERENCE_IMAGE];

/// A seed corpus stays small enough to commit.
const MAX_CORPUS_BYTES: u64 = 100 * 1024;

fn corpus_dir(target: &Target) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target.name)
}

/// The target's seeds, sorted by name.
fn seeds(target: &Target) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Runs `body` on `input`; a panic comes back as its message.
fn run(body: fn(&[u8]), input: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| body(input))).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

fn every_seed_passes(target: &Target) {
    let seeds = seeds(target);
    assert!(
        seeds.len() >= 5,
        "{}: only {} seeds",
        target.name,
        seeds.len()
    );
    let total: u64 = seeds.iter().map(|(_, b)| b.len() as u64).sum();
    assert!(
        total <= MAX_CORPUS_BYTES,
        "{}: {total} bytes of seeds",
        target.name
    );
    let failures: Vec<String> = seeds
        .iter()
        .filter_map(|(name, bytes)| {
            run(target.body, bytes)
                .err()
                .map(|why| format!("{name}: {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{}: seeds that break an invariant:\n{}",
        target.name,
        failures.join("\n")
    );
}

#[test]
fn every_gateway_reply_seed_passes() {
    every_seed_passes(&GATEWAY_REPLY);
}

#[test]
fn every_conversation_file_seed_passes() {
    every_seed_passes(&CONVERSATION_FILE);
}

#[test]
fn every_reference_image_seed_passes() {
    every_seed_passes(&REFERENCE_IMAGE);
}

// ----- the seed corpus -------------------------------------------------------

/// Rewrites the generated seeds (`seed-*`) of every target.
#[test]
#[ignore = "writes fuzz/corpus; run by hand when the seeds should change"]
fn write_seed_corpus() {
    for (target, files) in [
        (&GATEWAY_REPLY, reply_seeds()),
        (&CONVERSATION_FILE, conversation_seeds()),
        (&REFERENCE_IMAGE, image_seeds()),
    ] {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
            {
                std::fs::remove_file(path).unwrap();
            }
        }
        for (name, bytes) in files {
            std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
        }
    }
    for target in TARGETS {
        every_seed_passes(target);
    }
}
