//! The conversation tree as tables (state, operation, answer, state after)
//! and as a property test over random operation sequences. Scripts and the
//! one-line tree form are described in `core::testkit`.

use rstest::rstest;

use super::*;
use crate::testkit::{blob, build, now, render, resolve, run, run_one, step};

/// Setup script, one operation, its answer, the tree after.
#[rustfmt::skip]
#[rstest]
// Replying: under the selected node, or as the first root.
#[case("", "reply a cat", "n1", "u1*")]
#[case("", "reply +ref1", "n1", "u1*")]
#[case("", "reply", "err: a turn needs some text or an image", "")]
#[case("system be terse", "reply a cat", "n2", "s1[u2*]")]
#[case("reply a cat; pend n1 1; done n2", "reply bluer", "n3", "u1[a2.done[u3*]]")]
#[case("user root a; user root b", "user n1 c", "n3", "u1[u3*] u2")]
#[case("reply a", "user n9 c", "err: there is no node n9", "u1*")]
// Editing a user turn: a new sibling, the original stays.
#[case("reply a cat; pend n1 1; done n2", "edit n1 a dog", "n3", "u1[a2.done] u3*")]
#[case("reply a; pend n1 1; done n2; refine n2 b", "edit n3 c", "n4", "u1[a2.done[u3 u4*]]")]
#[case("reply a; pend n1 1", "edit n2 b", "err: n2 is an assistant turn; this needs a user turn", "u1[a2.pending*]")]
#[case("reply a", "edit n1", "err: a turn needs some text or an image", "u1*")]
// Refining from any assistant turn: a new user child.
#[case("reply a; pend n1 1; done n2", "refine n2 bluer", "n3", "u1[a2.done[u3*]]")]
#[case("reply a; pend n1 1; fail n2", "refine n2 again", "n3", "u1[a2.failed[u3*]]")]
#[case("reply a", "refine n1 b", "err: n1 is a user turn; this needs an assistant turn", "u1*")]
#[case("system s", "refine n1 b", "err: n1 is a system turn; this needs an assistant turn", "s1*")]
#[case("reply a", "refine n7 b", "err: there is no node n7", "u1*")]
// Variants: N pending assistant siblings, the first selected.
#[case("reply a", "pend n1 1", "n2", "u1[a2.pending*]")]
#[case("reply a", "pend n1 3", "n2 n3 n4", "u1[a2.pending* a3.pending a4.pending]")]
#[case("reply a", "pend n1 8", "n2 n3 n4 n5 n6 n7 n8 n9", "u1[a2.pending* a3.pending a4.pending a5.pending a6.pending a7.pending a8.pending a9.pending]")]
#[case("reply a", "pend n1 0", "err: variants must be between 1 and 8", "u1*")]
#[case("reply a", "pend n1 9", "err: variants must be between 1 and 8", "u1*")]
#[case("reply a; pend n1 1", "pend n2 1", "err: n2 is an assistant turn; this needs a user turn", "u1[a2.pending*]")]
// Regenerating: a new sibling under the same user turn.
#[case("reply a; pend n1 1; done n2", "regen n2", "n3", "u1[a2.done a3.pending*]")]
#[case("reply a; pend n1 2; done n2; select n3", "regen n2", "n4", "u1[a2.done a3.pending a4.pending*]")]
#[case("reply a", "regen n1", "err: n1 is a user turn; this needs an assistant turn", "u1*")]
// Retrying in place: failed, cancelled, interrupted only.
#[case("reply a; pend n1 1; fail n2", "retry n2", "ok", "u1[a2.pending*]")]
#[case("reply a; pend n1 1; cancel n2", "retry n2", "ok", "u1[a2.pending*]")]
#[case("reply a; pend n1 1; interrupt", "retry n2", "ok", "u1[a2.pending*]")]
#[case("reply a; pend n1 1; done n2", "retry n2", "err: n2 cannot be retried while it is done", "u1[a2.done*]")]
#[case("reply a; pend n1 1; refuse n2 no", "retry n2", "err: n2 cannot be retried while it is refused", "u1[a2.refused*]")]
#[case("reply a; pend n1 1", "retry n2", "err: n2 cannot be retried while it is pending", "u1[a2.pending*]")]
#[case("reply a", "retry n1", "err: n1 is a user turn; this needs an assistant turn", "u1*")]
// Settling a pending turn; anything else is not waiting for a result.
#[case("reply a; pend n1 1", "done n2", "ok", "u1[a2.done*]")]
#[case("reply a; pend n1 1", "refuse n2 I can't do that", "ok", "u1[a2.refused*]")]
#[case("reply a; pend n1 1", "fail n2", "ok", "u1[a2.failed*]")]
#[case("reply a; pend n1 1", "cancel n2", "ok", "u1[a2.cancelled*]")]
#[case("reply a; pend n1 1; done n2", "done n2", "err: n2 is not waiting for a result (it is done)", "u1[a2.done*]")]
#[case("reply a; pend n1 1; cancel n2", "fail n2", "err: n2 is not waiting for a result (it is cancelled)", "u1[a2.cancelled*]")]
#[case("reply a", "cancel n1", "err: n1 is a user turn; this needs an assistant turn", "u1*")]
#[case("reply a", "done n5", "err: there is no node n5", "u1*")]
#[case("reply a; pend n1 3; done n2", "interrupt", "n3 n4", "u1[a2.done* a3.interrupted a4.interrupted]")]
#[case("reply a", "interrupt", "", "u1*")]
// Selecting and moving.
#[case("reply a; pend n1 2", "select n3", "ok", "u1[a2.pending a3.pending*]")]
#[case("reply a", "select n2", "err: there is no node n2", "u1*")]
#[case("reply a; pend n1 2", "up", "true", "u1*[a2.pending a3.pending]")]
#[case("reply a", "up", "false", "u1*")]
#[case("reply a; pend n1 2", "down", "false", "u1[a2.pending* a3.pending]")]
#[case("reply a; pend n1 2", "next", "true", "u1[a2.pending a3.pending*]")]
#[case("reply a; pend n1 2", "prev", "false", "u1[a2.pending* a3.pending]")]
#[case("reply a; pend n1 2; select n3", "next", "false", "u1[a2.pending a3.pending*]")]
#[case("user root a; user root b", "prev", "true", "u1* u2")]
#[case("", "down", "false", "")]
#[case("", "up", "false", "")]
// Marking.
#[case("reply a", "label n1 the good one", "ok", "u1'the good one'*")]
#[case("reply a; label n1 x", "label n1", "ok", "u1*")]
#[case("reply a", "star n1", "true", "u1+*")]
#[case("reply a; star n1", "star n1", "false", "u1*")]
#[case("reply a", "star n2", "err: there is no node n2", "u1*")]
// Deleting a subtree: the selection moves to a sibling, else the parent.
#[case("reply a; pend n1 3; select n3", "delete n3", "n3", "u1[a2.pending a4.pending*]")]
#[case("reply a; pend n1 3; select n4", "delete n4", "n4", "u1[a2.pending a3.pending*]")]
#[case("reply a; pend n1 1", "delete n2", "n2", "u1*")]
#[case("reply a; pend n1 3", "delete n3", "n3", "u1[a2.pending* a4.pending]")]
#[case("reply a; pend n1 1; done n2; refine n2 b; pend n3 1", "delete n2", "n2 n3 n4", "u1*")]
#[case("user root a; user root b; select n1", "delete n1", "n1", "u2*")]
#[case("reply a; pend n1 1; done n2", "delete n1", "n1 n2", "")]
#[case("reply a", "delete n3", "err: there is no node n3", "u1*")]
// Ids are never reused.
#[case("reply a; pend n1 1; delete n2", "pend n1 1", "n3", "u1[a3.pending*]")]
#[case("reply a; delete n1", "reply b", "n2", "u2*")]
fn operation(#[case] setup: &str, #[case] op: &str, #[case] answer: &str, #[case] after: &str) {
    let mut conv = build(setup);
    let before = conv.clone();
    assert_eq!(run_one(&mut conv, op), answer, "{setup}; {op}");
    assert_eq!(render(&conv), after, "{setup}; {op}");
    assert_eq!(conv.check(), Ok(()));
    if answer.starts_with("err") {
        assert_eq!(conv, before, "a refused operation changed the tree");
    }
}

