//! Durable file writes: a file is either its old bytes or its new bytes,
//! never a mix, even if the machine loses power mid-write.
//!
//! The procedure: write a temporary file in the same folder (same file
//! system, so the rename is atomic), fsync it, rename it over the target,
//! fsync the folder so the rename itself survives a crash. Temporary files
//! are named `.tmp-…` so ones left behind by a crash can be found and
//! removed by [`remove_stray_temps`].

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// The name prefix of the temporary files [`write_atomic`] creates.
pub const TEMP_PREFIX: &str = ".tmp-";

/// Replaces `path` with `bytes` atomically and durably.
///
/// On any failure (no space, no permission, …) the old file is left as it
/// was, the temporary file is removed, and the error names `path`. The new
/// file keeps the old file's permissions when there was one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_via(path, bytes, |file, bytes| file.write_all(bytes))
}

/// [`write_atomic`] with the bytes written into the temporary file by
/// `write`: the seam the tests use to inject a full disk (ENOSPC).
fn write_atomic_via(
    path: &Path,
    bytes: &[u8],
    write: impl FnOnce(&mut File, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    Staged::write_via(parent_dir(path), bytes, write)
        .map_err(|e| named(e, "cannot write", path))?
        .commit(path)
        .map(drop)
}

/// Bytes written and synced to a temporary file in a folder but not yet
/// named: for files named after their content (the image store hashes on
/// another thread while this writes). Dropped without [`Staged::commit`],
/// the temporary file is removed.
pub(crate) struct Staged {
    tmp: tempfile::NamedTempFile,
}

impl Staged {
    /// Writes and syncs `bytes` to a new temporary file in `dir`.
    pub(crate) fn write(dir: &Path, bytes: &[u8]) -> io::Result<Staged> {
        Staged::write_via(dir, bytes, |file, bytes| file.write_all(bytes))
            .map_err(|e| named(e, "cannot write in the folder", dir))
    }

    fn write_via(
        dir: &Path,
        bytes: &[u8],
        write: impl FnOnce(&mut File, &[u8]) -> io::Result<()>,
    ) -> io::Result<Staged> {
        let mut tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .permissions(shared_by_umask())
            .tempfile_in(dir)?;
        write(tmp.as_file_mut(), bytes)?;
        tmp.as_file().sync_all()?;
        // On failure the NamedTempFile is dropped, which deletes it.
        Ok(Staged { tmp })
    }

    /// Renames it over `path` (in the same folder) and syncs the folder;
    /// returns the file, now named `path`. The new file keeps the old one's
    /// permissions when that was a regular file (a link there is replaced,
    /// never followed).
    pub(crate) fn commit(self, path: &Path) -> io::Result<File> {
        if let Ok(meta) = fs::symlink_metadata(path)
            && meta.is_file()
        {
            use std::os::unix::fs::PermissionsExt;
            // Best effort: a file the user made private or shared stays so
            // (read and write bits only: nothing executable or set-id).
            let file = self.tmp.as_file();
            let mode = meta.permissions().mode() & 0o666;
            let _ = file
                .set_permissions(fs::Permissions::from_mode(mode))
                .and_then(|()| file.sync_all());
        }
        let file = self
            .tmp
            .persist(path)
            .map_err(|e| named(e.error, "cannot replace", path))?;
        sync_dir(parent_dir(path)).map_err(|e| named(e, "cannot sync the folder", path))?;
        Ok(file)
    }
}

/// Read-write for everyone as far as the umask allows, as any program
/// creates files (tempfile's own default is 0600, which would leave a
/// copied folder or an export unreadable to the people it is shared with).
fn shared_by_umask() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    // The mode is given to open(2), which applies the umask.
    fs::Permissions::from_mode(0o666)
}

/// Removes the `.tmp-*` files a crash left in `dir` (not in sub-folders);
/// returns how many. A folder that does not exist has none.
///
/// Call it only while holding the folder's lock: a temporary file of a write
/// in progress looks the same as a stray one.
pub(crate) fn remove_stray_temps(dir: &Path) -> io::Result<usize> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(named(e, "cannot list the folder", dir)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| named(e, "cannot list the folder", dir))?;
        let is_temp = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(TEMP_PREFIX));
        if is_temp && entry.file_type().is_ok_and(|t| t.is_file()) {
            let p = entry.path();
            match fs::remove_file(&p) {
                Ok(()) => removed += 1,
                // Gone since it was listed (renamed or removed by whoever
                // wrote it): nothing is left to clean.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(named(e, "cannot remove", &p)),
            }
        }
    }
    if removed > 0 {
        sync_dir(dir).map_err(|e| named(e, "cannot sync the folder", dir))?;
    }
    Ok(removed)
}

