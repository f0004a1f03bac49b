//! The demo's pictures behave as the real gateway's: every answer is a new
//! picture (four variants are four images), and a fixed seed repeats a
//! run's pictures exactly (issue 10, §6).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// `pixloom --demo send demo --variants 4` in a fresh home; the sha256
/// names of the images the four turns got, and the folder's image files.
fn four_variants(home: &Path, seed: Option<&str>) -> (Vec<String>, BTreeSet<String>) {
    let mut cmd = super::in_home(home);
    cmd.env("PIXLOOM_DEMO_LATENCY", "0")
        .env_remove(pixloom::cli::DEMO_SEED_VAR);
    if let Some(seed) = seed {
        cmd.env(pixloom::cli::DEMO_SEED_VAR, seed);
    }
    let out = cmd
        .args(["--demo", "send", "demo", "--prompt", "a red fox in snow"])
        .args(["--size", "1280x1024", "--variants", "4", "--json"])
        .output()
        .unwrap();
    let out = super::Run { out }.ok().out;
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<String> = j["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["role"] == "assistant")
        .map(|n| {
            assert_eq!(n["status"], "done", "{n}");
            let path = n["image"].as_str().unwrap();
            Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let files = std::fs::read_dir(home.join("demo.pixloom/images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    (names, files)
}

#[test]
fn four_variants_are_four_pictures() {
    let home = tempfile::tempdir().unwrap();
    let (names, files) = four_variants(home.path(), None);
    assert_eq!(names.len(), 4, "{names:?}");
    let distinct: BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), 4, "variants share a picture: {names:?}");
    assert_eq!(
        files.len(),
        4,
        "the folder keeps four image files: {files:?}"
    );
}

#[test]
fn a_fixed_seed_repeats_the_pictures() {
    let runs: Vec<BTreeSet<String>> = (0..2)
        .map(|_| {
            let home = tempfile::tempdir().unwrap();
            four_variants(home.path(), Some("42")).1
        })
        .collect();
    assert_eq!(runs[0].len(), 4);
    assert_eq!(runs[0], runs[1], "the same seed gave other pictures");
    let home = tempfile::tempdir().unwrap();
    let other = four_variants(home.path(), Some("43")).1;
    assert!(
        runs[0].is_disjoint(&other),
        "another seed repeated a picture"
    );
}
