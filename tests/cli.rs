//! The `pixloom` binary from the outside: send, show, export, the demo,
//! every error a user can cause, crash safety, and the API key.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{FakeProcess, bin, key};
use serde_json::Value;

struct Run {
    out: Output,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn ok(self) -> Self {
        assert!(
            self.out.status.success(),
            "failed: {}\n{}",
            self.stderr(),
            self.stdout()
        );
        self
    }
    fn fails_with(self, needles: &[&str]) -> Self {
        assert!(!self.out.status.success(), "should fail: {}", self.stdout());
        let err = self.stderr();
        for n in needles {
            assert!(err.contains(n), "stderr lacks {n:?}: {err}");
        }
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        self
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout()))
    }
}

/// Runs pixloom in `home` (its config, state and conversations live there).
fn pixloom(home: &Path, args: &[&str]) -> Run {
    let out = bin()
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run { out }
}

fn with_key<'a>(fake: &'a FakeProcess, k: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--base-url", fake.base_url.as_str(), "--api-key", k];
    v.extend_from_slice(rest);
    v
}

#[test]
fn send_show_export_round_trip() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeProcess::start(&[]);
    let k = key();
    let r = pixloom(
        home.path(),
        &with_key(
            &fake,
            &k,
            &[
                "send",
                "fox",
                "--prompt",
                "a red fox",
                "--size",
                "1280x720",
                "--json",
            ],
        ),
    )
    .ok();
    let j = r.json();
    let nodes = j["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(
        (nodes[0]["id"].as_str(), nodes[0]["role"].as_str()),
        (Some("n1"), Some("user"))
    );
    assert_eq!(nodes[1]["status"], "done");
    assert_eq!(
        (nodes[1]["width"].as_u64(), nodes[1]["height"].as_u64()),
        (Some(1280), Some(720))
    );
    assert!(Path::new(nodes[1]["image"].as_str().unwrap()).is_file());
    assert!(nodes[1]["request_id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(j["cost_usd"].as_f64(), Some(0.03));

    // Refine from the first result (--from n2) with three variants.
    let r = pixloom(
        home.path(),
        &with_key(
            &fake,
            &k,
            &[
                "send",
                "fox.pixloom",
                "--prompt",
                "make it night",
                "--from",
                "n2",
                "--variants",
                "3",
                "--json",
            ],
        ),
    )
    .ok();
    let j = r.json();
    assert_eq!(j["nodes"].as_array().unwrap().len(), 4);
    assert_eq!(j["cost_usd"].as_f64(), Some(0.09));
    assert_eq!(fake.billed(), 4);

    let show = pixloom(home.path(), &["show", "fox", "--json"]).ok().json();
    let ids: Vec<&str> = show["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["n1", "n2", "n3", "n4", "n5", "n6"]);
    assert_eq!(show["nodes"][2]["parent"], "n2");
    let text = pixloom(home.path(), &["show", "fox"]).ok().stdout();
    assert!(text.contains("a red fox") && text.contains("└─"), "{text}");

    let html = home.path().join("fox.html");
    pixloom(
        home.path(),
        &[
            "export",
            "fox",
            "--format",
            "html",
            "--out",
            html.to_str().unwrap(),
        ],
    )
    .ok();
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<img").count(), 4);
    assert!(page.contains("data:image/") && page.contains("make it night"));
    assert!(!page.contains("src=\"http"), "self-contained");
    let md = home.path().join("fox.md");
    pixloom(
        home.path(),
        &[
            "export",
            "fox",
            "--format",
            "markdown",
            "--out",
            md.to_str().unwrap(),
        ],
    )
    .ok();
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.contains("![n2](fox_files/"), "{md}");
}

#[test]
fn the_demo_needs_no_key() {
    let home = tempfile::tempdir().unwrap();
    let demo_send = |prompt: &str| {
        let out = bin()
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("c"))
            .env("XDG_STATE_HOME", home.path().join("s"))
            .env("PIXLOOM_DEMO_LATENCY", "0")
            .args(["--demo", "send", "demo", "--prompt", prompt, "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let j = demo_send("a lighthouse at dusk");
    assert_eq!(j["nodes"][1]["status"], "done");
    // A second demo run refines the first result: that run's fake gateway
    // (and its URLs) are gone, so the image must travel as a local copy.
    let j = demo_send("now in fog");
    assert_eq!(j["nodes"][1]["status"], "done", "{j}");
}

#[test]
fn user_errors_are_one_clear_line_and_change_nothing() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeProcess::start(&[]);
    let k = key();
    let h = home.path();
    // No key at all.
    pixloom(
        h,
        &["--base-url", &fake.base_url, "send", "c", "--prompt", "x"],
    )
    .fails_with(&["no API key", "PIXLOOM_API_KEY", "--demo"]);
    // Bad sizes, with the suggestion.
    pixloom(
        h,
        &with_key(
            &fake,
            &k,
            &["send", "c", "--prompt", "x", "--size", "1024x768"],
        ),
    )
    .fails_with_clap(&["1280x960"]);
    pixloom(
        h,
        &with_key(
            &fake,
            &k,
            &["send", "c", "--prompt", "x", "--size", "2048X1152"],
        ),
    )
    .fails_with_clap(&["2048x1152"]);
    // Missing file, not an image, a directory.
    pixloom(
        h,
        &with_key(
            &fake,
            &k,
            &["send", "c", "--prompt", "x", "--image", "nope.png"],
        ),
    )
    .fails_with(&["nope.png"]);
    std::fs::write(h.join("notes.txt"), "hello").unwrap();
    pixloom(
        h,
        &with_key(
            &fake,
            &k,
            &["send", "c", "--prompt", "x", "--image", "notes.txt"],
        ),
    )
    .fails_with(&["notes.txt", "not an image"]);
    // A wrong key: the turn fails with directions, and is saved as failed.
    pixloom(
        h,
        &with_key(&fake, "sk-wrong", &["send", "c", "--prompt", "x"]),
    )
    .fails_with(&["401", "PIXLOOM_API_KEY"]);
    let show = pixloom(h, &["show", "c", "--json"]).ok().json();
    assert_eq!(show["nodes"][1]["status"], "failed");
    // Nothing was billed by any of it, and no request left for the bad inputs.
    assert_eq!(fake.billed(), 0);
    assert_eq!(
        fake.requests().len(),
        1,
        "only the wrong-key request reached the gateway"
    );
    // Gateway down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = format!("http://127.0.0.1:{port}");
    pixloom(
        h,
        &[
            "--base-url",
            &down,
            "--api-key",
            &k,
            "send",
            "d",
            "--prompt",
            "x",
        ],
    )
    .fails_with(&["could not reach the gateway"]);
    // Unknown node for --from.
    pixloom(
        h,
        &with_key(&fake, &k, &["send", "c", "--prompt", "x", "--from", "n99"]),
    )
    .fails_with(&["n99"]);
}

impl Run {
    /// clap prints usage after its error; only the first line matters.
    fn fails_with_clap(self, needles: &[&str]) -> Self {
        assert!(!self.out.status.success());
        let err = self.stderr();
        for n in needles {
            assert!(err.contains(n), "stderr lacks {n:?}: {err}");
        }
        self
    }
}

#[test]
fn corrupt_and_future_files_are_refused_and_left_untouched() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeProcess::start(&[]);
    let k = key();
    let h = home.path();
    pixloom(h, &with_key(&fake, &k, &["send", "c", "--prompt", "a cat"])).ok();
    let file = h.join("c.pixloom/conversation.json");
    let good = std::fs::read(&file).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..good.len() / 2].to_vec(), "damaged"),
        (b"".to_vec(), "conversation.json"),
        (
            String::from_utf8_lossy(&good)
                .replace("pixloom/1", "pixloom/2")
                .into_bytes(),
            "newer",
        ),
    ];
    for (bytes, needle) in cases {
        std::fs::write(&file, &bytes).unwrap();
        pixloom(h, &with_key(&fake, &k, &["send", "c", "--prompt", "again"])).fails_with(&[needle]);
        pixloom(h, &["show", "c"]).fails_with(&[needle]);
        assert_eq!(
            std::fs::read(&file).unwrap(),
            bytes,
            "{needle}: the file was changed"
        );
    }
}