/// Walking down returns to the branch last visited, at every level.
#[rustfmt::skip]
#[rstest]
#[case("select n1; down; down; down", "n1 n3 n5 n6")]
#[case("select n1; down; next; down", "n1 n4")]
#[case("select n4; up; down", "n1 n4")]
#[case("select n6; up; up; prev; down; down", "n1 n2")]
#[case("select n2; next; next; next", "n1 n4")]
#[case("select n6; up; up; up; up", "n1")]
fn navigation_remembers_the_last_child(#[case] keys: &str, #[case] path: &str) {
    // u1 with three answers; the middle one refined, and that refinement answered.
    let mut conv = build("reply a; pend n1 3; select n3; refine n3 b; pend n5 1");
    run(&mut conv, keys);
    let shown: Vec<String> = conv.selected_path().iter().map(|n| n.to_string()).collect();
    assert_eq!(shown.join(" "), path, "{keys}");
}

#[test]
fn queries_on_a_branching_tree() {
    let conv =
        build("system s; reply a; pend n2 3; done n3; fail n4; select n3; refine n3 b; pend n6 1");
    assert_eq!(
        render(&conv),
        "s1[u2[a3.done[u6[a7.pending*]] a4.failed a5.pending]]"
    );
    let n = |k| NodeId(k);
    assert_eq!(conv.len(), 7);
    assert!(!conv.is_empty());
    assert_eq!(conv.siblings(n(4)), Ok(&[n(3), n(4), n(5)][..]));
    assert_eq!(conv.siblings(n(1)), Ok(&[n(1)][..]));
    assert_eq!(conv.sibling_position(n(5)), Ok((3, 3)));
    assert_eq!(conv.path_to(n(7)), Ok(vec![n(1), n(2), n(3), n(6), n(7)]));
    assert_eq!(conv.path_to(n(9)), Err(TreeError::NoSuchNode(n(9))));
    assert_eq!(conv.selected_path(), conv.path_to(n(7)).unwrap());
    assert_eq!(conv.leaf_below(n(1)), Ok(n(7)));
    assert_eq!(conv.leaf_below(n(4)), Ok(n(4)));
    assert_eq!(conv.subtree(n(3)), Ok(vec![n(3), n(6), n(7)]));
    assert_eq!(conv.subtree(n(2)).unwrap().len(), 6);
    assert_eq!(conv.preorder(), [1, 2, 3, 6, 7, 4, 5].map(n));
    assert_eq!(conv.pending(), vec![n(5), n(7)]);
    // done n3 and fail n4 each cost one call.
    assert_eq!(conv.total_cost_micro_usd(), 60_000);
    assert_eq!(conv.node(n(6)).unwrap().text(), "b");
    assert_eq!(conv.node(n(3)).unwrap().images().count(), 1);
    assert_eq!(conv.node(n(4)).unwrap().status(), Some(Status::Failed));
    assert_eq!(conv.node(n(2)).unwrap().status(), None);
}

