//! A paid picture that could not be stored, as data: it is recorded as
//! soon as it arrives, held in memory, told, stored by the store key or
//! the next save, and quitting asks first.

use super::tests::{acts, run};
use super::*;
use crate::engine::Kept;
use crate::tui::fixtures::{image, in_flight, n, outcome, picture, received};
use pixloom_core::tree::Received;

use Action as A;
use Effect as E;

fn held() -> (App, Vec<Effect>) {
    crate::tui::fixtures::unstored()
}

#[test]
fn the_link_and_request_id_are_recorded_and_saved_as_soon_as_the_picture_arrives() {
    let mut app = in_flight();
    let fx = update(
        &mut app,
        Msg::Event(Event::ResultReceived {
            node: n(8),
            received: Box::new(received()),
            request_id: Some("req-8".to_owned()),
        }),
    );
    assert_eq!(fx, vec![E::Save]);
    let turn = app.conv.node(n(8)).unwrap().turn.clone().unwrap();
    assert_eq!(turn.status, Status::Pending);
    assert_eq!(turn.received, Some(received()));
    assert_eq!(turn.request_id.as_deref(), Some("req-8"));
    // A crash now: the next open says the picture is paid and where it is.
    let mut reopened = app.conv.clone();
    assert_eq!(reopened.interrupt_pending(), vec![n(8)]);
    let turn = reopened.node(n(8)).unwrap().turn.clone().unwrap();
    assert_eq!(turn.status, Status::Unstored);
    assert_eq!(turn.received, Some(received()));
}

#[test]
fn an_unstored_picture_is_held_told_and_billed() {
    let (app, fx) = held();
    assert_eq!(fx, vec![E::Save, E::Save]);
    let node = app.conv.node(n(8)).unwrap();
    let turn = node.turn.as_ref().unwrap();
    assert_eq!(turn.status, Status::Unstored);
    assert_eq!(turn.request_id.as_deref(), Some("req-8"));
    assert_eq!(turn.received.as_ref().unwrap().url, received().url);
    assert!(turn.error.as_ref().unwrap().message.contains("billed"));
    assert_eq!(app.unstored_bytes.get(&n(8)), Some(&picture()));
    assert_eq!(app.session_cost_micro_usd, outcome(0).cost_micro_usd);
    let status = app.status.clone().unwrap();
    assert_eq!(status.kind, super::super::state::StatusKind::Error);
    for piece in [
        "n8",
        "No space left",
        "kept in memory",
        "free some space",
        "press S",
    ] {
        assert!(
            status.text.contains(piece),
            "{piece:?} not in {:?}",
            status.text
        );
    }
    let hint = super::super::state::fix_hint(node, &app.keymap).unwrap();
    assert!(
        hint.contains("press S") && hint.contains("2026-11-24 12:00 UTC"),
        "{hint}"
    );
}

#[test]
fn the_store_key_stores_it_and_the_turn_becomes_done() {
    let (mut app, _) = held();
    let fx = run(&mut app, acts(&[A::StoreResult]));
    assert_eq!(
        fx,
        vec![E::StoreResult {
            node: n(8),
            received: received(),
            bytes: Some(picture()),
        }]
    );
    let stored = image("dd", 2048, 1152);
    let fx = update(
        &mut app,
        Msg::Event(Event::StoreFinished {
            node: n(8),
            received: Box::new(received()),
            kept: Kept::Stored(Box::new(stored.clone())),
        }),
    );
    assert_eq!(fx, vec![E::Save]);
    let node = app.conv.node(n(8)).unwrap();
    assert_eq!(node.status(), Some(Status::Done));
    assert_eq!(node.images().next(), Some(&stored));
    assert!(node.turn.as_ref().unwrap().received.is_none());
    assert!(app.unstored_bytes.is_empty());
    // Nothing is lost by quitting now: no question.
    assert_eq!(run(&mut app, acts(&[A::Quit])), vec![E::Save, E::Quit]);
}

