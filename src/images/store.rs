//! The content-addressed image store: `images/<sha256>.<ext>` in a
//! conversation folder. The same bytes are stored once and always get the
//! same [`Blob`].
//!
//! A folder may come from someone else, so nothing in `images/` is
//! trusted by its name: `images/` must be a real folder, each image a
//! regular file (opened without following links or blocking on a FIFO,
//! see [`crate::folder_fs`]) of the length the blob says and at most
//! [`MAX_STORED_BYTES`], and its bytes must hash to the name before they
//! are shown, sent, exported or thumbnailed. The hash is checked once per
//! process per file ([`FileKey`] → sha256), lazily at first use: opening a
//! conversation hashes nothing.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Seek};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use sha2::{Digest, Sha256};

use super::error::ImageError;
use super::kind::ImageInfo;
use crate::durable;
use crate::folder_fs::{self, FileKey, Found, OpenError};
use pixloom_core::tree::Blob;

/// The largest image file the store reads: what an attached file may be
/// ([`super::MAX_FILE_BYTES`]; results are capped lower, at the download
/// limit). A bound on the memory a hostile folder can take.
pub const MAX_STORED_BYTES: u64 = super::MAX_FILE_BYTES;

/// Files whose bytes were hashed and matched their name in this process.
static VERIFIED: LazyLock<Mutex<HashMap<FileKey, String>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Far more images than any session opens; past it the set starts again.
const VERIFIED_CAPACITY: usize = 100_000;

fn verified(key: &FileKey, sha256: &str) -> bool {
    let set = VERIFIED.lock().unwrap_or_else(|e| e.into_inner());
    set.get(key).is_some_and(|s| s == sha256)
}

fn remember(key: FileKey, sha256: &str) {
    let mut set = VERIFIED.lock().unwrap_or_else(|e| e.into_inner());
    if set.len() >= VERIFIED_CAPACITY {
        set.clear();
    }
    set.insert(key, sha256.to_owned());
}

/// An image file whose bytes hash to its name, open and at its start.
#[derive(Debug)]
pub struct VerifiedImage {
    pub file: File,
    /// Where it is, for showing (or handing to a viewer).
    pub path: PathBuf,
    pub(crate) len: u64,
    /// The file's identity, for a caller's own record of verified files.
    pub(crate) key: FileKey,
}

