//! Conversation folders from outside: create, save, reopen, move, refuse
//! damaged files without touching them, recover after a crash, lock.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, RgbImage};
use pixloom::convfile::{ConvFileError, ConvFolder, conversation_dir};
use pixloom::images::import_bytes;
use pixloom::provenance::Provenance;
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::{
    Conversation, Endpoint, ImageOrigin, NodeId, Outcome, Part, RequestParams, Status,
};
use time::OffsetDateTime;
use time::macros::datetime;

fn now() -> OffsetDateTime {
    datetime!(2026-11-23 12:00 UTC)
}

fn png(seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8, y as u8, seed]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

fn params() -> RequestParams {
    RequestParams {
        endpoint: Endpoint::Chat,
        model: "gpt-image-2-vip".into(),
        size: SizeSpec::Auto,
    }
}

/// Creates `dir` with a prompt + attachment, a finished result with a
/// remote copy, and (when `pending`) a turn still in flight. Returns the
/// saved tree and the pending id.
fn populate(dir: &Path, pending: bool) -> (Conversation, Option<NodeId>) {
    let (folder, mut conv) = ConvFolder::create(dir, "cats", now()).unwrap();
    let att = import_bytes(
        &png(1),
        ImageOrigin::File {
            path: "~/cat.png".into(),
        },
        &folder.store,
    )
    .unwrap();
    let u = conv
        .reply(
            vec![
                Part::Text {
                    text: "make it blue".into(),
                },
                Part::Image { image: att },
            ],
            now(),
        )
        .unwrap();
    let ids = conv
        .add_pending(u, &params(), if pending { 2 } else { 1 }, now())
        .unwrap();
    let mut result = import_bytes(&png(2), ImageOrigin::Result, &folder.store).unwrap();
    result.remote = Some(Provenance::installation().remote(
        &result.original.sha256,
        "https://cdn.example/r.png".into(),
        datetime!(2026-11-24 12:00 UTC),
    ));
    let outcome = Outcome {
        request_id: Some("req-1".into()),
        latency_ms: Some(42_000),
        cost_micro_usd: 30_000,
        attempts: 1,
    };
    conv.complete(ids[0], result, outcome).unwrap();
    conv.toggle_star(ids[0]).unwrap();
    conv.set_label(u, Some("first try".into())).unwrap();
    folder.save(&conv).unwrap();
    (conv, ids.get(1).copied())
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A folder `c.pixloom` in a fresh temporary folder, saved while a turn
/// was pending (as a crash leaves it): the temporary folder, the folder
/// and the pending turn.
fn crashed() -> (tempfile::TempDir, PathBuf, NodeId) {
    let d = tmp();
    let dir = d.path().join("c.pixloom");
    let (_, pending) = populate(&dir, true);
    (d, dir, pending.unwrap())
}

#[test]
fn round_trip_keeps_everything() {
    let d = tmp();
    let dir = d.path().join("cats.pixloom");
    let (conv, _) = populate(&dir, false);
    let (folder, loaded) = ConvFolder::open(&dir).unwrap();
    assert_eq!(loaded.conv, conv);
    assert!(loaded.interrupted.is_empty());
    assert!(loaded.missing_images.is_empty());
    assert_eq!(loaded.removed_temps, 0);
    let text = fs::read_to_string(folder.file()).unwrap();
    assert!(
        text.starts_with("{\n  \"format\": \"pixloom/1\","),
        "{text}"
    );
    assert!(
        !text.contains(&*d.path().to_string_lossy()),
        "absolute path saved"
    );
}

#[test]
fn a_moved_folder_opens_with_its_images() {
    let (a, b) = (tmp(), tmp());
    let from = a.path().join("cats.pixloom");
    let (conv, _) = populate(&from, false);
    let to = b.path().join("renamed.pixloom");
    fs::rename(&from, &to).unwrap();
    let (folder, loaded) = ConvFolder::open(&to).unwrap();
    // All of it, called by its new folder's name (it was never titled).
    let mut want = conv;
    want.title = "renamed".into();
    assert_eq!(loaded.conv, want);
    assert!(loaded.missing_images.is_empty());
    let images: Vec<_> = loaded
        .conv
        .nodes
        .values()
        .flat_map(|n| n.images().cloned().collect::<Vec<_>>())
        .collect();
    assert_eq!(images.len(), 2);
    assert_eq!(folder.store.read(&images[0].original).unwrap(), png(1));
    assert_eq!(folder.store.read(&images[1].original).unwrap(), png(2));
}

thread_local! {
    /// The intact file, so each damaged variant is checked to differ from it.
    static GOOD: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
}

/// Opens must fail with `want` in the message, and neither that nor
/// open_or_create nor create may change a byte.
fn refused_untouched(dir: &Path, want: &str) {
    let file = dir.join("conversation.json");
    let before = fs::read(&file).unwrap();
    assert_ne!(
        Some(&before),
        GOOD.with(|g| g.borrow().clone()).as_ref(),
        "not damaged"
    );
    let e = ConvFolder::open(dir).unwrap_err();
    assert!(e.to_string().contains(want), "want {want:?} in: {e}");
    assert!(e.to_string().contains("conversation.json"), "{e}");
    assert!(ConvFolder::open_or_create(dir, now()).is_err());
    assert!(ConvFolder::create(dir, "x", now()).is_err());
    assert_eq!(fs::read(&file).unwrap(), before, "file changed");
    let temps = common::count_names(dir, |n| n.starts_with(".tmp-"));
    assert_eq!(temps, 0);
}

#[test]
fn damaged_files_are_refused_and_never_touched() {
    let d = tmp();
    let dir = d.path().join("c.pixloom");
    populate(&dir, true); // pending: a successful open would save
    let file = dir.join("conversation.json");
    let good = fs::read(&file).unwrap();
    GOOD.with(|g| *g.borrow_mut() = Some(good.clone()));
    let text = String::from_utf8(good.clone()).unwrap();

    fs::write(&file, &good[..good.len() - 40]).unwrap();
    refused_untouched(&dir, "cut short");

    // One bit flipped: the `:` after "next_id" becomes `;`.
    let mut flipped = good.clone();
    let at = text.find("\"next_id\":").unwrap() + "\"next_id\"".len();
    flipped[at] ^= 0x01;
    fs::write(&file, &flipped).unwrap();
    refused_untouched(&dir, "is damaged at line 5, column 12 (expected `:`)");

    fs::write(&file, b"").unwrap();
    refused_untouched(&dir, "is empty");

    fs::write(&file, b"[{\"format\": \"pixloom/1\"}]").unwrap();
    refused_untouched(&dir, "not a pixloom conversation (it holds a JSON array");

    fs::write(&file, text.replace("pixloom/1", "pixloom/2")).unwrap();
    refused_untouched(
        &dir,
        "written by a newer pixloom (pixloom/2); this version reads pixloom/1: upgrade pixloom",
    );

    fs::write(&file, text.replace("\"format\": \"pixloom/1\",", "")).unwrap();
    refused_untouched(&dir, "no \"format\" field");

    fs::write(&file, text.replace("\"next_id\": 4", "\"next_id\": 3")).unwrap();
    refused_untouched(&dir, "is inconsistent: n3 is not below next_id 3");

    // Restored, it opens again.
    fs::write(&file, &good).unwrap();
    ConvFolder::open(&dir).unwrap();
}

#[test]
fn stray_temps_are_removed_on_open() {
    let d = tmp();
    let dir = d.path().join("c.pixloom");
    populate(&dir, false);
    fs::write(dir.join(".tmp-123abc"), b"half a file").unwrap();
    fs::write(dir.join("images").join(".tmp-456def"), b"half an image").unwrap();
    let (_f, loaded) = ConvFolder::open(&dir).unwrap();
    assert_eq!(loaded.removed_temps, 2);
    assert!(!dir.join(".tmp-123abc").exists());
    assert!(!dir.join("images").join(".tmp-456def").exists());
}

#[test]
fn pending_turns_become_interrupted_and_are_saved() {
    let (_d, dir, pending) = crashed();
    let (_f, loaded) = ConvFolder::open(&dir).unwrap();
    assert_eq!(loaded.interrupted, vec![pending]);
    assert_eq!(
        loaded.conv.node(pending).unwrap().status(),
        Some(Status::Interrupted)
    );
    drop(_f);
    let on_disk = fs::read_to_string(dir.join("conversation.json")).unwrap();
    assert!(on_disk.contains("\"interrupted\""));
    assert!(!on_disk.contains("\"pending\""));
    let (_f, again) = ConvFolder::open(&dir).unwrap();
    assert!(again.interrupted.is_empty());
}

#[test]
fn a_folder_is_open_in_one_place_at_a_time() {
    let d = tmp();
    let dir = d.path().join("c.pixloom");
    populate(&dir, false);
    let first = ConvFolder::open(&dir).unwrap();
    let e = ConvFolder::open(&dir).unwrap_err();
    assert!(matches!(e, ConvFileError::Locked { .. }), "{e:?}");
    assert!(
        e.to_string().contains("is open in another pixloom process"),
        "{e}"
    );
    assert!(e.to_string().contains("close it first — "), "{e}");
    drop(first);
    ConvFolder::open(&dir).unwrap();
}

#[test]
fn missing_images_are_reported_not_fatal() {
    let d = tmp();
    let dir = d.path().join("c.pixloom");
    let (conv, _) = populate(&dir, false);
    let victim = conv.nodes.values().flat_map(|n| n.images()).next().unwrap();
    fs::remove_file(dir.join("images").join(victim.original.file_name())).unwrap();
    let (_f, loaded) = ConvFolder::open(&dir).unwrap();
    assert_eq!(loaded.missing_images.len(), 1);
    assert!(loaded.missing_images[0].starts_with("images/"));
    assert!(loaded.missing_images[0].contains(&victim.original.sha256));
}

#[test]
fn folder_states_have_clear_errors() {
    let d = tmp();
    let dir = d.path().join("c.pixloom");
    assert!(matches!(
        ConvFolder::open(&dir),
        Err(ConvFileError::NotFound { .. })
    ));
    fs::create_dir(&dir).unwrap();
    let e = ConvFolder::open(&dir).unwrap_err();
    assert!(e.to_string().contains("has no conversation.json"), "{e}");
    assert!(
        !dir.join(".lock").exists(),
        "a non-conversation got a lock file"
    );
    ConvFolder::create(&dir, "t", now()).unwrap();
    let e = ConvFolder::create(&dir, "t", now()).unwrap_err();
    assert!(matches!(e, ConvFileError::AlreadyExists { .. }), "{e:?}");
    let file = d.path().join("plain.txt");
    fs::write(&file, b"x").unwrap();
    assert!(matches!(
        ConvFolder::open(&file),
        Err(ConvFileError::NotAFolder { .. })
    ));
}

#[test]
fn open_or_create_titles_after_the_folder() {
    let d = tmp();
    let dir: PathBuf = conversation_dir(d.path().join("holiday cats"));
    assert!(dir.ends_with("holiday cats.pixloom"));
    let (f, loaded) = ConvFolder::open_or_create(&dir, now()).unwrap();
    assert_eq!(loaded.conv.title, "holiday cats");
    assert!(loaded.conv.is_empty());
    drop(f);
    let (_f, again) = ConvFolder::open_or_create(&dir, now()).unwrap();
    assert_eq!(again.conv, loaded.conv);
}

/// A folder that cannot be written: by its permissions where they are
/// enforced, else (root, as in CI) by a read-only file system — so the
/// test runs, and can fail, either way.
#[cfg(unix)]
#[test]
fn a_read_only_folder_fails_the_save_and_keeps_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let d = tmp();
    let by_permissions = common::disk::permissions_are_enforced();
    let disk = (!by_permissions).then(|| common::disk::SmallDisk::mount("4m"));
    let dir = disk
        .as_ref()
        .map_or_else(|| d.path().to_owned(), |k| k.path().to_owned())
        .join("c.pixloom");
    let (mut conv, _) = populate(&dir, false);
    let (folder, _) = ConvFolder::open(&dir).unwrap();
    let before = fs::read(folder.file()).unwrap();
    match &disk {
        None => fs::set_permissions(&dir, fs::Permissions::from_mode(0o500)).unwrap(),
        Some(k) => k.remount_read_only(),
    }
    assert!(
        fs::write(dir.join("probe"), b"").is_err(),
        "the folder is still writable"
    );
    conv.title = "renamed".into();
    let e = folder.save(&conv).unwrap_err();
    if by_permissions {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    }
    let msg = e.to_string();
    assert!(msg.contains("conversation.json"), "{msg}");
    let reason = if by_permissions {
        "ermission denied"
    } else {
        "ead-only file system"
    };
    assert!(msg.contains(reason), "{msg}");
    assert!(msg.contains("The previous version is intact"), "{msg}");
    assert_eq!(fs::read(folder.file()).unwrap(), before);
    let temps: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(pixloom::durable::TEMP_PREFIX))
        .collect();
    assert!(temps.is_empty(), "temporary files left: {temps:?}");
    drop(folder);
}

