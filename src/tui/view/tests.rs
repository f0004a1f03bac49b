//! Whole screens on a `TestBackend`, as text, at 100×30 and 200×60. States
//! come from the pure core with a standing clock, so the snapshots are
//! stable. Review changes with `INSTA_UPDATE=always cargo test --lib tui`
//! and a look at the `.snap` files.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::tui::action::{Action, Msg};
use crate::tui::fixtures::{branched, branched_at, empty, in_flight, replaying};
use crate::tui::state::App;
use crate::tui::thumbs::{Thumb, ThumbWant};
use crate::tui::update::update;
use crate::tui::view::{Drawn, ViewState};

pub(super) fn screen(app: &App, w: u16, h: u16) -> (String, Vec<ThumbWant>) {
    let (text, drawn) = frame(app, &mut ViewState::default(), w, h);
    (text, drawn.wants)
}

/// One frame drawn with what `view` remembers; what it drew.
pub(super) fn frame(app: &App, view: &mut ViewState, w: u16, h: u16) -> (String, Drawn) {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    let mut drawn = Drawn::default();
    t.draw(|f| drawn = view.draw(f, app)).expect("draws");
    (t.backend().to_string(), drawn)
}

pub(super) fn with(mut app: App, actions: &[Action]) -> App {
    for &a in actions {
        update(&mut app, Msg::Action(a));
    }
    app
}

/// Both sizes of one state.
fn snap(name: &str, app: &App) {
    for (w, h) in [(100, 30), (200, 60)] {
        let (text, _) = screen(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[test]
fn empty_conversation_welcomes() {
    let app = empty();
    snap("empty", &app);
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("Welcome to pixloom"));
    assert!(text.contains("--demo"));
}

#[test]
fn branched_tree_with_the_selected_path() {
    let app = branched();
    snap("branched", &app);
    let (text, wants) = screen(&app, 100, 30);
    for piece in ["├─", "└─", "make it dusk", "500 at"] {
        assert!(text.contains(piece), "{piece} missing");
    }
    let (big, _) = screen(&app, 200, 60);
    assert!(big.contains("‹1/2›"), "sibling marker of n2");
    let shas: Vec<&str> = wants.iter().map(|w| w.blob.sha256.as_str()).collect();
    assert_eq!(
        shas,
        ["aa", "cc"],
        "the path's images are wanted, not the sibling's"
    );
}

#[test]
fn rerun_question_says_the_choices_and_the_price() {
    let app = with(branched_at(1), &[Action::Rerun]);
    snap("rerun_question", &app);
    let (text, _) = screen(&app, 100, 30);
    let wanted = ["Re-run the path from n1", "as it was", "× $0.03 = $0.06"];
    let missing: Vec<&str> = wanted.into_iter().filter(|p| !text.contains(p)).collect();
    assert!(missing.is_empty(), "{missing:?} not on screen:\n{text}");
}

#[test]
fn request_in_flight_shows_spinner_and_elapsed() {
    let app = in_flight();
    snap("in_flight", &app);
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("n8 12s"), "status bar");
    assert!(text.contains("generating at 2048x1152 · 12s"), "transcript");
}

#[test]
fn error_with_its_fix() {
    let app = branched_at(7);
    snap("error", &app);
    let (text, _) = screen(&app, 100, 30);
    assert!(
        text.contains("500 at 4K — press R to retry, T to retry at 2K"),
        "{text}"
    );
}

#[test]
fn error_detail_overlay() {
    let app = with(branched_at(7), &[Action::ErrorDetail]);
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("shell_api_error"));
    assert!(text.contains("attempts"));
}

#[test]
fn help_overlay() {
    snap("help", &with(branched(), &[Action::Help]));
}

