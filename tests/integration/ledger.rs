//! The ledger matches the bill: random sessions (seeded) of `pixloom send`
//! and `pixloom rerun` against the fake gateway over real HTTP
//! (`ledger/random.rs`). Plus `pixloom ledger` as a user reads it (text,
//! JSON, CSV, `--refusals`, a damaged line) and the spend limits.
#![allow(clippy::unwrap_used)]

use crate::cli::{in_home, with_key};
use crate::common::{FakeProcess, key};

use std::path::Path;
use std::process::Output;

use serde_json::Value;

mod random;

const PRICE_MICRO_USD: u64 = 30_000;

fn run(home: &Path, args: &[&str]) -> Output {
    in_home(home).args(args).output().unwrap()
}

/// `pixloom ledger ARGS --json`, parsed.
fn ledger_json(home: &Path, args: &[&str]) -> Value {
    let out = run(home, &[&["ledger", "--json"][..], args].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A home whose config sends each request once (no retry): a fault is one
/// call, as the fake counts it.
fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/pixloom");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "max_retries = 0\n").unwrap();
    home
}

#[test]
fn refusals_list_exactly_the_refused_calls_and_dates_filter() {
    let home = home();
    let fake = FakeProcess::start(&[]);
    let k = key();
    for prompt in [
        "a fox",
        "a fox [fake:refuse]",
        "a fox [fake:fault=500]",
        "an owl [fake:refuse]",
    ] {
        run(
            home.path(),
            &with_key(&fake, &k, &["send", "fox", "--prompt", prompt]),
        );
    }
    // The request ids the fake answered with a refusal (billed).
    let show = run(home.path(), &["show", "fox", "--json"]);
    let show: Value = serde_json::from_slice(&show.stdout).unwrap();
    let mut refused: Vec<String> = show["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["status"] == "refused")
        .map(|n| n["request_id"].as_str().unwrap().to_owned())
        .collect();
    refused.sort();
    assert_eq!(refused.len(), 2);

    let j = ledger_json(home.path(), &["--refusals"]);
    let mut listed: Vec<String> = j["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["outcome"], "refused");
            assert!(c["time"].as_str().unwrap().ends_with('Z'));
            c["request_id"].as_str().unwrap().to_owned()
        })
        .collect();
    listed.sort();
    assert_eq!(listed, refused);

    let csv = run(home.path(), &["ledger", "--refusals", "--csv"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.starts_with("sent,time,outcome,request_id,"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    for id in &refused {
        assert!(csv.contains(&format!("\"{id}\"")), "{csv}");
    }

    let text = run(home.path(), &["ledger"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("per day:") && text.contains("per model:"),
        "{text}"
    );
    // A header over columns that line up: each call's outcome starts
    // where the header's does.
    let header = text.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("sent") && header.contains("request id"),
        "{text}"
    );
    let at = header.find("outcome").unwrap();
    let calls: Vec<&str> = text.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    assert!(!calls.is_empty(), "{text}");
    for l in calls {
        assert!(
            ["done", "refused", "failed"]
                .iter()
                .any(|o| l[at..].starts_with(o)),
            "not aligned under the header:\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("total") && l.contains("billed   3 = $0.09")),
        "{text}"
    );

    // Tomorrow on: nothing. A bad day: one line saying the form.
    let later = ledger_json(home.path(), &["--since", "2999-01-01"]);
    assert_eq!(later["calls"].as_array().unwrap().len(), 0);
    let bad = run(home.path(), &["ledger", "--since", "yesterday"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM-DD"));
}

#[test]
fn a_hostile_ledger_line_is_skipped_or_shown_clean() {
    let home = home();
    let path = home.path().join("state/pixloom/ledger.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let line = r#"{"call":"a","time":"2026-12-01T10:00:00Z","outcome":"refused","conversation":"/c","node":"n2","model":"m\u001b]0;pwned\u0007","size":"auto","endpoint":"/v1/chat/completions","request_id":"=HYPERLINK(1)","cost_micro_usd":30000}"#;
    std::fs::write(&path, format!("{{\"half\n{line}\n")).unwrap();
    let out = run(home.path(), &["ledger"]);
    assert!(out.status.success());
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(stderr.contains("line 1: not a ledger line"), "{stderr}");
    assert!(stderr.contains("ledger.jsonl"), "{stderr}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("refused"), "{stdout}");
    let csv = run(home.path(), &["ledger", "--csv"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.contains("\"'=HYPERLINK(1)\""), "{csv}");
}

/// A run that must fail before sending: one line on stderr with `needles`.
fn refused(out: &Output, needles: &[&str]) {
    assert!(!out.status.success(), "should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
}

#[test]
fn budgets_refuse_before_anything_is_sent() {
    let home = home();
    let fake = FakeProcess::start(&[]);
    let k = key();
    let send = |extra: &[&str]| {
        let args = [&["send", "fox", "--prompt", "a fox"][..], extra].concat();
        run(home.path(), &with_key(&fake, &k, &args))
    };
    assert!(send(&["--budget-day", "0.05"]).status.success());
    assert_eq!(fake.billed(), 1);
    // $0.03 spent today: two more ($0.06) would pass $0.05.
    refused(
        &send(&["--budget-day", "0.05", "--variants", "2"]),
        &[
            "not sent",
            "$0.06 (2 × $0.03)",
            "$0.03 of $0.05",
            "--budget-day",
            "budget_day",
        ],
    );
    // The conversation's own limit, from config.toml.
    let config = home.path().join("config/pixloom/config.toml");
    std::fs::write(&config, "max_retries = 0\nbudget_conversation = 0.04\n").unwrap();
    refused(
        &send(&[]),
        &[
            "this conversation's limit",
            "$0.03 of $0.04",
            "budget_conversation",
        ],
    );
    std::fs::write(&config, "max_retries = 0\n").unwrap();
    // Five at once asks first; no terminal to ask on: refused, saying how.
    refused(
        &send(&["--variants", "5"]),
        &["send 5 requests for $0.15", "--yes", "confirm_above = 4"],
    );
    // A grid counts its cells: 2 sizes × 3 variants = 6 calls.
    refused(
        &send(&["--size", "1280x720,2048x1152", "--variants", "3"]),
        &["send 6 requests for $0.18", "--yes"],
    );
    refused(&send(&["--budget-day=-1"]), &["--budget-day", "USD"]);
    assert_eq!(fake.billed(), 1, "nothing refused was sent");
    assert_eq!(fake.requests().len(), 1);
    let show: Value =
        serde_json::from_slice(&run(home.path(), &["show", "fox", "--json"]).stdout).unwrap();
    assert_eq!(show["nodes"].as_array().unwrap().len(), 2, "nothing added");
    // Said yes: sent.
    assert!(send(&["--variants", "5", "--yes"]).status.success());
    assert_eq!(fake.billed(), 6);
}

#[test]
fn an_unwritable_ledger_never_stops_a_turn_and_is_told_once() {
    let home = home();
    let fake = FakeProcess::start(&[]);
    let k = key();
    // A folder where the ledger file should be: every append fails.
    std::fs::create_dir_all(home.path().join("state/pixloom/ledger.jsonl")).unwrap();
    let out = run(
        home.path(),
        &with_key(
            &fake,
            &k,
            &[
                "send",
                "fox",
                "--prompt",
                "a fox",
                "--variants",
                "2",
                "--json",
            ],
        ),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.matches("the spending ledger could not be written")
            .count(),
        1,
        "said once: {err}"
    );
    assert!(
        err.contains("the turn goes on") && err.contains("ledger.jsonl"),
        "{err}"
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        j["cost_usd"].as_f64(),
        Some(0.06),
        "both pictures made: {j}"
    );
    assert_eq!(fake.billed(), 2);
}
