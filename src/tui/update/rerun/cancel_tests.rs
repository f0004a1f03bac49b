//! Cancelling a re-run at any point: while its references are looked for
//! (nothing sent), on its running step wherever the selection is, and
//! when the step finishes while the cancel question is open (the next
//! step waits: yes sends nothing more, no sends it).

use super::super::tests::{acts, run};
use super::super::update;
use super::Effect as E;
use super::tests::{finished, said, under_way};
use crate::tui::action::{Action, Event, Msg};
use crate::tui::fixtures::{branched_at, n};
use crate::tui::state::Overlay;
use crate::tui::state::rerun::Phase;

use Action as A;

#[test]
fn esc_while_the_references_are_looked_for_ends_it_before_anything_is_sent() {
    let mut app = branched_at(1);
    let before = app.conv.clone();
    let fx = run(&mut app, acts(&[A::Rerun, A::Confirm]));
    assert!(matches!(fx.as_slice(), [E::CheckRerun { .. }]), "{fx:?}");
    // Esc: no question (nothing runs, nothing is billed).
    let fx = run(&mut app, acts(&[A::Cancel]));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.rerun.is_none());
    assert!(said(&app).contains("nothing was sent"), "{}", said(&app));
    // The look's answer arriving late starts nothing.
    let fx = update(
        &mut app,
        Msg::Event(Event::RerunChecked {
            from: n(1),
            missing: None,
        }),
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(app.conv, before);
}

#[test]
fn esc_cancels_the_running_step_wherever_the_selection_is() {
    let mut app = under_way();
    // Away from the running n9.
    app.conv.select(n(5)).unwrap();
    run(&mut app, acts(&[A::Cancel]));
    assert_eq!(app.overlay, Overlay::ConfirmCancel(n(9)));
    let fx = run(&mut app, acts(&[A::Confirm]));
    assert_eq!(fx, vec![E::CancelTurn(n(9)), E::Save]);
    assert!(said(&app).contains("re-run cancelled at step 1/2"));
    // Its report, arriving after, adds nothing.
    assert!(finished(&mut app, 9).is_empty());
    assert_eq!(app.conv.len(), 9, "no second step");
}

#[test]
fn a_step_done_while_its_cancel_is_asked_holds_the_next_and_yes_sends_nothing_more() {
    let mut app = under_way();
    run(&mut app, acts(&[A::Cancel]));
    assert_eq!(app.overlay, Overlay::ConfirmCancel(n(9)));
    // n9 finishes while the question is open: the next step waits.
    let fx = finished(&mut app, 9);
    assert_eq!(fx, vec![E::Save], "no next step: {fx:?}");
    assert_eq!(app.rerun.as_ref().map(|r| r.phase), Some(Phase::Held));
    assert_eq!(app.conv.len(), 9);
    // Yes: the re-run ends there, nothing more added or sent.
    let fx = run(&mut app, acts(&[A::Confirm]));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(app.conv.len(), 9);
    assert_eq!(app.rerun.as_ref().map(|r| r.phase), Some(Phase::Stopped));
    let line = said(&app);
    assert!(
        line.contains("re-run cancelled after step 1/2") && line.contains("not sent"),
        "{line}"
    );
    // Nothing starts it again later.
    assert!(run(&mut app, acts(&[A::MoveUp])).is_empty());
    assert!(app.rerun.is_none());
}

#[test]
fn a_step_done_while_its_cancel_is_asked_goes_on_when_the_answer_is_no() {
    let mut app = under_way();
    run(&mut app, acts(&[A::Cancel]));
    finished(&mut app, 9);
    let fx = run(&mut app, acts(&[A::Dismiss]));
    assert_eq!(fx, vec![E::Save, E::StartTurn(n(11))]);
    assert_eq!(app.conv.node(n(10)).unwrap().parent, Some(n(9)));
    assert_eq!(app.rerun.as_ref().map(|r| r.phase), Some(Phase::Running));
}
