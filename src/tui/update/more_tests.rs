//! `update` scenarios: what actions did in detail, finished turns,
//! keys, paste, thumbnails, attachments, signals.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::frame::wanted_thumbnails;
use super::tests::{acts, key, run, typed};
use super::*;
use crate::engine::TurnResult;
use crate::tui::fixtures::{self, branched, branched_at, done_report, in_flight, n};
use crate::tui::graphics::GraphicsBackend;
use crate::tui::state::{ComposeTarget, StatusKind};
use crate::tui::thumbs::ThumbWant;
use pixloom_core::tree::{Endpoint, Outcome, TurnError};

use Action as A;
use Effect as E;

#[test]
fn details_of_what_actions_did() {
    let mut a = branched();
    run(
        &mut a,
        [
            acts(&[A::Compose]),
            typed("a"),
            acts(&[A::Newline]),
            typed("b"),
        ]
        .concat(),
    );
    assert_eq!(a.composer.text.lines(), ["a", "b"]);

    let mut a = branched();
    run(&mut a, acts(&[A::Edit]));
    assert_eq!(a.composer.prompt(), "make it dusk");
    assert_eq!(a.composer.target, ComposeTarget::Beside(n(4)));
    run(&mut a, [typed(" now"), acts(&[A::Send])].concat());
    assert_eq!(
        a.conv.node(n(8)).unwrap().parent,
        Some(n(2)),
        "a sibling of n4"
    );
    assert_eq!(a.conv.node(n(8)).unwrap().text(), "make it dusk now");
    assert_eq!(
        a.composer.target,
        ComposeTarget::Reply(n(9)),
        "the composer follows what was sent"
    );

    let mut a = branched();
    run(
        &mut a,
        [acts(&[A::Refine]), typed("more snow"), acts(&[A::Send])].concat(),
    );
    assert_eq!(a.conv.node(n(8)).unwrap().parent, Some(n(5)));

    let mut a = branched_at(7);
    run(&mut a, acts(&[A::RetryLowerTier]));
    let t = a.conv.node(n(7)).unwrap().turn.clone().unwrap();
    assert_eq!(t.request.size, fixtures::size("2048x1152"));
    assert_eq!(t.status, Status::Pending);

    let mut a = branched();
    run(&mut a, acts(&[A::ModelPicker, A::MoveDown, A::Confirm]));
    assert_eq!(a.composer.params.endpoint, Endpoint::Images);
    run(&mut a, acts(&[A::SizePicker, A::MoveRight, A::Confirm]));
    assert_eq!(a.composer.params.size, fixtures::size("3840x2160"));

    let mut a = branched();
    run(&mut a, acts(&[A::ToggleTree, A::CycleFocus, A::CycleFocus]));
    assert!(!a.show_tree);
    assert_eq!(a.focus, Focus::Transcript, "the hidden tree is skipped");

    let mut a = in_flight();
    run(&mut a, acts(&[A::Quit, A::Confirm]));
    assert_eq!(
        a.conv.node(n(8)).unwrap().status(),
        Some(Status::Interrupted)
    );
    assert!(a.quitting);
}

#[test]
fn a_finished_turn_lands_on_its_node_wherever_the_selection_is() {
    let mut a = in_flight();
    run(&mut a, acts(&[A::First, A::NextSibling])); // over to the n6 branch
    assert_eq!(a.conv.selected, Some(n(6)));
    let fx = update(
        &mut a,
        Msg::Event(Event::TurnFinished(done_report(n(8), "dd"))),
    );
    assert_eq!(fx, vec![E::Save]);
    assert_eq!(a.conv.node(n(8)).unwrap().status(), Some(Status::Done));
    assert_eq!(a.conv.selected, Some(n(6)), "the selection stays");
    assert!(a.in_flight.is_empty());
    assert_eq!(a.session_cost_micro_usd, 30_000);
    assert!(a.status.as_ref().unwrap().text.contains("n8 done in 12s"));
}

#[test]
fn a_report_for_a_cancelled_turn_is_dropped_but_its_cost_counted() {
    let mut a = in_flight();
    run(&mut a, acts(&[A::Cancel, A::Confirm]));
    let fx = update(
        &mut a,
        Msg::Event(Event::TurnFinished(done_report(n(8), "dd"))),
    );
    assert!(fx.is_empty());
    assert_eq!(a.conv.node(n(8)).unwrap().status(), Some(Status::Cancelled));
    assert_eq!(a.session_cost_micro_usd, 30_000);
}

