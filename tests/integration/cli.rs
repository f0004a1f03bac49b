//! The `pixloom` binary from the outside: send, show, export, the demo,
//! every error a user can cause, crash safety, and the API key.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{FakeProcess, bin, chain, key};
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
        let out = Run { out }.ok().out;
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
    // Every other command, with the key given as a flag and in the
    // environment: text, JSON, help, errors and written files.
    let every_command: [&[&str]; 15] = [
        &["show", "s"],
        &["show", "s", "--json"],
        &["export", "s", "--format", "html", "--out", "s.html"],
        &["export", "s", "--format", "markdown", "--out", "s.md"],
        &["export", "s", "--format", "html", "--out", "s.html"],
        &["replay", "s"],
        &["replay", "missing"],
        &["fake-gateway", "--help"],
        &["send", "--help"],
        &["export", "--help"],
        &["--help"],
        &["--version"],
        &["completions", "bash"],
        &["send", "s", "--prompt", ""],
        &["send", "s", "--prompt", "bad size", "--size", "7x7"],
    ];
    for args in every_command {
        let mut flagged = vec!["--api-key", k.as_str(), "--log-level", "trace"];
        flagged.extend_from_slice(args);
        let r = pixloom(h, &flagged);
        seen.push_str(&r.stdout());
        seen.push_str(&r.stderr());
        let out = bin()
            .current_dir(h)
            .env("HOME", h)
            .env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_STATE_HOME", h.join("state"))
            .env("PIXLOOM_API_KEY", &k)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(
        seen.contains("wrote s.md") && seen.contains("fake gateway"),
        "the commands ran"
    );
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
    assert!(err.contains("may still be billed"), "{err}");
    let show = pixloom(home.path(), &["show", "c", "--json"]).ok().json();
    assert_eq!(show["nodes"][1]["status"], "cancelled");
    assert_eq!(fake.billed(), 0);
}

// ---- Deep trees, hostile text, export targets --------------------------

use pixloom_core::tree::{Conversation, Endpoint, Outcome, Part, RequestParams, TurnError};

const T0: time::OffsetDateTime = time::macros::datetime!(2026-12-01 12:00 UTC);

/// `conv` written as `NAME.pixloom/conversation.json` in `home`.
fn write_conversation(home: &Path, name: &str, conv: &Conversation) -> std::path::PathBuf {
    let dir = home.join(format!("{name}.pixloom"));
    std::fs::create_dir_all(dir.join("images")).unwrap();
    std::fs::write(
        dir.join("conversation.json"),
        pixloom::convfile::to_json(conv).unwrap(),
    )
    .unwrap();
    dir
}

fn text(s: &str) -> Vec<Part> {
    vec![Part::Text { text: s.to_owned() }]
}

fn params(model: &str) -> RequestParams {
    RequestParams {
        endpoint: Endpoint::Chat,
        model: model.to_owned(),
        size: "1280x720".parse().unwrap(),
    }
}

/// pixloom with a 2 MB main-thread stack (`ulimit -s`), the size of a
/// test thread's, so a walk that recurses per level fails here.
fn pixloom_small_stack(home: &Path, args: &[&str]) -> Run {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -s 2048 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_pixloom"))
        .args(args)
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("PIXLOOM_API_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run { out }
}

const DEEP: usize = 20_000;

#[test]
fn a_20000_turn_chain_loads_shows_and_exports() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dir = write_conversation(h, "deep", &chain(DEEP));
    // Loading in this test thread (2 MB stack): parse and `check`.
    let (conv, _) = pixloom::convfile::read_only(&dir).unwrap();
    assert_eq!(conv.len(), DEEP);

    let shown = pixloom_small_stack(h, &["show", "deep"]).ok().stdout();
    assert_eq!(shown.lines().count(), DEEP + 1);
    assert!(
        shown.contains("[depth 20000] n20000 assistant failed"),
        "the deepest turn"
    );
    // Nesting stops at 64 levels: the output grows with the turns, not
    // with their square (200 bytes a line here, not 60 KB).
    assert!(shown.len() < DEEP * 400, "{} bytes", shown.len());

    let j = pixloom_small_stack(h, &["show", "deep", "--json"])
        .ok()
        .json();
    assert_eq!(j["nodes"].as_array().unwrap().len(), DEEP);
    assert_eq!(j["selected_path"].as_array().map(Vec::len), Some(DEEP));

    let html = h.join("deep.html");
    pixloom_small_stack(
        h,
        &["export", "deep", "--format", "html", "--out", "deep.html"],
    )
    .ok();
    let page = std::fs::read_to_string(&html).unwrap();
    // One flat line of turns: nothing nests per turn.
    assert_eq!(page.matches("<div class=\"turn ").count(), DEEP);
    assert!(!page.contains("<details"), "a single path has no branches");
    assert!(page.len() < DEEP * 600, "{} bytes", page.len());

    pixloom_small_stack(
        h,
        &["export", "deep", "--format", "markdown", "--out", "deep.md"],
    )
    .ok();
    let md = std::fs::read_to_string(h.join("deep.md")).unwrap();
    assert_eq!(md.matches("**n").count(), DEEP);
    assert!(md.contains("**n20000** assistant"));
    assert!(!md.contains("\n "), "nothing indented");
    assert!(md.len() < DEEP * 400, "{} bytes", md.len());
}

