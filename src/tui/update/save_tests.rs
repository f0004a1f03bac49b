//! Save a copy (`O`) and the label box: a pre-filled suggestion is
//! replaced by typing and kept by moving the cursor first; joined into
//! `every_action_as_data`'s table through `tool_tests::cases`.

use ratatui::crossterm::event::KeyCode;

use super::tests::{Expect, acts, run, typed};
use super::*;
use crate::tui::fixtures::{self, branched, n};
use crate::tui::state::{InputBox, InputKind};

use Action as A;
use Effect as E;

fn blob(sha: &str) -> pixloom_core::tree::Blob {
    fixtures::image(sha, 2048, 1152).original
}

/// The save of n5's image in `branched` to `dest`.
fn saved_as(dest: &str) -> Effect {
    E::SaveImage {
        blob: blob("cc"),
        dest: dest.into(),
        name: "n5-2048x1152.png".into(),
        recipe: crate::images::recipe(&branched().conv, n(5)),
    }
}

fn special(code: KeyCode) -> Msg {
    Msg::Event(Event::Key(ratatui::crossterm::event::KeyEvent::new(
        code,
        ratatui::crossterm::event::KeyModifiers::NONE,
    )))
}

pub(super) fn cases() -> Vec<(&'static str, App, Vec<Msg>, Expect)> {
    vec![
        (
            "save-image: tab on the suggestion browses from here",
            branched(),
            acts(&[A::SaveImage, A::Complete]),
            Expect {
                selected: Some(5),
                overlay: Overlay::Input(InputBox::new(InputKind::SaveImage(n(5)), "")),
                effects: vec![E::ListDir {
                    input: String::new(),
                }],
                ..Expect::default()
            },
        ),
        (
            "save-image offers a name, enter saves",
            branched(),
            acts(&[A::SaveImage, A::Confirm]),
            Expect {
                selected: Some(5),
                effects: vec![saved_as("n5-2048x1152.png")],
                status: Some("saving n5"),
                ..Expect::default()
            },
        ),
        (
            "save-image: the first key typed replaces the suggested name",
            branched(),
            [
                acts(&[A::SaveImage]),
                typed("~/fox.png"),
                acts(&[A::Confirm]),
            ]
            .concat(),
            Expect {
                selected: Some(5),
                effects: vec![saved_as("~/fox.png")],
                status: Some("saving n5"),
                ..Expect::default()
            },
        ),
        (
            "save-image: moving the cursor first keeps the name to edit",
            branched(),
            [
                acts(&[A::SaveImage]),
                vec![special(KeyCode::Home)],
                typed("~/"),
                acts(&[A::Confirm]),
            ]
            .concat(),
            Expect {
                selected: Some(5),
                effects: vec![saved_as("~/n5-2048x1152.png")],
                status: Some("saving n5"),
                ..Expect::default()
            },
        ),
        (
            "save-image: backspace clears the suggestion",
            branched(),
            [acts(&[A::SaveImage]), vec![special(KeyCode::Backspace)]].concat(),
            Expect {
                selected: Some(5),
                overlay: Overlay::Input(InputBox::new(InputKind::SaveImage(n(5)), "")),
                ..Expect::default()
            },
        ),
    ]
}

/// A label being changed is offered selected, as a rename in any GUI:
/// typing replaces it, → first edits it.
#[test]
fn a_label_is_replaced_by_typing_or_edited_after_moving() {
    let mut a = branched();
    run(
        &mut a,
        [acts(&[A::Label]), typed("best"), acts(&[A::Confirm])].concat(),
    );
    run(
        &mut a,
        [acts(&[A::Label]), typed("top"), acts(&[A::Confirm])].concat(),
    );
    assert_eq!(a.conv.node(n(5)).unwrap().label.as_deref(), Some("top"));
    run(
        &mut a,
        [
            acts(&[A::Label]),
            vec![special(KeyCode::End)],
            typed(" pick"),
            acts(&[A::Confirm]),
        ]
        .concat(),
    );
    assert_eq!(
        a.conv.node(n(5)).unwrap().label.as_deref(),
        Some("top pick")
    );
}