/// The folder holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes a rename or removal in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows cannot open a folder as a file; NTFS journals renames anyway.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// The same error kind, with a message that says what failed on which path.
fn named(e: io::Error, what: &str, path: &Path) -> io::Error {
    // `tempfile` wraps its errors as "… at path \"TEMP\"": the temporary
    // file's name would be a second, longer path; its cause is the reason.
    let message = e.to_string();
    let reason = message
        .split_once(" at path \"")
        .map_or(message.as_str(), |(reason, _)| reason);
    io::Error::new(
        e.kind(),
        crate::errline::with_path(format!("{what}: {reason}"), path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temps_in(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(TEMP_PREFIX))
            .collect()
    }

    #[test]
    fn writes_new_and_replaces_old() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two, longer").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two, longer");
        write_atomic(&p, b"").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"");
        assert!(temps_in(dir.path()).is_empty());
    }

    #[test]
    fn missing_folder_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope").join("a.json");
        let e = write_atomic(&p, b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().contains("nope/a.json"), "{e}");
    }

    #[test]
    fn failed_rename_leaves_no_temp_and_names_the_path() {
        // Works as root too: a folder cannot be replaced by a file.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("taken");
        fs::create_dir(&p).unwrap();
        fs::write(p.join("inside"), b"keep").unwrap();
        let e = write_atomic(&p, b"x").unwrap_err();
        assert!(e.to_string().contains("taken"), "{e}");
        assert_eq!(fs::read(p.join("inside")).unwrap(), b"keep");
        assert!(temps_in(dir.path()).is_empty());
    }

    // A folder that cannot be written (the old file kept, no temp left,
    // the error names the file): `tests/integration/convfile.rs`
    // `a_read_only_folder_fails_the_save_and_keeps_the_file`, which can also
    // fail as root (a read-only tmpfs where permissions are not enforced).

    #[cfg(unix)]
    #[test]
    fn keeps_the_old_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        fs::write(&p, b"x").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&p, b"y").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn stray_temps_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".tmp-abc"), b"x").unwrap();
        fs::write(dir.path().join(".tmp-def"), b"x").unwrap();
        fs::write(dir.path().join("keep.json"), b"x").unwrap();
        fs::write(dir.path().join(".tmpkeep"), b"x").unwrap();
        fs::create_dir(dir.path().join(".tmp-dir")).unwrap();
        assert_eq!(remove_stray_temps(dir.path()).unwrap(), 2);
        assert!(dir.path().join("keep.json").exists());
        assert!(dir.path().join(".tmpkeep").exists());
        assert!(dir.path().join(".tmp-dir").exists());
        assert_eq!(remove_stray_temps(dir.path()).unwrap(), 0);
        assert_eq!(remove_stray_temps(&dir.path().join("missing")).unwrap(), 0);
    }

    /// A disk with `room` bytes left: writes fail with ENOSPC past it, as
    /// the kernel reports it.
    struct FullDisk<'a> {
        file: &'a mut File,
        room: usize,
    }

    impl Write for FullDisk<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
            let n = self.file.write(&buf[..buf.len().min(self.room)])?;
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.file.flush()
        }
    }

    #[test]
    fn a_full_disk_keeps_the_old_file_and_says_storage_full() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("conversation.json");
        write_atomic(&p, b"the old version").unwrap();
        let new = vec![b'x'; 10_000];
        for room in [0, 1, 4096, new.len() - 1] {
            let e = write_atomic_via(&p, &new, |file, b| FullDisk { file, room }.write_all(b))
                .unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::StorageFull, "room {room}: {e}");
            assert!(e.to_string().contains("conversation.json"), "{e}");
            assert_eq!(fs::read(&p).unwrap(), b"the old version", "room {room}");
            assert!(temps_in(dir.path()).is_empty(), "room {room}");
        }
        // With room enough, the same seam writes the new version.
        let room = new.len();
        write_atomic_via(&p, &new, |file, b| FullDisk { file, room }.write_all(b)).unwrap();
        assert_eq!(fs::read(&p).unwrap(), new);
    }

    #[test]
    fn bare_file_name_uses_current_folder() {
        assert_eq!(parent_dir(Path::new("x.json")), Path::new("."));
        assert_eq!(parent_dir(Path::new("a/x.json")), Path::new("a"));
    }
}
