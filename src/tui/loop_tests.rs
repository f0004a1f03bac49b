//! The loop with a screen whose writer is still busy: messages are
//! handled, nothing is drawn, and once the writer drained the latest
//! state is drawn once, with a repaint owed meanwhile (a resize) kept.

#![allow(clippy::unwrap_used)]

use std::io;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::action::{Action, Event, Msg};
use super::fixtures::branched;
use super::state::App;
use super::view::{Drawn, ViewState};
use super::{Effects, Screen, drive};
use pixloom_core::tree::NodeId;

/// A screen whose writer is busy at the next `stalls` checks, each time
/// draining at once after (it sends `OutputDrained`, as the writer does).
struct Slow {
    term: Terminal<TestBackend>,
    tx: UnboundedSender<Msg>,
    stalls: usize,
    /// The selection each frame showed.
    frames: Vec<Option<NodeId>>,
    lost: usize,
}

impl Screen for Slow {
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn> {
        self.frames.push(app.conv.selected);
        if self.frames.len() == 2 {
            self.tx.send(Msg::Action(Action::Quit)).unwrap();
        }
        self.term.frame(app, view)
    }

    fn lost(&mut self) -> io::Result<Option<(u16, u16)>> {
        self.lost += 1;
        self.term.lost()
    }

    fn busy(&mut self) -> bool {
        if self.stalls == 0 {
            return false;
        }
        self.stalls -= 1;
        self.tx.send(Msg::Event(Event::OutputDrained)).unwrap();
        true
    }
}

#[tokio::test]
async fn a_busy_writer_defers_the_frame_and_the_latest_state_is_drawn_once() {
    let store_dir = tempfile::tempdir().unwrap();
    let store = crate::images::ImageStore::open(store_dir.path()).unwrap();
    let (tx, mut rx) = unbounded_channel();
    let mut effects = Effects::read_only(store, tx.clone());
    let mut app = branched();
    assert_eq!(app.conv.selected, Some(NodeId(5)));
    let k = || Msg::Event(Event::Key(KeyEvent::from(KeyCode::Char('k'))));
    // One batch: up, a resize (the terminal may have lost everything), up.
    for m in [k(), Msg::Event(Event::Resize(80, 24)), k()] {
        tx.send(m).unwrap();
    }
    let mut screen = Slow {
        term: Terminal::new(TestBackend::new(80, 24)).unwrap(),
        tx: tx.clone(),
        stalls: 2,
        frames: Vec::new(),
        lost: 0,
    };
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        drive(
            &mut app,
            &mut effects,
            &mut rx,
            &mut screen,
            super::Clock::now,
        ),
    )
    .await
    .expect("the loop ends after the quit")
    .unwrap();
    // The first frame, then — after two busy checks — one frame of the
    // state after both keys (n5 → n4 → n2), the resize's clear before it.
    assert_eq!(screen.frames, vec![Some(NodeId(5)), Some(NodeId(2))]);
    assert_eq!(screen.lost, 1, "the repaint owed by the resize was kept");
    assert_eq!(screen.stalls, 0);
    assert!(app.quitting);
}

/// A screen that keeps each frame's status bar (its last line) and quits
/// once one shows `until`.
struct Bars {
    term: Terminal<TestBackend>,
    tx: UnboundedSender<Msg>,
    bars: Vec<String>,
    until: &'static str,
}

impl Screen for Bars {
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn> {
        let drawn = self.term.frame(app, view)?;
        let shown = self.term.backend().to_string();
        let bar = shown.lines().last().unwrap_or_default().to_owned();
        if bar.contains(self.until) {
            self.tx.send(Msg::Action(Action::Quit)).unwrap();
        }
        self.bars.push(bar);
        Ok(drawn)
    }
}

#[tokio::test(start_paused = true)]
async fn with_a_day_limit_midnight_redraws_the_days_total_unasked() {
    use crate::budget::DaySpend;
    use time::macros::datetime;
    let store_dir = tempfile::tempdir().unwrap();
    let store = crate::images::ImageStore::open(store_dir.path()).unwrap();
    let (tx, mut rx) = unbounded_channel();
    let mut effects = Effects::read_only(store, tx.clone());
    // Opened at 23:59 with $0.95 of $1.00 spent today; then nothing
    // happens: no key, no call, no tick.
    let opened_at = datetime!(2025-03-01 23:59:00 UTC);
    let mut app = branched();
    app.budgets.day = Some(1_000_000);
    app.clock.wall = opened_at;
    app.today = DaySpend {
        day: opened_at.date(),
        micro_usd: 950_000,
    };
    let opened = tokio::time::Instant::now();
    let clock = || super::Clock {
        mono: std::time::Instant::now(),
        wall: opened_at + opened.elapsed(),
    };
    let mut screen = Bars {
        term: Terminal::new(TestBackend::new(200, 40)).unwrap(),
        tx: tx.clone(),
        bars: Vec::new(),
        until: "today $0.00/$1.00",
    };
    // Paused time: the runtime jumps to the next timer, so an hour of
    // waiting takes none.
    tokio::time::timeout(
        std::time::Duration::from_secs(3600),
        drive(&mut app, &mut effects, &mut rx, &mut screen, clock),
    )
    .await
    .expect("midnight redrew the bar")
    .unwrap();
    // Before midnight (the first frame, and any a thumbnail's answer
    // made) $0.95; the frame midnight made, $0.00.
    let (last, before) = screen.bars.split_last().unwrap();
    assert!(last.contains("today $0.00/$1.00"), "{last}");
    assert!(!before.is_empty(), "the first frame");
    for bar in before {
        assert!(bar.contains("today $0.95/$1.00"), "{bar}");
    }
    let waited = opened.elapsed().as_secs();
    assert!((60..=62).contains(&waited), "woke after {waited} s");
}