#[test]
fn a_failed_try_is_told_keeps_the_bytes_and_saves_nothing() {
    let (mut app, _) = held();
    app.unstored_bytes.clear(); // as after a reopen: only the link is left
    let fx = update(
        &mut app,
        Msg::Event(Event::StoreFinished {
            node: n(8),
            received: Box::new(Received {
                sha256: Some("ab".repeat(32)),
                ..received()
            }),
            kept: Kept::Unstored {
                reason: "No space left on device".to_owned(),
                bytes: Some(picture()),
            },
        }),
    );
    // A save would start another automatic try: none, no loop.
    assert_eq!(fx, vec![]);
    assert_eq!(app.unstored_bytes.get(&n(8)), Some(&picture()));
    let turn = app.conv.node(n(8)).unwrap().turn.clone().unwrap();
    assert_eq!(turn.status, Status::Unstored);
    assert_eq!(turn.received.unwrap().sha256, Some("ab".repeat(32)));
    assert!(app.status.unwrap().text.contains("still not stored"));
}

#[test]
fn quitting_with_a_paid_picture_not_on_disk_asks_and_says_what_is_lost() {
    let (mut app, _) = held();
    assert!(app.in_flight.is_empty());
    assert_eq!(run(&mut app, acts(&[A::Quit])), vec![]);
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    let losses = app.quit_losses().join("\n");
    assert!(
        losses.contains("n8's paid picture is not on disk")
            && losses.contains("until 2026-11-24 12:00 UTC"),
        "{losses}"
    );
    // S from the question stores instead of quitting.
    let fx = run(&mut app, acts(&[A::StoreResult]));
    assert!(matches!(fx.as_slice(), [E::StoreResult { .. }]), "{fx:?}");
    assert_eq!(app.overlay, Overlay::None);
    assert!(!app.quitting);
    // Quitting anyway keeps the link in the file.
    let fx = run(&mut app, acts(&[A::Quit, A::Confirm]));
    assert_eq!(fx, vec![E::Save, E::Quit]);
    let turn = app.conv.node(n(8)).unwrap().turn.clone().unwrap();
    assert_eq!(turn.status, Status::Unstored);
    assert!(turn.received.is_some());
}

#[test]
fn a_failed_save_is_retried_by_the_store_key_and_quitting_asks_meanwhile() {
    let mut app = in_flight();
    app.in_flight.clear();
    update(
        &mut app,
        Msg::Event(Event::SaveFailed("No space left on device".to_owned())),
    );
    assert!(app.save_failed);
    assert!(
        app.status
            .clone()
            .unwrap()
            .text
            .contains("press S to save again")
    );
    assert_eq!(run(&mut app, acts(&[A::Quit])), vec![]);
    assert_eq!(app.overlay, Overlay::ConfirmQuit);
    assert!(app.quit_losses().join(" ").contains("not saved"));
    let fx = run(&mut app, acts(&[A::Dismiss, A::StoreResult]));
    assert_eq!(fx, vec![E::Save]);
    update(&mut app, Msg::Event(Event::Saved));
    assert!(!app.save_failed);
    assert_eq!(run(&mut app, acts(&[A::Quit])), vec![E::Save, E::Quit]);
}

#[test]
fn a_retry_never_resends_a_paid_turn() {
    let (mut app, _) = held();
    app.conv.select(n(8)).unwrap();
    let fx = run(&mut app, acts(&[A::Retry]));
    assert_eq!(fx, vec![], "a resend would bill again");
    assert_eq!(
        app.conv.node(n(8)).unwrap().status(),
        Some(Status::Unstored)
    );
    assert!(
        app.status
            .clone()
            .unwrap()
            .text
            .contains("press S to store it")
    );
    // Deleting it (asked first) lets it go: quitting no longer asks.
    run(&mut app, acts(&[A::Delete, A::Confirm]));
    assert!(app.unstored_bytes.is_empty());
    assert_eq!(run(&mut app, acts(&[A::Quit])), vec![E::Save, E::Quit]);
}

#[test]
fn a_late_failed_try_after_the_picture_was_stored_says_nothing() {
    let (mut app, _) = held();
    let stored = Msg::Event(Event::StoreFinished {
        node: n(8),
        received: Box::new(received()),
        kept: Kept::Stored(Box::new(image("dd", 2048, 1152))),
    });
    update(&mut app, stored);
    let late = Msg::Event(Event::StoreFinished {
        node: n(8),
        received: Box::new(received()),
        kept: Kept::Unstored {
            reason: "No space left on device".to_owned(),
            bytes: Some(picture()),
        },
    });
    assert_eq!(update(&mut app, late), vec![]);
    assert!(app.unstored_bytes.is_empty());
    assert!(app.status.unwrap().text.contains("is stored"));
    assert_eq!(app.conv.node(n(8)).unwrap().status(), Some(Status::Done));
}
