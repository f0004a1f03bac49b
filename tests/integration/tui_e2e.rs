//! The app's loop end to end, without a terminal: a real engine against
//! the fake gateway, keys fed through the loop's own channel, effects run
//! for real (requests, saves, thumbnails), a `TestBackend` as the screen.

use crate::common;

use std::io;
use std::time::Duration;

use pixloom::convfile::ConvFolder;
use pixloom::tui::{Action, App, Drawn, Event, Msg, Screen, ViewState};
use pixloom_core::tree::{NodeId, Status};
use pixloom_fake::{FakeConfig, FakeGateway};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;

fn key(code: KeyCode) -> Msg {
    Msg::Event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn keys(s: &str) -> Vec<Msg> {
    s.chars().map(|c| key(KeyCode::Char(c))).collect()
}

fn status(app: &App, id: u32) -> Option<Status> {
    app.conv.node(NodeId(id)).ok().and_then(|n| n.status())
}

/// Draws on a test backend, and plays the user: sends the second half of
/// the script once the first request is in flight, and quits when both
/// turns are done and the shown image has its thumbnail.
struct Player {
    term: Terminal<TestBackend>,
    tx: UnboundedSender<Msg>,
    second_half: Option<Vec<Msg>>,
    quit_sent: bool,
    saw_thumbnail: bool,
}

impl Screen for Player {
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn> {
        let drawn = self.term.frame(app, view)?;
        if app.in_flight.contains_key(&NodeId(2))
            && let Some(script) = self.second_half.take()
        {
            for m in script {
                self.tx.send(m).expect("the loop listens");
            }
        }
        self.saw_thumbnail |= self.term.backend().to_string().contains('▀');
        let both_done =
            status(app, 2) == Some(Status::Done) && status(app, 4) == Some(Status::Done);
        if both_done && self.saw_thumbnail && !self.quit_sent {
            self.quit_sent = true;
            self.tx
                .send(Msg::Action(Action::Quit))
                .expect("the loop listens");
        }
        Ok(drawn)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_lands_on_its_node_after_the_selection_moved_to_another_branch() {
    let fake = FakeGateway::start(FakeConfig::default())
        .await
        .expect("fake gateway");
    let dir = tempfile::tempdir().expect("temp dir");
    let conv_dir = dir.path().join("fox.pixloom");
    let mut started = common::tui::start_at(&conv_dir, fake.base_url());
    let tx = started.tx.clone();

    // First half: write and send a prompt (n1 → n2), leave the composer.
    let first: Vec<Msg> = [
        vec![key(KeyCode::Char('i'))],
        keys("a red fox in snow"),
        vec![key(KeyCode::Enter), key(KeyCode::Esc)],
    ]
    .concat();
    // Second half, while n2 runs: up to n1, edit it as a new branch
    // (n3 → n4), leave the composer, up to n3: the selection is now on
    // the other branch.
    let second: Vec<Msg> = [
        keys("ke"),
        keys(" at night"),
        vec![key(KeyCode::Enter), key(KeyCode::Esc)],
        keys("k"),
    ]
    .concat();
    for m in first {
        tx.send(m).expect("queued");
    }
    let mut player = Player {
        term: Terminal::new(TestBackend::new(100, 30)).expect("test terminal"),
        tx: tx.clone(),
        second_half: Some(second),
        quit_sent: false,
        saw_thumbnail: false,
    };
    common::tui::drive_within(&mut started, &mut player, Duration::from_secs(60)).await;
    let common::tui::Started { app, effects, .. } = started;

    assert_eq!(
        app.conv.selected,
        Some(NodeId(3)),
        "the selection stayed on the other branch"
    );
    assert_eq!(status(&app, 2), Some(Status::Done), "n2 got its image");
    assert_eq!(status(&app, 4), Some(Status::Done));
    assert_eq!(
        app.conv.node(NodeId(3)).expect("n3").text(),
        "a red fox in snow at night"
    );
    assert_eq!(
        app.conv.node(NodeId(3)).expect("n3").parent,
        None,
        "an edit of a root is a root"
    );
    assert_eq!(app.session_cost_micro_usd, 60_000, "two billed calls");
    assert_eq!(fake.billed(), 2);
    assert!(player.saw_thumbnail, "a thumbnail was decoded and drawn");

    // What was saved says the same.
    let store = effects
        .folder()
        .expect("the app owns its folder")
        .store
        .clone();
    drop(effects); // releases the folder's lock
    let (_, reloaded) = ConvFolder::open(&conv_dir).expect("reopen");
    let n2 = reloaded.conv.node(NodeId(2)).expect("n2 saved");
    assert_eq!(n2.status(), Some(Status::Done));
    let image = n2.images().next().expect("n2 has its image");
    assert!(
        store.path(&image.original).exists(),
        "the image file is in the folder"
    );
    assert_eq!((image.original.width, image.original.height), (1280, 720));
    assert!(reloaded.interrupted.is_empty());
    fake.shutdown().await;
}
