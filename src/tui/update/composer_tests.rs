//! Issue 10 §1 beyond the target: cancelling a running request asks
//! first, attachments can be removed, a pasted image path attaches, F1
//! reaches text fields. Keys are real key events where a key is the point.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::target_tests::{composer_title, keys, screen};
use super::*;
use crate::tui::fixtures::{self, branched, done_report, in_flight, n};

use Effect as E;

fn run(app: &mut App, msgs: Vec<Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|m| update(app, m)).collect()
}

fn paste(s: &str) -> Msg {
    Msg::Event(Event::Paste(s.to_owned()))
}

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// A row: name, start, keys, still running afterwards, effects, what the
/// screen asks or says.
type CancelRow = (
    &'static str,
    App,
    &'static str,
    bool,
    Vec<Effect>,
    &'static str,
);

/// Every way a running request can be stopped by a key.
#[test]
fn cancelling_a_running_request_asks_first_and_says_it_may_be_billed() {
    let sent = || {
        let mut a = branched();
        run(&mut a, keys("ia moon<enter>"));
        a
    };
    let rows: Vec<CancelRow> = vec![
        (
            "the issue: Esc twice after Enter asks, cancels nothing",
            sent(),
            "<esc><esc>",
            true,
            vec![],
            "may already be billed even if cancelled",
        ),
        (
            "Esc, then y cancels",
            in_flight(),
            "<esc>y",
            false,
            vec![E::CancelTurn(n(8)), E::Save],
            "cancelled n8 (it may still be billed)",
        ),
        (
            "Esc, then n keeps it running",
            in_flight(),
            "<esc>n",
            true,
            vec![],
            "",
        ),
        (
            "Esc three times keeps it running",
            in_flight(),
            "<esc><esc><esc>",
            true,
            vec![],
            "",
        ),
        (
            "q asks, and says running requests may be billed",
            in_flight(),
            "q",
            true,
            vec![],
            "they may already be billed",
        ),
        (
            "deleting a running turn asks, and says it may be billed",
            in_flight(),
            "d",
            true,
            vec![],
            "they may already be billed",
        ),
    ];
    for (name, mut app, k, running, effects, says) in rows {
        let fx = run(&mut app, keys(k));
        let id = *app.in_flight.keys().next().unwrap_or(&n(0));
        assert_eq!(!app.in_flight.is_empty(), running, "{name}: running ({id})");
        assert_eq!(fx, effects, "{name}: effects");
        let screen: String = screen(&app, 160)
            .lines()
            .map(|l| l.trim_matches('"').trim_matches('│').trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(screen.contains(says), "{name}: {says:?} not on\n{screen}");
    }
}

#[test]
fn a_request_that_finished_while_the_question_was_open_is_not_cancelled() {
    let mut app = in_flight();
    run(&mut app, keys("<esc>"));
    update(
        &mut app,
        Msg::Event(Event::TurnFinished(done_report(n(8), "dd"))),
    );
    let screen = screen(&app, 100);
    assert!(
        screen.contains("n8 finished meanwhile: nothing to cancel."),
        "{screen}"
    );
    let fx = run(&mut app, keys("y"));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(status(&app).contains("n8 had already finished"));
    assert_eq!(app.conv.node(n(8)).unwrap().status(), Some(Status::Done));
}

#[test]
fn alt_x_removes_the_last_attachment_before_sending() {
    let mut app = branched();
    run(&mut app, keys("i"));
    for (i, sha) in ["e1", "e2"].iter().enumerate() {
        update(
            &mut app,
            Msg::Event(Event::AttachmentReady {
                source: format!("/x/ref{i}.png"),
                result: Ok(Box::new(fixtures::image(sha, 640, 480))),
                pasted: None,
            }),
        );
    }
    assert!(
        status(&app).contains("alt-x removes it"),
        "{}",
        status(&app)
    );
    run(&mut app, keys("<alt-x>"));
    let shas: Vec<&str> = app
        .composer
        .attachments
        .iter()
        .map(|i| i.original.sha256.as_str())
        .collect();
    assert_eq!(shas, ["e1"]);
    assert!(status(&app).contains("1 attachment(s) left"));
    run(&mut app, keys("<alt-x>"));
    assert!(app.composer.attachments.is_empty());
    run(&mut app, keys("<alt-x>"));
    assert!(status(&app).contains("nothing attached"));
    // Sent without it: a text-only prompt.
    run(&mut app, keys("a moon<enter>"));
    assert_eq!(app.conv.node(n(8)).unwrap().images().count(), 0);
    let km = crate::tui::keymap::Keymap::default();
    assert!(km.markdown().contains("| `alt-x` | `detach` |"));
}

/// What a paste into the composer becomes: (pasted, attached path or
/// `None` for text).
#[test]
fn a_pasted_image_path_attaches_anything_else_is_text() {
    let rows: &[(&str, Option<&str>)] = &[
        ("/x/beach.png", Some("/x/beach.png")),
        (
            "'/x/my photos/beach shot.JPG'",
            Some("/x/my photos/beach shot.JPG"),
        ),
        (
            "/x/my\\ photos/beach\\ shot.webp",
            Some("/x/my photos/beach shot.webp"),
        ),
        ("file:///x/my%20photos/b.png", Some("/x/my photos/b.png")),
        ("~/ref.jpeg\r", Some("~/ref.jpeg")),
        ("./ref.gif", Some("./ref.gif")),
        ("a fox in /x/beach.png", None),
        ("/x/notes.txt", None),
        ("/x/a.png\n/x/b.png", None),
        ("https://example.com/a.png", None),
        ("beach.png", None),
        ("a red fox", None),
    ];
    for &(pasted, attached) in rows {
        let mut app = branched();
        run(&mut app, keys("i"));
        let fx = run(&mut app, vec![paste(pasted)]);
        match attached {
            Some(path) => {
                assert_eq!(
                    fx,
                    vec![E::ImportAttachment {
                        source: path.to_owned(),
                        pasted: Some(crate::tui::dropped::line_breaks(pasted).into_owned()),
                    }],
                    "{pasted:?}"
                );
                assert!(app.composer.text.is_empty(), "{pasted:?}: no text");
                assert!(status(&app).contains("attaching the pasted path"));
            }
            None => {
                assert!(fx.is_empty(), "{pasted:?}: {fx:?}");
                assert!(!app.composer.text.is_empty(), "{pasted:?}: text");
            }
        }
    }
}

#[test]
fn a_pasted_path_that_is_not_an_image_goes_in_as_text() {
    let mut app = branched();
    // A paste while the tree has focus opens the composer with it.
    let fx = run(&mut app, vec![paste("/x/gone.png")]);
    assert_eq!(app.focus, Focus::Composer);
    let Some(E::ImportAttachment { source, pasted }) = fx.into_iter().next() else {
        panic!("an import");
    };
    update(
        &mut app,
        Msg::Event(Event::AttachmentReady {
            source,
            result: Err("No such file or directory".into()),
            pasted,
        }),
    );
    assert_eq!(app.composer.prompt(), "/x/gone.png");
    assert!(app.composer.attachments.is_empty());
    assert!(
        status(&app).starts_with(
            "not attached, the paste went in as text: No such file or directory — /x/gone.png"
        ),
        "{}",
        status(&app)
    );
}

#[test]
fn f1_opens_help_from_a_text_field_too() {
    let mut app = branched();
    run(&mut app, keys("a/x/ref"));
    assert!(matches!(app.overlay, Overlay::Input(_)));
    update(
        &mut app,
        Msg::Event(Event::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE))),
    );
    assert!(
        matches!(app.overlay, Overlay::Help { .. }),
        "{:?}",
        app.overlay
    );
}

#[test]
fn replacing_a_draft_with_an_edit_can_be_undone() {
    let mut app = fixtures::branched_at(4);
    run(&mut app, keys("imy own words<esc>e"));
    assert_eq!(app.composer.prompt(), "make it dusk");
    assert!(status(&app).contains("ctrl-u brings it back"));
    assert_eq!(composer_title(&app), "new branch beside n4");
    let undo = Msg::Event(Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    for _ in 0..2 {
        if app.composer.prompt() != "my own words" {
            update(&mut app, undo.clone());
        }
    }
    assert_eq!(app.composer.prompt(), "my own words");
}
