//! "Re-run from here" as data: the question, each step started when the
//! one before is done, a failure or a cancel ending it, the original
//! branch untouched.

use super::super::tests::{acts, run};
use super::super::update;
use crate::engine::TurnResult;
use crate::tui::action::{Action, Event, Msg};
use crate::tui::fixtures::{branched, branched_at, done_report, n};
use crate::tui::state::{App, Overlay};
use pixloom_core::tree::{Status, TurnError};

use super::Effect as E;
use Action as A;

/// What the status line says.
fn said(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

fn finished(app: &mut App, id: u32) -> Vec<E> {
    update(
        app,
        Msg::Event(Event::TurnFinished(done_report(n(id), "new"))),
    )
}

#[test]
fn p_asks_what_to_change_and_enter_sends_the_first_step_beside_the_original() {
    let mut app = branched_at(1);
    let before = app.conv.clone();
    assert!(run(&mut app, acts(&[A::Rerun])).is_empty());
    assert_eq!(
        app.overlay,
        Overlay::ConfirmRerun {
            from: n(1),
            with_settings: false
        }
    );
    // n1 and n4 (the remembered branch down to n5): two steps.
    let fx = run(&mut app, acts(&[A::Confirm]));
    assert_eq!(fx, vec![E::Save, E::StartTurn(n(9))]);
    let user = app.conv.node(n(8)).unwrap();
    assert_eq!(
        (user.parent, user.text()),
        (None, before.nodes[&n(1)].text())
    );
    // As it was: the original answer's parameters.
    let req = |app: &App, id| app.conv.node(n(id)).unwrap().turn.clone().unwrap().request;
    assert_eq!(req(&app, 9), req(&app, 2));
    assert!(said(&app).contains("re-run step 1/2"));

    // Done: the next step goes under the new picture.
    let fx = finished(&mut app, 9);
    assert_eq!(fx, vec![E::Save, E::Save, E::StartTurn(n(11))]);
    let refine = app.conv.node(n(10)).unwrap();
    assert_eq!(
        (refine.parent, refine.text()),
        (Some(n(9)), "make it dusk".to_owned())
    );
    let fx = finished(&mut app, 11);
    assert_eq!(fx, vec![E::Save]);
    assert!(app.rerun.is_none());
    assert!(said(&app).contains("re-run done: 2 step(s)"));
    for (id, old) in &before.nodes {
        assert_eq!(&app.conv.nodes[id], old, "{id} changed");
    }
}

#[test]
fn the_other_choice_sends_every_step_with_the_composers_settings() {
    let mut app = branched_at(4);
    app.composer.params.model = "gpt-image-2-all".to_owned();
    run(&mut app, acts(&[A::Rerun, A::MoveDown]));
    assert_eq!(
        app.overlay,
        Overlay::ConfirmRerun {
            from: n(4),
            with_settings: true
        }
    );
    run(&mut app, acts(&[A::Confirm]));
    // One step (n4), beside n4 under n2.
    assert_eq!(app.conv.node(n(8)).unwrap().parent, Some(n(2)));
    let turn = app.conv.node(n(9)).unwrap().turn.clone().unwrap();
    assert_eq!(turn.request, app.composer.params);
}

#[test]
fn a_failed_step_ends_the_rerun_and_says_where() {
    let mut app = branched_at(1);
    run(&mut app, acts(&[A::Rerun, A::Confirm]));
    let mut r = done_report(n(9), "x");
    r.result = TurnResult::Failed {
        error: TurnError {
            message: "the gateway failed (500)".to_owned(),
            ..TurnError::default()
        },
    };
    let fx = update(&mut app, Msg::Event(Event::TurnFinished(r)));
    assert_eq!(fx, vec![E::Save]);
    assert!(app.rerun.is_none());
    let line = said(&app);
    assert!(
        line.contains("re-run stopped at step 1/2") && line.contains("500"),
        "{line}"
    );
    assert_eq!(app.conv.len(), 9, "no second step");
}

#[test]
fn cancelling_the_running_step_ends_the_rerun() {
    let mut app = branched_at(1);
    run(&mut app, acts(&[A::Rerun, A::Confirm]));
    let fx = run(&mut app, acts(&[A::Cancel, A::Confirm]));
    assert_eq!(fx, vec![E::CancelTurn(n(9)), E::Save]);
    assert!(app.rerun.is_none());
    assert_eq!(
        app.conv.node(n(9)).unwrap().status(),
        Some(Status::Cancelled)
    );
    assert!(said(&app).contains("re-run cancelled at step 1/2"));
}

#[test]
fn without_a_key_or_during_a_rerun_nothing_is_asked() {
    let mut app = branched();
    app.can_send = false;
    run(&mut app, acts(&[A::Rerun]));
    assert_eq!(app.overlay, Overlay::None);
    assert!(said(&app).contains("no API key"));
    let mut app = branched_at(1);
    run(&mut app, acts(&[A::Rerun, A::Confirm, A::Rerun]));
    assert_eq!(app.overlay, Overlay::None);
    assert!(said(&app).contains("a re-run is under way"));
}
