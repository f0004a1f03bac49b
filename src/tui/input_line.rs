//! The one-line input (attach, save a copy, label, search): its text, a
//! cursor, and whether a pre-filled suggestion is still selected.
//!
//! A suggestion (the name a copy is saved under, the label being changed)
//! starts selected, as in any GUI save dialog: the first typed character
//! or paste replaces it, Backspace / Delete clear it, and moving the cursor
//! first (← → Home End) keeps it for editing.

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::keymap::Key;

/// What a one-line input is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    /// A reference image: a path (Tab completes) or a URL.
    Attach,
    /// Where to save a copy of this node's image (Tab completes).
    SaveImage(pixloom_core::tree::NodeId),
    /// The label of this node (empty removes it).
    Label(pixloom_core::tree::NodeId),
    /// The sizes and models of a grid under this user turn (comma lists).
    Grid(pixloom_core::tree::NodeId),
    /// Prompts containing the text; `origin` is where the search started
    /// (esc goes back there).
    Search {
        origin: Option<pixloom_core::tree::NodeId>,
    },
}

/// A one-line input and, for paths, the completions Tab last offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputBox {
    pub kind: InputKind,
    pub text: String,
    pub(crate) completions: Vec<String>,
    /// Characters after the cursor, so 0 is the end: text set from outside
    /// (a completion) leaves the cursor at its end.
    pub(crate) after_cursor: usize,
    /// The whole text is a suggestion the next edit replaces.
    pub(crate) selected: bool,
}

impl InputBox {
    /// An input with `text` to be edited, the cursor at its end.
    pub fn new(kind: InputKind, text: impl Into<String>) -> Self {
        InputBox {
            kind,
            text: text.into(),
            completions: Vec::new(),
            after_cursor: 0,
            selected: false,
        }
    }

    /// An input offering `text` selected: typing replaces it.
    pub(crate) fn suggesting(kind: InputKind, text: impl Into<String>) -> Self {
        let mut b = InputBox::new(kind, text);
        b.selected = !b.text.is_empty();
        b
    }

    /// Whether Tab completes paths here.
    pub(crate) fn completes_paths(&self) -> bool {
        matches!(self.kind, InputKind::Attach | InputKind::SaveImage(_))
    }

    /// The text before and after the cursor.
    pub(crate) fn split(&self) -> (&str, &str) {
        let at = self.cursor_byte();
        self.text.split_at(at)
    }

    fn cursor_byte(&self) -> usize {
        let chars = self.text.chars().count();
        let before = chars.saturating_sub(self.after_cursor);
        self.text
            .char_indices()
            .nth(before)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Replaces the whole text, cursor at the end, nothing selected.
    pub(crate) fn set_text(&mut self, text: String) {
        self.text = text;
        self.after_cursor = 0;
        self.selected = false;
    }

    /// Inserts at the cursor (a typed character or a paste); a selected
    /// suggestion is replaced.
    pub(crate) fn insert_str(&mut self, s: &str) {
        if self.selected {
            self.set_text(String::new());
        }
        let at = self.cursor_byte();
        self.text.insert_str(at, s);
    }

    /// One key of line editing. Returns whether the text changed.
    pub(crate) fn edit(&mut self, key: Key) -> bool {
        let before = self.text.clone();
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Char('u') if ctrl => self.set_text(String::new()),
            KeyCode::Char('a') if ctrl => self.move_to(len),
            KeyCode::Char('e') if ctrl => self.move_to(0),
            KeyCode::Char(c)
                if !key
                    .mods
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.insert_str(c.encode_utf8(&mut [0; 4]));
            }
            KeyCode::Backspace | KeyCode::Delete if self.selected => self.set_text(String::new()),
            KeyCode::Backspace => {
                let at = self.cursor_byte();
                if let Some((i, _)) = self.text[..at].char_indices().next_back() {
                    self.text.remove(i);
                }
            }
            KeyCode::Delete if self.after_cursor > 0 => {
                let at = self.cursor_byte();
                self.text.remove(at);
                self.after_cursor -= 1;
            }
            KeyCode::Left => self.move_to((self.after_cursor + 1).min(len)),
            KeyCode::Right => self.move_to(self.after_cursor.saturating_sub(1)),
            KeyCode::Home => self.move_to(len),
            KeyCode::End => self.move_to(0),
            _ => {}
        }
        self.text != before
    }

    /// Moves the cursor (to `after` characters before the end); the
    /// suggestion is then being edited, no longer selected.
    fn move_to(&mut self, after: usize) {
        self.after_cursor = after;
        self.selected = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(b: &mut InputBox, codes: &[KeyCode]) {
        for c in codes {
            b.edit(Key::normalized(*c, KeyModifiers::NONE));
        }
    }

    /// (what, start selected?, keys, text after, cursor split after)
    type Case = (
        &'static str,
        bool,
        &'static [KeyCode],
        &'static str,
        (&'static str, &'static str),
    );

    #[test]
    fn a_suggestion_is_replaced_by_typing_and_kept_by_moving_first() {
        use KeyCode::{Backspace, Char, Delete, End, Home, Left, Right};
        let cases: &[Case] = &[
            (
                "typing replaces a suggestion",
                true,
                &[Char('x')],
                "x",
                ("x", ""),
            ),
            (
                "backspace clears a suggestion",
                true,
                &[Backspace],
                "",
                ("", ""),
            ),
            ("delete clears a suggestion", true, &[Delete], "", ("", "")),
            (
                "→ keeps it, typing appends",
                true,
                &[Right, Char('x')],
                "n5.pngx",
                ("n5.pngx", ""),
            ),
            (
                "← then type inserts before the last char",
                true,
                &[Left, Char('x')],
                "n5.pnxg",
                ("n5.pnx", "g"),
            ),
            (
                "home then type prefixes",
                true,
                &[Home, Char('a')],
                "an5.png",
                ("a", "n5.png"),
            ),
            (
                "home, delete removes the first char",
                true,
                &[Home, Delete],
                "5.png",
                ("", "5.png"),
            ),
            (
                "end keeps it",
                true,
                &[End, Backspace],
                "n5.pn",
                ("n5.pn", ""),
            ),
            (
                "not selected: typing appends",
                false,
                &[Char('x')],
                "n5.pngx",
                ("n5.pngx", ""),
            ),
            (
                "not selected: backspace removes one",
                false,
                &[Backspace],
                "n5.pn",
                ("n5.pn", ""),
            ),
            (
                "← past the start stops there",
                false,
                &[Home, Left, Char('a')],
                "an5.png",
                ("a", "n5.png"),
            ),
            (
                "→ past the end stops there",
                false,
                &[Right, Char('a')],
                "n5.pnga",
                ("n5.pnga", ""),
            ),
        ];
        for (what, selected, codes, text, split) in cases {
            let mut b = if *selected {
                InputBox::suggesting(InputKind::Attach, "n5.png")
            } else {
                InputBox::new(InputKind::Attach, "n5.png")
            };
            keys(&mut b, codes);
            assert_eq!(b.text, *text, "{what}");
            assert_eq!(b.split(), *split, "{what}");
        }
    }

    #[test]
    fn a_paste_replaces_a_suggestion_and_multibyte_text_edits_by_character() {
        let mut b = InputBox::suggesting(InputKind::Attach, "n5.png");
        b.insert_str("straße.png");
        assert_eq!(b.text, "straße.png");
        keys(&mut b, &[KeyCode::Left; 4]);
        keys(&mut b, &[KeyCode::Backspace]);
        assert_eq!(b.text, "straß.png");
        assert!(!InputBox::suggesting(InputKind::Attach, "").selected);
    }
}
