//! Saved conversations: one folder `NAME.pixloom/` holding
//! `conversation.json` (the tree, format `pixloom/1`) and `images/` (the
//! content-addressed [`ImageStore`]). Nothing inside refers to an absolute
//! path, so a folder copied or moved elsewhere opens as it was.
//!
//! A folder is used by one process at a time (an advisory lock on the
//! folder itself; `.lock` only holds the holder's pid for the message). A
//! saved file that cannot be read — damaged, cut short, from a newer
//! pixloom, inconsistent — is refused and never written over.
//!
//! Everything inside the folder may come from someone else: links inside
//! it are never followed, special files never opened (see
//! [`crate::folder_fs`]); the folder the user names may be a link.
//! See `docs/file-format.md` and `docs/security.md`.

mod error;
mod format;
pub(crate) mod orphans;

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

pub use error::ConvFileError;
pub use format::{FORMAT, from_json, to_json};

use crate::durable;
use crate::folder_fs::{self, Found, OpenError};
use crate::images::{ImageError, ImageStore};
use crate::provenance::Provenance;
use pixloom_core::tree::{Conversation, NodeId};

/// The folder name's extension.
pub(crate) const EXTENSION: &str = "pixloom";
/// The tree's file inside the folder.
pub(crate) const CONVERSATION_FILE: &str = "conversation.json";
/// The image store's folder inside the folder.
pub(crate) const IMAGES_DIR: &str = "images";
/// The note inside the folder saying which process holds it (its pid).
/// The lock itself is on the folder, so deleting this changes nothing.
pub(crate) const LOCK_FILE: &str = ".lock";
/// The largest `conversation.json` read or written: far above any real
/// one (a 1000-turn conversation is about 1 MB), and a bound on the
/// memory a hostile file can take.
pub const MAX_CONVERSATION_BYTES: u64 = 250_000_000;

/// The folder a command-line argument names: `foo` → `foo.pixloom`;
/// `foo.pixloom`, `foo.pixloom/` and `foo.pixloom/conversation.json` →
/// `foo.pixloom`.
pub fn conversation_dir(arg: impl AsRef<Path>) -> PathBuf {
    // `components` drops a trailing slash and inner `.`.
    let p: PathBuf = arg.as_ref().components().collect();
    if p.file_name().is_some_and(|n| n == CONVERSATION_FILE) {
        return match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
    }
    if p.extension().is_some_and(|e| e == EXTENSION) {
        return p;
    }
    match p.file_name() {
        Some(name) => {
            let mut name = name.to_os_string();
            name.push(".");
            name.push(EXTENSION);
            p.with_file_name(name)
        }
        None => p, // `.`, `..`, `/`: taken as the folder itself
    }
}

/// An open conversation folder: held locked until dropped.
#[derive(Debug)]
pub struct ConvFolder {
    pub dir: PathBuf,
    pub store: ImageStore,
    /// The folder itself, open and exclusively locked (`flock`); closing
    /// it releases the lock.
    #[allow(dead_code)]
    lock: File,
}

/// What opening a folder found.
#[derive(Debug)]
pub struct Loaded {
    pub conv: Conversation,
    /// Turns that were pending when pixloom last stopped; now `interrupted`
    /// (and already saved so).
    pub interrupted: Vec<NodeId>,
    /// Temporary files left by a crash, removed.
    pub removed_temps: usize,
    /// Images the tree uses whose files are missing, damaged, links or
    /// special files, as `images/<file> (n3: why)`, for the UI to warn
    /// about. The conversation still opens. (Contents are checked against
    /// their names later, when first used.)
    pub missing_images: Vec<String>,
}

impl Loaded {
    /// What opening a folder just created finds: its new tree, nothing
    /// else.
    pub(crate) fn fresh(conv: Conversation) -> Loaded {
        Loaded {
            conv,
            interrupted: Vec::new(),
            removed_temps: 0,
            missing_images: Vec::new(),
        }
    }
}

impl ConvFolder {
    /// Opens an existing conversation folder: locks it, removes stray
    /// temporary files, reads and checks the tree, and marks turns left
    /// pending by a crash `interrupted` (saving that right away).
    pub fn open(dir: impl AsRef<Path>) -> Result<(ConvFolder, Loaded), ConvFileError> {
        let dir = dir.as_ref().to_path_buf();
        // Checked before locking, so a stray folder does not get a `.lock`.
        let file = conversation_file(&dir)?;
        let lock = take_lock(&dir)?;
        check_images_dir(&dir)?;
        let removed_temps = remove_temps(&dir)?;
        let bytes = read_capped(&dir)?;
        let mut conv = from_json(&bytes, &file)?;
        Provenance::installation().drop_foreign_links(&mut conv);
        title_after_folder(&mut conv, &dir);
        let store = ImageStore::open(dir.join(IMAGES_DIR))
            .map_err(|source| io_err("open", &dir.join(IMAGES_DIR), source))?;
        let folder = ConvFolder { dir, store, lock };
        let interrupted = conv.interrupt_pending();
        if !interrupted.is_empty() {
            folder.save(&conv)?;
        }
        let missing_images = folder.missing_images(&conv);
        let loaded = Loaded {
            conv,
            interrupted,
            removed_temps,
            missing_images,
        };
        Ok((folder, loaded))
    }

