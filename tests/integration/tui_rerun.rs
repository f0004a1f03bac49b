//! "Re-run from here" in the app, end to end over real HTTP: a path of
//! two turns made against the fake gateway, then `P` from its first turn
//! with gpt-image-2-all picked in the question. Every step goes out with
//! that model (the fake records each request), one after another, as a
//! new branch; the original nodes stay as they were, in memory and on
//! disk.

use std::io;
use std::time::Duration;

use pixloom::convfile::ConvFolder;
use pixloom::engine::Engine;
use pixloom::gateway::{ApiKey, Client, Settings};
use pixloom::tui::{Action, App, Clock, Drawn, Event, Msg, Screen, ViewState, drive};
use pixloom_core::history::ImageBudget;
use pixloom_core::model::{ALL_MODEL, DEFAULT_MODEL};
use pixloom_core::tree::{Conversation, Endpoint, NodeId, RequestParams, Status};
use pixloom_fake::{FakeConfig, FakeGateway};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;

use crate::common;

fn key(code: KeyCode) -> Msg {
    Msg::Event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(s: &str) -> Vec<Msg> {
    s.chars().map(|c| key(KeyCode::Char(c))).collect()
}

fn done(app: &App, id: u32) -> bool {
    app.conv.node(NodeId(id)).ok().and_then(|n| n.status()) == Some(Status::Done)
}

/// Plays the user, one stage at a time, each once the one before has
/// come to pass: the first prompt; once n2 is done, a refinement; once
/// n4 is done, up to n1 and `P`, gpt-image-2-all, Enter; once both
/// steps (n6, n8) are done, quit. Keeps the tree as it was before `P`.
struct Player {
    term: Terminal<TestBackend>,
    tx: UnboundedSender<Msg>,
    stage: usize,
    before: Option<Conversation>,
    saw_progress: bool,
}

impl Player {
    fn send(&self, msgs: Vec<Msg>) {
        for m in msgs {
            self.tx.send(m).expect("the loop listens");
        }
    }
}

impl Screen for Player {
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn> {
        let drawn = self.term.frame(app, view)?;
        self.saw_progress |= self.term.backend().to_string().contains("re-run from n1");
        match self.stage {
            0 => {
                self.send(
                    [
                        vec![key(KeyCode::Char('i'))],
                        typed("a red fox"),
                        vec![key(KeyCode::Enter)],
                    ]
                    .concat(),
                );
                self.stage = 1;
            }
            1 if done(app, 2) => {
                self.send([typed("make it dusk"), vec![key(KeyCode::Enter)]].concat());
                self.stage = 2;
            }
            2 if done(app, 4) => {
                self.before = Some(app.conv.clone());
                // Leave the composer, up to n1, the question; the model
                // row: as it was → gpt-image-2-vip → gpt-image-2-all.
                self.send(
                    [
                        vec![key(KeyCode::Esc)],
                        typed("gPll"),
                        vec![key(KeyCode::Enter)],
                    ]
                    .concat(),
                );
                self.stage = 3;
            }
            3 if done(app, 6) && done(app, 8) => {
                self.send(vec![Msg::Action(Action::Quit)]);
                self.stage = 4;
            }
            _ => {}
        }
        Ok(drawn)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_with_gpt_image_2_all_picked_sends_it_for_every_step_beside_the_original() {
    let fake = FakeGateway::start(FakeConfig::default())
        .await
        .expect("fake gateway");
    let dir = tempfile::tempdir().expect("temp dir");
    let conv_dir = dir.path().join("fox.pixloom");
    let now = time::OffsetDateTime::now_utc();
    let (folder, loaded) = ConvFolder::open_or_create(&conv_dir, now).expect("folder");
    let client = Client::new(Settings::new(
        fake.base_url(),
        ApiKey::new("sk-test").expect("key"),
    ))
    .expect("client");
    let defaults = RequestParams {
        endpoint: Endpoint::Chat,
        model: DEFAULT_MODEL.to_owned(),
        size: "1280x720".parse().expect("size"),
    };
    let engine = Engine::new(client, ImageBudget::default());
    let common::tui::Started {
        mut app,
        mut effects,
        tx,
        mut rx,
    } = common::tui::start(folder, loaded, engine, defaults);
    let mut player = Player {
        term: Terminal::new(TestBackend::new(80, 24)).expect("test terminal"),
        tx: tx.clone(),
        stage: 0,
        before: None,
        saw_progress: false,
    };
    tokio::time::timeout(
        Duration::from_secs(90),
        drive(&mut app, &mut effects, &mut rx, &mut player, Clock::now),
    )
    .await
    .expect("the loop finished in time")
    .expect("the loop ran");
    assert_eq!(player.stage, 4, "every stage was played");
    assert!(player.saw_progress, "the progress strip was drawn");

    // Four calls: the path as made (vip), then both steps with -all.
    let models: Vec<Option<String>> = fake.requests().into_iter().map(|r| r.model).collect();
    let (vip, all) = (Some(DEFAULT_MODEL.to_owned()), Some(ALL_MODEL.to_owned()));
    assert_eq!(models, [vip.clone(), vip, all.clone(), all]);
    assert_eq!(fake.billed(), 4);

    // The new branch: n5 → n6 beside n1, n7 → n8 refining n6; each
    // answer asked with gpt-image-2-all at the original's size.
    let before = player.before.expect("the tree before the re-run");
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
    drop(effects); // releases the folder's lock
    let (_, reloaded) = ConvFolder::open(&conv_dir).expect("reopen");
    check(&reloaded.conv);
    fake.shutdown().await;
}
