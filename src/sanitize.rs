//! Text from the network (gateway messages, refusals, URLs) and from saved
//! files is untrusted: it must never reach the terminal carrying control
//! sequences. Everything shown passes through here first.
//!
//! Removed: C0 controls (ESC, BEL, …) but for the line breaks the caller
//! allows, DEL, C1 controls (U+0080–U+009F, which some terminals read as
//! CSI/OSC/DCS introducers) and bidirectional overrides and isolates (which
//! can make text read differently from what it is).

use std::borrow::Cow;

mod json;
pub use json::to_string_pretty as json_pretty;

fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{61c}')
}

/// One line of text: line breaks and tabs become spaces, controls vanish.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| is_forbidden(c) || c == '\n' || c == '\t' || c == '\r')
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                '\n' | '\t' | '\r' => Some(' '),
                c if is_forbidden(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// Several lines: `\n` kept, `\r\n` folded, tabs become spaces, controls vanish.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_forbidden(c) || c == '\t' || c == '\r') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                '\r' => None,
                '\t' => Some(' '),
                c if is_forbidden(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// At most `max` characters of `s`, with `…` when cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => Cow::Owned(format!("{}…", &s[..at])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_sequences_lose_every_control_byte() {
        let cases = [
            "\x1b[2J\x1b[Hclear",
            "\x1b]0;title\x07",
            "\x1b]52;c;ZXZpbA==\x07",
            "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
            "\x1bP+q\x1b\\",
            "\u{9b}31m\u{9d}0;t\u{9c}",
            "\x07\x07\x07\x07",
            "abc\u{202e}txt.exe\u{2066}",
            "nul\0byte\x7f",
        ];
        for c in cases {
            for out in [line(c), text(c)] {
                assert!(
                    !out.chars()
                        .any(|ch| ch.is_control() && ch != '\n' || is_forbidden(ch)),
                    "{c:?} -> {out:?}"
                );
            }
        }
        assert_eq!(line("\x1b[31mred\x1b[0m"), "[31mred[0m");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            line("a cat on a mat, ünïcödé 猫"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(text("two\nlines"), Cow::Borrowed(_)));
        assert_eq!(line("two\nlines\tand\r\n"), "two lines and  ");
        assert_eq!(text("two\r\nlines\t"), "two\nlines ");
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo", 3), "hél…");
        assert_eq!(truncate("hi", 3), "hi");
    }
}