/// Every kind of escape a file can carry: OSC title and clipboard, clear
/// screen, CSI as C1, NEL, bidi overrides and isolates, marks, DEL.
const HOSTILE: &str = "\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\u{9b}31m\u{85}\u{202e}\u{2066}\u{200f}\u{61c}\u{7f}x";
const MARKUP: &str = "<script>alert(1)</script> ![x](http://evil.example/beacon.png) [a](javascript:alert(1)) <img src=http://evil.example/i.png> [r]: http://evil.example/ref";

/// No byte that a terminal acts on: C0 but for line breaks, DEL, C1, bidi.
fn assert_inert(what: &str, out: &str) {
    let bad = out.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{61c}')
    });
    assert!(bad.is_none(), "{what} carries {bad:?}: {out:?}");
}

fn hostile_conversation() -> Conversation {
    let h = |field: &str| format!("{field} {HOSTILE} {MARKUP}");
    let mut c = Conversation::new(h("title"), T0);
    // A chosen title travels with the folder, hostile or not.
    c.titled = true;
    let u = c
        .add_user(
            None,
            text(&format!("{}\nsecond line {HOSTILE}", h("prompt"))),
            T0,
        )
        .unwrap();
    let a = c.add_pending(u, &params(&h("model")), 1, T0).unwrap()[0];
    let error = TurnError {
        message: h("error http://evil.example/url"),
        raw_body: Some(h("raw")),
        ..TurnError::default()
    };
    let outcome = Outcome {
        request_id: Some(h("request")),
        latency_ms: Some(1200),
        ..Outcome::default()
    };
    c.fail(a, error, outcome).unwrap();
    c.set_label(u, Some(h("label"))).unwrap();
    c.set_label(a, Some(h("label2"))).unwrap();
    c.select(a).unwrap();
    c
}