    /// Creates a new conversation folder with an empty tree and saves it.
    /// Refuses a folder that already holds a conversation or other files.
    pub fn create(
        dir: impl AsRef<Path>,
        title: impl Into<String>,
        now: OffsetDateTime,
    ) -> Result<(ConvFolder, Conversation), ConvFileError> {
        let dir = dir.as_ref().to_path_buf();
        check_creatable(&dir)?;
        fs::create_dir_all(&dir).map_err(|source| io_err("create", &dir, source))?;
        let lock = take_lock(&dir)?;
        // Another process may have created it between the check and the lock.
        check_creatable(&dir)?;
        check_images_dir(&dir)?;
        remove_temps(&dir)?;
        let images = dir.join(IMAGES_DIR);
        let store =
            ImageStore::open(&images).map_err(|source| io_err("create", &images, source))?;
        let folder = ConvFolder { dir, store, lock };
        let conv = Conversation::new(title, now);
        folder.save(&conv)?;
        Ok((folder, conv))
    }

    /// Opens the folder when it holds a conversation, else creates one
    /// titled after the folder (`foo.pixloom` → `foo`).
    pub fn open_or_create(
        dir: impl AsRef<Path>,
        now: OffsetDateTime,
    ) -> Result<(ConvFolder, Loaded), ConvFileError> {
        let dir = dir.as_ref();
        // Not `exists()`: that follows a link (a link is refused by `open`).
        if fs::symlink_metadata(dir.join(CONVERSATION_FILE)).is_ok() {
            return Self::open(dir);
        }
        let (folder, conv) = Self::create(dir, folder_title(dir), now)?;
        Ok((folder, Loaded::fresh(conv)))
    }

    /// The path of `conversation.json`.
    pub fn file(&self) -> PathBuf {
        self.dir.join(CONVERSATION_FILE)
    }

    /// Saves the tree atomically: the file is the old version or the new
    /// one, never a mix; on failure the old version is intact.
    pub fn save(&self, conv: &Conversation) -> Result<(), ConvFileError> {
        let path = self.file();
        let conv = Provenance::installation().sealed(conv);
        let json = encode(&conv, &path, MAX_CONVERSATION_BYTES)?;
        durable::write_atomic(&path, json.as_bytes())
            .map_err(|source| ConvFileError::Save { path, source })
    }

    /// Image files the tree uses that are not in the store as regular files
    /// of the right length (each once), with why. Nothing is followed or
    /// hashed: this runs on every open.
    pub fn missing_images(&self, conv: &Conversation) -> Vec<String> {
        missing_images(&self.store, conv)
    }
}

/// [`ConvFolder::missing_images`] for a store opened read-only (`show`,
/// `export`).
pub fn missing_images(store: &ImageStore, conv: &Conversation) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for node in conv.nodes.values() {
        for image in node.images() {
            for blob in std::iter::once(&image.original).chain(image.upload.as_ref()) {
                let name = blob.file_name();
                if let Err(e) = store.check(blob)
                    && seen.insert(name.clone())
                {
                    out.push(format!("{IMAGES_DIR}/{name} ({}: {})", node.id, why(&e)));
                }
            }
        }
    }
    out
}

/// The first of a re-run's references (`RerunPlan::references`) not in
/// the store as a regular file of the right length, as the line to show
/// (`REASON. ADVICE — PATH`): the re-run must not start, nothing is sent.
pub fn missing_reference(
    store: &ImageStore,
    references: &[(pixloom_core::tree::NodeId, pixloom_core::tree::Blob)],
) -> Option<String> {
    references.iter().find_map(|(node, blob)| {
        let e = store.check(blob).err()?;
        Some(crate::errline::line(
            format!(
                "{node}'s reference image is not usable ({}); nothing was sent or billed",
                why(&e)
            ),
            "Put the file back, or re-run from a turn after it",
            store.path(blob).display(),
        ))
    })
}

/// The file's text for `conv`, refused when over `cap` bytes: a file
/// pixloom would then refuse to read is never written.
fn encode(conv: &Conversation, path: &Path, cap: u64) -> Result<String, ConvFileError> {
    let failed = |source: io::Error| ConvFileError::Save {
        path: path.to_path_buf(),
        source,
    };
    let json = to_json(conv).map_err(|e| {
        failed(io::Error::other(format!(
            "cannot encode the conversation: {e}"
        )))
    })?;
    if json.len() as u64 > cap {
        return Err(failed(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "the conversation would be {} MB, more than pixloom reads back ({} MB)",
                json.len() / 1_000_000,
                cap / 1_000_000
            ),
        )));
    }
    Ok(json)
}

