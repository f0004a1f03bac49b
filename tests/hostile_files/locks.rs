//! The folder's `.lock` as untrusted input: a link, a FIFO, deleted.

use super::*;

/// A `.lock` that is a link to the user's file: opening the folder (the
/// app and `send` do this) used to truncate the target and write a pid
/// into it. Now the link itself is replaced and the target untouched.
#[test]
fn a_linked_lock_file_is_replaced_and_its_target_untouched() {
    let _serial = one_at_a_time();
    let (home, dir) = sample_home();
    let (victim, bytes) = private_file(home.path(), 100);
    let lock = dir.join(".lock");
    let _ = fs::remove_file(&lock);
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    let (folder, _) = ConvFolder::open(&dir).unwrap();
    assert_eq!(
        fs::read(&victim).unwrap(),
        bytes,
        "written through the link"
    );
    let meta = fs::symlink_metadata(&lock).unwrap();
    assert!(meta.is_file(), "the link was not replaced");
    assert_eq!(
        fs::read_to_string(&lock).unwrap(),
        std::process::id().to_string()
    );
    // And the pid is what a second opener reports.
    let e = ConvFolder::open(&dir).unwrap_err();
    assert!(
        matches!(e, ConvFileError::Locked { holder: Some(p), .. } if p == std::process::id()),
        "{e:?}"
    );
    drop(folder);
    assert_eq!(fs::read(&victim).unwrap(), bytes);
}

/// A `.lock` that is a FIFO hung `show` and `export` forever. Now `open`,
/// `read_only` and both commands return at once; open replaces the FIFO.
#[test]
fn a_fifo_lock_file_blocks_nothing() {
    let _serial = one_at_a_time();
    let (home, dir) = sample_home();
    let lock = dir.join(".lock");
    let _ = fs::remove_file(&lock);
    mkfifo(&lock);
    let d = dir.clone();
    bounded("read_only on a FIFO .lock", 30, move || {
        read_only(&d).unwrap()
    });
    let dir_s = dir.to_str().unwrap().to_owned();
    let out = pixloom_bounded(home.path(), &["show", &dir_s]);
    common::assert_success("pixloom", &out);
    for format in ["html", "markdown"] {
        let target = home.path().join(format!("out.{format}"));
        let out = export_bounded(home.path(), &dir_s, format, &target);
        common::assert_success("pixloom", &out);
    }
    let d = dir.clone();
    bounded("ConvFolder::open on a FIFO .lock", 30, move || {
        ConvFolder::open(&d).map(|_| ()).unwrap();
    });
    assert!(fs::symlink_metadata(&lock).unwrap().is_file());
}

/// Deleting `.lock` while a process holds the folder used to let a second
/// `send` in (both billed, the first turn saved as interrupted). The lock
/// is on the folder itself now.
#[test]
fn deleting_the_lock_file_does_not_let_a_second_process_in() {
    let _serial = one_at_a_time();
    let (_home, dir) = sample_home();
    let (first, _) = ConvFolder::open(&dir).unwrap();
    fs::remove_file(dir.join(".lock")).unwrap();
    let e = ConvFolder::open(&dir).unwrap_err();
    assert!(matches!(e, ConvFileError::Locked { .. }), "{e:?}");
    assert!(
        e.to_string().contains("open in another pixloom process"),
        "{e}"
    );
    // A `.lock` put back by hand (a regular file) changes nothing either.
    fs::write(dir.join(".lock"), b"1").unwrap();
    assert!(matches!(
        ConvFolder::open(&dir).unwrap_err(),
        ConvFileError::Locked { .. }
    ));
    drop(first);
    ConvFolder::open(&dir).unwrap();
}
