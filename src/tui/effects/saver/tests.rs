//! Saving off the loop, with a disk whose every save waits on a gate the
//! test opens: the order of events is the test's, never a timer's.

use std::sync::mpsc;
use std::time::Duration;

use futures_util::FutureExt as _;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::*;
use crate::engine::Engine;
use crate::gateway;
use crate::tui::action::Action;
use crate::tui::effects::Effects;
use crate::tui::fixtures::{T0, branched, empty};
use crate::tui::update::{Effect, update};
use pixloom_core::history::ImageBudget;
use pixloom_core::tree::Status;

/// A disk that takes each save's result from the test, and remembers
/// what it was given.
struct Gated {
    gate: Mutex<mpsc::Receiver<Result<(), String>>>,
    /// The title of each tree as its save starts.
    started: mpsc::Sender<String>,
    /// Every tree whose save was let through, written or not.
    tried: Mutex<Vec<Conversation>>,
    /// How many orphan lists were removed, with the tree they were
    /// checked against.
    removed: Mutex<Vec<(String, usize)>>,
}

impl Disk for Gated {
    fn save(&self, conv: &Conversation) -> Result<(), String> {
        let _ = self.started.send(conv.title.clone());
        let result = self
            .gate
            .lock()
            .unwrap()
            .recv()
            .unwrap_or_else(|_| Err("the test has gone".to_owned()));
        self.tried.lock().unwrap().push(conv.clone());
        result
    }

    fn remove_unused(&self, saved: &Conversation, orphans: &Orphans) -> Result<(), String> {
        self.removed
            .lock()
            .unwrap()
            .push((saved.title.clone(), orphans.blobs.len()));
        Ok(())
    }
}

struct Rig {
    disk: Arc<Gated>,
    gate: mpsc::Sender<Result<(), String>>,
    started: mpsc::Receiver<String>,
    rx: UnboundedReceiver<Msg>,
    tx: UnboundedSender<Msg>,
}

fn rig() -> Rig {
    let (gate, gate_rx) = mpsc::channel();
    let (started_tx, started) = mpsc::channel();
    let (tx, rx) = unbounded_channel();
    let disk = Arc::new(Gated {
        gate: Mutex::new(gate_rx),
        started: started_tx,
        tried: Mutex::new(Vec::new()),
        removed: Mutex::new(Vec::new()),
    });
    Rig {
        disk,
        gate,
        started,
        rx,
        tx,
    }
}

impl Rig {
    fn saver(&self) -> Saver {
        Saver::new(self.disk.clone(), self.tx.clone())
    }

    /// The events sent so far, as text.
    fn events(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(Msg::Event(e)) = self.rx.try_recv() {
            out.push(format!("{e:?}"));
        }
        out
    }

    fn tried(&self) -> Vec<String> {
        let tried = self.disk.tried.lock().unwrap();
        tried.iter().map(|c| c.title.clone()).collect()
    }
}

fn titled(title: &str) -> Conversation {
    Conversation::new(title, T0)
}

fn pending(f: &mut (impl Future + Unpin)) -> bool {
    f.now_or_never().is_none()
}

#[test]
fn saves_coalesce_and_the_latest_snapshot_wins() {
    let mut r = rig();
    let mut saver = r.saver();
    let first = saver.save(&titled("a"), Vec::new());
    assert_eq!(r.started.recv().unwrap(), "a", "the writer holds a");
    // Asked while a is being written: b waits, c replaces it.
    let second = saver.save(&titled("b"), vec![Orphans::default()]);
    let third = saver.save(&titled("c"), vec![Orphans::default()]);
    let mut b_done = Box::pin(saver.finished(second));
    assert!(pending(&mut b_done), "nothing is written yet");
    r.gate.send(Ok(())).unwrap();
    assert_eq!(r.started.recv().unwrap(), "c", "b was never written");
    r.gate.send(Ok(())).unwrap();
    saver.flush_blocking();
    assert_eq!(r.tried(), ["a", "c"]);
    assert!(!pending(&mut b_done), "c holds b: b is saved");
    assert!(!pending(&mut Box::pin(saver.finished(first))));
    assert!(!pending(&mut Box::pin(saver.finished(third))));
    assert_eq!(r.events(), ["Saved", "Saved"]);
    assert_eq!(
        *r.disk.removed.lock().unwrap(),
        [("c".to_owned(), 0), ("c".to_owned(), 0)],
        "b's unused images are removed after c, checked against c"
    );
}

#[test]
fn a_failed_save_is_told_as_before_and_the_next_save_tries_again() {
    let mut r = rig();
    let mut saver = r.saver();
    saver.save(&titled("a"), vec![Orphans::default()]);
    r.gate
        .send(Err("No space left on device".to_owned()))
        .unwrap();
    saver.flush_blocking();
    assert_eq!(r.events(), [r#"SaveFailed("No space left on device")"#]);
    assert!(
        r.disk.removed.lock().unwrap().is_empty(),
        "nothing removed before a good save"
    );
    // The tree stayed in memory: the next save writes it.
    saver.save(&titled("a"), Vec::new());
    r.gate.send(Ok(())).unwrap();
    saver.flush_blocking();
    assert_eq!(r.tried(), ["a", "a"]);
    assert_eq!(r.events(), ["Saved"]);
}

#[test]
fn a_failed_save_says_what_the_folder_says() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, conv) = ConvFolder::create(dir.path().join("a.pixloom"), "a", T0).unwrap();
    // A folder where the file should be: no save can replace it.
    let file = folder.file();
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let said = folder.save(&conv).unwrap_err().to_string();
    let (tx, mut rx) = unbounded_channel();
    let mut saver = Saver::new(Arc::new(folder), tx);
    saver.save(&conv, Vec::new());
    saver.flush_blocking();
    match rx.try_recv() {
        Ok(Msg::Event(Event::SaveFailed(e))) => assert_eq!(e, said),
        other => panic!("{other:?}"),
    }
}

