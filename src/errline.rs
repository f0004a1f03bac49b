//! The one shape of a message about a file, folder or link: what happened
//! and what to do first, the path once, last — `REASON. ADVICE — PATH`.
//! A status line cut at its width then loses only the end of a long path,
//! never the reason or the advice; a caller adding its own words ("could
//! not attach") puts them before and does not name the path again.
//!
//! Every error that carries a path ends so: `ImageError`, `ConvFileError`,
//! `durable`'s I/O errors, the app's notices (table test:
//! `tests/integration/cli/error_lines.rs`).

use std::fmt::Display;

/// The separator before the path.
pub(crate) const SEP: &str = " — ";

/// ` — path`: the end of a message about `path`.
pub(crate) fn tail(path: impl Display) -> String {
    format!("{SEP}{path}")
}

/// `reason — path`.
pub(crate) fn with_path(reason: impl Display, path: impl Display) -> String {
    format!("{reason}{}", tail(path))
}

/// `REASON. ADVICE — PATH` from a `source` that may end in ` — PATH`
/// already (`durable`'s errors do): the path said once, after the advice.
pub(crate) fn line(source: impl Display, advice: &str, path: impl Display) -> String {
    let (source, path) = (source.to_string(), path.to_string());
    let reason = source.strip_suffix(&tail(&path)).unwrap_or(&source);
    let reason = reason.trim_end_matches('.');
    let advice = advice.trim_end_matches('.');
    if advice.is_empty() {
        with_path(reason, path)
    } else {
        with_path(format!("{reason}. {advice}"), path)
    }
}

/// The caller's words before a `message` that may already end in a path
/// (then that path is it; else `path` is added): `DOING: MESSAGE — PATH`.
pub(crate) fn prefixed(doing: &str, message: impl Display, path: impl Display) -> String {
    let message = message.to_string();
    if message.contains(SEP) {
        format!("{doing}: {message}")
    } else {
        with_path(format!("{doing}: {message}"), path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_goes_between_the_reason_and_the_path_and_the_path_comes_once() {
        assert_eq!(with_path("cannot write", "/a b"), "cannot write — /a b");
        let cases = [
            (
                "cannot write: disk full — /a",
                "Free some space",
                "/a",
                "cannot write: disk full. Free some space — /a",
            ),
            (
                "disk full",
                "Free some space",
                "/a",
                "disk full. Free some space — /a",
            ),
            (
                "cannot write: disk full — /tmp/x",
                "",
                "/a",
                "cannot write: disk full — /tmp/x — /a",
            ),
        ];
        for (source, advice, path, want) in cases {
            assert_eq!(line(source, advice, path), want);
        }
    }
}
