//! The compare view walking a re-run's branch beside its original: j / k
//! move both sides a step, the title says which, the prompts and pictures
//! follow; a branch that ends early, or two images not at the same step,
//! are said so.

use crate::tui::action::{Action, Event, Msg};
use crate::tui::fixtures::{
    T0, branched_at, done_report, image, n, outcome, params, text as parts,
};
use crate::tui::state::{App, Overlay};
use crate::tui::update::update;

use super::tests::{screen, with};
use Action as A;

/// `branched` re-run from n1 (n1 › n4 down to n5) as it was: n8 → n9 beside
/// n1 → n2, then n10 → n11 beside n4 → n5 (n11 cancelled unless `both`).
fn rerun(both: bool) -> App {
    let mut app = with(branched_at(1), &[A::Rerun, A::Confirm]);
    let checked = Event::RerunChecked {
        from: n(1),
        missing: None,
    };
    update(&mut app, Msg::Event(checked));
    update(
        &mut app,
        Msg::Event(Event::TurnFinished(done_report(n(9), "dd"))),
    );
    if both {
        update(
            &mut app,
            Msg::Event(Event::TurnFinished(done_report(n(11), "ee"))),
        );
    } else {
        app.conv.select(n(11)).expect("the second step");
        update(&mut app, Msg::Action(A::Cancel));
        update(&mut app, Msg::Action(A::Confirm));
    }
    assert!(
        !app.rerun.as_ref().is_some_and(|r| r.is_live()),
        "the re-run is over"
    );
    app
}

/// `c` on `a`, then `c` on `b`: the compare view.
fn compare(mut app: App, a: u32, b: u32) -> App {
    app.conv.select(n(a)).expect("a");
    app = with(app, &[A::Compare]);
    app.conv.select(n(b)).expect("b");
    with(app, &[A::Compare])
}

fn shown(app: &App) -> (u32, u32) {
    match app.overlay {
        Overlay::Compare { left, right } => (left.0, right.0),
        ref other => panic!("not comparing: {other:?}"),
    }
}

fn said(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// `a` leaves both sides where they are and says `line`.
fn refused(app: App, a: Action, line: &str) -> App {
    let before = shown(&app);
    let app = with(app, &[a]);
    assert_eq!(shown(&app), before);
    assert_eq!(said(&app), line);
    app
}

#[test]
fn j_and_k_walk_the_rerun_beside_its_original_step_by_step() {
    let mut app = compare(rerun(true), 2, 9);
    assert_eq!(shown(&app), (2, 9));
    let (text, wants) = screen(&app, 100, 30);
    assert!(
        text.contains("compare n2 ⇄ n9 · step 1/2 · j/k step"),
        "{text}"
    );
    insta::assert_snapshot!("rerun_step1_100x30", text);
    let shas: Vec<&str> = wants.iter().map(|w| w.blob.sha256.as_str()).collect();
    assert!(shas.contains(&"aa") && shas.contains(&"dd"), "{shas:?}");

    app = with(app, &[A::MoveDown]);
    assert_eq!(shown(&app), (5, 11));
    let (text, wants) = screen(&app, 100, 30);
    assert!(text.contains("compare n5 ⇄ n11 · step 2/2"), "{text}");
    // The same prompts: the step's pictures differ by chance.
    assert!(text.contains("the same prompt"), "{text}");
    insta::assert_snapshot!("rerun_step2_100x30", text);
    let shas: Vec<&str> = wants.iter().map(|w| w.blob.sha256.as_str()).collect();
    assert!(shas.contains(&"cc") && shas.contains(&"ee"), "{shas:?}");

    // Past the last step: it stays, and says so.
    app = refused(app, A::MoveDown, "step 2/2 is the last step");
    app = with(app, &[A::MoveUp]);
    assert_eq!(shown(&app), (2, 9));
    refused(app, A::MoveUp, "step 1/2 is the first step");
    // The original on the right: the sides keep their places.
    app = with(compare(rerun(true), 9, 2), &[A::MoveDown]);
    assert_eq!(shown(&app), (11, 5));
}

#[test]
fn a_cancelled_step_is_walked_onto_and_a_longer_branch_says_where_the_other_ends() {
    // The re-run's second step cancelled: still step 2, without a picture.
    let mut app = with(compare(rerun(false), 2, 9), &[A::MoveDown]);
    assert_eq!(shown(&app), (5, 11));
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("compare n5 ⇄ n11 · step 2/2"), "{text}");

    // The re-run refined once more (n12 → n13): step 3 is only on its side.
    app = rerun(true);
    let n12 = app.conv.refine(n(11), parts("at night"), T0).expect("n12");
    let n13 = app
        .conv
        .add_pending(n12, &params("2048x1152"), 1, T0)
        .expect("n13")[0];
    app.conv
        .complete(n13, image("ff", 2048, 1152), outcome(30_000))
        .expect("n13 done");
    app = with(compare(app, 2, 9), &[A::MoveDown]);
    assert_eq!(shown(&app), (5, 11));
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("step 2/3"), "{text}");
    refused(
        app,
        A::MoveDown,
        "step 3/3 is only on one side (n13): the branch of n5 ends at step 2",
    );
}

#[test]
fn images_not_at_the_same_step_are_compared_but_not_walked() {
    // n2 is step 1 of the original, n11 step 2 of the re-run.
    let app = compare(rerun(true), 2, 11);
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("compare n2 ⇄ n11 · esc closes"), "{text}");
    refused(
        app,
        A::MoveDown,
        "n2 and n11 are not at the same step of their branches: \
         compare two answers at the same depth to walk them",
    );
}