#[test]
fn a_turn_of_blank_text_is_empty() {
    let mut conv = Conversation::new("t", now());
    let blank = vec![
        Part::Text {
            text: " \n\t".into(),
        },
        Part::Text {
            text: String::new(),
        },
    ];
    assert_eq!(conv.reply(blank, now()), Err(TreeError::EmptyTurn));
    assert_eq!(
        conv.add_system("  ".into(), now()),
        Err(TreeError::EmptyTurn)
    );
    assert!(conv.is_empty());
    assert_eq!(conv.next_id, 1);
}

#[test]
fn settling_keeps_the_running_totals() {
    let mut conv = build("reply a; pend n1 1; fail n2; retry n2 size=3840x2160; fail n2");
    let failed = conv.node(NodeId(2)).unwrap().turn.clone().unwrap();
    assert_eq!(
        failed.error.as_ref().map(|e| e.http_status),
        Some(Some(502))
    );
    assert_eq!(failed.request.size.to_string(), "3840x2160");
    run(&mut conv, "retry n2 size=2048x1152; done n2");
    let t = conv.node(NodeId(2)).unwrap().turn.clone().unwrap();
    assert_eq!(t.status, Status::Done);
    assert_eq!(t.error, None, "a retry clears the old error");
    assert_eq!(t.request.size.to_string(), "2048x1152");
    assert_eq!((t.attempts, t.cost_micro_usd), (3, 90_000));
    assert_eq!(t.request_id.as_deref(), Some("req-n2"));
    assert_eq!(t.latency_ms, Some(1000));
    // A cancel brings no outcome but keeps what was counted.
    let mut conv = build("reply a; pend n1 1; fail n2; retry n2; cancel n2");
    let t = conv.node(NodeId(2)).unwrap().turn.clone().unwrap();
    assert_eq!(
        (t.status, t.attempts, t.cost_micro_usd),
        (Status::Cancelled, 1, 30_000)
    );
    assert_eq!(t.request_id.as_deref(), Some("req-n2"));
    run(&mut conv, "retry n2; refuse n2 no");
    assert_eq!(conv.node(NodeId(2)).unwrap().text(), "no");
    assert_eq!(conv.total_cost_micro_usd(), 60_000);
}