/// The `images/` folder of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    /// The store in `dir`, created when missing. Refuses a `dir` that is a
    /// link or not a folder (nothing is written through it).
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    crate::errline::with_path(format!("cannot create: {e}"), parent.display()),
                )
            })?;
        }
        // Not `create_dir_all`: that follows a link named like the folder.
        match fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    crate::errline::with_path(format!("cannot create: {e}"), dir.display()),
                ));
            }
        }
        let store = ImageStore { dir };
        store
            .dir_fd()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        Ok(store)
    }

    /// The store in `dir` as it is, creating nothing (for reading only).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        ImageStore { dir: dir.into() }
    }

    /// The folder the images live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `images/` opened without following a link; `Ok(None)` when it does
    /// not exist (yet).
    /// The images folder, open, and the blob's path, once its name and
    /// claimed size are acceptable (nothing of the file is looked at yet).
    fn folder_for(&self, blob: &Blob) -> Result<(OwnedFd, PathBuf), ImageError> {
        check_name(blob)?;
        let path = self.path(blob);
        if blob.bytes > MAX_STORED_BYTES {
            return Err(ImageError::BlobTooLarge {
                path,
                size: blob.bytes,
                cap: MAX_STORED_BYTES,
            });
        }
        match self.dir_fd_if_any()? {
            Some(dir) => Ok((dir, path)),
            None => Err(ImageError::MissingBlob { path }),
        }
    }

    fn dir_fd_if_any(&self) -> Result<Option<OwnedFd>, ImageError> {
        match folder_fs::open_dir(&self.dir, false) {
            Ok(fd) => Ok(Some(fd)),
            Err(OpenError::Not(Found::Missing)) => Ok(None),
            Err(OpenError::Not(what)) => Err(ImageError::StoreNotAFolder {
                path: self.dir.clone(),
                what: what.describe(),
            }),
            Err(OpenError::Io(source)) => Err(ImageError::Store {
                path: self.dir.clone(),
                source: io::Error::new(source.kind(), format!("cannot open: {source}")),
            }),
        }
    }

    fn dir_fd(&self) -> Result<OwnedFd, ImageError> {
        self.dir_fd_if_any()?
            .ok_or_else(|| ImageError::StoreNotAFolder {
                path: self.dir.clone(),
                what: Found::Missing.describe(),
            })
    }

    /// Stores `bytes` (described by `info`) durably, unless a file with the
    /// same content is already there.
    pub fn put(&self, bytes: &[u8], info: &ImageInfo) -> Result<Blob, ImageError> {
        // Checked first: the staged file must not land through a link.
        self.dir_fd()?;
        // The name is the content's hash: hash on another thread while the
        // bytes are written and synced (each ~10 ms for a 4K result).
        let (sha256, staged) = std::thread::scope(|s| {
            let hashing = s.spawn(|| pixloom_core::hex::sha256(bytes));
            let staged = durable::Staged::write(&self.dir, bytes);
            let sha256 = hashing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (sha256, staged)
        });
        let blob = Blob {
            sha256,
            ext: info.format.ext().to_string(),
            bytes: bytes.len() as u64,
            width: info.width,
            height: info.height,
        };
        let path = self.dir.join(blob.file_name());
        let staged = staged.map_err(|source| ImageError::Store {
            path: path.clone(),
            source,
        })?;
        // A file already there is kept only when it is known to hold these
        // bytes; anything else under the name (a planted file of the right
        // length, a link) is replaced — the name, never a link's target.
        if !self.known_good(&blob) {
            let file = staged.commit(&path).map_err(|source| ImageError::Store {
                path: path.clone(),
                source,
            })?;
            if let Ok(meta) = file.metadata() {
                remember(FileKey::of(&meta), &blob.sha256);
            }
        }
        Ok(blob)
    }

    /// Whether the blob's file is already verified in this process.
    fn known_good(&self, blob: &Blob) -> bool {
        self.open_checked(blob)
            .is_ok_and(|(_, meta)| verified(&FileKey::of(&meta), &blob.sha256))
    }

    /// Keeps an image the gateway returned: checked whole (see
    /// [`super::accept_result`]) and stored durably.
    pub fn keep_result(&self, bytes: &[u8]) -> Result<Blob, ImageError> {
        let info = super::accept_result(bytes)?;
        self.put(bytes, &info)
    }

    /// Where `blob` lives, for showing. Characters that could leave the
    /// folder are dropped, so a hand-edited file cannot point outside
    /// `images/`. Nothing may be read through it: use [`Self::read`],
    /// [`Self::open_verified`] or [`Self::verified_path`].
    pub fn path(&self, blob: &Blob) -> PathBuf {
        let clean = |s: &str| -> String { s.chars().filter(char::is_ascii_alphanumeric).collect() };
        self.dir
            .join(format!("{}.{}", clean(&blob.sha256), clean(&blob.ext)))
    }

    /// The blob's file, open, when it is a regular file of the blob's
    /// length (within [`MAX_STORED_BYTES`]); not yet hashed.
    fn open_checked(&self, blob: &Blob) -> Result<(File, fs::Metadata), ImageError> {
        let (dir, path) = self.folder_for(blob)?;
        let file =
            folder_fs::open_regular(&dir, &blob.file_name()).map_err(|e| not_readable(e, &path))?;
        let meta = file
            .metadata()
            .map_err(|source| unreadable(source, &path))?;
        check_len(meta.len(), blob, &path)?;
        Ok((file, meta))
    }

    /// The blob's bytes, checked against its name. A missing, short, linked,
    /// special or changed file is an error naming it.
    pub fn read(&self, blob: &Blob) -> Result<Vec<u8>, ImageError> {
        let (file, meta) = self.open_checked(blob)?;
        let path = || self.path(blob);
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        // `take`: it may have grown since it was measured.
        file.take(meta.len() + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| unreadable(source, &path()))?;
        check_len(bytes.len() as u64, blob, &path())?;
        let key = FileKey::of(&meta);
        if !verified(&key, &blob.sha256) {
            if pixloom_core::hex::sha256(&bytes) != blob.sha256 {
                return Err(ImageError::WrongContent { path: path() });
            }
            remember(key, &blob.sha256);
        }
        Ok(bytes)
    }

    /// The blob's file, open at its start, once its bytes are known to hash
    /// to its name (streamed through the hash on first use, not held).
    pub(crate) fn open_verified(&self, blob: &Blob) -> Result<VerifiedImage, ImageError> {
        self.open_verified_or_known(blob, |_| false)
    }

    /// [`Self::open_verified`], taking `known(key)` (a record the caller
    /// keeps across runs, e.g. the thumbnail cache) as proof that this very
    /// file, unchanged, was verified to hold `blob` before.
    pub(crate) fn open_verified_or_known(
        &self,
        blob: &Blob,
        known: impl FnOnce(&FileKey) -> bool,
    ) -> Result<VerifiedImage, ImageError> {
        let (mut file, meta) = self.open_checked(blob)?;
        let path = self.path(blob);
        let key = FileKey::of(&meta);
        if !verified(&key, &blob.sha256) && known(&key) {
            remember(key, &blob.sha256);
        }
        if !verified(&key, &blob.sha256) {
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 256 * 1024];
            let mut seen = 0u64;
            let mut reader = (&file).take(meta.len() + 1);
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(source) => return Err(unreadable(source, &path)),
                };
                hasher.update(&buf[..n]);
                seen += n as u64;
            }
            check_len(seen, blob, &path)?;
            if pixloom_core::hex::lower(&hasher.finalize()) != blob.sha256 {
                return Err(ImageError::WrongContent { path });
            }
            remember(key, &blob.sha256);
            file.rewind().map_err(|source| unreadable(source, &path))?;
        }
        Ok(VerifiedImage {
            file,
            path,
            len: meta.len(),
            key,
        })
    }

    /// The blob's path, once its file is verified: for a viewer, a copy, the
    /// clipboard.
    pub(crate) fn verified_path(&self, blob: &Blob) -> Result<PathBuf, ImageError> {
        self.open_verified(blob).map(|v| v.path)
    }

    /// Whether the blob's file is present as a regular file of the right
    /// length (not followed, not hashed): the cheap check for listing
    /// what is missing when a conversation opens.
    pub(crate) fn check(&self, blob: &Blob) -> Result<(), ImageError> {
        let (dir, path) = self.folder_for(blob)?;
        let len =
            folder_fs::regular_size(&dir, &blob.file_name()).map_err(|e| not_readable(e, &path))?;
        check_len(len, blob, &path)
    }

    /// Whether the blob's file is present with the right length (see
    /// [`Self::check`]).
    pub fn contains(&self, blob: &Blob) -> bool {
        self.check(blob).is_ok()
    }
}

