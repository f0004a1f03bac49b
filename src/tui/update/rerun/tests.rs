//! "Re-run from here" as data: the question, each step started when the
//! one before is done, a failure or a cancel ending it, the original
//! branch untouched.

use super::super::tests::{acts, run};
use super::super::update;
use crate::engine::TurnResult;
use crate::tui::action::{Action, Event, Msg};
use crate::tui::fixtures::{branched, branched_at, done_report, n};
use crate::tui::state::rerun::{Phase, RerunQuestion};
use crate::tui::state::{App, Overlay};
use pixloom_core::tree::{Endpoint, Status, TurnError};

use super::Effect as E;
use Action as A;

/// What the status line says.
pub(super) fn said(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Enter on the question: the references are looked for first; `missing`
/// is what the look found.
pub(super) fn confirm(app: &mut App, missing: Option<&str>) -> Vec<E> {
    let fx = run(app, acts(&[A::Confirm]));
    let [E::CheckRerun { from, .. }] = fx.as_slice() else {
        panic!("no check first: {fx:?}")
    };
    let from = *from;
    assert!(
        app.rerun
            .as_ref()
            .is_some_and(|r| r.phase == Phase::Checking),
        "started before the check"
    );
    let checked = Event::RerunChecked {
        from,
        missing: missing.map(str::to_owned),
    };
    update(app, Msg::Event(checked))
}

/// `branched` re-run from n1 as it was, its first step (n9) running.
pub(super) fn under_way() -> App {
    let mut app = branched_at(1);
    run(&mut app, acts(&[A::Rerun]));
    confirm(&mut app, None);
    app
}

/// Keys that open the question and pick gpt-image-2-all on its model row.
pub(super) const TO_ALL: [Action; 3] = [A::Rerun, A::MoveRight, A::MoveRight];

pub(super) fn finished(app: &mut App, id: u32) -> Vec<E> {
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
    assert_eq!(app.overlay, Overlay::ConfirmRerun(RerunQuestion::new(n(1))));
    // n1 and n4 (the remembered branch down to n5): two steps.
    let fx = confirm(&mut app, None);
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
fn enter_with_a_change_sends_every_step_with_the_chosen_model_size_and_endpoint() {
    let mut app = branched_at(1);
    let before = app.conv.clone();
    // Model: as it was → gpt-image-2-vip → gpt-image-2-all. Size, back
    // from as it was: 21:9 4K, then 21:9 2K. Endpoint: chat → images.
    let size_and_endpoint = [A::MoveDown, A::MoveLeft, A::MoveLeft, A::MoveDown];
    let keys = [
        &TO_ALL[..],
        &size_and_endpoint,
        &[A::MoveRight, A::MoveRight],
    ]
    .concat();
    run(&mut app, acts(&keys));
    let Overlay::ConfirmRerun(q) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    let want = pixloom_core::tree::RequestParams {
        endpoint: Endpoint::Images,
        model: "gpt-image-2-all".to_owned(),
        size: "2048x864".parse().unwrap(),
    };
    assert_eq!(q.change.model.as_deref(), Some(want.model.as_str()));
    assert_eq!(q.change.size, Some(want.size));
    assert_eq!(q.change.endpoint, Some(want.endpoint));
    // The plan the run holds: every step with the change.
    run(&mut app, acts(&[A::Confirm]));
    let planned = app.rerun.as_ref().expect("checking");
    assert_eq!(planned.steps.len(), 2);
    for s in &planned.steps {
        assert_eq!(s.step.params, want, "{}", s.step.source);
    }
    update(
        &mut app,
        Msg::Event(Event::RerunChecked {
            from: n(1),
            missing: None,
        }),
    );
    finished(&mut app, 9);
    finished(&mut app, 11);
    // Both answers were asked with it; the originals kept theirs.
    for id in [9, 11] {
        let turn = app.conv.node(n(id)).unwrap().turn.clone().unwrap();
        assert_eq!(turn.request, want, "n{id}");
    }
    for (id, old) in &before.nodes {
        assert_eq!(&app.conv.nodes[id], old, "{id} changed");
    }
}

#[test]
fn a_failed_step_ends_the_rerun_and_says_where() {
    let mut app = under_way();
    let mut r = done_report(n(9), "x");
    r.result = TurnResult::Failed {
        error: TurnError {
            message: "the gateway failed (500)".to_owned(),
            ..TurnError::default()
        },
    };
    let fx = update(&mut app, Msg::Event(Event::TurnFinished(r)));
    assert_eq!(fx, vec![E::Save]);
    let line = said(&app);
    assert!(
        line.contains("re-run stopped at step 1/2") && line.contains("500"),
        "{line}"
    );
    assert_eq!(app.conv.len(), 9, "no second step");
    // The strip stays, the step marked, until the next key.
    let stopped = app.rerun.as_ref().expect("shown where it stopped");
    assert_eq!(stopped.phase, Phase::Stopped);
    assert_eq!(stopped.current(), Some((0, n(9))));
    run(&mut app, acts(&[A::MoveUp]));
    assert!(app.rerun.is_none());
}

#[test]
fn cancelling_the_running_step_ends_the_rerun() {
    let mut app = under_way();
    let fx = run(&mut app, acts(&[A::Cancel, A::Confirm]));
    assert_eq!(fx, vec![E::CancelTurn(n(9)), E::Save]);
    assert_eq!(app.rerun.as_ref().map(|r| r.phase), Some(Phase::Stopped));
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
    let mut app = under_way();
    run(&mut app, acts(&[A::Rerun]));
    assert_eq!(app.overlay, Overlay::None);
    assert!(said(&app).contains("a re-run is under way"));
}

#[test]
fn a_missing_reference_stops_the_rerun_before_anything_is_sent() {
    let mut app = branched_at(1);
    app.conv
        .nodes
        .get_mut(&n(1))
        .unwrap()
        .parts
        .push(pixloom_core::tree::Part::Image {
            image: crate::tui::fixtures::image("ref", 64, 48),
        });
    run(&mut app, acts(&[A::Rerun]));
    let fx = run(&mut app, acts(&[A::Confirm]));
    let [E::CheckRerun { references, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let shas: Vec<&str> = references.iter().map(|(_, b)| b.sha256.as_str()).collect();
    assert_eq!(shas, ["ref"]);
    let line = "n1's reference image is not usable (missing); nothing was sent or billed. Put the file back, or re-run from a turn after it — /x/images/ref.png";
    let fx = update(
        &mut app,
        Msg::Event(Event::RerunChecked {
            from: n(1),
            missing: Some(line.to_owned()),
        }),
    );
    assert!(fx.is_empty());
    assert!(app.rerun.is_none());
    assert_eq!(app.conv.len(), 7, "nothing added");
    assert_eq!(said(&app), line);
}

#[test]
fn a_rerun_over_a_spend_limit_is_refused_before_anything_is_checked_or_sent() {
    let mut app = branched_at(1);
    let before = app.conv.clone();
    // Nothing more may be spent on this conversation.
    app.budgets.conversation = Some(app.conv.total_cost_micro_usd());
    assert!(run(&mut app, acts(&[A::Rerun])).is_empty());
    let fx = run(&mut app, acts(&[A::Confirm]));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(app.rerun.is_none());
    assert_eq!(app.conv, before);
    assert!(said(&app).contains("not sent:"), "{}", said(&app));
}
