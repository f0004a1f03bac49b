//! The conversations opened lately, for the start screen of a bare
//! `pixloom`: `$XDG_STATE_HOME/pixloom/recent` (else
//! `~/.local/state/pixloom/recent`), one absolute folder path a line,
//! newest first.
//!
//! The file is untrusted input like any other: read at most
//! [`MAX_FILE_BYTES`], at most [`MAX_ENTRIES`] kept, and a line that is not
//! an absolute path to a `.pixloom` folder, or that holds control
//! characters, is skipped. A list that cannot be read or written only
//! costs the list: opening a conversation never fails because of it.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::convfile::EXTENSION;

/// The most conversations remembered.
pub(crate) const MAX_ENTRIES: usize = 50;
/// The most of the file read (50 paths of 4096 bytes each, and some).
pub(crate) const MAX_FILE_BYTES: u64 = 256 * 1024;
/// The file's name in the state directory.
pub(crate) const FILE_NAME: &str = "recent";

/// The list's file in pixloom's state directory.
pub(crate) fn default_path() -> Option<PathBuf> {
    Some(crate::logging::state_dir()?.join(FILE_NAME))
}

/// The folders in the list at `file`, newest first; an absent or
/// unreadable file is an empty list.
pub(crate) fn load(file: &Path) -> Vec<PathBuf> {
    let mut bytes = Vec::new();
    // Only a regular file: a FIFO put there would block the start.
    let read = std::fs::metadata(file)
        .and_then(|m| {
            if m.is_file() {
                std::fs::File::open(file)
            } else {
                Err(std::io::Error::other("not a regular file"))
            }
        })
        .and_then(|f| f.take(MAX_FILE_BYTES).read_to_end(&mut bytes));
    if let Err(e) = read {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!("the list of recent conversations is unreadable: {e}");
        }
        return Vec::new();
    }
    parse(&String::from_utf8_lossy(&bytes))
}

/// The usable lines of the list's text, each once, at most
/// [`MAX_ENTRIES`].
pub(crate) fn parse(text: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for line in text.lines() {
        if out.len() == MAX_ENTRIES {
            break;
        }
        if let Some(dir) = usable(line)
            && !out.contains(&dir)
        {
            out.push(dir);
        }
    }
    out
}

/// `line` as a conversation folder, if it names one plainly.
fn usable(line: &str) -> Option<PathBuf> {
    if line.is_empty() || line.chars().any(char::is_control) || line.len() > 4096 {
        return None;
    }
    let p = PathBuf::from(line);
    (p.is_absolute() && p.extension().is_some_and(|e| e == EXTENSION)).then_some(p)
}

/// `list` with `dir` first (once), capped.
pub(crate) fn with_first(list: &[PathBuf], dir: &Path) -> Vec<PathBuf> {
    std::iter::once(dir.to_path_buf())
        .chain(list.iter().filter(|p| p.as_path() != dir).cloned())
        .take(MAX_ENTRIES)
        .collect()
}

/// Puts `dir` (made absolute) first in the list at `file`. Best effort: a
/// failure is logged, never shown as an error of the open itself.
pub(crate) fn record(file: &Path, dir: &Path) {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return;
    };
    let Some(line) = dir.to_str().filter(|s| usable(s).is_some()) else {
        // A name the list could not hold back (control characters, not
        // UTF-8) is simply not remembered.
        return;
    };
    let list = with_first(&load(file), Path::new(line));
    let mut text = String::new();
    for p in &list {
        text.push_str(&p.to_string_lossy());
        text.push('\n');
    }
    let written = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| crate::durable::write_atomic(file, text.as_bytes()));
    if let Err(e) = written {
        tracing::warn!("could not update the list of recent conversations: {e}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The file is untrusted: each kind of bad line is skipped, the
    /// rest kept in order, each once.
    #[test]
    fn only_plain_absolute_conversation_folders_are_read() {
        let cases: &[(&str, &[&str])] = &[
            (
                "/a/fox.pixloom\n/b/cat.pixloom\n",
                &["/a/fox.pixloom", "/b/cat.pixloom"],
            ),
            ("/a/fox.pixloom\n/a/fox.pixloom\n", &["/a/fox.pixloom"]),
            ("relative.pixloom\n/etc/passwd\n\n", &[]),
            (
                "/a/\u{1b}[31mred.pixloom\n/a/ok.pixloom",
                &["/a/ok.pixloom"],
            ),
            (
                "/a/bell\u{7}.pixloom\r\n/b/c.pixloom\r\n",
                &["/b/c.pixloom"],
            ),
        ];
        for (text, want) in cases {
            let got: Vec<PathBuf> = parse(text);
            let want: Vec<PathBuf> = want.iter().map(PathBuf::from).collect();
            assert_eq!(got, want, "{text:?}");
        }
        let many: String = (0..500).map(|i| format!("/c/{i}.pixloom\n")).collect();
        assert_eq!(parse(&many).len(), MAX_ENTRIES);
    }

    #[test]
    fn opening_puts_the_folder_first_once() {
        let home = tempfile::tempdir().unwrap();
        let file = home.path().join("state/recent");
        let fox = home.path().join("fox.pixloom");
        let cat = home.path().join("cat.pixloom");
        std::fs::create_dir_all(&fox).unwrap();
        std::fs::create_dir_all(&cat).unwrap();
        record(&file, &fox);
        record(&file, &cat);
        record(&file, &fox);
        let list = load(&file);
        let real = |p: &Path| std::fs::canonicalize(p).unwrap();
        assert_eq!(list, [real(&fox), real(&cat)]);
        // A huge file is read only up to the cap, and still parsed.
        let huge = "/x/y.pixloom\n".repeat(100_000);
        std::fs::write(&file, huge).unwrap();
        assert_eq!(load(&file), [PathBuf::from("/x/y.pixloom")]);
    }
}
