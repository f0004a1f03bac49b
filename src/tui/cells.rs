//! Every cell of a frame has one width that every terminal agrees on.
//!
//! ratatui lays text out by grapheme with unicode-width, which counts an
//! emoji presentation sequence as one wide character: `❄️` (U+2744 U+FE0F)
//! is two cells to it. tmux, and terminals that measure code point by code
//! point (`wcwidth`), count U+2744 as one cell and the selector as none.
//! The two then disagree on where the next character is: ratatui never
//! writes the cell it thinks the emoji covers, so tmux keeps whatever was
//! there before (a glyph of the old tree border). Keycaps (`1️⃣`), skin
//! tones (`👍🏽`: two wide code points to `wcwidth`) and the like differ the
//! same way.
//!
//! So, after the view has drawn and before the frame is sent, a cell whose
//! grapheme is measured differently as a whole and code point by code point
//! is shown as its base character (`❄`, `1`, `👍`), whose width nobody
//! disputes; the cells ratatui reserved after it are already blank and are
//! written as such. Only the display changes: prompts, titles and exports
//! keep the text as typed.

use ratatui::buffer::Buffer;
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

/// Replaces, in place, every grapheme whose width is disputed (see the
/// module docs) by its base character.
pub(crate) fn agree_on_widths(buf: &mut Buffer) {
    for cell in &mut buf.content {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        if let Some(shown) = undisputed(symbol) {
            cell.set_symbol(&shown);
        }
    }
}

/// The form of `grapheme` every terminal measures alike, when it differs
/// from `grapheme`.
pub(crate) fn undisputed(grapheme: &str) -> Option<String> {
    let whole = grapheme.width();
    let each: usize = grapheme.chars().map(|c| c.width().unwrap_or(0)).sum();
    if whole == each {
        return None;
    }
    let base = grapheme.chars().next()?;
    // A base wider than the room ratatui left would push the row right.
    let base = if base.width().unwrap_or(0) <= whole {
        base
    } else {
        '\u{fffd}'
    };
    Some(base.to_string())
}

#[cfg(test)]
mod tests {
    use ratatui::layout::Rect;

    use super::*;

    /// Per code point, as tmux and `wcwidth` count.
    fn per_code_point(s: &str) -> usize {
        s.chars().map(|c| c.width().unwrap_or(0)).sum()
    }

    #[test]
    fn every_cell_is_measured_alike_whole_and_per_code_point() {
        // (text as typed, the row as shown)
        let cases = [
            ("a❄️b", "a❄ b"),
            ("1️⃣x", "1 x"),
            ("👍🏽!", "👍!"),
            ("#️⃣=", "# ="),
            // Undisputed text is left as it is.
            ("❄b", "❄b"),
            ("漢字", "漢字"),
            ("e\u{301}t", "e\u{301}t"),
            ("🦊 fox", "🦊 fox"),
        ];
        for (typed, shown) in cases {
            let mut buf = Buffer::empty(Rect::new(0, 0, 8, 1));
            buf.set_string(0, 0, typed, ratatui::style::Style::default());
            let before = buf.clone();
            agree_on_widths(&mut buf);
            // The row as a terminal shows it: a wide cell covers the next.
            let mut row = String::new();
            let mut covered = 0;
            for c in &buf.content {
                if covered == 0 {
                    row.push_str(c.symbol());
                    covered = c.symbol().width().max(1);
                }
                covered -= 1;
            }
            assert_eq!(row.trim_end(), shown, "{typed:?}");
            for (i, c) in buf.content.iter().enumerate() {
                assert_eq!(
                    c.symbol().width(),
                    per_code_point(c.symbol()),
                    "{typed:?}: cell {i} {:?}",
                    c.symbol()
                );
            }
            // Over a screen full of an older frame's glyphs, what ratatui
            // writes covers every column as a per-code-point terminal
            // (tmux) counts them: no cell keeps a stale glyph.
            let mut stale = Buffer::empty(buf.area);
            for c in &mut stale.content {
                c.set_symbol("│");
            }
            let written: usize = stale
                .diff(&buf)
                .iter()
                .map(|(_, _, c)| per_code_point(c.symbol()))
                .sum();
            assert_eq!(written, 8, "{typed:?}");
            if typed == shown {
                assert_eq!(buf, before, "{typed:?} untouched");
            }
        }
    }
}
