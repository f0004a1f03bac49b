//! What can go wrong with a conversation folder, said so a user can act on it.

use std::io;
use std::path::PathBuf;

/// Every failure of opening, creating or saving a conversation folder.
/// Whenever the saved file is at fault, the message says it was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ConvFileError {
    #[error(
        "the conversation does not exist. Check the name, or start a new conversation{}",
        tail(dir)
    )]
    NotFound { dir: PathBuf },
    #[error(
        "that is not a conversation folder: it, or a folder above it, is a file. Pick another name, or move that file away{}",
        tail(dir)
    )]
    NotAFolder { dir: PathBuf },
    #[error(
        "the folder has no conversation.json, so it is not a pixloom conversation (or the file was deleted). Restore it from a backup, or pick another name{}",
        tail(dir)
    )]
    NoConversationFile { dir: PathBuf },
    #[error(
        "the conversation already exists. Open it instead, or pick another name{}",
        tail(dir)
    )]
    AlreadyExists { dir: PathBuf },
    #[error(
        "the folder already exists and holds other files. Pick another name{}",
        tail(dir)
    )]
    FolderNotEmpty { dir: PathBuf },
    #[error("the conversation is open in another pixloom process{}; close it first{}", holder.map(|p| format!(" (pid {p})")).unwrap_or_default(), tail(dir))]
    Locked { dir: PathBuf, holder: Option<u32> },
    /// `images/` is a link or not a folder: nothing is read or written
    /// through it.
    #[error(
        "the images folder is {what}, not a folder; pixloom keeps a conversation's images in a real folder inside it and does not follow links there, so nothing was read or written through it. Replace it with a real folder (a copy of what it points to), or open another conversation{}",
        tail(path)
    )]
    ImagesNotAFolder { path: PathBuf, what: &'static str },
    #[error(
        "the saved conversation is empty; it was not changed. Restore it from a backup, or open another conversation{}",
        tail(path)
    )]
    Empty { path: PathBuf },
    #[error(
        "the saved conversation is damaged at line {line}, column {column} ({detail}); it was not changed. Restore it from a backup, or open another conversation{}",
        tail(path)
    )]
    Damaged {
        path: PathBuf,
        line: usize,
        column: usize,
        detail: String,
    },
    #[error(
        "the saved conversation was written by a newer pixloom ({found}); this version reads {}: upgrade pixloom. The file was not changed{}",
        super::FORMAT,
        tail(path)
    )]
    Newer { path: PathBuf, found: String },
    #[error(
        "that is not a pixloom conversation ({why}); it was not changed. Open a folder made by pixloom{}",
        tail(path)
    )]
    NotPixloom { path: PathBuf, why: String },
    #[error("the saved conversation is {} MB, more than any pixloom conversation (pixloom reads at most {} MB); it was not read or changed. It is probably not a conversation: restore it from a backup, or open another conversation{}", size / 1_000_000, cap / 1_000_000, tail(path))]
    TooLarge { path: PathBuf, size: u64, cap: u64 },
    #[error(
        "the saved conversation is inconsistent: {broken}; it was not changed. Restore it from a backup, or open another conversation{}",
        tail(path)
    )]
    Inconsistent { path: PathBuf, broken: String },
    #[error("{}", crate::errline::line(format!("cannot {action}: {source}"), "Check the folder's permissions.", path.display()))]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// `source` names the file last (it comes from the durable write).
    #[error("{}", crate::errline::line(source, &format!("The previous version is intact. {}", save_advice(source)), path.display()))]
    Save {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// ` — PATH`, the end of every message here (`errline`'s shape).
fn tail(path: &std::path::Path) -> String {
    crate::errline::tail(path.display())
}

/// What to do after a failed save, by what failed.
fn save_advice(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "The disk is full: free some space, then save again; or copy the conversation folder to a disk with room and open it there."
        }
        io::ErrorKind::FileTooLarge => "Delete some branches, then save again.",
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            "Fix the folder's permissions, then save again."
        }
        _ => "Free some disk space or fix the folder's permissions, then save again.",
    }
}