#[test]
fn a_send_killed_mid_request_leaves_the_turn_interrupted() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeProcess::start(&["--latency", "60"]);
    let k = key();
    let mut child = bin()
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .args(with_key(&fake, &k, &["send", "k", "--prompt", "slow one"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the request is at the gateway: by then the pending turn
    // must already be saved.
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.requests().is_empty() {
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let saved = std::fs::read_to_string(home.path().join("k.pixloom/conversation.json")).unwrap();
    assert!(
        saved.contains("\"pending\""),
        "the pending turn was saved before the request"
    );
    let show = pixloom(home.path(), &["show", "k", "--json"]).ok().json();
    assert_eq!(show["nodes"][1]["status"], "interrupted");
    // The next send opens it fine and marks it interrupted for good.
    let fast = FakeProcess::start(&[]);
    pixloom(
        home.path(),
        &with_key(&fast, &k, &["send", "k", "--prompt", "next"]),
    )
    .ok();
    let saved = std::fs::read_to_string(home.path().join("k.pixloom/conversation.json")).unwrap();
    assert!(saved.contains("\"interrupted\"") && !saved.contains("\"pending\""));
}

#[test]
fn the_api_key_never_appears_in_output_logs_or_saved_files() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeProcess::start(&[]);
    let k = key();
    let h = home.path();
    let mut seen = String::new();
    for args in [
        with_key(
            &fake,
            &k,
            &[
                "--log-level",
                "trace",
                "send",
                "s",
                "--prompt",
                "one",
                "--json",
            ],
        ),
        with_key(
            &fake,
            &k,
            &[
                "--log-level",
                "trace",
                "send",
                "s",
                "--prompt",
                "two",
                "--endpoint",
                "images",
            ],
        ),
        with_key(
            &fake,
            &k,
            &[
                "--log-level",
                "trace",
                "send",
                "s",
                "--prompt",
                "three",
                "--size",
                "1024x768",
            ],
        ),
        with_key(
            &fake,
            &k,
            &[
                "--log-level",
                "trace",
                "send",
                "s",
                "--prompt",
                "[fake:fault=500]",
            ],
        ),
        vec![
            "--api-key",
            k.as_str(),
            "--base-url",
            "http://127.0.0.1:9",
            "send",
            "s",
            "--prompt",
            "down",
        ],
        vec!["--log-level", "trace", "show", "s", "--json"],
    ] {
        let r = pixloom(h, &args);
        seen.push_str(&r.stdout());
        seen.push_str(&r.stderr());
    }
    assert!(!seen.contains(&k), "the key was printed");
    let files = common::files_below(h);
    assert!(
        files.iter().any(|f| f.ends_with("pixloom.log")),
        "a log was written: {files:?}"
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(k.len()).any(|w| w == k.as_bytes()),
            "the key is in {}",
            f.display()
        );
    }
}

#[test]
fn ctrl_c_during_send_saves_the_turn_as_cancelled() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeProcess::start(&["--latency", "60"]);
    let k = key();
    let child = bin()
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .args(with_key(&fake, &k, &["send", "c", "--prompt", "slow one"]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.requests().is_empty() {
        assert!(Instant::now() < deadline, "the request never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cancelled"), "{err}");
    let show = pixloom(home.path(), &["show", "c", "--json"]).ok().json();
    assert_eq!(show["nodes"][1]["status"], "cancelled");
    assert_eq!(fake.billed(), 0);
}
