//! A paid picture survives any local failure between "the bytes arrived"
//! and "the tree points at them": against the fake gateway over real HTTP,
//! with the terminal app's own `update` and `Effects`, and the real
//! `pixloom send`. The store fails by an injected fault (the `images/`
//! folder replaced by a file: no root needed) or by a real full disk (a
//! small tmpfs: root, as in CI). See docs/reliability.md, "Paid results".
#![allow(clippy::unwrap_used)]

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::disk::{SmallDisk, fill, fill_leaving, may_mount};
use pixloom::convfile::{ConvFolder, from_json};
use pixloom::engine::Engine;
use pixloom::gateway::{ApiKey, Client, Settings};
use pixloom::tui::update::{self, Effect};
use pixloom::tui::{Action, App, Effects, Msg};
use pixloom_core::history::ImageBudget;
use pixloom_core::model::DEFAULT_MODEL;
use pixloom_core::tree::{Conversation, Endpoint, NodeId, RequestParams, Status};
use pixloom_fake::{FakeConfig, FakeGateway};
use tokio::sync::mpsc::UnboundedReceiver;

mod full_disk;

/// The terminal app without a terminal: `update` as the loop calls it,
/// effects run by the app's own `Effects`.
struct Tui {
    app: App,
    effects: Effects,
    rx: UnboundedReceiver<Msg>,
}

/// Opens (or creates) the folder. The lock of a folder this process just
/// closed can linger for an instant in a child another test is spawning
/// (a fork holds the open lock file until its exec): wait, boundedly.
fn open_folder(dir: &Path) -> (ConvFolder, pixloom::convfile::Loaded) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match ConvFolder::open_or_create(dir, time::OffsetDateTime::now_utc()) {
            Err(pixloom::convfile::ConvFileError::Locked { .. }) if Instant::now() < deadline => {
                std::thread::yield_now();
            }
            other => return other.unwrap(),
        }
    }
}

fn engine(base_url: &str) -> Engine {
    let settings = Settings::new(base_url.to_owned(), ApiKey::new(common::key()).unwrap());
    Engine::new(Client::new(settings).unwrap(), ImageBudget::default())
}

impl Tui {
    fn open(dir: &Path, base_url: &str) -> Tui {
        let (folder, loaded) = open_folder(dir);
        let defaults = RequestParams {
            endpoint: Endpoint::Images,
            model: DEFAULT_MODEL.to_owned(),
            size: "1280x720".parse().unwrap(),
        };
        let common::tui::Started {
            app, effects, rx, ..
        } = common::tui::start(folder, loaded, engine(base_url), defaults);
        Tui { app, effects, rx }
    }

    /// Messages through `update`, effects run, saves written: one batch.
    fn batch(&mut self, msgs: Vec<Msg>) -> Vec<Effect> {
        let fx = common::tui::feed(&mut self.app, msgs);
        assert!(!self.effects.run(fx.clone(), &self.app), "nothing quits");
        self.effects.wait_for_saves();
        fx
    }

    fn act(&mut self, actions: &[Action]) -> Vec<Effect> {
        self.batch(actions.iter().map(|&a| Msg::Action(a)).collect())
    }

    /// Runs the loop until `done` holds (the deadline only turns a hang
    /// into a failure).
    async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        while !done(&self.app) {
            let msg = tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("waited 60 s for: {what}; status: {:?}", self.app.status)
                })
                .unwrap();
            self.batch(vec![msg]);
        }
    }

    /// Types a prompt and sends it; runs until its turn settles.
    async fn send(&mut self, prompt: &str) -> NodeId {
        self.act(&[Action::Compose]);
        self.app.composer.text.insert_str(prompt);
        self.act(&[Action::Send]);
        let id = *self.app.in_flight.keys().next().unwrap();
        self.until("the turn to settle", |a| a.in_flight.is_empty())
            .await;
        id
    }

    /// Runs the loop until the status line says `words` (a try came back).
    async fn until_status(&mut self, words: &str) {
        self.until(&format!("the status to say {words:?}"), |a| {
            a.status.as_ref().is_some_and(|l| l.text.contains(words))
        })
        .await;
    }

    fn status(&self) -> String {
        self.app
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    }
}

fn saved(dir: &Path) -> Conversation {
    let file = dir.join("conversation.json");
    from_json(&fs::read(&file).unwrap(), &file).unwrap()
}