/// The paid-result states: pending → (noted) → unstored → done, and a
/// crash after the note leaves `unstored`, never `interrupted`.
#[test]
fn a_received_picture_is_unstored_until_stored_and_never_resent() {
    let received = Received {
        url: Some("https://gw.example/files/x.png".into()),
        expires_at: Some(now()),
        sha256: None,
        spare_copy: None,
        seal: None,
    };
    let mut conv = build("reply a; pend n1 1");
    let n2 = NodeId(2);
    conv.note_received(n2, received.clone(), Some("req-7".into()))
        .unwrap();
    let t = conv.node(n2).unwrap().turn.clone().unwrap();
    assert_eq!(
        (t.status, t.request_id.as_deref()),
        (Status::Pending, Some("req-7"))
    );
    // Stored at once (the usual case): nothing is left to say.
    let mut done = conv.clone();
    run(&mut done, "done n2");
    assert_eq!(done.node(n2).unwrap().turn.clone().unwrap().received, None);
    // A crash here: the next open.
    let mut reopened = conv.clone();
    reopened.interrupt_pending();
    let t = reopened.node(n2).unwrap().turn.clone().unwrap();
    assert_eq!(t.status, Status::Unstored);
    assert!(t.error.unwrap().message.contains("billed"));
    assert_eq!(t.received.as_ref(), Some(&received));
    // Not a crash: the store failed.
    let why = TurnError {
        message: "disk full".into(),
        ..TurnError::default()
    };
    let paid = Outcome {
        cost_micro_usd: 30_000,
        attempts: 1,
        ..Outcome::default()
    };
    conv.hold(n2, received.clone(), why, paid).unwrap();
    assert_eq!(conv.unstored(), vec![n2]);
    assert_eq!(conv.total_cost_micro_usd(), 30_000);
    assert_eq!(
        conv.retry(n2, None),
        Err(TreeError::NotRetryable(n2, Status::Unstored)),
        "a resend would bill again"
    );
    let hashed = Received {
        sha256: Some("ab".repeat(32)),
        ..received
    };
    conv.update_received(n2, hashed.clone()).unwrap();
    // The saved form keeps it all.
    let back: Conversation = serde_json::from_str(&serde_json::to_string(&conv).unwrap()).unwrap();
    assert_eq!(back, conv);
    let image = ImageRef {
        original: blob("cd"),
        upload: None,
        upload_seal: None,
        origin: ImageOrigin::Result,
        remote: None,
    };
    conv.store_received(n2, image.clone()).unwrap();
    let n = conv.node(n2).unwrap();
    let t = n.turn.clone().unwrap();
    assert_eq!((t.status, t.error, t.received), (Status::Done, None, None));
    assert_eq!(n.images().next(), Some(&image));
    assert_eq!(
        conv.store_received(n2, image),
        Err(TreeError::NotUnstored(n2, Status::Done))
    );
    assert!(conv.unstored().is_empty());
    conv.check().unwrap();
}