#[test]
fn failures_and_refusals_say_so() {
    let mut a = in_flight();
    let mut r = done_report(n(8), "dd");
    r.result = TurnResult::Failed {
        error: TurnError {
            message: "boom\x1b[2J".into(),
            http_status: Some(502),
            ..TurnError::default()
        },
    };
    r.outcome = Outcome::default();
    update(&mut a, Msg::Event(Event::TurnFinished(r)));
    let s = a.status.clone().unwrap();
    assert_eq!(s.kind, StatusKind::Error);
    assert_eq!(s.text, "n8 failed: boom[2J", "controls stripped");
    assert_eq!(a.conv.node(n(8)).unwrap().status(), Some(Status::Failed));
}

#[test]
fn without_a_key_nothing_is_sent() {
    for actions in [
        vec![A::Regenerate],
        vec![A::Retry],
        vec![A::Variants, A::Confirm],
    ] {
        let mut a = branched_at(if actions == [A::Retry] { 7 } else { 5 });
        a.can_send = false;
        let fx = run(&mut a, acts(&actions));
        assert!(fx.is_empty(), "{actions:?}");
        assert!(a.status.unwrap().text.contains("PIXLOOM_API_KEY"));
        assert!(a.in_flight.is_empty());
    }
    let mut a = branched();
    a.can_send = false;
    let fx = run(
        &mut a,
        [acts(&[A::Compose]), typed("hi"), acts(&[A::Send])].concat(),
    );
    assert!(fx.is_empty());
    assert_eq!(a.composer.prompt(), "hi", "the text is kept");
}

#[test]
fn keys_go_through_the_keymap_for_the_context() {
    let mut a = branched();
    run(&mut a, [key('k')]);
    assert_eq!(a.conv.selected, Some(n(4)));
    run(&mut a, [key('i'), key('q'), key('j')]);
    assert_eq!(
        a.composer.prompt(),
        "qj",
        "letters are text in the composer"
    );
    assert_eq!(a.focus, Focus::Composer);
    let esc = Msg::Event(Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    run(&mut a, [esc]);
    assert_eq!(a.focus, Focus::Tree);
    let fx = run(
        &mut a,
        [Msg::Event(Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )))],
    );
    assert_eq!(fx, vec![E::Save, E::Quit]);
}

#[test]
fn paste_goes_to_the_focused_input_sanitized() {
    let mut a = branched();
    run(&mut a, acts(&[A::Compose]));
    update(
        &mut a,
        Msg::Event(Event::Paste("line one\x1b]52;c;x\x07\nline two".into())),
    );
    assert_eq!(a.composer.text.lines(), ["line one]52;c;x", "line two"]);
    run(&mut a, acts(&[A::Attach]));
    update(&mut a, Msg::Event(Event::Paste(" /tmp/a b.png\n".into())));
    assert_eq!(
        a.overlay,
        Overlay::Input(crate::tui::state::InputBox::new(
            crate::tui::state::InputKind::Attach,
            "/tmp/a b.png"
        ))
    );
}

#[test]
fn a_paste_with_cr_line_breaks_keeps_its_lines_and_one_while_browsing_opens_the_composer() {
    // tmux delivers a bracketed paste's line breaks as CR.
    let mut a = branched();
    assert_ne!(a.focus, Focus::Composer);
    update(&mut a, Msg::Event(Event::Paste("one\rtwo\r\nthree".into())));
    assert_eq!(a.focus, Focus::Composer, "the paste opened the composer");
    assert_eq!(a.composer.text.lines(), ["one", "two", "three"]);
    // A replay never takes a paste.
    let mut r = crate::tui::replay::app(
        fixtures::branched_conv(),
        crate::tui::Clock::now(),
        None,
        false,
    );
    update(&mut r, Msg::Event(Event::Paste("text".into())));
    assert!(r.composer.text.is_empty() && r.focus != Focus::Composer);
}

#[test]
fn a_dragged_path_is_attached_however_the_terminal_quoted_it() {
    for pasted in [
        "'/x/my photos/beach shot.png'",
        "/x/my\\ photos/beach\\ shot.png",
        "file:///x/my%20photos/beach%20shot.png",
    ] {
        let mut a = branched();
        run(&mut a, acts(&[A::Compose, A::Attach]));
        update(&mut a, Msg::Event(Event::Paste(pasted.into())));
        let fx = update(&mut a, Msg::Action(A::Confirm));
        assert_eq!(
            fx,
            vec![E::ImportAttachment {
                source: "/x/my photos/beach shot.png".into(),
                pasted: None,
            }],
            "{pasted:?}"
        );
    }
}