/// The turn as saved is `unstored` with the request id and a live link.
fn assert_saved_unstored(dir: &Path, id: NodeId) {
    let conv = saved(dir);
    let turn = conv.node(id).unwrap().turn.clone().unwrap();
    assert_eq!(turn.status, Status::Unstored, "{turn:?}");
    assert!(turn.request_id.is_some(), "{turn:?}");
    let r = turn.received.unwrap();
    assert!(r.url.unwrap().starts_with("http://127.0.0.1:"));
    assert!(r.expires_at.unwrap() > time::OffsetDateTime::now_utc());
    assert!(turn.error.unwrap().message.contains("billed"));
}

/// The turn is done and its picture is in `images/` with its content.
fn assert_stored(dir: &Path, id: NodeId) {
    let conv = saved(dir);
    let node = conv.node(id).unwrap();
    assert_eq!(node.status(), Some(Status::Done));
    let blob = &node.images().next().unwrap().original;
    let bytes = fs::read(dir.join("images").join(blob.file_name())).unwrap();
    assert_eq!(pixloom_core::hex::sha256(&bytes), blob.sha256);
}

/// The injected fault: `images/` is a file, so every store fails (for
/// root too), and the conversation file can still be written.
fn break_store(dir: &Path) {
    fs::remove_dir_all(dir.join("images")).unwrap();
    fs::write(dir.join("images"), b"in the way").unwrap();
}

fn mend_store(dir: &Path) {
    fs::remove_file(dir.join("images")).unwrap();
    fs::create_dir(dir.join("images")).unwrap();
}

async fn fake() -> FakeGateway {
    FakeGateway::start(FakeConfig {
        api_key: Some(common::key()),
        ..FakeConfig::default()
    })
    .await
    .unwrap()
}

/// A prompt sent from the app while its store is broken: the turn, its
/// folder (in `home`), the app and the fake gateway.
struct Held {
    gw: FakeGateway,
    _home: tempfile::TempDir,
    dir: PathBuf,
    s: Tui,
    id: NodeId,
}