/// Found while fuzzing `conversation.json`: a file may hold any numbers.
#[test]
fn totals_saturate_instead_of_overflowing() {
    let mut conv = build("reply a; pend n1 2; done n2; fail n3; retry n3");
    for id in [2, 3] {
        let t = conv
            .nodes
            .get_mut(&NodeId(id))
            .unwrap()
            .turn
            .as_mut()
            .unwrap();
        (t.cost_micro_usd, t.attempts) = (u64::MAX - 1, u32::MAX);
    }
    assert_eq!(conv.total_cost_micro_usd(), u64::MAX);
    run(&mut conv, "done n3");
    let t = conv.node(NodeId(3)).unwrap().turn.clone().unwrap();
    assert_eq!((t.cost_micro_usd, t.attempts), (u64::MAX, u32::MAX));
}

/// Found while fuzzing `conversation.json`: `next_id` at the top of its
/// range refuses new nodes instead of wrapping to ids already used.
#[test]
fn ids_running_out_refuse_new_nodes() {
    let mut conv = build("reply a");
    conv.next_id = u32::MAX;
    let before = conv.clone();
    let parts = vec![Part::Text { text: "b".into() }];
    assert_eq!(conv.reply(parts, now()), Err(TreeError::OutOfIds));
    assert_eq!(conv, before);
    conv.next_id = u32::MAX - 2;
    let params = crate::testkit::params();
    assert_eq!(
        conv.add_pending(NodeId(1), &params, 3, now()),
        Err(TreeError::OutOfIds),
        "all variants or none"
    );
    assert_eq!(conv.len(), 1);
    assert_eq!(
        conv.add_pending(NodeId(1), &params, 2, now())
            .unwrap()
            .len(),
        2
    );
    conv.check().unwrap();
}

#[test]
fn regenerate_copies_or_replaces_the_request() {
    let mut conv = build(
        "reply a; pend n1 1 images size=2048x2048; done n2; regen n2; regen n2 model=gpt-image-2-all",
    );
    let request = |k| conv.node(NodeId(k)).unwrap().turn.clone().unwrap().request;
    assert_eq!(request(3), request(2));
    assert_eq!(request(3).endpoint, Endpoint::Images);
    assert_eq!(request(4).model, "gpt-image-2-all");
    assert_eq!(request(4).endpoint, Endpoint::Chat);
    run(&mut conv, "select n2");
    assert_eq!(conv.sibling_position(NodeId(4)), Ok((3, 3)));
}