#[test]
fn read_only_changes_nothing_and_shows_crashed_turns_interrupted() {
    let (_d, dir, pending) = crashed();
    let file = dir.join("conversation.json");
    fs::remove_file(dir.join(".lock")).unwrap();
    let before = fs::read(&file).unwrap();

    // Nobody holds it: the pending turn was left by a crash.
    let (conv, store) = pixloom::convfile::read_only(&dir).unwrap();
    assert_eq!(
        conv.node(pending).unwrap().status(),
        Some(Status::Interrupted)
    );
    assert_eq!(store.dir(), dir.join("images"));
    assert_eq!(fs::read(&file).unwrap(), before);
    assert!(!dir.join(".lock").exists());

    // A running pixloom holds it: its turn really is in flight.
    let (held, loaded) = ConvFolder::open(&dir).unwrap();
    let mut conv = loaded.conv;
    conv.retry(pending, None).unwrap();
    held.save(&conv).unwrap();
    let saved = fs::read(&file).unwrap();
    let (seen, _) = pixloom::convfile::read_only(&dir).unwrap();
    assert_eq!(seen.node(pending).unwrap().status(), Some(Status::Pending));
    assert_eq!(fs::read(&file).unwrap(), saved);
    drop(held);

    // Damaged: refused, untouched, and no images/ folder is created.
    fs::remove_dir_all(dir.join("images")).unwrap();
    fs::write(&file, &saved[..saved.len() / 3]).unwrap();
    let e = pixloom::convfile::read_only(&dir).unwrap_err();
    assert!(e.to_string().contains("cut short"), "{e}");
    assert_eq!(fs::read(&file).unwrap(), &saved[..saved.len() / 3]);
    assert!(!dir.join("images").exists());
}

