//! The question's rows as data: j / k move between model, size and
//! endpoint; h / l cycle each through "as it was" and its choices; a
//! change a step's model cannot make is refused on Enter, nothing sent.

use super::super::tests::{acts, run};
use super::tests::{TO_ALL, said};
use crate::tui::action::Action;
use crate::tui::fixtures::branched_at;
use crate::tui::state::rerun::{RerunQuestion, RerunRow};
use crate::tui::state::{App, Overlay, SizeCursor};
use pixloom_core::model::KNOWN_MODELS;
use pixloom_core::settings::TurnSettings;
use pixloom_core::size::{SIZES, SizeSpec};
use pixloom_core::tree::Endpoint;

use Action as A;

fn question(app: &App) -> RerunQuestion {
    match &app.overlay {
        Overlay::ConfirmRerun(q) => q.clone(),
        other => panic!("no question: {other:?}"),
    }
}

#[test]
fn j_and_k_move_between_the_rows_and_stay_at_the_ends() {
    let mut app = branched_at(1);
    run(&mut app, acts(&[A::Rerun, A::MoveUp]));
    assert_eq!(question(&app).row, RerunRow::Model);
    run(&mut app, acts(&[A::MoveDown]));
    assert_eq!(question(&app).row, RerunRow::Size);
    run(&mut app, acts(&[A::MoveDown, A::MoveDown]));
    assert_eq!(question(&app).row, RerunRow::Endpoint);
    run(&mut app, acts(&[A::MoveUp]));
    assert_eq!(question(&app).row, RerunRow::Size);
    assert_eq!(question(&app).change, TurnSettings::default());
}

#[test]
fn the_model_row_cycles_as_it_was_then_the_known_models_both_ways() {
    let mut app = branched_at(1);
    run(&mut app, acts(&[A::Rerun]));
    let mut seen = Vec::new();
    for _ in 0..=KNOWN_MODELS.len() {
        run(&mut app, acts(&[A::MoveRight]));
        seen.push(question(&app).change.model);
    }
    let mut want: Vec<Option<String>> =
        KNOWN_MODELS.iter().map(|m| Some((*m).to_owned())).collect();
    want.push(None);
    assert_eq!(seen, want);
    run(&mut app, acts(&[A::MoveLeft]));
    assert_eq!(
        question(&app).change.model.as_deref(),
        KNOWN_MODELS.last().copied()
    );
}

#[test]
fn the_size_row_offers_the_size_pickers_cells_in_its_order() {
    let mut app = branched_at(1);
    run(&mut app, acts(&[A::Rerun, A::MoveDown]));
    let mut seen = Vec::new();
    loop {
        run(&mut app, acts(&[A::MoveRight]));
        match question(&app).change.size {
            Some(s) => seen.push(s),
            None => break,
        }
    }
    // auto and the 30 sizes, each once, auto first (as the picker's
    // first row), and each where the picker's cursor puts it.
    assert_eq!(seen.len(), 1 + SIZES.len());
    assert_eq!(seen[0], SizeSpec::Auto);
    for s in SIZES {
        assert!(seen.contains(&SizeSpec::Exact(s)), "{s}");
    }
    let cursors: Vec<SizeCursor> = seen.iter().map(|s| SizeCursor::of(*s)).collect();
    let mut sorted = cursors.clone();
    sorted.sort_by_key(|c| (c.row, c.col));
    assert_eq!(cursors, sorted, "the picker's order");
    // Left from as it was: the last one.
    run(&mut app, acts(&[A::MoveLeft]));
    assert_eq!(question(&app).change.size, seen.last().copied());
    // Only the size row changed.
    assert_eq!(question(&app).change.model, None);
}

#[test]
fn the_endpoint_row_cycles_chat_and_images() {
    let mut app = branched_at(1);
    run(&mut app, acts(&[A::Rerun, A::MoveDown, A::MoveDown]));
    let mut seen = Vec::new();
    for _ in 0..3 {
        run(&mut app, acts(&[A::MoveRight]));
        seen.push(question(&app).change.endpoint);
    }
    assert_eq!(seen, [Some(Endpoint::Chat), Some(Endpoint::Images), None]);
}

#[test]
fn a_size_the_chosen_model_cannot_make_is_refused_and_enter_sends_nothing() {
    let mut app = branched_at(1);
    let before = app.conv.clone();
    // gpt-image-2-all, then back from as it was to 21:9 4K.
    run(
        &mut app,
        acts(&[&TO_ALL[..], &[A::MoveDown, A::MoveLeft]].concat()),
    );
    let q = question(&app);
    assert_eq!(q.change.size, Some("3840x1632".parse().unwrap()));
    let fx = run(&mut app, acts(&[A::Confirm]));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(question(&app), q, "the question stays, to change");
    assert!(app.rerun.is_none());
    assert_eq!(app.conv, before, "nothing added");
    assert_eq!(
        said(&app),
        "not sent, nothing billed: refused for n1: gpt-image-2-all makes no 4K picture (3840x1632): pick a 1K or 2K size, or gpt-image-2-vip"
    );
    // One step down to 2K: it runs.
    let fx = run(&mut app, acts(&[A::MoveLeft, A::Confirm]));
    assert!(
        matches!(fx.as_slice(), [super::Effect::CheckRerun { from, .. }] if from.0 == 1),
        "{fx:?}"
    );
}
