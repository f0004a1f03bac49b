//! The start screen of a bare `pixloom`: the conversations in the current
//! folder and those opened lately, to open one or start a new one by name
//! (nothing is created until the user names it).
//!
//! Elm style like the app: [`Start`] is the state, [`update`] is pure and
//! says what the driver should do next as a [`Step`], [`view`] draws from
//! `&Start`. [`run`] is the small loop around them; it shares the app's
//! terminal set-up and restore ([`super::terminal`]) and hands the opened
//! folder to the app.

pub(crate) mod listing;
pub(crate) mod run;
pub(crate) mod view;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use time::OffsetDateTime;

use super::action::{Action, Event, Msg};
use super::keymap::{Context, Key, Keymap};
use super::state::{StatusKind, StatusLine};
use super::thumbs::Thumb;
use crate::convfile::EXTENSION;
pub(crate) use listing::{Entry, EntryState, Place};

/// The longest name a new conversation may have, in bytes (the folder's
/// name adds `.pixloom`; file systems allow 255).
pub(crate) const MAX_NAME_BYTES: usize = 100;

/// Everything the start screen knows.
#[derive(Debug, Clone)]
pub(crate) struct Start {
    /// The folder new conversations are made in (the current one).
    pub(crate) here: PathBuf,
    pub(crate) entries: Vec<Entry>,
    /// The highlighted entry (0 when there are none).
    pub(crate) cursor: usize,
    /// The name typed for a new conversation, while asking for one.
    pub(crate) naming: Option<String>,
    pub status: Option<StatusLine>,
    pub(crate) keymap: Keymap,
    /// For "changed 5 min ago".
    pub now: OffsetDateTime,
    /// Thumbnails by image file name, as they arrive.
    pub thumbs: HashMap<String, Arc<Thumb>>,
}

/// What the driver does after a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Stay,
    /// Open this folder (it may fail: then [`Start::failed`]).
    Open(PathBuf),
    /// Create this new conversation folder.
    Create(PathBuf),
    Quit,
}

impl Start {
    pub(crate) fn new(
        here: PathBuf,
        entries: Vec<Entry>,
        keymap: Keymap,
        now: OffsetDateTime,
    ) -> Start {
        Start {
            here,
            entries,
            cursor: 0,
            naming: None,
            status: None,
            keymap,
            now,
            thumbs: HashMap::new(),
        }
    }

    /// The context keys are looked up in.
    pub(crate) fn context(&self) -> Context {
        if self.naming.is_some() {
            Context::Input
        } else {
            Context::Start
        }
    }

    /// Opening or creating failed: say why and stay.
    pub(crate) fn failed(&mut self, why: impl Into<String>) {
        self.status = Some(StatusLine {
            text: why.into(),
            kind: StatusKind::Error,
        });
    }

    fn hint(&self, ctx: Context, action: Action) -> String {
        self.keymap.hint(ctx, action)
    }
}

/// Applies one message; pure.
pub(crate) fn update(s: &mut Start, msg: Msg) -> Step {
    match msg {
        Msg::Action(a) => act(s, a),
        Msg::Event(Event::Key(k)) => {
            let Some(key) = Key::from_event(&k) else {
                return Step::Stay;
            };
            match s.keymap.lookup(s.context(), key) {
                Some(a) => act(s, a),
                None => {
                    if let Some(name) = &mut s.naming {
                        type_key(name, key);
                    }
                    Step::Stay
                }
            }
        }
        Msg::Event(Event::Paste(text)) => {
            // A name is one line: the first, without control characters.
            if let Some(name) = &mut s.naming {
                let line = text.lines().next().unwrap_or_default();
                name.extend(line.chars().filter(|c| !c.is_control()));
            }
            Step::Stay
        }
        Msg::Event(Event::ThumbnailReady {
            file_name,
            thumb: Ok(thumb),
            ..
        }) => {
            s.thumbs.insert(file_name, thumb);
            Step::Stay
        }
        Msg::Event(Event::Terminate(_)) => Step::Quit,
        Msg::Event(_) => Step::Stay,
    }
}

