//! Every error that carries a path says what happened and what to do
//! first, and the path once, last (`errline`): a status line cut at 160
//! columns keeps the reason. A table over the error kinds, with a long
//! path, some made by real failures on disk.

use std::io;
use std::path::{Path, PathBuf};

use pixloom::convfile::{ConvFileError, ConvFolder};
use pixloom::images::{ImageError, ImageStore, Subject};

/// A path far longer than a status line.
fn long(root: &Path) -> PathBuf {
    root.join("my photos/".repeat(16)).join("beach shot.png")
}

/// (kind, message, the path it is about, a piece of the reason)
fn cases(root: &Path) -> Vec<(&'static str, String, String, &'static str)> {
    let p = long(root);
    let s = p.display().to_string();
    let file = || Subject::File(s.clone());
    let io_err = || io::Error::new(io::ErrorKind::PermissionDenied, "Permission denied");
    let mut out: Vec<(&'static str, String, String, &'static str)> = vec![
        (
            "image not found",
            ImageError::NotFound { path: s.clone() }.to_string(),
            s.clone(),
            "does not exist",
        ),
        (
            "image is a folder",
            ImageError::IsDirectory { path: s.clone() }.to_string(),
            s.clone(),
            "is a folder",
        ),
        (
            "image not a file",
            ImageError::NotAFile { path: s.clone() }.to_string(),
            s.clone(),
            "not a regular file",
        ),
        (
            "image unreadable",
            ImageError::Unreadable {
                path: s.clone(),
                source: io_err(),
            }
            .to_string(),
            s.clone(),
            "Permission denied",
        ),
        (
            "image too large",
            ImageError::TooLarge {
                subject: file(),
                size: 200_000_000,
                limit: 50_000_000,
            }
            .to_string(),
            s.clone(),
            "200.0 MB",
        ),
        (
            "image empty",
            ImageError::Empty { subject: file() }.to_string(),
            s.clone(),
            "is empty",
        ),
        (
            "not an image",
            ImageError::NotAnImage {
                subject: file(),
                looks_like: Some("a PDF document"),
            }
            .to_string(),
            s.clone(),
            "not an image",
        ),
        (
            "image damaged",
            ImageError::Damaged {
                subject: file(),
                detail: "cut".into(),
            }
            .to_string(),
            s.clone(),
            "damaged",
        ),
        (
            "stored image missing",
            ImageError::MissingBlob { path: p.clone() }.to_string(),
            s.clone(),
            "missing",
        ),
        (
            "stored image wrong",
            ImageError::WrongContent { path: p.clone() }.to_string(),
            s.clone(),
            "does not hold the picture",
        ),
        (
            "store failed",
            ImageError::Store {
                path: p.clone(),
                source: io_err(),
            }
            .to_string(),
            s.clone(),
            "Permission denied",
        ),
        (
            "conversation not found",
            ConvFileError::NotFound { dir: p.clone() }.to_string(),
            s.clone(),
            "does not exist",
        ),
        (
            "conversation locked",
            ConvFileError::Locked {
                dir: p.clone(),
                holder: Some(7),
            }
            .to_string(),
            s.clone(),
            "open in another pixloom process",
        ),
        (
            "conversation damaged",
            ConvFileError::Damaged {
                path: p.clone(),
                line: 3,
                column: 4,
                detail: "x".into(),
            }
            .to_string(),
            s.clone(),
            "damaged at line 3",
        ),
        (
            "conversation io",
            ConvFileError::Io {
                action: "open",
                path: p.clone(),
                source: io_err(),
            }
            .to_string(),
            s.clone(),
            "cannot open",
        ),
    ];
    // Real failures: writing under a file, opening what is not there, a
    // store whose parent is a file, and a save wrapping `durable`'s error
    // (which names the path itself).
    let blocker = root.join("a file");
    std::fs::write(&blocker, b"x").unwrap();
    let under = blocker
        .join("my photos/".repeat(16))
        .join("conversation.json");
    let durable = pixloom::durable::write_atomic(&under, b"{}").unwrap_err();
    let shown = under.display().to_string();
    out.push((
        "durable write",
        durable.to_string(),
        shown.clone(),
        "cannot write",
    ));
    let save = ConvFileError::Save {
        path: under.clone(),
        source: durable,
    };
    out.push((
        "save",
        save.to_string(),
        shown.clone(),
        "previous version is intact",
    ));
    let open = ConvFolder::open(&p).err().unwrap();
    out.push(("open", open.to_string(), s.clone(), "does not exist"));
    let store_dir = blocker.join("images");
    let store = ImageStore::open(&store_dir).unwrap_err();
    out.push((
        "store open",
        store.to_string(),
        blocker.display().to_string(),
        "cannot create",
    ));
    let import =
        pixloom::images::import_file(&p, &ImageStore::at(root.join("images"))).unwrap_err();
    out.push(("import", import.to_string(), s, "does not exist"));
    out
}

#[test]
fn the_reason_comes_first_and_the_path_once_last() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, message, path, reason) in cases(dir.path()) {
        assert_eq!(
            message.matches(&path).count(),
            1,
            "{kind}: the path once in {message}"
        );
        assert!(
            message.ends_with(&format!(" — {path}")),
            "{kind}: the path last in {message}"
        );
        let at = message
            .find(reason)
            .unwrap_or_else(|| panic!("{kind}: {reason:?} in {message}"));
        assert!(
            at < message.find(&path).unwrap(),
            "{kind}: the reason first in {message}"
        );
        // What a 160-column status line keeps holds the reason.
        let shown: String = message.chars().take(160).collect();
        assert!(
            shown.contains(reason),
            "{kind}: {reason:?} within 160 columns of {message}"
        );
    }
}

/// The commands say a missing conversation the same way: the reason, the
/// folder once, last (`replay` used to add its own "could not read PATH").
#[test]
fn commands_name_a_missing_conversation_once() {
    let dir = tempfile::tempdir().unwrap();
    let conv = dir.path().join("my photos/".repeat(12)).join("fox");
    for cmd in ["show", "export", "replay", "rerun"] {
        let mut c = crate::common::bin();
        c.arg(cmd).arg(&conv).env("HOME", dir.path());
        if cmd == "export" {
            c.args(["--format", "html", "--out"])
                .arg(dir.path().join("x.html"));
        }
        if cmd == "rerun" {
            // Nothing is sent: the key only gets it past the key check.
            c.args(["--from", "n1", "--base-url", &crate::common::down_url()])
                .env("PIXLOOM_API_KEY", crate::common::key());
        }
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let shown = format!("{}.pixloom", conv.display());
        assert!(!out.status.success(), "{cmd}");
        assert_eq!(err.matches(&shown).count(), 1, "{cmd}: {err}");
        assert!(
            err.starts_with("pixloom: the conversation does not exist. Check the name"),
            "{cmd}: {err}"
        );
    }
}