/// A gateway that only takes connections: what matters is whether a
/// request was sent at all.
fn engine_at(addr: std::net::SocketAddr) -> Engine {
    let settings = gateway::Settings::new(
        format!("http://{addr}"),
        gateway::ApiKey::new("sk-test").unwrap(),
    );
    Engine::new(
        gateway::Client::new(settings).unwrap(),
        ImageBudget::default(),
    )
}

#[tokio::test]
async fn a_request_goes_out_only_after_the_save_holding_its_pending_turn() {
    let r = rig();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let engine = engine_at(listener.local_addr().unwrap());
    let store_dir = tempfile::tempdir().unwrap();
    let store = crate::images::ImageStore::open(store_dir.path()).unwrap();
    let mut effects = Effects::with_disk(Some(engine), store, r.disk.clone(), r.tx.clone());
    // Dropped before `effects` (whose drop waits for the save) when an
    // assertion fails: the held save then fails instead of waiting.
    let gate = r.gate;

    // A tree without images: the request needs nothing from the store.
    let mut app = empty();
    app.can_send = true;
    let mut fx = Vec::new();
    for m in [Msg::Action(Action::Compose)]
        .into_iter()
        .chain("a fox".chars().map(|c| {
            Msg::Event(Event::Key(ratatui::crossterm::event::KeyEvent::from(
                ratatui::crossterm::event::KeyCode::Char(c),
            )))
        }))
        .chain([Msg::Action(Action::Send)])
    {
        fx.extend(update(&mut app, m));
    }
    let Some(&Effect::StartTurn(turn)) = fx.iter().find(|e| matches!(e, Effect::StartTurn(_)))
    else {
        panic!("send starts a turn: {fx:?}");
    };
    assert!(!effects.run(fx, &app));
    r.started.recv().unwrap();
    // The turn's task gets every chance to run while the save is held.
    for _ in 0..200 {
        tokio::task::yield_now().await;
    }
    assert_eq!(
        listener.accept().map(drop).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "no request while its pending turn is not on disk"
    );
    gate.send(Ok(())).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::time::timeout(Duration::from_secs(60), listener.accept())
        .await
        .expect("the request went out once the save finished")
        .unwrap();
    let tried = r.disk.tried.lock().unwrap().clone();
    assert_eq!(tried.len(), 1);
    assert_eq!(
        tried[0].node(turn).unwrap().status(),
        Some(Status::Pending),
        "the save the request waited for holds its pending turn"
    );
    drop(effects);
}

#[tokio::test]
async fn quitting_waits_for_the_last_save() {
    let r = rig();
    let store_dir = tempfile::tempdir().unwrap();
    let store = crate::images::ImageStore::open(store_dir.path()).unwrap();
    let mut effects = Effects::with_disk(None, store, r.disk.clone(), r.tx.clone());
    // The loop's own channel: the quit, and kept open while it runs.
    let (loop_tx, mut rx) = unbounded_channel();
    loop_tx.send(Msg::Action(Action::Quit)).unwrap();
    let mut app = branched();
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut run = Box::pin(crate::tui::drive(
        &mut app,
        &mut effects,
        &mut rx,
        &mut term,
        crate::tui::Clock::now,
    ));
    let gate = r.gate; // dropped before `run` and `effects`
    assert!(pending(&mut run), "the quit's save is not written yet");
    assert_eq!(r.started.recv().unwrap(), "fox");
    gate.send(Ok(())).unwrap();
    run.await.unwrap();
    let tried = r.disk.tried.lock().unwrap().len();
    assert_eq!(tried, 1);
    assert!(app.quitting);
    drop(loop_tx);
}

/// A disk whose save panics (a bug, not an I/O error).
struct Panicking;

impl Disk for Panicking {
    fn save(&self, _: &Conversation) -> Result<(), String> {
        panic!("a bug while saving");
    }

    fn remove_unused(&self, _: &Conversation, _: &Orphans) -> Result<(), String> {
        Ok(())
    }
}

#[test]
fn a_save_that_panics_is_a_failed_save_and_never_hangs_the_quit() {
    let (tx, mut rx) = unbounded_channel();
    let mut saver = Saver::new(Arc::new(Panicking), tx);
    let no = saver.save(&titled("a"), Vec::new());
    saver.flush_blocking();
    assert!(!pending(&mut Box::pin(saver.finished(no))));
    match rx.try_recv() {
        Ok(Msg::Event(Event::SaveFailed(e))) => assert!(e.contains("a bug while saving"), "{e}"),
        other => panic!("{other:?}"),
    }
}
