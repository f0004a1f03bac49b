//! Images planted in a received folder (links, FIFOs, devices, lies) are
//! never followed, read, shown or uploaded.

use super::*;

/// The ways an image file can lie, each put in place of a stored image.
#[derive(Debug, Clone, Copy)]
enum Planted {
    /// A link to a private file of exactly the blob's length.
    LinkToPrivate,
    /// A link to /dev/zero (endless).
    LinkToDevice,
    Fifo,
    /// A regular file of the right length whose bytes are not the image.
    WrongBytes,
}

const PLANTED: [Planted; 4] = [
    Planted::LinkToPrivate,
    Planted::LinkToDevice,
    Planted::Fifo,
    Planted::WrongBytes,
];

impl Planted {
    /// Replaces `file` (of `len` bytes); returns the private bytes that
    /// must never be read, if any.
    fn plant(self, home: &Path, file: &Path, len: usize) -> Option<Vec<u8>> {
        fs::remove_file(file).unwrap();
        match self {
            Planted::LinkToPrivate => {
                let (private, bytes) = private_file(home, len);
                std::os::unix::fs::symlink(&private, file).unwrap();
                Some(bytes)
            }
            Planted::LinkToDevice => {
                std::os::unix::fs::symlink("/dev/zero", file).unwrap();
                None
            }
            Planted::Fifo => {
                mkfifo(file);
                None
            }
            Planted::WrongBytes => {
                let (_, bytes) = private_file(home, len);
                fs::write(file, &bytes).unwrap();
                Some(bytes)
            }
        }
    }

    /// What the error must say.
    fn says(self) -> &'static str {
        match self {
            Planted::LinkToPrivate | Planted::LinkToDevice => "a symbolic link",
            Planted::Fifo => "a named pipe",
            Planted::WrongBytes => "does not hold the picture its name says",
        }
    }
}