#[test]
fn upload_copies_are_recorded_once_for_every_use_of_an_image() {
    let mut conv = build("reply a +ref1 +ref2; pend n1 1; done n2; refine n2 b +ref1");
    run(&mut conv, "upload ref1");
    let uploads: Vec<(String, Option<String>)> = conv
        .nodes
        .values()
        .flat_map(|n| n.images())
        .map(|i| {
            (
                i.original.sha256.clone(),
                i.upload.as_ref().map(|b| b.sha256.clone()),
            )
        })
        .collect();
    let small = Some("ref1-small".to_owned());
    assert_eq!(
        uploads,
        [
            ("ref1".to_owned(), small.clone()),
            ("ref2".to_owned(), None),
            ("r2".to_owned(), None),
            ("ref1".to_owned(), small)
        ]
    );
    // A copy already made is not replaced.
    conv.set_upload_copy("ref1", &blob("other"), "seal");
    let first = conv.node(NodeId(1)).unwrap().images().next().unwrap();
    assert_eq!(first.upload_blob().sha256, "ref1-small");
}

#[test]
fn small_types_print_and_parse() {
    for e in [Endpoint::Chat, Endpoint::Images] {
        assert_eq!(e.to_string().parse::<Endpoint>(), Ok(e));
    }
    assert!("edits".parse::<Endpoint>().is_err());
    let statuses = [
        Status::Pending,
        Status::Done,
        Status::Failed,
        Status::Refused,
        Status::Cancelled,
        Status::Interrupted,
        Status::Unstored,
    ];
    let shown: Vec<String> = statuses
        .iter()
        .map(|s| format!("{s}{}", if s.is_retryable() { "!" } else { "" }))
        .collect();
    assert_eq!(
        shown,
        [
            "pending",
            "done",
            "failed!",
            "refused",
            "cancelled!",
            "interrupted!",
            "unstored"
        ]
    );
    for s in statuses {
        assert_eq!(serde_json::to_value(s).unwrap(), s.to_string());
    }
    assert_eq!(
        [Role::System, Role::User, Role::Assistant].map(|r| r.to_string()),
        ["system", "user", "assistant"]
    );
    let mut b = blob("abc");
    assert_eq!(
        (b.file_name(), b.mime()),
        ("abc.png".to_owned(), "image/png")
    );
    for (ext, mime) in [
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("webp", "image/webp"),
        ("gif", "image/gif"),
        ("bmp", "image/bmp"),
        ("tiff", "image/tiff"),
        ("exe", "application/octet-stream"),
    ] {
        b.ext = ext.to_owned();
        assert_eq!(b.mime(), mime, "{ext}");
    }
}

#[rustfmt::skip]
#[rstest]
#[case("n1", Ok(1))]
#[case("n42", Ok(42))]
#[case("n4294967295", Ok(u32::MAX))]
#[case("n", Err(()))]
#[case("1", Err(()))]
#[case("N1", Err(()))]
#[case("n-1", Err(()))]
#[case("n+1", Err(()))]
#[case("n01", Err(()))]
#[case(" n1", Err(()))]
#[case("n1 ", Err(()))]
#[case("n4294967296", Err(()))]
fn node_ids_parse_only_in_their_printed_form(#[case] text: &str, #[case] want: Result<u32, ()>) {
    let got = text.parse::<NodeId>();
    assert_eq!(got.as_ref().map(|n| n.0).map_err(|_| ()), want, "{text}");
    if let Ok(id) = got {
        assert_eq!(id.to_string(), text);
    }
}

#[test]
fn the_saved_form_is_readable_and_round_trips() {
    let conv =
        build("reply a cat +ref1; pend n1 1 size=2048x1152; done n2; star n2; label n2 keep");
    let json = serde_json::to_value(&conv).unwrap();
    assert_eq!(
        json["nodes"][1],
        serde_json::json!({
            "id": "n2", "parent": "n1", "role": "assistant",
            "parts": [{"type": "image", "image": {
                "original": {"sha256": "r2", "ext": "png", "bytes": 1000, "width": 1024, "height": 1024},
                "origin": {"kind": "result"},
                "remote": {"url": "https://cdn.test/r2.png", "expires_at": "2026-11-24T11:00:00Z"},
            }}],
            "created_at": "2026-11-23T12:00:00Z",
            "label": "keep", "starred": true,
            "turn": {
                "request": {"endpoint": "chat", "model": "gpt-image-2-vip", "size": "2048x1152"},
                "status": "done", "request_id": "req-n2", "latency_ms": 1000,
                "cost_micro_usd": 30000, "attempts": 1,
            },
        })
    );
    assert_eq!(json["selected"], "n2");
    assert_eq!(json["roots"], serde_json::json!(["n1"]));
    assert_eq!(json["nodes"][0]["children"], serde_json::json!(["n2"]));
    assert_eq!(json["nodes"][0]["last_child"], "n2");
    let back: Conversation = serde_json::from_value(json).unwrap();
    assert_eq!(back, conv);
}

