//! The file format: lines written, read back, damaged lines skipped.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;

use super::*;
use pixloom_core::history::TurnRequest;

fn request(conv: &mut pixloom_core::tree::Conversation) -> TurnRequest {
    let node = conv.selected.unwrap();
    pixloom_core::history::build_request(
        conv,
        node,
        pixloom_core::history::ImageBudget::default(),
        time::OffsetDateTime::now_utc(),
    )
    .unwrap()
}

fn pending_conv() -> pixloom_core::tree::Conversation {
    use pixloom_core::tree::{Endpoint, Part, RequestParams};
    let now = time::OffsetDateTime::now_utc();
    let mut conv = pixloom_core::tree::Conversation::new("t", now);
    let user = conv
        .reply(
            vec![Part::Text {
                text: "a fox".into(),
            }],
            now,
        )
        .unwrap();
    let params = RequestParams {
        endpoint: Endpoint::Chat,
        model: "gpt-image-2-vip".into(),
        size: pixloom_core::size::SizeSpec::Auto,
    };
    let ids = conv.add_pending(user, &params, 1, now).unwrap();
    conv.selected = Some(ids[0]);
    conv
}

#[test]
fn a_call_is_a_sent_line_then_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/ledger.jsonl");
    let ledger = Ledger::at(path.clone(), dir.path());
    let mut conv = pending_conv();
    let req = request(&mut conv);

    let (call, w) = ledger.sent(&req);
    assert_eq!(w, None);
    // Before the outcome: the call counts as unknown (a crash here).
    let r = read(&path).unwrap();
    assert_eq!(r.calls.len(), 1);
    assert_eq!(r.calls[0].entry.kind, Kind::Unknown);
    assert!(r.calls[0].entry.kind.maybe_billed());

    assert_eq!(
        ledger.settle(call, Kind::Refused, Some("req_1"), Some(120)),
        None
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let lines: Vec<Entry> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0].kind, Kind::Sent);
    assert_eq!(lines[1].kind, Kind::Refused);
    assert_eq!(lines[0].call, lines[1].call);
    assert!(text.contains("\"outcome\":\"refused\""), "{text}");
    assert!(
        text.contains("\"endpoint\":\"/v1/chat/completions\""),
        "{text}"
    );
    let conv_dir = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(lines[1].conversation, conv_dir.display().to_string());
    assert!(entry::parse_time(&lines[1].time).is_some());

    let r = read(&path).unwrap();
    assert_eq!(r.calls.len(), 1);
    let c = &r.calls[0];
    assert_eq!(c.entry.kind, Kind::Refused);
    assert_eq!(c.entry.cost_micro_usd, 30_000);
    assert_eq!(c.entry.request_id.as_deref(), Some("req_1"));
    assert_eq!(c.entry.latency_ms, Some(120));
    assert_eq!(c.sent, lines[0].time);
}

#[test]
fn only_answered_calls_cost() {
    assert_eq!(Kind::Done.cost_micro_usd(), 30_000);
    assert_eq!(Kind::Refused.cost_micro_usd(), 30_000);
    assert_eq!(Kind::FailedMayHaveBeenBilled.cost_micro_usd(), 0);
    assert_eq!(Kind::Failed.cost_micro_usd(), 0);
    assert!(!Kind::Failed.maybe_billed());
}

#[test]
fn damaged_lines_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let good = |call: &str, outcome: &str| {
        format!(
            r#"{{"call":"{call}","time":"2026-12-01T10:00:00Z","outcome":"{outcome}","conversation":"/c","node":"n2","model":"m","size":"auto","endpoint":"/v1/chat/completions","cost_micro_usd":30000}}"#
        )
    };
    let mut f = std::fs::File::create(&path).unwrap();
    for line in [
        good("a", "sent"),
        good("a", "done"),
        "not json at all".to_owned(),
        good("b", "unknown"),
        good("c", "sent").replace("2026-12-01T10:00:00Z", "yesterday"),
        good("a", "refused"),
        String::new(),
        "x".repeat(70_000),
        good("d", "refused"),
    ] {
        writeln!(f, "{line}").unwrap();
    }
    // A line cut by a crash: no newline, half a record.
    write!(f, "{}", &good("e", "done")[..40]).unwrap();
    drop(f);
    let r = read(&path).unwrap();
    let kinds: Vec<Kind> = r.calls.iter().map(|c| c.entry.kind).collect();
    // `d` lost its sent line and still counts.
    assert_eq!(kinds, [Kind::Done, Kind::Refused]);
    assert_eq!(r.warnings.len(), 6, "{:#?}", r.warnings);
    assert!(
        r.warnings[0].starts_with("line 3: not a ledger line"),
        "{:?}",
        r.warnings
    );
    assert!(r.warnings.iter().any(|w| w.contains("second outcome")));
    assert!(r.warnings.iter().any(|w| w.contains("longer than")));
    assert!(r.warnings.iter().any(|w| w.contains("RFC 3339")));
}

#[test]
fn a_missing_ledger_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let r = read(&dir.path().join("none.jsonl")).unwrap();
    assert!(r.calls.is_empty() && r.warnings.is_empty());
}

#[test]
fn an_unwritable_ledger_says_so_once_and_the_call_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: every append fails.
    let path = dir.path().join("ledger.jsonl");
    std::fs::create_dir(&path).unwrap();
    let ledger = Ledger::at(path, dir.path());
    let mut conv = pending_conv();
    let req = request(&mut conv);
    let (call, w) = ledger.sent(&req);
    let w = w.unwrap();
    for said in [
        "the spending ledger could not be written",
        "the turn goes on",
    ] {
        assert!(w.contains(said), "{w}");
    }
    assert!(w.ends_with("ledger.jsonl"), "{w}");
    assert_eq!(
        ledger.settle(call, Kind::Done, None, None),
        None,
        "said once"
    );
}

#[test]
fn off_writes_nothing() {
    let mut conv = pending_conv();
    let (call, w) = Ledger::default().sent(&request(&mut conv));
    assert_eq!(w, None);
    assert_eq!(Ledger::default().settle(call, Kind::Done, None, None), None);
}