#[test]
fn help_at_full_size_lists_every_action_of_the_keymap() {
    for app in [
        with(branched(), &[Action::Help]),
        with(replaying(), &[Action::Help]),
    ] {
        let replay = app.replay.is_some();
        let (text, _) = screen(&app, 200, 60);
        assert!(!text.contains("j/k scroll"), "fits without scrolling");
        for b in app.keymap.bindings() {
            if !super::overlay::help_shows(b.context, replay) {
                continue;
            }
            assert!(
                text.contains(crate::tui::keymap::describe(b.context, b.action)),
                "{:?} missing (replay {replay})",
                b.action
            );
        }
    }
}

#[test]
fn size_picker() {
    snap("size_picker", &with(branched(), &[Action::SizePicker]));
}

/// With gpt-image-2-all in use the 4K column is dimmed (sending it is
/// refused) and the note says where 4K is made.
#[test]
fn the_size_picker_dims_what_the_model_cannot_make() {
    let mut app = branched();
    app.composer.params.model = "gpt-image-2-all".into();
    let app = with(app, &[Action::SizePicker]);
    let mut t = Terminal::new(TestBackend::new(100, 30)).expect("a test terminal");
    t.draw(|f| {
        ViewState::default().draw(f, &app);
    })
    .expect("draws");
    let text = t.backend().to_string();
    assert!(
        text.contains("up to 2K · 4K needs gpt-image-2-vip"),
        "{text}"
    );
    // The picker's 16:9 row: 1280x720, 2048x1152, 3840x2160.
    let row = text.lines().position(|l| l.contains("16:9")).expect("16:9");
    let line = text.lines().nth(row).unwrap_or_default().trim_matches('"');
    let style_of = |needle: &str| {
        let at = line.find(needle).map_or(0, |b| line[..b].chars().count());
        let (x, y) = (
            u16::try_from(at).unwrap_or(0),
            u16::try_from(row).unwrap_or(0),
        );
        t.backend().buffer()[(x, y)].style()
    };
    assert_eq!(style_of("3840x2160").fg, super::dim().fg, "4K dimmed");
    assert_ne!(style_of("2048x1152").fg, super::dim().fg, "2K not dimmed");
}

#[test]
fn other_overlays_draw_without_panicking() {
    for actions in [
        vec![Action::ModelPicker],
        vec![Action::Variants],
        vec![Action::Attach],
        vec![Action::Delete],
        vec![Action::Info],
        vec![Action::ViewImage],
    ] {
        let app = with(branched(), &actions);
        for (w, h) in [(100, 30), (200, 60), (20, 5), (1, 1)] {
            screen(&app, w, h);
        }
    }
    let quit = with(in_flight(), &[Action::Quit]);
    let (text, _) = screen(&quit, 100, 30);
    assert!(text.contains("1 request(s) still running"));
}

#[test]
fn the_info_view_says_when_a_turn_was_made_in_plain_words() {
    let app = with(branched(), &[Action::Info]);
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("2025-03-01 12:00 UTC"), "{text}");
    assert!(!text.contains("+00:00:00"), "{text}");
}

#[test]
fn tiny_and_tree_less_screens_draw() {
    for app in [
        empty(),
        branched(),
        in_flight(),
        with(branched(), &[Action::ToggleTree]),
    ] {
        for (w, h) in [(1, 1), (10, 4), (40, 10)] {
            screen(&app, w, h);
        }
    }
}

#[test]
fn decoded_thumbnails_are_drawn_as_half_blocks() {
    let mut app = branched();
    let (_, wants) = screen(&app, 100, 30);
    app.thumbs.want(&wants);
    for w in &wants {
        let cells = vec![([200, 80, 20], [10, 10, 40]); usize::from(w.cols) * usize::from(w.rows)];
        let thumb = Thumb::from_cells(w.cols, w.rows, cells);
        assert!(
            app.thumbs
                .insert(w.blob.file_name(), w.cols, w.rows, Ok(Arc::new(thumb)))
        );
    }
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("▀▀▀▀"), "{text}");
}

