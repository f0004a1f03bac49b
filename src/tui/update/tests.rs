//! `update` as data: a start state, messages, then the effects and the
//! parts of the state that matter. The table covers every action.

use std::collections::BTreeSet;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::fixtures::n;

pub(super) fn key(c: char) -> Msg {
    Msg::Event(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

pub(super) fn typed(s: &str) -> Vec<Msg> {
    s.chars().map(key).collect()
}

pub(super) fn run(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|m| update(app, m)).collect()
}

/// What a case expects; `None` fields are not checked.
#[derive(Debug, Clone)]
pub(super) struct Expect {
    pub(crate) selected: Option<u32>,
    pub(crate) focus: Focus,
    pub overlay: Overlay,
    pub(crate) effects: Vec<Effect>,
    pub(crate) nodes: Option<usize>,
    pub in_flight: Option<Vec<u32>>,
    /// A piece of the status line.
    pub status: Option<&'static str>,
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            selected: None,
            focus: Focus::Tree,
            overlay: Overlay::None,
            effects: Vec::new(),
            nodes: None,
            in_flight: None,
            status: None,
        }
    }
}

pub(super) fn acts(a: &[Action]) -> Vec<Msg> {
    a.iter().map(|&a| Msg::Action(a)).collect()
}

#[test]
fn every_action_as_data() {
    let mut cases = super::nav_cases::cases();
    cases.extend(super::turn_cases::cases());
    cases.extend(super::tool_tests::cases());
    let mut covered = BTreeSet::new();
    for (name, mut app, msgs, want) in cases {
        for m in &msgs {
            if let Msg::Action(a) = m {
                covered.insert(*a);
            }
        }
        let effects = run(&mut app, msgs);
        assert_eq!(effects, want.effects, "{name}: effects");
        assert_eq!(app.conv.selected, want.selected.map(n), "{name}: selected");
        assert_eq!(app.focus, want.focus, "{name}: focus");
        assert_eq!(app.overlay, want.overlay, "{name}: overlay");
        if let Some(len) = want.nodes {
            assert_eq!(app.conv.len(), len, "{name}: nodes");
        }
        if let Some(ids) = want.in_flight {
            assert_eq!(
                app.in_flight.keys().map(|k| k.0).collect::<Vec<_>>(),
                ids,
                "{name}: in flight"
            );
        }
        if let Some(piece) = want.status {
            let status = app
                .status
                .as_ref()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            assert!(
                status.contains(piece),
                "{name}: status {status:?} lacks {piece:?}"
            );
        }
        assert_eq!(app.conv.check(), Ok(()), "{name}: tree invariants");
    }
    let missing: Vec<_> = Action::ALL
        .iter()
        .filter(|a| !covered.contains(a))
        .collect();
    assert!(missing.is_empty(), "actions without a case: {missing:?}");
}