async fn held() -> Held {
    let gw = fake().await;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("paid.pixloom");
    let mut s = Tui::open(&dir, &gw.base_url());
    break_store(&dir);
    let id = s.send("a lighthouse").await;
    assert_saved_unstored(&dir, id);
    Held {
        gw,
        _home: home,
        dir,
        s,
        id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_that_cannot_be_stored_is_kept_told_and_stored_by_the_key() {
    let Held {
        gw,
        _home,
        dir,
        mut s,
        id,
    } = held().await;
    assert_eq!(gw.billed(), 1);
    assert_eq!(
        s.app.conv.node(id).unwrap().status(),
        Some(Status::Unstored)
    );
    assert!(s.app.unstored_bytes.contains_key(&id), "the bytes are held");
    let told = s.status();
    for piece in [
        "arrived",
        "billed",
        "kept in memory",
        "free some space",
        "press S",
    ] {
        assert!(told.contains(piece), "{piece:?} not in {told:?}");
    }

    // Quitting now would lose the bytes: it asks.
    s.act(&[Action::Quit]);
    assert_eq!(s.app.overlay, pixloom::tui::state::Overlay::ConfirmQuit);
    s.act(&[Action::Dismiss]);

    // The key while the store is still broken: told, still held.
    s.act(&[Action::StoreResult]);
    s.until_status("still not stored").await;
    assert!(s.app.unstored_bytes.contains_key(&id));

    // Space is back: the key stores it, from memory (no new download).
    mend_store(&dir);
    let downloads = gw.download_log().len();
    s.act(&[Action::StoreResult]);
    s.until("the picture to be stored", |a| a.conv.unstored().is_empty())
        .await;
    assert_eq!(gw.download_log().len(), downloads);
    assert!(s.app.unstored_bytes.is_empty());
    assert_stored(&dir, id);
    assert_eq!(gw.billed(), 1, "storing bills nothing");
    // Nothing is lost by quitting now.
    let fx = update::update(&mut s.app, Msg::Action(Action::Quit));
    assert_eq!(fx, vec![Effect::Save, Effect::Quit]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_picture_is_stored_by_the_next_save() {
    let Held {
        _home,
        dir,
        mut s,
        id,
        ..
    } = held().await;
    mend_store(&dir);
    // Any change saves; a successful save tries the held pictures.
    s.act(&[Action::Star]);
    s.until("the picture to be stored", |a| a.conv.unstored().is_empty())
        .await;
    assert_stored(&dir, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_picture_is_fetched_from_its_link() {
    let Held {
        gw,
        _home,
        dir,
        s,
        id,
    } = held().await;
    drop(s); // the bytes in memory are gone, as after a crash
    mend_store(&dir);
    let mut s = Tui::open(&dir, &gw.base_url());
    let told = s.status();
    assert!(
        told.contains(&id.to_string()) && told.contains("press S to fetch"),
        "{told}"
    );
    assert_eq!(s.app.conv.selected, Some(id));
    let downloads = gw.download_log().len();
    s.act(&[Action::StoreResult]);
    s.until("the picture to be stored", |a| a.conv.unstored().is_empty())
        .await;
    assert_eq!(
        gw.download_log().len(),
        downloads + 1,
        "fetched from its link"
    );
    assert_stored(&dir, id);
    assert_eq!(gw.billed(), 1);
}

/// The record of an unstored picture lets pixloom fetch a link and read a
/// spare copy outside the folder. In a folder from someone else it is the
/// sender's text: a forged link (a beacon) is never fetched, and a spare
/// copy pointing at one of the user's own files (its hash written next to
/// it) is never read into the conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_record_of_an_unstored_picture_fetches_and_reads_nothing() {
    let Held {
        gw,
        _home: home,
        dir,
        s,
        id,
    } = held().await;
    drop(s);
    mend_store(&dir);
    let private = home.path().join("private.png");
    common::png_file(home.path(), "private.png", 9, 9, [1, 2, 3]);
    let private_sha = pixloom_core::hex::sha256(&fs::read(&private).unwrap());
    let file = dir.join("conversation.json");
    let honest: serde_json::Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
    let beacon = format!("{}/files/beacon.png", gw.base_url());
    let forge = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = honest.clone();
        let node = v["nodes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|n| n["id"] == serde_json::json!(id.to_string()))
            .unwrap();
        edit(&mut node["turn"]["received"]);
        fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    };
    let spare = private.to_string_lossy().into_owned();
    let forgeries: [&dyn Fn(&mut serde_json::Value); 2] =
        [&|r| r["url"] = beacon.clone().into(), &|r| {
            r["spare_copy"] = spare.clone().into();
            r["sha256"] = private_sha.clone().into();
        }];
    for edit in forgeries {
        forge(edit);
        let mut s = Tui::open(&dir, &gw.base_url());
        let r = s
            .app
            .conv
            .node(id)
            .unwrap()
            .turn
            .clone()
            .unwrap()
            .received
            .unwrap();
        assert_eq!(
            (r.url, r.spare_copy),
            (None, None),
            "unproven: dropped on load"
        );
        let downloads = gw.download_log().len();
        s.act(&[Action::StoreResult]);
        s.until_status("not stored").await;
        assert_eq!(gw.download_log().len(), downloads, "nothing was fetched");
        assert_eq!(
            s.app.conv.node(id).unwrap().status(),
            Some(Status::Unstored)
        );
        let imported = dir.join("images").join(format!("{private_sha}.png"));
        assert!(
            !imported.exists(),
            "the user's file was read into the folder"
        );
        drop(s);
    }
    assert_eq!(gw.billed(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_picture_arrived_leaves_its_link_in_the_file() {
    let gw = fake().await;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("paid.pixloom");
    let mut s = Tui::open(&dir, &gw.base_url());
    s.act(&[Action::Compose]);
    s.app.composer.text.insert_str("a lighthouse");
    s.act(&[Action::Send]);
    let id = *s.app.in_flight.keys().next().unwrap();
    // Only the "received" note is let through; then the app "dies".
    s.until("the picture to arrive", |a| {
        a.conv
            .node(id)
            .is_ok_and(|n| n.turn.as_ref().unwrap().received.is_some())
    })
    .await;
    drop(s);
    let (_folder, loaded) = open_folder(&dir);
    let turn = loaded.conv.node(id).unwrap().turn.clone().unwrap();
    assert_eq!(
        turn.status,
        Status::Unstored,
        "not 'interrupted': it was paid"
    );
    assert!(turn.request_id.is_some());
    assert!(turn.received.unwrap().url.is_some());
}