#[test]
fn gallery_of_variants_side_by_side() {
    let app = with(branched_at(2), &[Action::Compare, Action::Gallery]);
    snap("gallery", &app);
    let (text, wants) = screen(&app, 100, 30);
    for piece in ["variants of n1", "1/2", "n2", "n3", "41s", "⇄"] {
        assert!(text.contains(piece), "{piece} missing:\n{text}");
    }
    let shas: Vec<&str> = wants.iter().map(|w| w.blob.sha256.as_str()).collect();
    assert!(
        shas.contains(&"aa") && shas.contains(&"bb"),
        "each cell asks for its thumbnail: {shas:?}"
    );
    let cell = wants.iter().find(|w| w.blob.sha256 == "bb").unwrap();
    assert!(cell.cols < 50, "a cell's size, not the screen's: {cell:?}");
}

#[test]
fn compare_diffs_the_prompts_leading_to_each_image() {
    // n3 (a red fox…) against n5 (a red fox… › make it dusk).
    let app = with(
        branched_at(3),
        &[
            Action::Compare,
            Action::PrevSibling,
            Action::Last,
            Action::Compare,
        ],
    );
    assert!(matches!(
        app.overlay,
        crate::tui::state::Overlay::Compare { .. }
    ));
    let (text, wants) = screen(&app, 100, 30);
    assert!(text.contains("compare n3 ⇄ n5"), "{text}");
    assert!(text.contains("{+›+} {+make+} {+it+} {+dusk+}"), "{text}");
    let shas: Vec<&str> = wants.iter().map(|w| w.blob.sha256.as_str()).collect();
    assert!(shas.contains(&"bb") && shas.contains(&"cc"), "{shas:?}");
    for (w, h) in [(200, 60), (20, 5), (1, 1)] {
        screen(&app, w, h);
    }
}

#[test]
fn replay_shows_the_path_so_far() {
    let app = with(replaying(), &[Action::Step, Action::Step]);
    snap("replay", &app);
    let (text, _) = screen(&app, 100, 30);
    assert!(
        text.contains("replay · turn 3 of 4 · ⏸ paused · 2.0 s per turn"),
        "{text}"
    );
    assert!(text.contains("make it dusk"), "the turn reached");
    assert!(!text.contains("n5 ·"), "not the turns still to come");
    assert!(text.contains("space step"), "replay hints");
}

#[test]
fn folded_and_labelled_rows_in_the_tree() {
    let mut app = branched_at(2);
    app.conv
        .set_label(crate::tui::fixtures::n(6), Some("watercolor".into()))
        .unwrap();
    let app = with(app, &[Action::Fold]);
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("▸ +2"), "{text}");
    let tree: String = text
        .lines()
        .map(|l| l.chars().take(31).collect::<String>())
        .collect();
    assert!(!tree.contains("make it dusk"), "hidden under the fold");
    assert!(text.contains("[watercolor]"));
    let wide = with(app.clone(), &[Action::TreeWider, Action::TreeWider]);
    let narrow = with(app, &[Action::TreeNarrower, Action::TreeNarrower]);
    // Where the tree's box ends on the top row.
    let col = |t: &str| t.lines().next().and_then(|l| l.find("┐┌"));
    let (w, _) = screen(&wide, 100, 30);
    let (n, _) = screen(&narrow, 100, 30);
    assert!(col(&w) > col(&n), "the transcript starts further right");
}

#[test]
fn inputs_draw_search_at_the_bottom_and_completions_in_the_box() {
    let mut app = with(branched(), &[Action::Search]);
    for c in "dusk".chars() {
        let k = ratatui::crossterm::event::KeyEvent::new(
            ratatui::crossterm::event::KeyCode::Char(c),
            ratatui::crossterm::event::KeyModifiers::NONE,
        );
        update(&mut app, Msg::Event(crate::tui::action::Event::Key(k)));
    }
    let (text, _) = screen(&app, 100, 30);
    assert!(text.contains("/dusk"), "{text}");
    let mut app = with(branched(), &[Action::Attach]);
    if let crate::tui::state::Overlay::Input(b) = &mut app.overlay {
        b.text = "pics/fo".into();
        b.completions = vec!["forest/".into(), "fox.png".into()];
    }
    let (text, _) = screen(&app, 100, 30);
    assert!(
        text.contains("forest/") && text.contains("fox.png"),
        "{text}"
    );
    assert!(text.contains("tab completes"));
}