fn check_len(len: u64, blob: &Blob, path: &Path) -> Result<(), ImageError> {
    if len == blob.bytes {
        Ok(())
    } else {
        Err(ImageError::DamagedBlob {
            path: path.to_path_buf(),
            expected: blob.bytes,
            actual: len,
        })
    }
}

fn not_readable(e: OpenError, path: &Path) -> ImageError {
    match e {
        OpenError::Not(Found::Missing) => ImageError::MissingBlob {
            path: path.to_path_buf(),
        },
        OpenError::Not(what) => ImageError::NotAStoredFile {
            path: path.to_path_buf(),
            what: what.describe(),
        },
        OpenError::Io(source) => unreadable(source, path),
    }
}

fn unreadable(source: io::Error, path: &Path) -> ImageError {
    ImageError::Store {
        source: io::Error::new(source.kind(), format!("cannot read: {source}")),
        path: path.to_path_buf(),
    }
}

/// A blob name must be a sha256 in lowercase hex and a known extension.
fn check_name(blob: &Blob) -> Result<(), ImageError> {
    let hash_ok = blob.sha256.len() == 64
        && blob
            .sha256
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
    let ext_ok = matches!(
        blob.ext.as_str(),
        "png" | "jpg" | "jpeg" | "webp" | "gif" | "bmp" | "tiff"
    );
    if hash_ok && ext_ok {
        Ok(())
    } else {
        Err(ImageError::BadBlobName {
            name: blob.file_name(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::{ImageKind, inspect, testimg};

    #[test]
    fn same_bytes_same_blob_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path().join("images")).unwrap();
        let png = testimg::encoded(ImageKind::Png, 10, 10);
        let info = inspect(&png).unwrap();
        let a = store.put(&png, &info).unwrap();
        let b = store.put(&png, &info).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.sha256, pixloom_core::hex::sha256(&png));
        assert_eq!(
            store.path(&a),
            dir.path().join("images").join(a.file_name())
        );
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 1);
        assert_eq!(store.read(&a).unwrap(), png);
        assert!(store.contains(&a));
    }

    #[test]
    fn a_short_file_is_rewritten_on_put_and_reported_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        let png = testimg::encoded(ImageKind::Png, 10, 10);
        let blob = store.put(&png, &inspect(&png).unwrap()).unwrap();
        fs::write(store.path(&blob), &png[..10]).unwrap();
        assert!(!store.contains(&blob));
        let e = store.read(&blob).unwrap_err();
        assert!(matches!(e, ImageError::DamagedBlob { .. }), "{e:?}");
        store.put(&png, &inspect(&png).unwrap()).unwrap();
        assert_eq!(store.read(&blob).unwrap(), png);
    }

    #[test]
    fn missing_blob_names_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        let blob = Blob {
            sha256: "ab".repeat(32),
            ext: "png".into(),
            bytes: 5,
            width: 1,
            height: 1,
        };
        assert!(!store.contains(&blob));
        let e = store.read(&blob).unwrap_err();
        assert!(e.to_string().contains(&blob.file_name()), "{e}");
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[test]
    fn hand_edited_names_cannot_escape_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path().join("images")).unwrap();
        fs::write(dir.path().join("secret.png"), b"x").unwrap();
        let blob = Blob {
            sha256: "../secret".into(),
            ext: "png".into(),
            bytes: 1,
            width: 1,
            height: 1,
        };
        assert!(store.path(&blob).starts_with(store.dir()));
        assert!(!store.contains(&blob));
        assert!(matches!(
            store.read(&blob),
            Err(ImageError::BadBlobName { .. })
        ));
    }
}
