//! A small real disk (tmpfs, needs root) and filling it: for the tests of
//! what pixloom does when the disk is full.
#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small tmpfs mounted on a fresh folder, unmounted on drop.
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    pub fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount -t tmpfs failed: {status}");
        SmallDisk { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Makes the whole disk read-only (writes fail with EROFS), as a
    /// folder's permissions cannot for root.
    pub fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount -o remount,ro failed: {status}");
    }
}

/// A new empty folder nothing can write into, whoever runs the test: its
/// mode says so without root; as root (CI), which permissions do not stop,
/// a read-only tmpfs is mounted on it. Writable and unmounted on drop.
pub struct ReadOnlyFolder {
    path: PathBuf,
    mounted: bool,
}

impl ReadOnlyFolder {
    pub fn create(path: &Path) -> ReadOnlyFolder {
        use std::os::unix::fs::PermissionsExt as _;
        fs::create_dir(path).unwrap();
        let mounted = !permissions_are_enforced();
        if mounted {
            let status = Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=64k,ro", "tmpfs"])
                .arg(path)
                .status()
                .unwrap();
            assert!(status.success(), "mount -t tmpfs -o ro failed: {status}");
        } else {
            fs::set_permissions(path, fs::Permissions::from_mode(0o555)).unwrap();
        }
        assert!(
            fs::write(path.join("probe"), b"").is_err(),
            "the folder is still writable"
        );
        ReadOnlyFolder {
            path: path.to_owned(),
            mounted,
        }
    }

    /// The end of the system's reason a write here fails with.
    pub fn refusal(&self) -> &'static str {
        if self.mounted {
            "ead-only file system"
        } else {
            "ermission denied"
        }
    }
}

impl Drop for ReadOnlyFolder {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt as _;
        if self.mounted {
            let _ = Command::new("umount").arg(&self.path).status();
        } else {
            let _ = fs::set_permissions(&self.path, fs::Permissions::from_mode(0o755));
        }
    }
}

/// Whether this process may write into a folder whose mode is 0o500 (root
/// may: permissions are not enforced for it).
pub fn permissions_are_enforced() -> bool {
    !rustix::process::geteuid().is_root()
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Whether this test may mount a file system; without root it is skipped,
/// unless `PIXLOOM_REQUIRE_ROOT=1` (CI) makes that a failure.
pub fn may_mount(test: &str) -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    assert!(
        std::env::var("PIXLOOM_REQUIRE_ROOT").as_deref() != Ok("1"),
        "{test} needs root (to mount a tmpfs) and PIXLOOM_REQUIRE_ROOT=1 is set"
    );
    eprintln!("skipped {test}: it needs root to mount a small tmpfs");
    false
}

/// Writes a filler file until the disk says it is full.
pub fn fill(disk: &Path) -> PathBuf {
    let filler = disk.join("filler");
    let mut f = fs::File::create(&filler).unwrap();
    let block = [0x5Au8; 4096];
    loop {
        match f.write_all(&block) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    filler
}

/// Fills the disk, then frees `room` bytes: room for small files (the
/// conversation), none for a large one (a picture).
pub fn fill_leaving(disk: &Path, room: u64) -> PathBuf {
    let filler = fill(disk);
    let f = fs::OpenOptions::new().write(true).open(&filler).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len.saturating_sub(room)).unwrap();
    filler
}