#[test]
fn a_file_listing_a_node_twice_does_not_load() {
    let conv = build("reply a");
    let mut json = serde_json::to_value(&conv).unwrap();
    let node = json["nodes"][0].clone();
    json["nodes"].as_array_mut().unwrap().push(node);
    let err = serde_json::from_value::<Conversation>(json).unwrap_err();
    assert!(err.to_string().contains("node n1 appears twice"), "{err}");
}

/// A hand-edited file breaking one invariant, and what `check` says.
#[rustfmt::skip]
#[rstest]
#[case::missing_root(|c: &mut Conversation| c.roots.push(NodeId(9)), "n9 is listed but missing")]
#[case::wrong_parent(|c: &mut Conversation| set(c, 2, |n| n.parent = Some(NodeId(3))), "n2 names the wrong parent")]
#[case::child_listed_twice(|c: &mut Conversation| set(c, 3, |n| n.children.push(NodeId(4))), "n4 is reachable twice")]
#[case::unreachable(|c: &mut Conversation| set(c, 1, |n| { n.children.clear(); n.last_child = None; }), "3 nodes cannot be reached")]
#[case::cycle_below_a_root(|c: &mut Conversation| set(c, 4, |n| n.children.push(NodeId(1))), "n1 names the wrong parent")]
#[case::cycle_alone(|c: &mut Conversation| { set(c, 4, |n| n.children.push(NodeId(1))); set(c, 1, |n| n.parent = Some(NodeId(4))); c.roots.clear(); }, "4 nodes cannot be reached")]
#[case::id_in_use(|c: &mut Conversation| c.next_id = 4, "n4 is not below next_id 4")]
#[case::stored_under_another_id(|c: &mut Conversation| set(c, 4, |n| n.id = NodeId(7)), "n4 is stored as n7")]
#[case::last_child_elsewhere(|c: &mut Conversation| set(c, 1, |n| n.last_child = Some(NodeId(4))), "n1 remembers n4")]
#[case::user_with_a_turn(|c: &mut Conversation| { let t = c.nodes[&NodeId(2)].turn.clone(); set(c, 1, |n| n.turn = t); }, "n1: only assistant turns")]
#[case::assistant_without(|c: &mut Conversation| set(c, 2, |n| n.turn = None), "n2: only assistant turns")]
#[case::selection_gone(|c: &mut Conversation| c.selected = Some(NodeId(8)), "the selected node n8 does not exist")]
fn check_names_the_broken_invariant(#[case] corrupt: fn(&mut Conversation), #[case] says: &str) {
    let mut conv = build("reply a; pend n1 1; done n2; refine n2 b; pend n3 1");
    assert_eq!(conv.check(), Ok(()));
    corrupt(&mut conv);
    let err = conv.check().expect_err(says);
    assert!(err.contains(says), "{err}");
    // Nothing walks forever on a broken tree.
    for id in conv.nodes.keys().copied().collect::<Vec<_>>() {
        let _ = (conv.path_to(id), conv.leaf_below(id), conv.subtree(id));
    }
    let _ = (conv.preorder(), conv.selected_path());
}

fn set(conv: &mut Conversation, k: u32, f: impl FnOnce(&mut Node)) {
    f(conv.nodes.get_mut(&NodeId(k)).unwrap());
}

mod properties;
