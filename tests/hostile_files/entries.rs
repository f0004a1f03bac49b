//! Other entries of a received folder: a linked `images/` or
//! `conversation.json`, a foreign hash, odd names; and the user's umask.

use super::*;

/// `images/` as a link: results would land in, and stray temporary files
/// be deleted from, the link's target. Every entry point refuses it, and
/// nothing in the target is written or removed.
#[test]
fn a_linked_images_folder_is_refused_and_its_target_untouched() {
    let _serial = one_at_a_time();
    let (home, dir) = sample_home();
    let (blob, _) = first_result(&dir);
    let elsewhere = home.path().join("elsewhere");
    fs::rename(dir.join("images"), &elsewhere).unwrap();
    fs::write(elsewhere.join(".tmp-users-own"), b"keep me").unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("images")).unwrap();
    let listing = |d: &Path| {
        let mut v: Vec<_> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let before = listing(&elsewhere);
    let e = ConvFolder::open(&dir).unwrap_err().to_string();
    assert!(
        e.contains("images") && e.contains("symbolic link") && e.contains("Replace it"),
        "{e}"
    );
    let e = read_only(&dir).unwrap_err().to_string();
    assert!(e.contains("symbolic link"), "{e}");
    let e = ImageStore::open(dir.join("images"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("symbolic link"), "{e}");
    let store = ImageStore::at(dir.join("images"));
    let png = png(7);
    let e = import_bytes(&png, ImageOrigin::Result, &store)
        .unwrap_err()
        .to_string();
    assert!(e.contains("symbolic link"), "{e}");
    assert!(
        store
            .read(&blob)
            .unwrap_err()
            .to_string()
            .contains("symbolic link")
    );
    let dir_s = dir.to_str().unwrap().to_owned();
    let out = pixloom_bounded(home.path(), &["show", &dir_s]);
    assert!(!out.status.success());
    let target = home.path().join("out.html");
    let out = export_bounded(home.path(), &dir_s, "html", &target);
    assert!(!out.status.success());
    assert_eq!(listing(&elsewhere), before, "the link's target changed");
    assert_eq!(
        fs::read(elsewhere.join(".tmp-users-own")).unwrap(),
        b"keep me"
    );
}

/// `conversation.json` as a link to a file elsewhere is not followed.
#[test]
fn a_linked_conversation_file_is_refused() {
    let _serial = one_at_a_time();
    let home = tempfile::tempdir().unwrap();
    let (dir, bytes) = sample_folder(home.path());
    let elsewhere = home.path().join("real.json");
    fs::write(&elsewhere, &bytes).unwrap();
    fs::remove_file(dir.join("conversation.json")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("conversation.json")).unwrap();
    for e in [
        ConvFolder::open(&dir).unwrap_err(),
        read_only(&dir).unwrap_err(),
        ConvFolder::open_or_create(&dir, datetime!(2026-11-23 12:00 UTC)).unwrap_err(),
    ] {
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }
    assert_eq!(fs::read(&elsewhere).unwrap(), bytes);
}

/// A received folder whose image file claims the hash of one of the
/// user's own images (with other bytes) neither shows the user's cached
/// thumbnail nor replaces it, in either order.
#[test]
fn a_received_image_claiming_anothers_hash_never_touches_its_thumbnail() {
    let _serial = one_at_a_time();
    let home = tempfile::tempdir().unwrap();
    let spec = pixloom::tui::graphics::ThumbSpec {
        cache_dir: Some(home.path().join("thumbs")),
        ..Default::default()
    };
    let own = ImageStore::open(home.path().join("own.pixloom/images")).unwrap();
    let mine = png(1);
    let blob = own.put(&mine, &inspect(&mine).unwrap()).unwrap();
    // The received folder: another picture of the same length under the name.
    let received = ImageStore::open(home.path().join("received.pixloom/images")).unwrap();
    let mut theirs = Vec::new();
    image::RgbImage::from_pixel(24, 16, image::Rgb([255, 0, 255]))
        .write_to(
            &mut std::io::Cursor::new(&mut theirs),
            image::ImageFormat::Png,
        )
        .unwrap();
    assert!(theirs.len() < mine.len());
    theirs.resize(mine.len(), 0); // bytes after the end: still a PNG
    fs::write(received.dir().join(blob.file_name()), &theirs).unwrap();
    let load = |store: &ImageStore| pixloom::tui::thumbs::load(store, &blob, 8, 4, &spec);

    // Received first: refused, nothing cached; then the user's own is right.
    let e = load(&received).unwrap_err();
    assert!(e.contains("does not hold the picture"), "{e}");
    assert!(!home.path().join("thumbs").exists());
    // Made without any cache: what the user's own image looks like.
    let expected = pixloom::tui::thumbs::load(&own, &blob, 8, 4, &Default::default()).unwrap();
    assert_ne!(expected.cells[0].0, [255, 0, 255]);
    assert_eq!(load(&own).unwrap().cells, expected.cells);
    // Cached now: the received file still does not get it.
    let cached = common::count_names(&home.path().join("thumbs"), |n| n.ends_with(".png"));
    assert_eq!(cached, 1);
    let e = load(&received).unwrap_err();
    assert!(e.contains("does not hold the picture"), "{e}");
    assert_eq!(load(&own).unwrap().cells, expected.cells);
}

/// Files are created with the user's umask (tempfile's 0600 made a
/// copied folder or an export unreadable to whoever it was shared with).
#[test]
fn files_are_written_with_the_users_umask() {
    use std::os::unix::fs::PermissionsExt;
    let _serial = one_at_a_time();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let home = tempfile::tempdir().unwrap();
    for (umask, expected) in [(0o022, 0o644), (0o077, 0o600)] {
        let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(umask));
        let dir = home.path().join(format!("u{umask:o}.pixloom"));
        let made = std::panic::catch_unwind(|| {
            let (folder, _) =
                ConvFolder::create(&dir, "u", datetime!(2026-11-23 12:00 UTC)).unwrap();
            let png = png(3);
            let blob = folder.store.put(&png, &inspect(&png).unwrap()).unwrap();
            (folder.file(), folder.store.path(&blob))
        });
        rustix::process::umask(old);
        let (json, image) = made.unwrap();
        assert_eq!(mode(&json), expected, "conversation.json, umask {umask:o}");
        assert_eq!(mode(&image), expected, "image, umask {umask:o}");
    }
}

