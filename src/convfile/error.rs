//! What can go wrong with a conversation folder, said so a user can act on it.

use std::io;
use std::path::PathBuf;

/// Every failure of opening, creating or saving a conversation folder.
/// Whenever the saved file is at fault, the message says it was not changed.
#[derive(Debug, thiserror::Error)]
pub enum ConvFileError {
    #[error("{} does not exist. Check the name, or start a new conversation.", dir.display())]
    NotFound { dir: PathBuf },
    #[error("{} is not a conversation folder: it, or a folder above it, is a file. Pick another name, or move that file away.", dir.display())]
    NotAFolder { dir: PathBuf },
    #[error("{} has no conversation.json, so it is not a pixloom conversation (or the file was deleted). Restore it from a backup, or pick another name.", dir.display())]
    NoConversationFile { dir: PathBuf },
    #[error("{} already exists. Open it instead, or pick another name.", dir.display())]
    AlreadyExists { dir: PathBuf },
    #[error("{} already exists and holds other files. Pick another name.", dir.display())]
    FolderNotEmpty { dir: PathBuf },
    #[error("{} is open in another pixloom process{}; close it first.", dir.display(), holder.map(|p| format!(" (pid {p})")).unwrap_or_default())]
    Locked { dir: PathBuf, holder: Option<u32> },
    /// `images/` is a link or not a folder: nothing is read or written
    /// through it.
    #[error("{} is {what}, not a folder; pixloom keeps a conversation's images in a real folder inside it and does not follow links there, so nothing was read or written through it. Replace it with a real folder (a copy of what it points to), or open another conversation.", path.display())]
    ImagesNotAFolder { path: PathBuf, what: &'static str },
    #[error("saved conversation {} is empty; it was not changed. Restore it from a backup, or open another conversation.", path.display())]
    Empty { path: PathBuf },
    #[error("saved conversation {} is damaged at line {line}, column {column} ({detail}); it was not changed. Restore it from a backup, or open another conversation.", path.display())]
    Damaged {
        path: PathBuf,
        line: usize,
        column: usize,
        detail: String,
    },
    #[error("saved conversation {} was written by a newer pixloom ({found}); this version reads {} — upgrade pixloom. The file was not changed.", path.display(), super::FORMAT)]
    Newer { path: PathBuf, found: String },
    #[error("{} is not a pixloom conversation ({why}); it was not changed. Open a folder made by pixloom.", path.display())]
    NotPixloom { path: PathBuf, why: String },
    #[error("saved conversation {} is {} MB, more than any pixloom conversation (pixloom reads at most {} MB); it was not read or changed. It is probably not a conversation: restore it from a backup, or open another conversation.", path.display(), size / 1_000_000, cap / 1_000_000)]
    TooLarge { path: PathBuf, size: u64, cap: u64 },
    #[error("saved conversation {} is inconsistent: {broken}; it was not changed. Restore it from a backup, or open another conversation.", path.display())]
    Inconsistent { path: PathBuf, broken: String },
    #[error("cannot {action} {}: {source}. Check the folder's permissions.", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// `source` names the file (it comes from the durable write).
    #[error("{source}; the previous version is intact. {}", save_advice(source))]
    Save {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
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
