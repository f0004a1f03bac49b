//! What a message may have cost the screen, so the next frame puts it back.
//!
//! A terminal that changes size may clear, truncate or shift what it shows
//! (xterm cuts lines on a shrink and does not bring them back; tmux redraws
//! a resized pane from its own idea of the widths), and kitty (seen in
//! 0.26) drops every image it holds when its screen is cleared or resized,
//! so placing one again by id shows nothing. This happens even when the
//! size comes back to what it was before the loop drew in between, so
//! comparing sizes is not enough: the event itself decides.
//!
//! | message | [`Repaint`] | cells | pictures |
//! | --- | --- | --- | --- |
//! | a resize (to any size, also back to the old one) | everything | screen cleared, every cell written | every picture sent again (kitty: transmitted, not just placed) |
//! | a key, paste, tick, result, overlay opened or closed, scroll | changes | ratatui's diff | only placements that changed (kitty: placed by id) |
//!
//! The first frame is drawn from scratch anyway (the screen was cleared
//! after the graphics probe).

use super::action::{Event, Msg};

/// How much of the screen the next frame must draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Repaint {
    /// Only what changed: the terminal still shows the last frame.
    Changes,
    /// Everything: the terminal may have lost cells and pictures.
    Everything,
}

/// What the terminal may have lost with `msg` (see the module table).
pub(crate) fn after(msg: &Msg) -> Repaint {
    match msg {
        Msg::Event(Event::Resize(..)) => Repaint::Everything,
        Msg::Event(_) | Msg::Action(_) => Repaint::Changes,
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::{KeyCode, KeyEvent};

    use super::*;
    use crate::tui::action::Action;

    #[test]
    fn which_messages_repaint_everything() {
        let cases: Vec<(Msg, Repaint)> = vec![
            (Msg::Event(Event::Resize(80, 24)), Repaint::Everything),
            // Back to the size of the last frame: still everything (kitty
            // dropped its images, xterm cut the lines on the way).
            (Msg::Event(Event::Resize(120, 40)), Repaint::Everything),
            (
                Msg::Event(Event::Key(KeyEvent::from(KeyCode::Char('j')))),
                Repaint::Changes,
            ),
            (Msg::Event(Event::Paste("x".into())), Repaint::Changes),
            (Msg::Event(Event::Tick), Repaint::Changes),
            (Msg::Action(Action::Dismiss), Repaint::Changes),
            (Msg::Action(Action::Gallery), Repaint::Changes),
        ];
        for (msg, want) in cases {
            assert_eq!(after(&msg), want, "{msg:?}");
        }
    }
}