/// Save a copy offers its name selected (typing replaces it); once the
/// cursor moves it is edited in place, the cursor cell reversed.
#[test]
fn save_a_copy_shows_its_suggestion_selected_then_the_cursor() {
    use ratatui::style::Modifier;
    let app = with(branched(), &[Action::SaveImage]);
    let mut t = Terminal::new(TestBackend::new(100, 30)).expect("a test terminal");
    t.draw(|f| drop(super::draw(f, &app))).expect("draws");
    let text = t.backend().to_string();
    assert!(text.contains("to: n5-2048x1152.png"), "{text}");
    assert!(text.contains("typing replaces it · ← → edit it"), "{text}");
    let buf = t.backend().buffer().clone();
    let row = (0..30)
        .find(|&y| {
            (0..100)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .contains("to: n5")
        })
        .expect("the field's row");
    let reversed: String = (0..100)
        .filter(|&x| buf[(x, row)].modifier.contains(Modifier::REVERSED))
        .map(|x| buf[(x, row)].symbol())
        .collect();
    assert_eq!(reversed, "n5-2048x1152.png", "the whole name selected");
    let mut app = app;
    let home = ratatui::crossterm::event::KeyEvent::new(
        ratatui::crossterm::event::KeyCode::Home,
        ratatui::crossterm::event::KeyModifiers::NONE,
    );
    update(&mut app, Msg::Event(crate::tui::action::Event::Key(home)));
    t.draw(|f| drop(super::draw(f, &app))).expect("draws");
    let buf = t.backend().buffer().clone();
    let reversed: String = (0..100)
        .filter(|&x| buf[(x, row)].modifier.contains(Modifier::REVERSED))
        .map(|x| buf[(x, row)].symbol())
        .collect();
    assert_eq!(reversed, "n", "the cursor on the first character");
}

#[test]
fn the_status_bar_estimates_from_past_latencies() {
    let (text, _) = screen(&in_flight(), 100, 30);
    assert!(text.contains("n8 12s ~41s"), "{text}");
}

/// A file that branches at every one of 2,000 turns: each row's prefix
/// stops growing at `BRANCH_COLUMNS` levels (before, the prefixes alone
/// took 4,000 × 4,000 characters), and the whole screen still draws.
#[test]
fn a_comb_of_2000_branches_keeps_rows_narrow() {
    use crate::tui::fixtures::{T0, app};
    use pixloom_core::tree::{Conversation, Part};
    let mut c = Conversation::new("comb", T0);
    let text = |s: &str| vec![Part::Text { text: s.to_owned() }];
    let mut parent = None;
    for i in 0..2_000 {
        let keep = c
            .add_user(parent, text(&format!("turn {i}")), T0)
            .expect("turn");
        c.add_user(parent, text("side"), T0).expect("side");
        parent = Some(keep);
    }
    let all = super::tree::rows(&c, &std::collections::BTreeSet::new());
    assert_eq!(all.len(), 4_000);
    let widest = all.iter().map(|r| r.prefix.chars().count()).max();
    assert_eq!(widest, Some(2 * super::tree::BRANCH_COLUMNS + 2));
    let (text, _) = screen(&app(c), 100, 30);
    assert!(text.contains("comb"), "{text}");
}

#[test]
fn the_quit_question_says_which_paid_picture_would_be_lost() {
    let (app, _) = crate::tui::fixtures::unstored();
    let app = with(app, &[Action::Quit]);
    let (text, _) = screen(&app, 100, 30);
    for piece in [
        "Quit anyway?",
        "n8's paid picture is not on disk",
        "until 2026-11-24 12:00 UTC",
        "S stores",
        "n8: the picture arrived",
        "1 paid picture(s) not on disk (S stores)",
    ] {
        assert!(text.contains(piece), "{piece:?} not on screen:\n{text}");
    }
    snap("quit_unstored", &app);
}

