//! Opening names inside a conversation folder, whose every entry may come
//! from someone else (a folder received by mail, unpacked from an archive):
//! a name is never followed out of the folder (`O_NOFOLLOW`), never waited
//! on (`O_NONBLOCK`: a FIFO would block an open or a read forever), and
//! read only when it is a regular file. The folder the user named may
//! itself be a link (the user chose it); links inside it are not followed.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// What was found under a name instead of what was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Missing,
    File,
    Link,
    Folder,
    Fifo,
    Device,
    Socket,
}

impl Found {
    /// For messages: "… is a symbolic link".
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Found::Missing => "missing",
            Found::File => "a file",
            Found::Link => "a symbolic link",
            Found::Folder => "a folder",
            Found::Fifo => "a named pipe (FIFO)",
            Found::Device => "a device",
            Found::Socket => "a socket",
        }
    }

    /// `None` for a regular file.
    fn of(t: FileType) -> Option<Found> {
        match t {
            FileType::RegularFile => None,
            FileType::Symlink => Some(Found::Link),
            FileType::Directory => Some(Found::Folder),
            FileType::Fifo => Some(Found::Fifo),
            FileType::Socket => Some(Found::Socket),
            _ => Some(Found::Device),
        }
    }
}

/// Why a name could not be opened as a regular file.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// It is something else (or nothing): not opened, or closed unread.
    Not(Found),
    Io(io::Error),
}

impl From<rustix::io::Errno> for OpenError {
    fn from(e: rustix::io::Errno) -> Self {
        OpenError::Io(e.into())
    }
}

/// Opens a folder for `openat` and locking. `follow` says whether the last
/// component may be a link (the conversation folder the user named) or not
/// (`images/` inside it: a link there is [`Found::Link`]).
pub(crate) fn open_dir(path: &Path, follow: bool) -> Result<OwnedFd, OpenError> {
    let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if !follow {
        flags |= OFlags::NOFOLLOW;
        // Said precisely (ELOOP and ENOTDIR would be vague).
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => return Err(OpenError::Not(Found::Link)),
            Ok(m) if !m.is_dir() => return Err(OpenError::Not(kind_of(&m))),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(OpenError::Not(Found::Missing));
            }
            Err(e) => return Err(OpenError::Io(e)),
        }
    }
    match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => Ok(fd),
        Err(rustix::io::Errno::NOENT) => Err(OpenError::Not(Found::Missing)),
        Err(rustix::io::Errno::LOOP) => Err(OpenError::Not(Found::Link)),
        Err(e) => Err(e.into()),
    }
}

/// What `name` in `dir` is, without following it: `Ok(size)` for a
/// regular file.
pub(crate) fn regular_size(dir: impl AsFd, name: &str) -> Result<u64, OpenError> {
    let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOENT) => return Err(OpenError::Not(Found::Missing)),
        Err(e) => return Err(e.into()),
    };
    if let Some(not) = Found::of(FileType::from_raw_mode(st.st_mode)) {
        return Err(OpenError::Not(not));
    }
    Ok(u64::try_from(st.st_size).unwrap_or(0))
}

/// Opens `name` in `dir` for reading when it is a regular file: checked
/// before opening (a device is never opened), opened without following a
/// link nor blocking, and checked again on the open file (it may have been
/// swapped meanwhile).
pub(crate) fn open_regular(dir: impl AsFd, name: &str) -> Result<File, OpenError> {
    let dir = dir.as_fd();
    regular_size(dir, name)?;
    let flags =
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = match rustix::fs::openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOENT) => return Err(OpenError::Not(Found::Missing)),
        Err(rustix::io::Errno::LOOP) => return Err(OpenError::Not(Found::Link)),
        Err(e) => return Err(e.into()),
    };
    let file = File::from(fd);
    let meta = file.metadata().map_err(OpenError::Io)?;
    if !meta.is_file() {
        return Err(OpenError::Not(kind_of(&meta)));
    }
    Ok(file)
}

/// Writes `text` into `name` in `dir` (a small note such as the lock's
/// pid) without writing through a link, into a FIFO or device, or into a
/// file linked elsewhere: anything but a private regular file of ours is
/// unlinked (the name, never its target) and created afresh (mode 0600).
pub(crate) fn write_note(dir: impl AsFd, name: &str, text: &str) -> io::Result<()> {
    use std::io::Write as _;
    let dir = dir.as_fd();
    let fresh = match regular_size(dir, name) {
        Ok(_) => false,
        Err(OpenError::Not(Found::Missing)) => true,
        Err(OpenError::Not(_)) => {
            rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
            true
        }
        Err(OpenError::Io(e)) => return Err(e),
    };
    let mut flags =
        OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    if fresh {
        flags |= OFlags::CREATE | OFlags::EXCL;
    }
    let mut file = File::from(rustix::fs::openat(
        dir,
        name,
        flags,
        Mode::from_raw_mode(0o600),
    )?);
    let meta = file.metadata()?;
    if !meta.is_file() || meta.nlink() > 1 {
        // Swapped since the check, or hard-linked to a file elsewhere.
        drop(file);
        rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
        file = File::from(rustix::fs::openat(
            dir,
            name,
            flags | OFlags::CREATE | OFlags::EXCL,
            Mode::from_raw_mode(0o600),
        )?);
    }
    file.set_len(0)?;
    file.write_all(text.as_bytes())
}

/// Reads at most `cap` bytes of `name` in `dir` when it is a regular file
/// (a note another process wrote); `None` otherwise.
pub(crate) fn read_note(dir: impl AsFd, name: &str, cap: u64) -> Option<String> {
    use std::io::Read as _;
    let file = open_regular(dir, name).ok()?;
    let mut text = String::new();
    file.take(cap).read_to_string(&mut text).ok()?;
    Some(text)
}

fn kind_of(meta: &std::fs::Metadata) -> Found {
    Found::of(FileType::from_raw_mode(meta.mode())).unwrap_or(Found::File)
}

/// Identity of a file's content as the system sees it: two opens with
/// the same key read the same bytes (unless someone rewrote them and reset
/// both times, which the change time makes impossible without privileges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FileKey {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileKey {
    /// The key as a file name: `dev-ino-len-mtime.ns-ctime.ns`.
    pub(crate) fn name(&self) -> String {
        format!(
            "{}-{}-{}-{}.{}-{}.{}",
            self.dev, self.ino, self.len, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1
        )
    }

    pub(crate) fn of(meta: &std::fs::Metadata) -> FileKey {
        FileKey {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}