// ---- Any depth the format allows ---------------------------------------

/// Loading, the terminal app's screen and replay over a 20,000-turn chain,
/// in this test thread (the default 2 MB stack): every walk over the tree
/// is iterative.
#[test]
fn a_20000_turn_chain_loads_draws_and_replays() {
    use pixloom::tui::{Action, Clock, Msg};
    use ratatui::{Terminal, backend::TestBackend};
    const DEEP: usize = 20_000;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("deep.pixloom");
    fs::create_dir_all(dir.join("images")).unwrap();
    let text = pixloom::convfile::to_json(&common::chain(DEEP)).unwrap();
    fs::write(dir.join("conversation.json"), text).unwrap();
    let (conv, _) = pixloom::convfile::read_only(&dir).unwrap();
    let (_lock, opened) = ConvFolder::open(&dir).unwrap();
    assert_eq!((conv.len(), opened.conv.len()), (DEEP, DEEP));

    let draw = |app: &pixloom::tui::App| {
        let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
        t.draw(|f| {
            pixloom::tui::view::draw(f, app);
        })
        .unwrap();
        t.backend().to_string()
    };
    // The app, selected at the deepest turn: tree pane and transcript.
    let app = pixloom::tui::App::new(
        conv.clone(),
        conv.nodes[&NodeId(2)].turn.clone().unwrap().request,
        Clock::now(),
    );
    let screen = draw(&app);
    assert!(
        screen.contains("n20000") || screen.contains("failed 20000"),
        "{screen}"
    );

    // Replay: from the first turn, stepping down; then from near the end
    // to the end of the branch (each step walks the path in the core).
    let mut replay = pixloom::tui::replay::app(conv, Clock::now(), None, false);
    assert_eq!(replay.conv.selected, Some(NodeId(1)));
    for _ in 0..50 {
        pixloom::tui::update::update(&mut replay, Msg::Action(Action::Step));
    }
    assert_eq!(replay.conv.selected, Some(NodeId(51)));
    draw(&replay);
    replay.conv.select(NodeId(19_990)).unwrap();
    for _ in 0..20 {
        pixloom::tui::update::update(&mut replay, Msg::Action(Action::Step));
    }
    assert_eq!(replay.conv.selected, Some(NodeId(20_000)));
    assert_eq!(
        pixloom::tui::replay::position(&replay.conv),
        Some((DEEP, DEEP))
    );
    let screen = draw(&replay);
    assert!(screen.contains("failed 20000"), "{screen}");
}