#[test]
fn hostile_text_in_a_conversation_never_reaches_output_or_exports() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // The folder name (the path argument) is hostile too.
    let name = format!("c{HOSTILE}");
    write_conversation(h, &name, &hostile_conversation());
    let conv = format!("{name}.pixloom");

    let shown = pixloom(h, &["show", &conv]).ok();
    assert_inert("show", &shown.stdout());
    assert_inert("show's stderr", &shown.stderr());
    for field in ["title", "prompt", "model", "error", "label"] {
        assert!(
            shown.stdout().contains(field),
            "{field} shown: {}",
            shown.stdout()
        );
    }

    let json = pixloom(h, &["show", &conv, "--json"]).ok();
    let raw = json.stdout();
    assert_inert("show --json", &raw);
    for esc in [
        "\\u001b", "\\u0007", "\\u009b", "\\u0085", "\\u202e", "\\u2066", "\\u200f", "\\u061c",
        "\\u007f",
    ] {
        assert!(raw.contains(esc), "{esc} in {raw}");
    }
    let j = json.json();
    assert!(
        j["title"].as_str().unwrap().contains(HOSTILE),
        "the data survives the escapes"
    );
    assert!(j["nodes"][1]["model"].as_str().unwrap().contains(HOSTILE));
    assert!(
        j["nodes"][1]["request_id"]
            .as_str()
            .unwrap()
            .contains(HOSTILE)
    );

    let e = pixloom(h, &["export", &conv, "--format", "html", "--out", "c.html"]).ok();
    assert_inert("export's stdout", &e.stdout());
    let page = std::fs::read_to_string(h.join("c.html")).unwrap();
    assert_inert("the HTML export", &page);
    assert!(
        !page.contains("<script") && !page.contains("<img src=http"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;") && page.contains("request"),
        "{page}"
    );

    let e = pixloom(
        h,
        &["export", &conv, "--format", "markdown", "--out", "c.md"],
    )
    .ok();
    assert_inert("export's stdout", &e.stdout());
    let md = std::fs::read_to_string(h.join("c.md")).unwrap();
    assert_inert("the Markdown export", &md);
    for raw in ["<script", "<img", "](http", "![x]", "[a](", "[r]:"] {
        assert!(!md.contains(raw), "{raw} in {md}");
    }
    assert!(
        md.contains("&lt;script&gt;") && md.contains("\\!\\[x\\]\\(http"),
        "{md}"
    );
    // Every line of a prompt stays in its quote.
    assert!(md.contains("\n> second line"), "{md}");
}

#[test]
fn send_prints_nothing_hostile_from_paths_or_the_prompt() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let fake = FakeProcess::start(&[]);
    let k = key();
    let name = format!("s{HOSTILE}");
    let prompt = format!("a fox {HOSTILE}");
    for json in [false, true] {
        let mut args = with_key(&fake, &k, &["send", &name, "--prompt", &prompt]);
        if json {
            args.push("--json");
        }
        let r = pixloom(h, &args).ok();
        assert_inert("send", &r.stdout());
        assert_inert("send's stderr", &r.stderr());
        assert!(r.stdout().contains(".pixloom/images/"), "{}", r.stdout());
        if json {
            assert!(r.stdout().contains("\\u001b]0;pwned"), "{}", r.stdout());
            let j = r.json();
            assert!(j["nodes"][1]["image"].as_str().unwrap().contains(HOSTILE));
        }
    }
    // A refusal message quoting the prompt, and an error naming the path.
    let r = pixloom(
        h,
        &with_key(
            &fake,
            &k,
            &["send", &name, "--prompt", &prompt, "--from", "n99"],
        ),
    );
    assert!(!r.out.status.success());
    assert_inert("send's error", &r.stderr());
}

/// A conversation with one real image (made by the fake gateway).
fn conversation_with_an_image(home: &Path) -> std::path::PathBuf {
    let fake = FakeProcess::start(&[]);
    let k = key();
    pixloom(
        home,
        &with_key(
            &fake,
            &k,
            &["send", "c", "--prompt", "a fox", "--size", "1280x720"],
        ),
    )
    .ok();
    home.join("c.pixloom")
}