/// Each planted image: the folder still opens and names it; the store
/// refuses to read it (in bounded time and memory); `show` does not print
/// where a link points; `export` in both formats leaves the image out,
/// naming node and file, exports the rest and never embeds or copies the
/// private bytes; the thumbnail is refused.
#[test]
fn planted_images_are_never_followed_read_or_shown() {
    let _serial = one_at_a_time();
    for planted in PLANTED {
        let home = tempfile::tempdir().unwrap();
        let (dir, _) = sample_folder(home.path());
        let (blob, node) = first_result(&dir);
        let file = dir.join("images").join(blob.file_name());
        let private = planted.plant(home.path(), &file, blob.bytes as usize);
        let context = format!("{planted:?}");

        let d = dir.clone();
        let (folder, loaded) = bounded("ConvFolder::open", 30, move || {
            ConvFolder::open(&d).unwrap()
        });
        let listed = loaded
            .missing_images
            .iter()
            .find(|m| m.contains(&blob.file_name()));
        match planted {
            // Only the hash tells; that is checked at first use, not on open.
            Planted::WrongBytes => assert!(listed.is_none(), "{context}: {listed:?}"),
            _ => {
                let listed = listed.unwrap_or_else(|| panic!("{context}: not listed"));
                assert!(listed.contains(&node.to_string()), "{context}: {listed}");
                assert!(listed.contains(planted.says()), "{context}: {listed}");
            }
        }
        let store = folder.store.clone();
        let b = blob.clone();
        let (read, peak) = bounded("ImageStore::read", 30, move || {
            pixloom_testkit::alloc::peak_during(|| store.read(&b))
        });
        let e = read.unwrap_err().to_string();
        assert!(
            e.contains(&blob.file_name()) && e.contains(planted.says()),
            "{context}: {e}"
        );
        assert!(
            peak < 2 * blob.bytes as usize + MIB,
            "{context}: {peak} bytes"
        );
        // The thumbnail the app draws.
        let spec = pixloom::tui::graphics::ThumbSpec {
            cache_dir: Some(home.path().join("thumbs")),
            ..Default::default()
        };
        let store = folder.store.clone();
        let b = blob.clone();
        let thumb = bounded("thumbs::load", 30, move || {
            pixloom::tui::thumbs::load(&store, &b, 8, 4, &spec)
        });
        let e = thumb.unwrap_err();
        assert!(
            e.contains(&blob.file_name()) && e.contains(planted.says()),
            "{context}: {e}"
        );
        assert!(
            !home.path().join("thumbs").exists(),
            "{context}: a thumbnail was cached"
        );
        drop(folder);

        let dir_s = dir.to_str().unwrap().to_owned();
        let out = pixloom_bounded(home.path(), &["show", &dir_s, "--json"]);
        common::assert_success(&context, &out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("private.key"), "{context}: {stdout}");
        assert!(!stdout.contains("/dev/zero"), "{context}: {stdout}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap();
        // Said on stderr, naming node and file (wrong bytes of the right
        // length are found only when read: show hashes nothing).
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !matches!(planted, Planted::WrongBytes) {
            assert!(
                stderr.contains("cannot use")
                    && stderr.contains(&blob.file_name())
                    && stderr.contains(&node.to_string()),
                "{context}: {stderr}"
            );
        }
        for format in ["html", "markdown"] {
            let target = home.path().join(format!("out.{format}"));
            let out = export_bounded(home.path(), &dir_s, format, &target);
            // The rest is exported; the image is left out, said in its
            // place and on stderr, naming node and file.
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{context} {format}: {stderr}");
            assert!(
                stderr.contains("not exported")
                    && stderr.contains(&blob.file_name())
                    && stderr.contains(&node.to_string()),
                "{context} {format}: {stderr}"
            );
            let text = fs::read_to_string(&target).unwrap();
            assert!(text.contains("image left out"), "{context} {format}");
            assert!(
                text.contains("make it bluer"),
                "{context} {format}: the rest"
            );
            if format == "markdown" {
                let copies = home.path().join("out_files");
                let planted_copy = copies.join(blob.file_name());
                assert!(
                    !planted_copy.exists(),
                    "{context}: the planted file was copied"
                );
                assert!(
                    fs::read_dir(&copies).unwrap().count() > 0,
                    "{context}: the rest"
                );
            }
            if let (Ok(text), Some(private)) = (fs::read(&target), &private) {
                let b64 = base64_of(private);
                assert!(
                    !String::from_utf8_lossy(&text).contains(&b64[..64]),
                    "{context} {format}: private bytes exported"
                );
            }
        }
    }
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A blob claiming 1 GB over a sparse 1 GB file: refused from its size,
/// in bounded memory, by the store and the thumbnail.
#[test]
fn an_image_claiming_a_gigabyte_is_refused_without_reading_it() {
    let _serial = one_at_a_time();
    let (_home, dir) = sample_home();
    let (blob, _) = first_result(&dir);
    let huge = pixloom_core::tree::Blob {
        bytes: 1 << 30,
        ..blob.clone()
    };
    let file = dir.join("images").join(blob.file_name());
    fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(huge.bytes)
        .unwrap();
    let store = ImageStore::at(dir.join("images"));
    let (read, peak) = pixloom_testkit::alloc::peak_during(|| store.read(&huge));
    let e = read.unwrap_err().to_string();
    assert!(
        e.contains(&blob.file_name()) && e.contains("more than any image"),
        "{e}"
    );
    assert!(peak < MIB, "{peak} bytes");
    assert!(!store.contains(&huge));
    let e = pixloom::tui::thumbs::load(&store, &huge, 8, 4, &Default::default()).unwrap_err();
    assert!(e.contains("more than any image"), "{e}");
}

/// A turn that would send a planted image (a link to a private file of
/// the right length, or other bytes under the name) through the engine to
/// the fake gateway: refused before anything is sent, naming the file; the
/// private bytes are in no request.
#[test]
fn a_planted_image_is_never_uploaded() {
    use pixloom::engine::TurnResult;
    let _serial = one_at_a_time();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for planted in [Planted::LinkToPrivate, Planted::WrongBytes, Planted::Fifo] {
        let home = tempfile::tempdir().unwrap();
        let (dir, _) = sample_folder(home.path());
        let (blob, _) = first_result(&dir);
        let file = dir.join("images").join(blob.file_name());
        let private = planted.plant(home.path(), &file, blob.bytes as usize);
        let (folder, loaded) = ConvFolder::open(&dir).unwrap();
        let mut conv = loaded.conv;
        let params = RequestParams {
            endpoint: Endpoint::Chat,
            model: "gpt-image-2-vip".into(),
            size: SizeSpec::Auto,
        };
        let now = time::OffsetDateTime::now_utc();
        let user = conv.selected.unwrap();
        let pending = conv.add_pending(user, &params, 1, now).unwrap()[0];
        folder.save(&conv).unwrap();
        let (gw, report) = rt.block_on(async {
            let (gw, engine) = common::fake_with_engine(4).await;
            let req = engine.plan(&conv, pending).unwrap();
            let report = engine.run(folder.store.clone(), req).await;
            (gw, report)
        });
        let context = format!("{planted:?}");
        assert_eq!(report.node, pending);
        let TurnResult::Failed { error } = &report.result else {
            panic!("{context}: sent: {:?}", report.result);
        };
        assert!(
            error.message.contains(&blob.file_name()) && error.message.contains(planted.says()),
            "{context}: {}",
            error.message
        );
        assert_eq!(gw.billed(), 0, "{context}");
        let requests = gw.requests();
        assert!(
            requests.is_empty(),
            "{context}: {} requests",
            requests.len()
        );
        if let Some(private) = private {
            let sha = pixloom_core::hex::sha256(&private);
            let recorded = serde_json::to_string(&requests).unwrap();
            assert!(!recorded.contains(&sha), "{context}");
        }
    }
}