/// Reads `dir/conversation.json`, refusing anything but a regular file
/// of at most [`MAX_CONVERSATION_BYTES`] before reading it: a link is not
/// followed, a pipe would block, a huge file would take the memory.
fn read_capped(dir: &Path) -> Result<Vec<u8>, ConvFileError> {
    let file = dir.join(CONVERSATION_FILE);
    let read_err = |source| io_err("read", &file, source);
    let not_pixloom = |why: &str| ConvFileError::NotPixloom {
        path: file.clone(),
        why: why.into(),
    };
    let folder = folder_fs::open_dir(dir, true).map_err(|e| folder_error(e, dir))?;
    let opened = match folder_fs::open_regular(&folder, CONVERSATION_FILE) {
        Ok(f) => f,
        Err(OpenError::Not(Found::Missing)) => {
            return Err(ConvFileError::NoConversationFile {
                dir: dir.to_path_buf(),
            });
        }
        Err(OpenError::Not(Found::Link)) => {
            return Err(not_pixloom(
                "it is a symbolic link, which pixloom does not follow inside a conversation folder: replace it with a copy of the file it points to",
            ));
        }
        Err(OpenError::Not(_)) => return Err(not_pixloom("it is not a regular file")),
        Err(OpenError::Io(e)) => return Err(read_err(e)),
    };
    let len = opened.metadata().map_err(read_err)?.len();
    let too_large = |size| ConvFileError::TooLarge {
        path: file.clone(),
        size,
        cap: MAX_CONVERSATION_BYTES,
    };
    if len > MAX_CONVERSATION_BYTES {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // `take`: the file may have grown since it was measured.
    opened
        .take(MAX_CONVERSATION_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_CONVERSATION_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// `images/` must be a real folder (or not there yet): a link would make
/// results land in, and stray temporary files be deleted from, elsewhere.
fn check_images_dir(dir: &Path) -> Result<(), ConvFileError> {
    let images = dir.join(IMAGES_DIR);
    let what = match fs::symlink_metadata(&images) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(m) if m.file_type().is_symlink() => Found::Link,
        Ok(m) => {
            use std::os::unix::fs::FileTypeExt;
            let t = m.file_type();
            if t.is_fifo() {
                Found::Fifo
            } else if t.is_socket() {
                Found::Socket
            } else if t.is_file() {
                Found::File
            } else {
                Found::Device
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(io_err("open", &images, source)),
    };
    Err(ConvFileError::ImagesNotAFolder {
        path: images,
        what: what.describe(),
    })
}

/// The short reason an image is listed by [`ConvFolder::missing_images`].
fn why(e: &ImageError) -> String {
    match e {
        ImageError::MissingBlob { .. } => "missing".into(),
        ImageError::NotAStoredFile { what, .. } => (*what).into(),
        ImageError::DamagedBlob {
            expected, actual, ..
        } => format!("{actual} bytes, {expected} expected"),
        ImageError::BlobTooLarge { size, .. } => format!("claims {size} bytes, too large"),
        ImageError::BadBlobName { .. } => "not a valid image file name".into(),
        other => other.to_string(),
    }
}

/// A folder may be created unless it holds a conversation or anything
/// other than what an interrupted create leaves (lock, empty images/, temps).
fn check_creatable(dir: &Path) -> Result<(), ConvFileError> {
    if fs::symlink_metadata(dir.join(CONVERSATION_FILE)).is_ok() {
        return Err(ConvFileError::AlreadyExists {
            dir: dir.to_path_buf(),
        });
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            return Err(ConvFileError::NotAFolder {
                dir: dir.to_path_buf(),
            });
        }
        Err(source) => return Err(io_err("read", dir, source)),
    };
    for entry in entries {
        let entry = entry.map_err(|source| io_err("read", dir, source))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let leftover = name == LOCK_FILE
            || name.starts_with(durable::TEMP_PREFIX)
            || (name == IMAGES_DIR
                && entry.file_type().is_ok_and(|t| t.is_dir())
                && fs::read_dir(entry.path()).is_ok_and(|mut d| d.next().is_none()));
        if !leftover {
            return Err(ConvFileError::FolderNotEmpty {
                dir: dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Takes the folder's exclusive advisory lock, or says who holds it.
///
/// The lock is on the folder itself (`flock` on its descriptor), so
/// deleting or replacing `.lock` cannot let a second process in. `.lock`
/// only carries the pid for the "open in another process" message: written
/// without following a link or opening a FIFO or device (such a name is
/// replaced), read back at most a few bytes.
fn take_lock(dir: &Path) -> Result<File, ConvFileError> {
    let folder = File::from(folder_fs::open_dir(dir, true).map_err(|e| folder_error(e, dir))?);
    match folder.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(ConvFileError::Locked {
                dir: dir.to_path_buf(),
                holder: folder_fs::read_note(&folder, LOCK_FILE, 16)
                    .and_then(|t| t.trim().parse().ok()),
            });
        }
        Err(fs::TryLockError::Error(source)) => return Err(io_err("lock", dir, source)),
    }
    // For the message another process shows; best effort (a read-only
    // folder can still be locked and read).
    if let Err(e) = folder_fs::write_note(&folder, LOCK_FILE, &std::process::id().to_string()) {
        tracing::debug!("{}: {e}", dir.join(LOCK_FILE).display());
    }
    Ok(folder)
}

/// The error for a conversation folder that could not be opened as one.
fn folder_error(e: OpenError, dir: &Path) -> ConvFileError {
    match e {
        OpenError::Not(Found::Missing) => ConvFileError::NotFound {
            dir: dir.to_path_buf(),
        },
        OpenError::Not(_) => ConvFileError::NotAFolder {
            dir: dir.to_path_buf(),
        },
        OpenError::Io(source) => io_err("open", dir, source),
    }
}

/// Removes temporary files a crash left in the folder and in `images/`.
fn remove_temps(dir: &Path) -> Result<usize, ConvFileError> {
    let images = dir.join(IMAGES_DIR);
    let a = durable::remove_stray_temps(dir).map_err(|s| io_err("clean", dir, s))?;
    let b = durable::remove_stray_temps(&images).map_err(|s| io_err("clean", &images, s))?;
    Ok(a + b)
}

fn io_err(action: &'static str, path: &Path, source: io::Error) -> ConvFileError {
    ConvFileError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a conversation without locking or changing anything, for `show`
/// and `export` (which may run while the app or a `send` has it open).
/// Turns left pending while no pixloom holds the folder are shown as
/// `interrupted`, as the next open will mark them; the file is not written.
pub fn read_only(dir: impl AsRef<Path>) -> Result<(Conversation, ImageStore), ConvFileError> {
    let dir = dir.as_ref().to_path_buf();
    let file = conversation_file(&dir)?;
    check_images_dir(&dir)?;
    let bytes = read_capped(&dir)?;
    let mut conv = from_json(&bytes, &file)?;
    Provenance::installation().drop_foreign_links(&mut conv);
    title_after_folder(&mut conv, &dir);
    if !held_by_another(&dir) {
        conv.interrupt_pending();
    }
    // Not `ImageStore::open`: that creates the folder, and this reads only.
    let store = ImageStore::at(dir.join(IMAGES_DIR));
    Ok((conv, store))
}

/// A conversation's name from its folder: `cat.pixloom` → `cat`; a folder
/// named `.` or `..` by its real name.
pub(crate) fn folder_title(dir: &Path) -> String {
    let stem = |d: &Path| {
        d.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty() && s != "." && s != "..")
    };
    stem(dir)
        .or_else(|| fs::canonicalize(dir).ok().as_deref().and_then(stem))
        .unwrap_or_else(|| "untitled".to_string())
}

/// The title rule: a title the user chose stays; any other is the
/// folder's name, so a copied folder (`fox.pixloom` → `cat.pixloom`) is
/// called by its own name. Files from before `titled` existed never had a
/// chosen title, so they follow their folder too.
fn title_after_folder(conv: &mut Conversation, dir: &Path) {
    if !conv.titled {
        conv.title = folder_title(dir);
    }
}

/// `dir/conversation.json`, once `dir` is known to be a folder holding one.
fn conversation_file(dir: &Path) -> Result<PathBuf, ConvFileError> {
    match fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(ConvFileError::NotAFolder {
                dir: dir.to_path_buf(),
            });
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ConvFileError::NotFound {
                dir: dir.to_path_buf(),
            });
        }
        Err(source) => return Err(io_err("open", dir, source)),
    }
    let file = dir.join(CONVERSATION_FILE);
    // Not `exists()`: a link there is refused when read, not called missing.
    if fs::symlink_metadata(&file).is_err() {
        return Err(ConvFileError::NoConversationFile {
            dir: dir.to_path_buf(),
        });
    }
    Ok(file)
}

/// Whether a running pixloom holds the folder's lock (a shared probe on
/// the folder itself: `.lock` is never opened).
fn held_by_another(dir: &Path) -> bool {
    let Ok(folder) = folder_fs::open_dir(dir, true) else {
        return false;
    };
    let probe = File::from(folder).try_lock_shared();
    matches!(probe, Err(fs::TryLockError::WouldBlock))
}

#[cfg(test)]
mod tests;
