//! Text a terminal pastes, made into what the user meant.
//!
//! Dragging a file into a terminal pastes its path the way that terminal
//! quotes it: `'/x/my photos/a.png'` (GNOME, kitty), `/x/my\ photos/a.png`
//! (iTerm2, Konsole, macOS Terminal) or `file:///x/my%20photos/a.png`
//! (some file managers). tmux delivers a paste's line breaks as CR.

use std::borrow::Cow;

/// The path a dragged file pasted as: quotes removed, backslash escapes
/// undone, a `file://` URL turned into its path. Anything else (an
/// `http(s)` link, a plain path) is returned trimmed.
pub(crate) fn dropped_path(text: &str) -> String {
    let t = text.trim();
    if t.starts_with("file://")
        && let Some(path) = url::Url::parse(t).ok().and_then(|u| u.to_file_path().ok())
    {
        return path.to_string_lossy().into_owned();
    }
    if t.starts_with("http://") || t.starts_with("https://") {
        return t.to_owned();
    }
    for quote in ['\'', '"'] {
        if t.len() >= 2 && t.starts_with(quote) && t.ends_with(quote) {
            let inner = &t[1..t.len() - 1];
            // A shell writes a quote inside single quotes as '\''.
            return if quote == '\'' {
                inner.replace("'\\''", "'")
            } else {
                inner.to_owned()
            };
        }
    }
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some(next)) => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// A paste's line breaks as `\n`, however the terminal sent them (CR LF,
/// or CR alone as tmux does).
pub(crate) fn line_breaks(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dragged_path_is_the_file_however_the_terminal_quoted_it() {
        let want = "/x/my photos/beach shot.png";
        for pasted in [
            "/x/my photos/beach shot.png",
            "'/x/my photos/beach shot.png'",
            "\"/x/my photos/beach shot.png\"",
            "/x/my\\ photos/beach\\ shot.png",
            "file:///x/my%20photos/beach%20shot.png",
            "  '/x/my photos/beach shot.png' \n",
        ] {
            assert_eq!(dropped_path(pasted), want, "{pasted:?}");
        }
        assert_eq!(dropped_path("'/x/it'\\''s.png'"), "/x/it's.png");
        assert_eq!(dropped_path("~/a\\ b.png"), "~/a b.png");
        for kept in [
            "https://example.com/a%20b.png?x=1",
            "http://h/a\\b",
            "a.png",
        ] {
            assert_eq!(dropped_path(kept), kept);
        }
    }

    #[test]
    fn line_breaks_from_any_terminal_are_newlines() {
        assert_eq!(
            line_breaks("one\rtwo\r\nthree\nfour"),
            "one\ntwo\nthree\nfour"
        );
        assert!(matches!(line_breaks("no breaks"), Cow::Borrowed(_)));
    }
}
