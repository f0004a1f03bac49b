//! The content-addressed image store: `images/<sha256>.<ext>` in a
//! conversation folder. The same bytes are stored once and always get the
//! same [`Blob`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{ImageError, ImageInfo};
use crate::core::tree::Blob;
use crate::durable;

/// The `images/` folder of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    /// The store in `dir`, created when missing.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create {}: {e}", dir.display()))
        })?;
        Ok(ImageStore { dir })
    }

    /// The store in `dir` as it is, creating nothing (for reading only).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        ImageStore { dir: dir.into() }
    }

    /// The folder the images live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores `bytes` (described by `info`) durably, unless a file with the
    /// same content is already there.
    pub fn put(&self, bytes: &[u8], info: &ImageInfo) -> Result<Blob, ImageError> {
        // The name is the content's hash: hash on another thread while the
        // bytes are written and synced (each ~10 ms for a 4K result).
        let (sha256, staged) = std::thread::scope(|s| {
            let hashing = s.spawn(|| hex::encode(Sha256::digest(bytes)));
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
        // The name is the content's hash and files only appear whole (atomic
        // writes), so a file of the right length is this content: the staged
        // copy is dropped (removed) then.
        let present = fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == blob.bytes);
        if !present {
            staged.commit(&path).map_err(|source| ImageError::Store {
                path: path.clone(),
                source,
            })?;
        }
        Ok(blob)
    }

    /// Keeps an image the gateway returned: checked whole (see
    /// [`super::accept_result`]) and stored durably.
    pub fn keep_result(&self, bytes: &[u8]) -> Result<Blob, ImageError> {
        let info = super::accept_result(bytes)?;
        self.put(bytes, &info)
    }

    /// Where `blob` lives. Characters that could leave the folder are
    /// dropped, so a hand-edited file cannot point outside `images/`.
    pub fn path(&self, blob: &Blob) -> PathBuf {
        let clean = |s: &str| -> String { s.chars().filter(char::is_ascii_alphanumeric).collect() };
        self.dir
            .join(format!("{}.{}", clean(&blob.sha256), clean(&blob.ext)))
    }

    /// The blob's bytes. A missing or short file is an error naming it.
    pub fn read(&self, blob: &Blob) -> Result<Vec<u8>, ImageError> {
        check_name(blob)?;
        let path = self.path(blob);
        let bytes = fs::read(&path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => ImageError::MissingBlob { path: path.clone() },
            kind => ImageError::Store {
                source: io::Error::new(kind, format!("cannot read {}: {source}", path.display())),
                path: path.clone(),
            },
        })?;
        if bytes.len() as u64 != blob.bytes {
            return Err(ImageError::DamagedBlob {
                path,
                expected: blob.bytes,
                actual: bytes.len() as u64,
            });
        }
        Ok(bytes)
    }

    /// Whether the blob's file is present with the right length.
    pub fn contains(&self, blob: &Blob) -> bool {
        check_name(blob).is_ok()
            && fs::metadata(self.path(blob)).is_ok_and(|m| m.is_file() && m.len() == blob.bytes)
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
        assert_eq!(a.sha256, hex::encode(Sha256::digest(&png)));
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