#[test]
fn the_marked_line_goes_when_the_compare_view_opens_and_closes() {
    let mut a = branched_at(2);
    run(&mut a, acts(&[A::Compare]));
    assert!(
        a.status
            .as_ref()
            .is_some_and(|s| s.text.contains("n2 marked"))
    );
    run(
        &mut a,
        acts(&[A::MoveDown, A::MoveDown, A::Compare, A::Dismiss]),
    );
    assert_eq!(a.overlay, Overlay::None);
    assert_eq!(a.status, None, "a used mark is not announced");
}

#[test]
fn question_mark_in_an_empty_composer_and_f1_anywhere_open_help() {
    let f1 = || Msg::Event(Event::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)));
    let is_help = |a: &App| matches!(a.overlay, Overlay::Help { .. });
    // `?` right after sending (the composer is empty and focused): help.
    let mut a = branched();
    run(&mut a, acts(&[A::Compose]));
    run(&mut a, vec![key('?')]);
    assert!(is_help(&a), "{:?}", a.overlay);
    // With text, `?` is text.
    let mut a = branched();
    run(&mut a, acts(&[A::Compose]));
    run(&mut a, typed("why?"));
    assert!(!is_help(&a));
    assert_eq!(a.composer.text.lines(), ["why?"]);
    // F1 in the composer (its text kept), and while browsing.
    run(&mut a, vec![f1()]);
    assert!(is_help(&a));
    run(&mut a, acts(&[A::Dismiss]));
    assert_eq!(a.composer.text.lines(), ["why?"]);
    let mut a = branched();
    run(&mut a, vec![f1()]);
    assert!(is_help(&a));
}

#[test]
fn thumbnails_are_asked_for_once() {
    let mut a = branched();
    let want = ThumbWant {
        blob: fixtures::image("cc", 2048, 1152).original,
        cols: 40,
        rows: 11,
    };
    let fx = wanted_thumbnails(&mut a, std::slice::from_ref(&want));
    assert_eq!(fx, vec![E::DecodeThumbnail(want.clone())]);
    assert!(wanted_thumbnails(&mut a, std::slice::from_ref(&want)).is_empty());
    a.graphics = GraphicsBackend::None;
    let other = ThumbWant { cols: 20, ..want };
    assert!(
        wanted_thumbnails(&mut a, &[other]).is_empty(),
        "graphics off: nothing decoded"
    );
}

#[test]
fn attachments_arrive_as_events() {
    let mut a = branched();
    let img = fixtures::image("ee", 640, 480);
    update(
        &mut a,
        Msg::Event(Event::AttachmentReady {
            source: "ref.png".into(),
            result: Ok(Box::new(img.clone())),
            pasted: None,
        }),
    );
    assert_eq!(a.composer.attachments, vec![img]);
    update(
        &mut a,
        Msg::Event(Event::AttachmentReady {
            source: "x.pdf".into(),
            result: Err("a PDF, not an image".into()),
            pasted: None,
        }),
    );
    assert_eq!(
        a.status.clone().unwrap().text,
        "could not attach: a PDF, not an image — x.pdf"
    );
    // An error that names its path already: the path comes once, last.
    let long = format!("/home/u/{}/beach shot.png", "my photos/".repeat(12));
    let e = crate::images::ImageError::NotFound { path: long.clone() };
    update(
        &mut a,
        Msg::Event(Event::AttachmentReady {
            source: long.clone(),
            result: Err(e.to_string()),
            pasted: None,
        }),
    );
    let text = a.status.unwrap().text;
    assert_eq!(text.matches(&long).count(), 1, "{text}");
    assert!(
        text.starts_with("could not attach: the file does not exist. Check the path"),
        "{text}"
    );
    assert!(text.ends_with(&format!(" — {long}")), "{text}");
}

#[test]
fn terminate_saves_and_quits() {
    let mut a = in_flight();
    let fx = update(&mut a, Msg::Event(Event::Terminate("SIGTERM")));
    assert_eq!(fx, vec![E::Save, E::Quit]);
    assert_eq!(
        a.conv.node(n(8)).unwrap().status(),
        Some(Status::Interrupted)
    );
}
