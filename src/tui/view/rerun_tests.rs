//! The re-run as the user sees it at 80×24 (and 200×60): the question
//! with a change and with a refused one, and the progress strip mid-run.

use std::time::Duration;

use crate::tui::action::{Action, Event, Msg};
use crate::tui::fixtures::{T0, branched_at, done_report, image, n, outcome, params, text};
use crate::tui::state::App;
use crate::tui::update::update;

use super::tests::{screen, with};
use Action as A;

fn snap(name: &str, app: &App) -> String {
    for (w, h) in [(80, 24), (200, 60)] {
        let (shown, _) = screen(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), shown);
    }
    screen(app, 80, 24).0
}

fn on_screen(shown: &str, wanted: &[&str]) {
    let missing: Vec<&&str> = wanted.iter().filter(|p| !shown.contains(**p)).collect();
    assert!(missing.is_empty(), "{missing:?} not on screen:\n{shown}");
}

/// `branched` with a third step under n5 ("add a moon"),
/// selected at n1 (n8 → n9): a re-run of three steps.
fn three_steps() -> App {
    let mut app = branched_at(1);
    let c = &mut app.conv;
    let u = c
        .refine(n(5), text("add a moon over the hills"), T0)
        .unwrap();
    let a = c.add_pending(u, &params("2048x1152"), 1, T0).unwrap()[0];
    c.complete(a, image("dd", 2048, 1152), outcome(47_000))
        .unwrap();
    c.select(n(1)).unwrap();
    app
}

/// The question over [`three_steps`] with gpt-image-2-all picked, then
/// `keys`.
fn asked(keys: &[Action]) -> App {
    let to_all = [A::Rerun, A::MoveRight, A::MoveRight];
    with(three_steps(), &[&to_all[..], keys].concat())
}

/// One event through `update`.
fn event(app: &mut App, e: Event) {
    update(app, Msg::Event(e));
}

/// The look for the references of the re-run from n1 found them all.
fn all_found(app: &mut App) {
    let from = n(1);
    event(
        app,
        Event::RerunChecked {
            from,
            missing: None,
        },
    );
}

#[test]
fn the_question_with_a_change_lists_the_steps_with_it_and_the_price() {
    // Model gpt-image-2-all; endpoint images.
    let app = asked(&[A::MoveDown, A::MoveDown, A::MoveRight, A::MoveRight]);
    let shown = snap("rerun_question_changed", &app);
    on_screen(
        &shown,
        &[
            "model       gpt-image-2-all",
            "‹ images ›",
            "1. n1 a red fox",
            "3. n8 add a moon",
            "gpt-image-2-all · 2048x1152 · images",
            "3 call(s) × $0.03 = $0.09",
        ],
    );
}

#[test]
fn a_refused_change_says_why_in_the_question() {
    // gpt-image-2-all at 21:9 4K.
    let app = asked(&[A::MoveDown, A::MoveLeft]);
    let shown = snap("rerun_question_refused", &app);
    on_screen(
        &shown,
        &[
            "enter runs nothing: refused for n1",
            "gpt-image-2-all makes no 4K",
        ],
    );
    assert!(!shown.contains("call(s) ×"), "no price for what cannot run");
}

#[test]
fn the_progress_strip_shows_every_step_mid_run() {
    let mut app = with(three_steps(), &[A::Rerun, A::Confirm]);
    let checking = screen(&app, 80, 24).0;
    on_screen(&checking, &["looking for references", "1/3 n1 →"]);
    all_found(&mut app);
    // Step 1 (n11) done in 30 s; step 2 (n13) running for 7 s.
    event(&mut app, Event::TurnFinished(done_report(n(11), "new")));
    app.clock.mono += Duration::from_millis(7_400);
    let shown = snap("rerun_progress", &app);
    on_screen(
        &shown,
        &[
            "re-run from n1 · step 2/3 · as it was",
            "◆ 1/3 n1 → n11",
            "done 30.0s",
            "… 2/3 n4 → n13",
            "7s",
            "· 3/3 n8 →",
            "add a moon over the hills · waiting",
            "esc cancels the running step; the rest are not sent",
        ],
    );
    // Over: the strip goes; the status line says how it ended.
    for (answer, sha) in [(13, "b"), (15, "c")] {
        event(&mut app, Event::TurnFinished(done_report(n(answer), sha)));
    }
    let after = screen(&app, 80, 24).0;
    assert!(!after.contains("re-run from n1"), "{after}");
    on_screen(&after, &["re-run done: 3 step(s)"]);
}

/// `branched` with the path below n5 made ten steps long, selected at n1.
fn long_path() -> App {
    let mut app = branched_at(1);
    let c = &mut app.conv;
    let mut below = n(5);
    for i in 3..=10 {
        let u = c
            .refine(below, text(&format!("step {i} of ten")), T0)
            .unwrap();
        below = c.add_pending(u, &params("2048x1152"), 1, T0).unwrap()[0];
        c.complete(below, image(&format!("s{i}"), 2048, 1152), outcome(40_000))
            .unwrap();
    }
    c.select(n(1)).unwrap();
    app
}

#[test]
fn a_long_path_shows_what_fits_and_keeps_the_running_step_in_view() {
    let mut app = with(long_path(), &[A::Rerun]);
    let (asked, _) = screen(&app, 80, 24);
    // 11 rows for steps at 24 rows: ten fit and none is said to be more.
    on_screen(
        &asked,
        &["10. n22 step 10 of ten", "10 call(s) × $0.03 = $0.30"],
    );
    let (small, _) = screen(&app, 80, 20);
    on_screen(&small, &["… and 4 more", "10 call(s)"]);

    update(&mut app, Msg::Action(A::Confirm));
    all_found(&mut app);
    // Seven steps done; the eighth (of ten) runs.
    for answer in (25..=37).step_by(2) {
        event(&mut app, Event::TurnFinished(done_report(n(answer), "x")));
    }
    let (shown, _) = screen(&app, 80, 24);
    // At most a third of the screen: six steps, the running one among them.
    on_screen(&shown, &["step 8/10", "8/10 n18 → n39", "· 10/10 n22 →"]);
    assert!(
        !shown.contains(" 1/10 n1 →"),
        "scrolled past the first:\n{shown}"
    );
}
