//! Where exports write: Markdown's images beside it, never into a
//! conversation or over a file without `--force`; `show` into a closed pipe.

use super::*;

/// A conversation with one real image (made by the fake gateway).
fn conversation_with_an_image(home: &Path) -> std::path::PathBuf {
    let fake = FakeProcess::start(&[]);
    let k = key();
    pixloom(
        home,
        &with_key(
            &fake,
            &k,
            &["send", "c", "--prompt", "a fox", "--size", "1280x720"],
        ),
    )
    .ok();
    home.join("c.pixloom")
}

#[test]
fn markdown_links_images_copied_beside_it_however_out_is_spelled() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dir = conversation_with_an_image(h);
    let blob = std::fs::read_dir(dir.join("images"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let blob_name = blob.file_name().into_string().unwrap();
    std::fs::create_dir(h.join("sub")).unwrap();
    let abs = h.join("sub/abs.md");
    for (out, folder) in [
        ("fox.md", h.to_path_buf()),
        ("./dot.md", h.to_path_buf()),
        ("sub/../sub/rel.md", h.join("sub")),
        (abs.to_str().unwrap(), h.join("sub")),
    ] {
        pixloom(h, &["export", "c", "--format", "markdown", "--out", out]).ok();
        let file = folder.join(Path::new(out).file_name().unwrap());
        let md = std::fs::read_to_string(&file).unwrap();
        let stem = file.file_stem().unwrap().to_str().unwrap();
        let link = format!("![n2]({stem}_files/{blob_name})");
        assert!(md.contains(&link), "{out}: {link} in {md}");
        let copy = folder.join(format!("{stem}_files/{blob_name}"));
        assert_eq!(
            std::fs::read(copy).unwrap(),
            std::fs::read(blob.path()).unwrap()
        );
        assert!(
            !md.contains(".pixloom"),
            "nothing links into the conversation: {md}"
        );
    }
}

#[test]
fn export_never_writes_into_a_conversation_or_over_a_file_without_force() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let dir = conversation_with_an_image(h);
    let saved = std::fs::read(dir.join("conversation.json")).unwrap();
    let image = std::fs::read_dir(dir.join("images"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let image_bytes = std::fs::read(&image).unwrap();
    // Another conversation folder, not the one exported.
    let other = write_conversation(h, "other", &chain(2));
    let other_saved = std::fs::read(other.join("conversation.json")).unwrap();
    let image_arg = image.to_str().unwrap().to_owned();
    // A link to the conversation folder is resolved before the check.
    std::os::unix::fs::symlink(&dir, h.join("alias")).unwrap();
    let inside: [&[&str]; 7] = [
        &["--out", "alias/x.html", "--force"],
        &["--out", "c.pixloom/conversation.json"],
        &["--out", "c.pixloom/conversation.json", "--force"],
        &["--out", &image_arg, "--force"],
        &["--out", "c.pixloom/new.html", "--force"],
        &["--out", "./c.pixloom/images/../x.html"],
        &["--out", "other.pixloom/x.html", "--force"],
    ];
    for format in ["html", "markdown"] {
        for extra in inside {
            let mut args = vec!["export", "c", "--format", format];
            args.extend_from_slice(extra);
            pixloom(h, &args)
                .fails_with(&["inside the conversation folder", "Pick a path outside it"]);
        }
    }
    assert_eq!(std::fs::read(dir.join("conversation.json")).unwrap(), saved);
    assert_eq!(std::fs::read(&image).unwrap(), image_bytes);
    assert_eq!(
        std::fs::read(other.join("conversation.json")).unwrap(),
        other_saved
    );
    assert!(!dir.join("new.html").exists() && !dir.join("x.html").exists());
    assert!(!other.join("x.html").exists());

    // An ordinary file: refused without --force, replaced with it.
    std::fs::write(h.join("notes.html"), "mine").unwrap();
    pixloom(
        h,
        &["export", "c", "--format", "html", "--out", "notes.html"],
    )
    .fails_with(&["notes.html already exists", "--force"]);
    assert_eq!(
        std::fs::read_to_string(h.join("notes.html")).unwrap(),
        "mine"
    );
    pixloom(
        h,
        &[
            "export",
            "c",
            "--format",
            "html",
            "--out",
            "notes.html",
            "--force",
        ],
    )
    .ok();
    assert!(
        std::fs::read_to_string(h.join("notes.html"))
            .unwrap()
            .starts_with("<!doctype html>")
    );
    // Markdown: its images folder is guarded the same way.
    pixloom(h, &["export", "c", "--format", "markdown", "--out", "m.md"]).ok();
    std::fs::remove_file(h.join("m.md")).unwrap();
    pixloom(h, &["export", "c", "--format", "markdown", "--out", "m.md"])
        .fails_with(&["m_files already exists", "--force"]);
    pixloom(
        h,
        &[
            "export", "c", "--format", "markdown", "--out", "m.md", "--force",
        ],
    )
    .ok();
    assert!(h.join("m.md").is_file());
}

/// `pixloom show CONV | head -1` (and `| true`): the reader closes the
/// pipe while pixloom still has output to write. It used to panic with
/// "Broken pipe" (exit 101). The output (2,000 turns, far over a pipe's
/// 64 KB buffer) cannot all fit, so the write that meets the closed pipe
/// happens whatever the timing.
#[test]
fn show_ends_quietly_when_its_output_is_closed() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    write_conversation(h, "long", &chain(2_000));
    for args in [vec!["show", "long"], vec!["show", "long", "--json"]] {
        let mut child = in_home(h)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line (as `head -1`), then close the pipe.
        let first = common::first_line(&mut child);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!first.is_empty(), "{args:?}: no output at all");
    }
}
