//! Hostile files: conversation files that are empty, cut, bit-flipped, of
//! the wrong type or huge; images whose headers claim 100000×100000; a
//! download that never ends. Each is refused with a message naming it, in
//! bounded memory, and nothing on disk changes. See docs/reliability.md.
#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use pixloom::convfile::{ConvFileError, ConvFolder, MAX_CONVERSATION_BYTES, read_only};
use pixloom::gateway::{ApiKey, Client, ErrorKind, Settings};
use pixloom::images::{
    ImageError, ImageStore, MAX_DOWNLOAD_BYTES, MAX_PIXELS_PER_BYTE, accept_result, import_bytes,
    import_file, inspect,
};
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::{Endpoint, ImageOrigin, Outcome, Part, RequestParams, TurnError};
use rand::{RngExt as _, SeedableRng as _};
use time::macros::datetime;

#[global_allocator]
static ALLOCATOR: pixloom_testkit::alloc::Counting = pixloom_testkit::alloc::Counting;

/// The allocation count is process-wide: the tests here run one at a time.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

const MIB: usize = 1024 * 1024;

mod downloads;
mod entries;
mod files;
mod locks;
mod lying_images;
mod planted;

fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(24, 16, |x, y| image::Rgb([x as u8, y as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A fresh home holding the [`sample_folder`]; the folder.
fn sample_home() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let (dir, _) = sample_folder(home.path());
    (home, dir)
}

/// A saved conversation with the shapes a real one has: attachments,
/// results with images, a failed variant, a branch, a label and a star.
/// Returns the folder and the file's bytes. No turn is pending, so a
/// successful open writes nothing.
fn sample_folder(parent: &Path) -> (PathBuf, Vec<u8>) {
    let now = datetime!(2026-11-23 12:00 UTC);
    let dir = parent.join("sample.pixloom");
    let (folder, mut conv) = ConvFolder::create(&dir, "hostile", now).unwrap();
    let params = RequestParams {
        endpoint: Endpoint::Chat,
        model: "gpt-image-2-vip".into(),
        size: SizeSpec::Auto,
    };
    let mut branch_from = None;
    for turn in 0..4u8 {
        let attachment = import_bytes(
            &png(turn),
            ImageOrigin::File {
                path: format!("~/ref{turn}.png"),
            },
            &folder.store,
        )
        .unwrap();
        let parts = vec![
            Part::Text {
                text: format!("turn {turn}: make it bluer, «ünïcode» ✓"),
            },
            Part::Image { image: attachment },
        ];
        let user = conv.reply(parts, now).unwrap();
        let ids = conv.add_pending(user, &params, 2, now).unwrap();
        let result = import_bytes(&png(100 + turn), ImageOrigin::Result, &folder.store).unwrap();
        let outcome = Outcome {
            request_id: Some(format!("req-{turn}")),
            latency_ms: Some(30_000),
            cost_micro_usd: 30_000,
            attempts: 1,
        };
        conv.fail(
            ids[1],
            TurnError {
                message: "HTTP 503".into(),
                http_status: Some(503),
                ..TurnError::default()
            },
            Outcome::default(),
        )
        .unwrap();
        conv.complete(ids[0], result, outcome).unwrap();
        conv.select(ids[0]).unwrap();
        branch_from.get_or_insert(ids[0]);
    }
    let first = branch_from.unwrap();
    conv.toggle_star(first).unwrap();
    conv.set_label(first, Some("keeper".into())).unwrap();
    conv.select(first).unwrap();
    conv.reply(
        vec![Part::Text {
            text: "a branch".into(),
        }],
        now,
    )
    .unwrap();
    folder.save(&conv).unwrap();
    let bytes = fs::read(folder.file()).unwrap();
    (dir, bytes)
}

// ----- the folder as untrusted input: links, FIFOs, devices, lies -----------
//
// Everything inside a received conversation folder is the sender's: the
// lock note, `images/` and every file in it. Nothing there may be followed
// out of the folder, block pixloom, or pass for an image it is not.

/// A file of the user's, outside any conversation: what a planted link
/// points at. Returns its path and bytes.
fn private_file(home: &Path, len: usize) -> (PathBuf, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|i| b"SECRET-private-key-"[i % 19]).collect();
    let path = home.join("private.key");
    fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// Runs `f` on another thread and returns its result, failing the test if
/// it has not finished within `secs` (a FIFO would block it forever).
fn bounded<T: Send + 'static>(what: &str, secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("{what} blocked"))
}

/// `pixloom export DIR --format FORMAT --out TARGET`, bounded.
fn export_bounded(home: &Path, dir: &str, format: &str, target: &Path) -> std::process::Output {
    let target = target.to_str().unwrap();
    pixloom_bounded(home, &["export", dir, "--format", format, "--out", target])
}

/// The real binary on `args`, bounded in time: killed (and the test
/// failed) if it does not finish.
fn pixloom_bounded(home: &Path, args: &[&str]) -> std::process::Output {
    let child = common::bin()
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
            panic!("pixloom {args:?} blocked");
        }
    }
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The first result image of the sample folder and its bytes.
fn first_result(dir: &Path) -> (pixloom_core::tree::Blob, pixloom_core::tree::NodeId) {
    let (conv, _) = read_only(dir).unwrap();
    conv.preorder()
        .into_iter()
        .filter_map(|id| conv.nodes.get(&id))
        .find_map(|n| {
            n.images()
                .next()
                .filter(|i| matches!(i.origin, ImageOrigin::Result))
                .map(|i| (i.original.clone(), n.id))
        })
        .unwrap()
}
