//! Text from the network (gateway messages, refusals, URLs) and from saved
//! files is untrusted: it must never reach the terminal carrying control
//! sequences. Everything shown passes through here first.
//!
//! Removed: C0 controls (ESC, BEL, …) but for the line breaks the caller
//! allows, DEL, C1 controls (U+0080–U+009F, which some terminals read as
//! CSI/OSC/DCS introducers) and bidirectional overrides and isolates (which
//! can make text read differently from what it is).
//!
//! [`redact`] removes secrets: the configured API key and anything shaped
//! like a credential (`Bearer <token>`, `sk-<token>`). The gateway client
//! applies it to every string a gateway sends (`gateway::Untrusted`).

use std::borrow::Cow;

mod json;
pub(crate) use json::to_string_pretty as json_pretty;

/// Written where a secret was.
pub(crate) const REDACTED: &str = "[redacted]";

fn is_forbidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        | '\u{61c}')
}

/// One line of text: line breaks and tabs become spaces, controls vanish.
pub(crate) fn line(s: &str) -> Cow<'_, str> {
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
pub(crate) fn text(s: &str) -> Cow<'_, str> {
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
pub(crate) fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => Cow::Owned(format!("{}…", &s[..at])),
    }
}

/// `s` without `secret` (the configured key; empty: none) and without
/// anything shaped like a credential: the token after `Bearer` and any
/// `sk-…` token, when at least 8 characters long with a digit (so prose
/// such as "the bearer token" or "sk-learn" stays readable). Run it after
/// [`line`] or [`text`]: a key split by control characters only joins up
/// once they are gone.
pub(crate) fn redact<'a>(s: &'a str, secret: &str) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(s);
    if !secret.is_empty() && s.contains(secret) {
        out = Cow::Owned(s.replace(secret, REDACTED));
    }
    match redact_shapes(&out) {
        Some(cleaned) => Cow::Owned(cleaned),
        None => out,
    }
}

/// A byte that may be part of an `sk-` token or start one's boundary.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A byte of a bearer token: visible ASCII but for quotes, separators and
/// brackets (which end a token in JSON, headers and prose).
fn is_bearer_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"\"'\\,;<>()[]{}`".contains(&b)
}

/// Long enough and with a digit: a key, not a word.
fn looks_like_secret(token: &[u8]) -> bool {
    token.len() >= 8 && token.iter().any(u8::is_ascii_digit)
}

/// The byte range of a credential starting at `i`, if one does.
fn credential_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if i > 0 && is_word_byte(b[i - 1]) {
        return None;
    }
    let rest = &b[i..];
    if rest.len() > 6 && rest[..6].eq_ignore_ascii_case(b"bearer") {
        let gap = rest[6..]
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b':' | b'='))
            .count();
        let start = i + 6 + gap;
        let len = b[start..]
            .iter()
            .take_while(|c| is_bearer_byte(**c))
            .count();
        return (gap > 0 && looks_like_secret(&b[start..start + len]))
            .then_some((start, start + len));
    }
    if rest.starts_with(b"sk-") {
        let len = rest[3..].iter().take_while(|c| is_word_byte(**c)).count();
        return looks_like_secret(&rest[3..3 + len]).then_some((i, i + 3 + len));
    }
    None
}

/// `s` with every credential-shaped token replaced, or `None` when there
/// is none. The shapes are ASCII, so every cut is on a character boundary.
fn redact_shapes(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = String::new();
    let (mut copied, mut i) = (0, 0);
    while i < b.len() {
        match credential_at(b, i) {
            Some((start, end)) => {
                out.push_str(&s[copied..start]);
                out.push_str(REDACTED);
                (copied, i) = (end, end);
            }
            None => i += 1,
        }
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&s[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_credential_shapes_are_redacted() {
        let key = "k3y-0f-the-user";
        let cases = [
            ("echo: k3y-0f-the-user!", "echo: [redacted]!"),
            (
                "Authorization: Bearer k3y-0f-the-user",
                "Authorization: Bearer [redacted]",
            ),
            ("bearer=abcdef123456, next", "bearer=[redacted], next"),
            (
                "\"authorization\":\"Bearer sk-zz9-other-key\"",
                "\"authorization\":\"Bearer [redacted]\"",
            ),
            (
                "token sk-proj-AbC123xyz789 leaked",
                "token [redacted] leaked",
            ),
            (
                "twice sk-aaaa1111bbbb sk-cccc2222dddd",
                "twice [redacted] [redacted]",
            ),
            ("héllo Bearer 12345678ab ünï", "héllo Bearer [redacted] ünï"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input, key), want, "{input}");
        }
        // Words, not keys: left alone (and borrowed).
        for prose in [
            "Check the Bearer token.",
            "Send it as `Authorization: Bearer sk-…`.",
            "use sk-learn for that",
            "desk-12345678 is a task id",
            "Bearer",
            "sk-",
        ] {
            assert!(matches!(redact(prose, key), Cow::Borrowed(_)), "{prose}");
        }
        assert_eq!(redact("no secret", ""), "no secret");
    }

    #[test]
    fn a_key_split_by_control_characters_is_caught_after_sanitising() {
        let key = "sk-canary-7f3a9c1e5b2d4f60";
        let split = "echo sk-canary-7f3a\u{1b}9c1e5b2d4f60";
        assert!(!redact(&line(split), key).contains(key));
    }

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