/// Odd names: `conversation.json` names images with a path (`../`), an
/// escape sequence, a line break and an unknown extension; `images/` holds
/// files named with escapes and line breaks that nothing refers to. The
/// conversation opens and lists each named image as unusable; `show`,
/// `show --json` and both exports print no control character and read
/// nothing outside the folder; the store refuses each name.
#[test]
fn odd_names_in_a_folder_are_refused_and_never_reach_the_terminal() {
    let _serial = one_at_a_time();
    let (home, dir) = sample_home();
    let (blob, _) = first_result(&dir);
    fs::write(home.path().join("secret.png"), b"private").unwrap();
    let odd = [
        ("../../secret", "png"),
        ("\u{1b}]0;pwned\u{7}\u{1b}[2J", "png"),
        ("abc\ndef", "png"),
        (blob.sha256.as_str(), "png\u{1b}[31m"),
        (blob.sha256.as_str(), "exe"),
    ];
    let file = dir.join("conversation.json");
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    let mut images: Vec<&mut serde_json::Value> = v["nodes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|n| n["parts"].as_array_mut().into_iter().flatten())
        .filter(|p| p["type"] == "image")
        .map(|p| &mut p["image"]["original"])
        .collect();
    assert!(images.len() >= odd.len(), "{}", images.len());
    for (image, (sha, ext)) in images.iter_mut().zip(odd) {
        image["sha256"] = sha.into();
        image["ext"] = ext.into();
    }
    fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    for name in [
        "\u{1b}[2Jhello.png",
        "line\nbreak.png",
        ".tmp-\u{1b}]52;c;aGk=\u{7}",
    ] {
        fs::write(dir.join("images").join(name), b"x").unwrap();
    }

    let (folder, loaded) = ConvFolder::open(&dir).unwrap();
    assert!(
        loaded.missing_images.len() >= odd.len(),
        "{:?}",
        loaded.missing_images
    );
    for image in loaded.conv.nodes.values().flat_map(|n| n.images()) {
        if odd
            .iter()
            .any(|(s, e)| *s == image.original.sha256 && *e == image.original.ext)
        {
            let e = folder.store.read(&image.original).unwrap_err();
            assert!(matches!(e, ImageError::BadBlobName { .. }), "{e:?}");
        }
    }
    drop(folder);

    let dir_s = dir.to_str().unwrap().to_owned();
    let forbidden = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        text.chars()
            .find(|&c| (c.is_control() && c != '\n') || ('\u{80}'..='\u{9f}').contains(&c))
    };
    for args in [
        vec!["show", dir_s.as_str()],
        vec!["show", dir_s.as_str(), "--json"],
    ] {
        let out = pixloom_bounded(home.path(), &args);
        common::assert_success(&format!("{args:?}"), &out);
        assert_eq!(forbidden(&out.stdout), None, "{args:?} stdout");
        assert_eq!(forbidden(&out.stderr), None, "{args:?} stderr");
        // A claimed name is shown cleaned, inside `images/`.
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("../"), "{args:?}: {stdout}");
    }
    for format in ["html", "markdown"] {
        let target = home.path().join(format!("odd.{format}"));
        let out = export_bounded(home.path(), &dir_s, format, &target);
        common::assert_success(format, &out);
        assert_eq!(forbidden(&out.stderr), None, "{format} stderr");
        let text = fs::read(&target).unwrap();
        assert_eq!(forbidden(&text), None, "{format} export");
        assert!(
            !String::from_utf8_lossy(&text).contains("private"),
            "{format}"
        );
    }
    assert_eq!(
        fs::read(home.path().join("secret.png")).unwrap(),
        b"private"
    );
}
