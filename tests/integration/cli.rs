//! The `pixloom` binary from the outside: send, show, export, the demo,
//! every error a user can cause, crash safety, and the API key.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::{FakeProcess, bin, chain, key};
use pixloom_core::tree::{Conversation, Endpoint, Outcome, Part, RequestParams, TurnError};
use serde_json::Value;

mod basics;
mod deep_chain;
mod demo_pictures;
mod error_lines;
mod export_depth;
mod export_targets;
mod grid;
mod hostile_text;
mod rerun;
mod robustness;
mod send_progress;
mod settings;

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

/// pixloom in `home` (its config, state and conversations live there),
/// reading nothing.
pub(crate) fn in_home(home: &Path) -> std::process::Command {
    let mut cmd = bin();
    cmd.current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .stdin(Stdio::null());
    cmd
}

/// Runs pixloom in `home` (its config, state and conversations live there).
fn pixloom(home: &Path, args: &[&str]) -> Run {
    let out = in_home(home).args(args).output().unwrap();
    Run { out }
}

/// A fresh home, a fake gateway process and the key it accepts.
fn home_fake_key() -> (tempfile::TempDir, FakeProcess, String) {
    (tempfile::tempdir().unwrap(), FakeProcess::start(&[]), key())
}

pub(crate) fn with_key<'a>(fake: &'a FakeProcess, k: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--base-url", fake.base_url.as_str(), "--api-key", k];
    v.extend_from_slice(rest);
    v
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

// ---- Conversations written for the tests --------------------------------

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