/// A key typed into the name: printable characters and backspace.
fn type_key(name: &mut String, key: Key) {
    let plain = !key
        .mods
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Char(c) if plain && !c.is_control() => name.push(c),
        KeyCode::Backspace => {
            name.pop();
        }
        _ => {}
    }
}

fn act(s: &mut Start, a: Action) -> Step {
    if s.naming.is_some() {
        return act_naming(s, a);
    }
    let last = s.entries.len().saturating_sub(1);
    match a {
        Action::MoveDown => s.cursor = (s.cursor + 1).min(last),
        Action::MoveUp => s.cursor = s.cursor.saturating_sub(1),
        Action::First => s.cursor = 0,
        Action::Last => s.cursor = last,
        Action::Confirm => return open(s),
        Action::NewConversation => {
            s.naming = Some(String::new());
            s.status = None;
            return Step::Stay;
        }
        Action::Quit | Action::Dismiss => return Step::Quit,
        _ => return Step::Stay,
    }
    s.status = None;
    Step::Stay
}

fn act_naming(s: &mut Start, a: Action) -> Step {
    match a {
        Action::Confirm => {
            let typed = s.naming.clone().unwrap_or_default();
            match new_folder(&s.here, &s.entries, &typed) {
                Ok(dir) => Step::Create(dir),
                Err(why) => {
                    s.failed(why);
                    Step::Stay
                }
            }
        }
        Action::Dismiss => {
            s.naming = None;
            s.status = None;
            Step::Stay
        }
        Action::Quit => Step::Quit,
        _ => Step::Stay,
    }
}

/// Enter on the highlighted entry.
fn open(s: &mut Start) -> Step {
    let new = s.hint(Context::Start, Action::NewConversation);
    let Some(entry) = s.entries.get(s.cursor) else {
        s.failed(format!(
            "no conversation to open yet: press {new} to start one"
        ));
        return Step::Stay;
    };
    let name = crate::sanitize::line(&entry.name()).into_owned();
    let path = crate::sanitize::line(&entry.dir.to_string_lossy()).into_owned();
    match &entry.state {
        EntryState::Ready(_) => Step::Open(entry.dir.clone()),
        EntryState::Gone => {
            s.failed(format!(
                "\"{name}\" is gone (moved or deleted): {path}. Pick another, or {new} for a new one"
            ));
            Step::Stay
        }
        EntryState::Unreadable(why) => {
            s.failed(format!(
                "\"{name}\" does not open: {}",
                crate::sanitize::line(why)
            ));
            Step::Stay
        }
    }
}

/// The folder a typed name makes in `here`, or why the name is refused.
/// `fox` and `fox.pixloom` both make `fox.pixloom`.
pub(crate) fn new_folder(here: &Path, entries: &[Entry], typed: &str) -> Result<PathBuf, String> {
    let name = typed.trim();
    let name = name
        .strip_suffix(&format!(".{EXTENSION}"))
        .unwrap_or(name)
        .trim_end();
    if name.is_empty() {
        return Err("type a name for the new conversation (esc goes back to the list)".into());
    }
    if name.contains(['/', '\\']) {
        return Err(format!(
            "a name, not a path: \"{}\" has a slash; the conversation is made in this folder",
            crate::sanitize::line(name)
        ));
    }
    if name.starts_with('.') {
        return Err("a name cannot start with a dot (that would be a hidden folder)".into());
    }
    if name.chars().any(char::is_control) {
        return Err("a name cannot hold control characters".into());
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "that name is too long ({} bytes; {MAX_NAME_BYTES} at most)",
            name.len()
        ));
    }
    let folder = format!("{name}.{EXTENSION}");
    let taken = entries
        .iter()
        .any(|e| e.place == Place::Here && e.dir.file_name().is_some_and(|f| f == folder.as_str()));
    if taken {
        return Err(format!(
            "{folder} already exists here: pick it in the list to open it, or choose another name"
        ));
    }
    Ok(here.join(folder))
}
