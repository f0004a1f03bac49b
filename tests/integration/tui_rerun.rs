//! "Re-run from here" in the app, end to end over real HTTP: a path of
//! two turns made against the fake gateway, then `P` from its first turn.
//! With gpt-image-2-all picked in the question, every step goes out with
//! that model (the fake records each request), one after another, as a
//! new branch, and the original nodes stay as they were, in memory and
//! on disk. Cancelling the running step (held at the fake) ends the
//! re-run with nothing more sent.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pixloom::convfile::ConvFolder;
use pixloom::tui::{Action, App, Drawn, Event, Msg, Screen, ViewState};
use pixloom_core::model::{ALL_MODEL, DEFAULT_MODEL};
use pixloom_core::tree::{Conversation, NodeId, Status};
use pixloom_fake::{FakeConfig, FakeGateway};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;

use crate::common;

fn key(code: KeyCode) -> Msg {
    Msg::Event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Keys: `⏎` is Enter, `⎋` Esc, anything else a character.
fn keys(s: &str) -> Play {
    Play::Keys(
        s.chars()
            .map(|c| match c {
                '⏎' => key(KeyCode::Enter),
                '⎋' => key(KeyCode::Esc),
                c => key(KeyCode::Char(c)),
            })
            .collect(),
    )
}

fn status(app: &App, id: u32) -> Option<Status> {
    app.conv.node(NodeId(id)).ok().and_then(|n| n.status())
}

fn done(app: &App, id: u32) -> bool {
    status(app, id) == Some(Status::Done)
}

/// A stage of the user's play: once `when` holds for the app and the
/// screen, what to do.
type Stage = (fn(&App, &str) -> bool, Play);

enum Play {
    Keys(Vec<Msg>),
    /// Let the fake's `[fake:hold]` requests answer.
    Release,
}

/// Plays the user, one stage at a time, each once the one before has
/// been sent and its condition holds; quits after the last. Keeps the
/// tree as it was when each stage was played, and the last screen that
/// showed the re-run's progress strip.
struct Player {
    term: Terminal<TestBackend>,
    tx: UnboundedSender<Msg>,
    stages: VecDeque<Stage>,
    /// `POST /__fake/release` of the fake the app talks to.
    release: String,
    trees: Vec<Conversation>,
    strip: Option<String>,
}

impl Screen for Player {
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn> {
        let drawn = self.term.frame(app, view)?;
        let shown = self.term.backend().to_string();
        if shown.contains("re-run from n1 ·") {
            self.strip = Some(shown.clone());
        }
        if self
            .stages
            .front()
            .is_some_and(|(when, _)| when(app, &shown))
        {
            let (_, play) = self.stages.pop_front().expect("a stage");
            self.trees.push(app.conv.clone());
            let msgs = match play {
                Play::Keys(msgs) => msgs,
                Play::Release => {
                    // The fake answers on other threads: a short POST.
                    common::blocking_post(&self.release);
                    Vec::new()
                }
            };
            let quit = self.stages.is_empty().then_some(Msg::Action(Action::Quit));
            for m in msgs.into_iter().chain(quit) {
                self.tx.send(m).expect("the loop listens");
            }
        }
        Ok(drawn)
    }
}

/// The app on the folder at `dir`, against `fake`, played by `stages`
/// at 80×24; what the player kept.
async fn session(dir: &Path, fake: &FakeGateway, stages: Vec<Stage>) -> (App, Player) {
    let mut started = common::tui::start_at(dir, fake.base_url());
    let mut player = Player {
        term: Terminal::new(TestBackend::new(80, 24)).expect("test terminal"),
        tx: started.tx.clone(),
        stages: stages.into(),
        release: format!("{}/__fake/release", fake.base_url()),
        trees: Vec::new(),
        strip: None,
    };
    common::tui::drive_within(&mut started, &mut player, Duration::from_secs(90)).await;
    assert!(player.stages.is_empty(), "every stage was played");
    // Dropped: its last save done, the folder's lock released.
    (started.app, player)
}

/// The path: "a red fox`first`" → n2, "make it dusk" refining it → n4.
fn the_path(first: &str) -> Vec<Stage> {
    vec![
        (|_, _| true, keys(&format!("i{first}⏎"))),
        (|app, _| done(app, 2), keys("make it dusk⏎")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_with_gpt_image_2_all_picked_sends_it_for_every_step_beside_the_original() {
    let home = tempfile::tempdir().expect("temp dir");
    let dir = home.path().join("fox.pixloom");
    let fake = FakeGateway::start(FakeConfig::default())
        .await
        .expect("fake gateway");
    let mut stages = the_path("a red fox");
    // Up to n1, the question; the model row: as it was → vip → -all.
    stages.push((|app, _| done(app, 4), keys("⎋gPll⏎")));
    stages.push((|app, _| done(app, 6) && done(app, 8), keys("")));
    let (app, player) = session(&dir, &fake, stages).await;
    assert!(player.strip.is_some(), "the progress strip was drawn");

    // Four calls: the path as made (vip), then both steps with -all.
    let models: Vec<Option<String>> = fake.requests().into_iter().map(|r| r.model).collect();
    let (vip, all) = (Some(DEFAULT_MODEL.to_owned()), Some(ALL_MODEL.to_owned()));
    assert_eq!(models, [vip.clone(), vip, all.clone(), all]);
    assert_eq!(fake.billed(), 4);

    // The new branch: n5 → n6 beside n1, n7 → n8 refining n6; each
    // answer asked with gpt-image-2-all at the original's size.
    let before = &player.trees[2];
    let check = |conv: &Conversation| {
        let node = |id| conv.node(NodeId(id)).expect("a node");
        assert_eq!(node(5).parent, None, "a new root beside n1");
        assert_eq!(node(5).text(), "a red fox");
        assert_eq!(node(7).parent, Some(NodeId(6)), "refines the new picture");
        assert_eq!(node(7).text(), "make it dusk");
        for id in [6, 8] {
            let turn = node(id).turn.clone().expect("an answer");
            assert_eq!(turn.status, Status::Done, "n{id}");
            assert_eq!(turn.request.model, ALL_MODEL, "n{id}");
            assert_eq!(turn.request.size.to_string(), "1280x720", "n{id}");
        }
        for (id, old) in &before.nodes {
            assert_eq!(&conv.nodes[id], old, "{id} changed");
        }
    };
    check(&app.conv);
    let (_, reloaded) = ConvFolder::open(&dir).expect("reopen");
    check(&reloaded.conv);
    fake.shutdown().await;
}

/// The path made in a new folder against a fake that lets `[fake:hold]`
/// through; the folder (in its temporary home) and a fake that holds it
/// for the re-run.
async fn path_with_a_held_first_step() -> (tempfile::TempDir, PathBuf, FakeGateway) {
    let home = tempfile::tempdir().expect("temp dir");
    let dir = home.path().join("fox.pixloom");
    let maker = FakeGateway::start(FakeConfig::default())
        .await
        .expect("fake gateway");
    let release = format!("{}/__fake/release", maker.base_url());
    tokio::task::spawn_blocking(move || common::blocking_post(&release))
        .await
        .expect("released");
    let mut stages = the_path("a red fox [fake:hold]");
    stages.push((|app, _| done(app, 4), keys("")));
    session(&dir, &maker, stages).await;
    maker.shutdown().await;
    let holding = FakeGateway::start(FakeConfig::default())
        .await
        .expect("fake gateway");
    (home, dir, holding)
}

/// `P` from n1 as it was; once its first step (n6) runs, `keys`.
fn rerun_then(keys_then: &str) -> Vec<Stage> {
    vec![
        (|_, _| true, keys("gP⏎")),
        (
            |app, _| app.in_flight.contains_key(&NodeId(6)),
            keys(keys_then),
        ),
    ]
}

/// What reached the fake, as the request bodies' text.
fn bodies(fake: &FakeGateway) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| r.json.as_ref().map(ToString::to_string).unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_running_step_ends_the_rerun_with_nothing_more_sent() {
    let (_home, dir, holding) = path_with_a_held_first_step().await;
    // Step 1 (n6) runs, held at the fake: esc asks, y cancels.
    let mut stages = rerun_then("⎋y");
    stages.push((|app, _| status(app, 6) == Some(Status::Cancelled), keys("")));
    let (app, player) = session(&dir, &holding, stages).await;
    let strip = player.strip.expect("the progress strip was drawn");
    assert!(strip.contains("cancelled"), "the step marked:\n{strip}");
    // At most the held first step reached the gateway; the second step
    // was never added, let alone sent.
    let sent = bodies(&holding);
    assert!(sent.len() <= 1, "{sent:?}");
    assert!(app.conv.node(NodeId(7)).is_err(), "no second step");
    assert!(app.in_flight.is_empty());
    holding.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_done_while_its_cancel_is_asked_sends_nothing_more_on_yes() {
    let (_home, dir, holding) = path_with_a_held_first_step().await;
    // Step 1 (n6) runs, held: esc asks; while the question is open,
    // the fake answers it; only then y.
    let mut stages = rerun_then("⎋");
    stages.extend::<[Stage; 3]>([
        (|_, shown| shown.contains("y cancels"), Play::Release),
        (|app, _| done(app, 6), keys("y")),
        (
            |_, shown| shown.contains("re-run cancelled after step 1/2"),
            keys(""),
        ),
    ]);
    let (app, _) = session(&dir, &holding, stages).await;
    // Step 1 answered and kept; the second step (released: it would
    // have been answered) never sent.
    let sent = bodies(&holding);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(!sent[0].contains("make it dusk"), "{sent:?}");
    assert!(done(&app, 6));
    assert!(app.conv.node(NodeId(7)).is_err(), "no second step");
    holding.shutdown().await;
}
