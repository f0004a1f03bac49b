//! The info and error dialogs at 80×24: everything can be reached by
//! scrolling, the title says where the view is, the bottom border which
//! keys scroll, and keys past an end do not pile up.

use super::super::tests::{frame, screen, with};
use crate::tui::action::Action;
use crate::tui::fixtures::{self, T0, branched_at, image, outcome, params, text};
use crate::tui::state::App;
use crate::tui::view::ViewState;
use pixloom_core::tree::Conversation;

/// A turn whose prompt is long (as real prompts are): its info does not
/// fit on 24 rows.
fn long_prompt() -> App {
    let mut c = Conversation::new("fox", T0);
    let words: Vec<String> = (1..=120).map(|i| format!("word{i}")).collect();
    let u = c
        .add_user(None, text(&format!("{} THE-END", words.join(" "))), T0)
        .expect("user");
    let a = c
        .add_pending(u, &params("2048x1152"), 1, T0)
        .expect("pending")[0];
    c.complete(a, image("aa", 2048, 1152), outcome(41_000))
        .expect("done");
    c.select(a).expect("select");
    fixtures::app(c)
}

/// Draws, then applies `a` (the room comes from the frame drawn, handed
/// back as the loop does).
fn drawn_then(mut app: App, a: Action) -> (App, String) {
    let (_, drawn) = frame(&app, &mut ViewState::default(), 80, 24);
    let _ = crate::tui::update::drawn(&mut app, &drawn);
    let app = with(app, &[a]);
    let (text, _) = screen(&app, 80, 24);
    (app, text)
}

#[test]
fn info_scrolls_to_its_end_at_80x24() {
    let app = with(long_prompt(), &[Action::Info]);
    let (first, _) = screen(&app, 80, 24);
    assert!(
        first.contains("rows 1–21 of "),
        "position in the title:\n{first}"
    );
    assert!(
        first.contains("▼ more · j/k pagedown/pageup scroll"),
        "{first}"
    );
    assert!(first.contains("request id"), "{first}");
    assert!(
        !first.contains("THE-END"),
        "the prompt's end is below:\n{first}"
    );
    insta::assert_snapshot!("info_80x24_top", first);

    // Pages down to the end; more pages stay there.
    let (mut app, mut text) = drawn_then(app, Action::PageDown);
    for _ in 0..4 {
        (app, text) = drawn_then(app, Action::PageDown);
    }
    assert!(text.contains("THE-END"), "the end is reachable:\n{text}");
    assert!(text.contains("▲ more"), "{text}");
    insta::assert_snapshot!("info_80x24_end", text);
    let at_end = text
        .lines()
        .find(|l| l.contains("rows "))
        .map(str::to_owned);

    // One row up answers at once, however many pages were pressed.
    let (app, text) = drawn_then(app, Action::MoveUp);
    let up = text
        .lines()
        .find(|l| l.contains("rows "))
        .map(str::to_owned);
    assert_ne!(up, at_end, "k moved the view");
    assert!(!text.contains("THE-END"), "{text}");
    let (_, text) = drawn_then(app, Action::MoveDown);
    assert!(text.contains("THE-END"), "{text}");
}

#[test]
fn the_error_view_scrolls_through_the_gateways_whole_reply() {
    let mut app = branched_at(7);
    let raw: Vec<String> = (1..=150).map(|i| format!("detail{i}")).collect();
    if let Some(e) = app
        .conv
        .nodes
        .get_mut(&fixtures::n(7))
        .and_then(|n| n.turn.as_mut())
        .and_then(|t| t.error.as_mut())
    {
        e.raw_body = Some(format!("{} RAW-END", raw.join(" ")));
    }
    let mut app = with(app, &[Action::ErrorDetail]);
    let (first, _) = screen(&app, 80, 24);
    assert!(first.contains("n7: what went wrong"), "{first}");
    assert!(first.contains("rows 1–21 of "), "{first}");
    assert!(!first.contains("RAW-END"), "{first}");
    let mut text = first;
    for _ in 0..6 {
        (app, text) = drawn_then(app, Action::PageDown);
    }
    assert!(
        text.contains("RAW-END"),
        "the end of the reply is reachable:\n{text}"
    );
}

#[test]
fn a_dialog_that_fits_shows_no_scrolling() {
    let app = with(branched_at(5), &[Action::Info]);
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("┌ n5 ─"), "{text}");
    assert!(
        !text.contains("rows ") && !text.contains("▼ more"),
        "{text}"
    );
}

#[test]
fn the_error_view_at_80x24() {
    let app = with(branched_at(7), &[Action::ErrorDetail]);
    let (text, _) = screen(&app, 80, 24);
    insta::assert_snapshot!("error_80x24", text);
}