#[test]
fn the_cancel_question_says_the_call_may_be_billed() {
    let app = with(in_flight(), &[Action::Cancel]);
    let (text, _) = screen(&app, 100, 30);
    for piece in [
        "Cancel n8's request (running for 12s)?",
        "It may already be billed even if cancelled,",
        "y cancels · n lets it run",
    ] {
        assert!(text.contains(piece), "{piece:?} not on screen:\n{text}");
    }
    snap("cancel_question", &app);
}

#[test]
fn a_draft_left_by_an_edit_is_kept_and_the_title_says_where_it_goes() {
    let app = with(branched_at(4), &[Action::Edit, Action::Dismiss]);
    let (text, _) = screen(&app, 100, 30);
    assert!(
        text.contains("┌ reply under n5 · draft kept from \"new branch beside n4\" ─"),
        "{text}"
    );
    assert!(text.contains("make it dusk"));
    snap("draft_kept", &app);
}

/// Six prompts and pictures in a row, the last picture selected: more
/// than a screen.
fn long_chat() -> App {
    use crate::tui::fixtures::{self, T0, image, outcome, params, text};
    use pixloom_core::tree::Conversation;
    let mut c = Conversation::new("long", T0);
    let mut parent = None;
    for i in 0..6 {
        let u = c
            .add_user(parent, text(&format!("prompt {i}")), T0)
            .expect("user");
        let a = c
            .add_pending(u, &params("1280x1280"), 1, T0)
            .expect("pending")[0];
        c.complete(a, image(&format!("{i:064}"), 1280, 1280), outcome(1000))
            .expect("done");
        parent = Some(a);
    }
    c.select(parent.expect("turns")).expect("select");
    fixtures::app(c)
}

/// The transcript's scroll is the view's own memory (its `ViewState`),
/// not the app's: a selection move within the shown turns keeps the
/// transcript where it was, and a view with nothing remembered of the
/// same app scrolls only as far as the selection needs.
#[test]
fn the_transcript_scroll_is_the_views_own_memory() {
    let app = long_chat();
    let mut view = ViewState::default();
    let (at_end, _) = frame(&app, &mut view, 100, 30);
    let bottom = view.transcript_offset;
    assert!(bottom > 0, "scrolled to the last turn:\n{at_end}");
    // Up to the prompt of the last picture: shown already, nothing moves.
    let app = with(app, &[Action::MoveUp]);
    let (kept, _) = frame(&app, &mut view, 100, 30);
    assert_eq!(view.transcript_offset, bottom, "sticky");
    assert_eq!(kept.lines().nth(1), at_end.lines().nth(1), "same first row");
    // Another view of the same app remembers nothing of this one.
    let mut fresh = ViewState::default();
    let _ = frame(&app, &mut fresh, 100, 30);
    assert!(
        fresh.transcript_offset < bottom,
        "{}",
        fresh.transcript_offset
    );
    assert_eq!(view.transcript_offset, bottom, "untouched by the other");
}

#[test]
fn a_long_error_wraps_over_the_status_rows_a_note_keeps_one() {
    let text = "re-run not started: the conversation is open in another pixloom process (pid 4242); close it first — /home/someone/pictures/fox.pixloom";
    let mut app = branched();
    app.error(text);
    let (shown, _) = screen(&app, 100, 30);
    insta::assert_snapshot!("long_error_100x30", shown);
    let rows: Vec<&str> = shown.lines().map(|l| l.trim_matches('"')).collect();
    let bottom = rows[rows.len() - 2..].join("");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words(&bottom).contains(text), "cut:\n{shown}");
    assert!(rows[rows.len() - 1].contains("$0.09"), "the cost stays");
    // A note is not worth a row: one line, two thirds at most.
    app.info(text);
    let (shown, _) = screen(&app, 100, 30);
    let status = shown.lines().last().unwrap_or_default();
    assert!(!status.contains(text), "{status}");
    assert!(
        shown.lines().nth(28).is_some_and(|l| l.starts_with("\"└")),
        "the composer's bottom just above one status row:\n{shown}"
    );
}