#[test]
fn markdown_links_images_copied_beside_it_however_out_is_spelled() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dir = conversation_with_an_image(h);
    let blob = std::fs::read_dir(dir.join("images"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let blob_name = blob.file_name().into_string().unwrap();
    std::fs::create_dir(h.join("sub")).unwrap();
    let abs = h.join("sub/abs.md");
    for (out, folder) in [
        ("fox.md", h.to_path_buf()),
        ("./dot.md", h.to_path_buf()),
        ("sub/../sub/rel.md", h.join("sub")),
        (abs.to_str().unwrap(), h.join("sub")),
    ] {
        pixloom(h, &["export", "c", "--format", "markdown", "--out", out]).ok();
        let file = folder.join(Path::new(out).file_name().unwrap());
        let md = std::fs::read_to_string(&file).unwrap();
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let link = format!("![n2]({stem}_files/{blob_name})");
        assert!(md.contains(&link), "{out}: {link} in {md}");
        let copy = folder.join(format!("{stem}_files/{blob_name}"));
        assert_eq!(
            std::fs::read(copy).unwrap(),
            std::fs::read(blob.path()).unwrap()
        );
        assert!(
            !md.contains(".pixloom"),
            "nothing links into the conversation: {md}"
        );
    }
}

#[test]
fn export_never_writes_into_a_conversation_or_over_a_file_without_force() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dir = conversation_with_an_image(h);
    let saved = std::fs::read(dir.join("conversation.json")).unwrap();
    let image = std::fs::read_dir(dir.join("images"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let image_bytes = std::fs::read(&image).unwrap();
    // Another conversation folder, not the one exported.
    let other = write_conversation(h, "other", &chain(2));
    let other_saved = std::fs::read(other.join("conversation.json")).unwrap();
    let image_arg = image.to_str().unwrap().to_owned();
    // A link to the conversation folder is resolved before the check.
    std::os::unix::fs::symlink(&dir, h.join("alias")).unwrap();
    let inside: [&[&str]; 7] = [
        &["--out", "alias/x.html", "--force"],
        &["--out", "c.pixloom/conversation.json"],
        &["--out", "c.pixloom/conversation.json", "--force"],
        &["--out", &image_arg, "--force"],
        &["--out", "c.pixloom/new.html", "--force"],
        &["--out", "./c.pixloom/images/../x.html"],
        &["--out", "other.pixloom/x.html", "--force"],
    ];
    for format in ["html", "markdown"] {
        for extra in inside {
            let mut args = vec!["export", "c", "--format", format];
            args.extend_from_slice(extra);
            pixloom(h, &args)
                .fails_with(&["inside the conversation folder", "Pick a path outside it"]);
        }
    }
    assert_eq!(std::fs::read(dir.join("conversation.json")).unwrap(), saved);
    assert_eq!(std::fs::read(&image).unwrap(), image_bytes);
    assert_eq!(
        std::fs::read(other.join("conversation.json")).unwrap(),
        other_saved
    );
    assert!(!dir.join("new.html").exists() && !dir.join("x.html").exists());
    assert!(!other.join("x.html").exists());

    // An ordinary file: refused without --force, replaced with it.
    std::fs::write(h.join("notes.html"), "mine").unwrap();
    pixloom(
        h,
        &["export", "c", "--format", "html", "--out", "notes.html"],
    )
    .fails_with(&["notes.html already exists", "--force"]);
    assert_eq!(
        std::fs::read_to_string(h.join("notes.html")).unwrap(),
        "mine"
    );
    pixloom(
        h,
        &[
            "export",
            "c",
            "--format",
            "html",
            "--out",
            "notes.html",
            "--force",
        ],
    )
    .ok();
    assert!(
        std::fs::read_to_string(h.join("notes.html"))
            .unwrap()
            .starts_with("<!doctype html>")
    );
    // Markdown: its images folder is guarded the same way.
    pixloom(h, &["export", "c", "--format", "markdown", "--out", "m.md"]).ok();
    std::fs::remove_file(h.join("m.md")).unwrap();
    pixloom(h, &["export", "c", "--format", "markdown", "--out", "m.md"])
        .fails_with(&["m_files already exists", "--force"]);
    pixloom(
        h,
        &[
            "export", "c", "--format", "markdown", "--out", "m.md", "--force",
        ],
    )
    .ok();
    assert!(h.join("m.md").is_file());
}

/// `pixloom show CONV | head -1` (and `| true`): the reader closes the
/// pipe while pixloom still has output to write. It used to panic with
/// "Broken pipe" (exit 101). The output (2,000 turns, far over a pipe's
/// 64 KB buffer) cannot all fit, so the write that meets the closed pipe
/// happens whatever the timing.
#[test]
fn show_ends_quietly_when_its_output_is_closed() {
    use std::io::{BufRead as _, BufReader};
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    write_conversation(h, "long", &chain(2_000));
    for args in [vec!["show", "long"], vec!["show", "long", "--json"]] {
        let mut child = bin()
            .current_dir(h)
            .env("HOME", h)
            .env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_STATE_HOME", h.join("state"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line (as `head -1`), then close the pipe.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!first.is_empty(), "{args:?}: no output at all");
    }
}

mod export_depth;

mod send_progress;

mod settings;

mod error_lines;

mod demo_pictures;
