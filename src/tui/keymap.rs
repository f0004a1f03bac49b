//! The keymap as a table: `(context, key, action)`. The help overlay and
//! `docs/keys.md` are generated from it, so they cannot drift.
//!
//! A [`Context`] is where the keys go: the focused pane, or the open
//! overlay's kind. Lookup tries the context, then its fallback (the tree
//! falls back to browse), then [`Context::Global`].
//! Keys are written as in a config file: `j`, `G`, `?`, `enter`,
//! `alt-enter`, `ctrl-c`, `shift-tab`.
//!
//! The config file's `[keys.CONTEXT]` tables are merged over the defaults
//! ([`Keymap::with_overrides`]): `"ctrl-n" = "move-down"` adds a key,
//! `"j" = "none"` removes one.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;

/// Where a key press goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Context {
    /// Everywhere except text fields (which only see ctrl- keys from here).
    Global,
    /// The tree or the transcript has focus (they share navigation).
    Browse,
    /// The tree has focus: its own keys, then Browse's.
    Tree,
    /// The prompt editor: unbound keys type text.
    Composer,
    /// Size, model and variant pickers.
    Picker,
    /// Yes/no questions.
    Confirm,
    /// Read-only overlays: help, node info, error detail, image view.
    Dialog,
    /// One-line text input (attach, save, label, search): unbound keys
    /// type text.
    Input,
    /// The gallery of variants.
    Gallery,
    /// `pixloom replay`: read-only playback.
    Replay,
    /// A bare `pixloom`: the list of conversations to open ([`start`]).
    Start,
}

impl Context {
    pub(crate) const ALL: [Context; 11] = [
        Context::Browse,
        Context::Tree,
        Context::Composer,
        Context::Picker,
        Context::Gallery,
        Context::Confirm,
        Context::Dialog,
        Context::Input,
        Context::Replay,
        Context::Start,
        Context::Global,
    ];

    /// The name of its `[keys.NAME]` table in the config file.
    pub(crate) fn config_name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Browse => "browse",
            Context::Tree => "tree",
            Context::Composer => "composer",
            Context::Picker => "picker",
            Context::Confirm => "confirm",
            Context::Dialog => "dialog",
            Context::Input => "input",
            Context::Gallery => "gallery",
            Context::Replay => "replay",
            Context::Start => "start",
        }
    }

    /// Where a key not bound here is looked up next (before Global).
    pub(crate) fn fallback(self) -> Option<Context> {
        match self {
            Context::Tree => Some(Context::Browse),
            _ => None,
        }
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Browse => "Tree and transcript",
            Context::Composer => "Composer",
            Context::Picker => "Pickers (size, model, variants)",
            Context::Confirm => "Questions",
            Context::Dialog => "Help, info, error and image views",
            Context::Input => "Text input (attach, save, label, search)",
            Context::Tree => "Tree only",
            Context::Gallery => "Gallery",
            Context::Replay => "Replay (pixloom replay)",
            Context::Start => "Start: the conversations (a bare pixloom)",
        }
    }

    /// Whether unbound printable keys are text here.
    pub(crate) fn takes_text(self) -> bool {
        matches!(self, Context::Composer | Context::Input)
    }
}

/// A key with its modifiers, comparable with what the terminal reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) code: KeyCode,
    pub(crate) mods: KeyModifiers,
}

impl Key {
    /// The form used for matching: a character carries its own shift
    /// (`G`, `?`), so SHIFT is dropped there; Shift-Tab is `BackTab`.
    pub(crate) fn normalized(code: KeyCode, mods: KeyModifiers) -> Key {
        let mods = mods & (KeyModifiers::SHIFT | KeyModifiers::CONTROL | KeyModifiers::ALT);
        match code {
            KeyCode::Char(c) => {
                let c = if mods.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                Key {
                    code: KeyCode::Char(c),
                    mods: mods - KeyModifiers::SHIFT,
                }
            }
            KeyCode::BackTab => Key {
                code: KeyCode::BackTab,
                mods: mods - KeyModifiers::SHIFT,
            },
            _ => Key { code, mods },
        }
    }

    /// `None` for key releases (terminals with the kitty protocol send them).
    pub(crate) fn from_event(e: &KeyEvent) -> Option<Key> {
        (e.kind != KeyEventKind::Release).then(|| Key::normalized(e.code, e.modifiers))
    }
}

const NAMED: [(&str, KeyCode); 15] = [
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("shift-tab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("f1", KeyCode::F(1)),
];

impl FromStr for Key {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == s) {
            return Ok(Key::normalized(*code, KeyModifiers::NONE));
        }
        if s == "space" {
            return Ok(Key::normalized(KeyCode::Char(' '), KeyModifiers::NONE));
        }
        let mut chars = s.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(Key::normalized(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let (modifier, rest) = s
            .split_once('-')
            .ok_or_else(|| format!("unknown key {s:?}"))?;
        let m = match modifier {
            "ctrl" => KeyModifiers::CONTROL,
            "alt" => KeyModifiers::ALT,
            "shift" => KeyModifiers::SHIFT,
            _ => return Err(format!("unknown modifier in {s:?} (ctrl, alt or shift)")),
        };
        let inner: Key = rest.parse()?;
        Ok(Key::normalized(inner.code, inner.mods | m))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code == KeyCode::BackTab {
            return f.write_str("shift-tab");
        }
        for (m, name) in [
            (KeyModifiers::CONTROL, "ctrl-"),
            (KeyModifiers::ALT, "alt-"),
            (KeyModifiers::SHIFT, "shift-"),
        ] {
            if self.mods.contains(m) {
                f.write_str(name)?;
            }
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            code => match NAMED.iter().find(|(_, k)| *k == code) {
                Some((n, _)) => f.write_str(n),
                None => write!(f, "{code:?}"),
            },
        }
    }
}

/// The default bindings. Order matters for help: first key listed first.
pub(crate) const DEFAULT_BINDINGS: &[(Context, &str, Action)] = &[
    (Context::Global, "ctrl-c", Action::Quit),
    (Context::Global, "f1", Action::Help),
    // Browsing the tree and the transcript.
    (Context::Browse, "j", Action::MoveDown),
    (Context::Browse, "down", Action::MoveDown),
    (Context::Browse, "k", Action::MoveUp),
    (Context::Browse, "up", Action::MoveUp),
    (Context::Browse, "h", Action::PrevSibling),
    (Context::Browse, "[", Action::PrevSibling),
    (Context::Browse, "left", Action::PrevSibling),
    (Context::Browse, "l", Action::NextSibling),
    (Context::Browse, "]", Action::NextSibling),
    (Context::Browse, "right", Action::NextSibling),
    (Context::Browse, "g", Action::First),
    (Context::Browse, "home", Action::First),
    (Context::Browse, "G", Action::Last),
    (Context::Browse, "end", Action::Last),
    (Context::Browse, "tab", Action::CycleFocus),
    (Context::Browse, "i", Action::Compose),
    (Context::Browse, "enter", Action::Compose),
    (Context::Browse, "e", Action::Edit),
    (Context::Browse, "r", Action::Regenerate),
    (Context::Browse, "P", Action::Rerun),
    (Context::Browse, "f", Action::Refine),
    (Context::Browse, "v", Action::Variants),
    (Context::Browse, "a", Action::Attach),
    (Context::Browse, "s", Action::SizePicker),
    (Context::Browse, "m", Action::ModelPicker),
    (Context::Browse, "*", Action::Star),
    (Context::Browse, "d", Action::Delete),
    (Context::Browse, "esc", Action::Cancel),
    (Context::Browse, "R", Action::Retry),
    (Context::Browse, "T", Action::RetryLowerTier),
    (Context::Browse, "S", Action::StoreResult),
    (Context::Browse, "?", Action::Help),
    (Context::Browse, "I", Action::Info),
    (Context::Browse, "E", Action::ErrorDetail),
    (Context::Browse, "space", Action::ViewImage),
    (Context::Browse, "t", Action::ToggleTree),
    (Context::Browse, "<", Action::TreeNarrower),
    (Context::Browse, ">", Action::TreeWider),
    (Context::Browse, "z", Action::Fold),
    (Context::Browse, "/", Action::Search),
    (Context::Browse, "n", Action::SearchNext),
    (Context::Browse, "N", Action::SearchPrev),
    (Context::Browse, "V", Action::Gallery),
    (Context::Browse, "c", Action::Compare),
    (Context::Browse, "o", Action::OpenImage),
    (Context::Browse, "O", Action::SaveImage),
    (Context::Browse, "y", Action::CopyPath),
    (Context::Browse, "L", Action::Label),
    (Context::Browse, "q", Action::Quit),
    // The composer: other keys edit the text.
    (Context::Composer, "enter", Action::Send),
    (Context::Composer, "alt-enter", Action::Newline),
    (Context::Composer, "shift-enter", Action::Newline),
    (Context::Composer, "esc", Action::Dismiss),
    (Context::Composer, "tab", Action::CycleFocus),
    (Context::Composer, "alt-a", Action::Attach),
    (Context::Composer, "alt-x", Action::Detach),
    (Context::Composer, "alt-r", Action::NewRoot),
    (Context::Composer, "alt-s", Action::SizePicker),
    (Context::Composer, "alt-m", Action::ModelPicker),
    // `?` in an empty composer opens help (handled in `update`); f1
    // comes from Global, as in every text field.
    // Pickers.
    (Context::Picker, "k", Action::MoveUp),
    (Context::Picker, "up", Action::MoveUp),
    (Context::Picker, "j", Action::MoveDown),
    (Context::Picker, "down", Action::MoveDown),
    (Context::Picker, "h", Action::MoveLeft),
    (Context::Picker, "left", Action::MoveLeft),
    (Context::Picker, "l", Action::MoveRight),
    (Context::Picker, "right", Action::MoveRight),
    (Context::Picker, "enter", Action::Confirm),
    (Context::Picker, "esc", Action::Dismiss),
    (Context::Picker, "q", Action::Dismiss),
    // The gallery.
    (Context::Gallery, "h", Action::MoveLeft),
    (Context::Gallery, "left", Action::MoveLeft),
    (Context::Gallery, "l", Action::MoveRight),
    (Context::Gallery, "right", Action::MoveRight),
    (Context::Gallery, "k", Action::MoveUp),
    (Context::Gallery, "up", Action::MoveUp),
    (Context::Gallery, "j", Action::MoveDown),
    (Context::Gallery, "down", Action::MoveDown),
    (Context::Gallery, "enter", Action::Confirm),
    (Context::Gallery, "c", Action::Compare),
    (Context::Gallery, "esc", Action::Dismiss),
    (Context::Gallery, "q", Action::Dismiss),
    (Context::Gallery, "V", Action::Dismiss),
    // Questions.
    (Context::Confirm, "y", Action::Confirm),
    (Context::Confirm, "enter", Action::Confirm),
    (Context::Confirm, "n", Action::Dismiss),
    (Context::Confirm, "esc", Action::Dismiss),
    (Context::Confirm, "S", Action::StoreResult),
    // Read-only overlays.
    (Context::Dialog, "esc", Action::Dismiss),
    (Context::Dialog, "q", Action::Dismiss),
    (Context::Dialog, "enter", Action::Dismiss),
    (Context::Dialog, "?", Action::Dismiss),
    (Context::Dialog, "j", Action::MoveDown),
    (Context::Dialog, "down", Action::MoveDown),
    (Context::Dialog, "k", Action::MoveUp),
    (Context::Dialog, "up", Action::MoveUp),
    (Context::Dialog, "pagedown", Action::PageDown),
    (Context::Dialog, "pageup", Action::PageUp),
    (Context::Dialog, "R", Action::Retry),
    (Context::Dialog, "T", Action::RetryLowerTier),
    (Context::Dialog, "S", Action::StoreResult),
    // Text input.
    (Context::Input, "enter", Action::Confirm),
    (Context::Input, "esc", Action::Dismiss),
    (Context::Input, "tab", Action::Complete),
    // Replay: read-only, so only these (no compose, send, delete…).
    (Context::Replay, "space", Action::Step),
    (Context::Replay, "j", Action::Step),
    (Context::Replay, "down", Action::Step),
    (Context::Replay, "backspace", Action::StepBack),
    (Context::Replay, "k", Action::StepBack),
    (Context::Replay, "up", Action::StepBack),
    (Context::Replay, "p", Action::PlayPause),
    (Context::Replay, "+", Action::Faster),
    (Context::Replay, "=", Action::Faster),
    (Context::Replay, "-", Action::Slower),
    (Context::Replay, "h", Action::PrevSibling),
    (Context::Replay, "[", Action::PrevSibling),
    (Context::Replay, "left", Action::PrevSibling),
    (Context::Replay, "l", Action::NextSibling),
    (Context::Replay, "]", Action::NextSibling),
    (Context::Replay, "right", Action::NextSibling),
    (Context::Replay, "g", Action::First),
    (Context::Replay, "G", Action::Last),
    (Context::Replay, "/", Action::Search),
    (Context::Replay, "n", Action::SearchNext),
    (Context::Replay, "N", Action::SearchPrev),
    (Context::Replay, "V", Action::Gallery),
    (Context::Replay, "c", Action::Compare),
    (Context::Replay, "o", Action::OpenImage),
    (Context::Replay, "y", Action::CopyPath),
    (Context::Replay, "I", Action::Info),
    (Context::Replay, "P", Action::Rerun),
    (Context::Replay, "E", Action::ErrorDetail),
    (Context::Replay, "t", Action::ToggleTree),
    (Context::Replay, "<", Action::TreeNarrower),
    (Context::Replay, ">", Action::TreeWider),
    (Context::Replay, "?", Action::Help),
    (Context::Replay, "q", Action::Quit),
];

/// What `action` does in `ctx`: the action's own words, unless the
/// context gives it a narrower meaning.
pub(crate) fn describe(ctx: Context, action: Action) -> &'static str {
    if let Some(said) = start::describe(ctx, action) {
        return said;
    }
    match (ctx, action) {
        (Context::Picker, Action::MoveUp) => "cursor up (more variants)",
        (Context::Picker, Action::MoveDown) => "cursor down (fewer variants)",
        (Context::Picker, Action::Confirm) => "choose",
        (Context::Dialog, Action::MoveDown) => {
            "scroll down (help, info, error); compare: next step"
        }
        (Context::Dialog, Action::MoveUp) => {
            "scroll up (help, info, error); compare: previous step"
        }
        (Context::Composer, Action::Dismiss) => {
            "back to the tree (the text stays; an edit or refine ends)"
        }
        (Context::Confirm, Action::Confirm) => "yes",
        (Context::Confirm, Action::Dismiss) => "no",
        (Context::Dialog | Context::Picker | Context::Gallery, Action::Dismiss) => "close",
        (Context::Input, Action::Confirm) => "accept (attach, save, label, search)",
        (Context::Input, Action::Dismiss) => "cancel (a search goes back where it started)",
        (Context::Gallery, Action::Confirm) => "select this variant",
        (Context::Gallery, Action::MoveUp | Action::MoveDown) => "row up / down",
        (Context::Replay, Action::Rerun) => {
            "re-run from here: opens the conversation, asks, says the price"
        }
        (Context::Replay, Action::PrevSibling | Action::NextSibling) => {
            "another branch here (the rest follows it)"
        }
        (Context::Replay, Action::First) => "back to the first turn",
        (Context::Replay, Action::Last) => "to the end of the branch",
        (Context::Replay, Action::Quit) => "leave the replay",
        _ => action.describe(),
    }
}

/// One binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) context: Context,
    pub(crate) key: Key,
    pub(crate) action: Action,
}

/// The bindings in force.
#[derive(Debug, Clone)]
pub(crate) struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = start::BINDINGS
            .iter()
            .chain(DEFAULT_BINDINGS)
            .filter_map(|&(context, key, action)| {
                // A typo in the table is caught by `every_default_key_parses`.
                key.parse().ok().map(|key| Binding {
                    context,
                    key,
                    action,
                })
            })
            .collect();
        Keymap { bindings }
    }
}

/// The config file's `[keys]` table: context name → key → action name
/// (or `none`).
pub(crate) type KeyTable = BTreeMap<String, BTreeMap<String, String>>;

/// What unbinds a key in the config file.
pub(crate) const UNBIND: &str = "none";

impl Keymap {
    /// The defaults with the config file's `[keys]` merged over them. A
    /// key bound in a context replaces that key's default binding there
    /// and comes first in help and hints. Errors name the table and key.
    pub(crate) fn with_overrides(table: &KeyTable) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        let mut added = Vec::new();
        for (ctx_name, keys) in table {
            let context = Context::ALL
                .into_iter()
                .find(|c| c.config_name() == ctx_name)
                .ok_or_else(|| {
                    let names: Vec<&str> = Context::ALL.iter().map(|c| c.config_name()).collect();
                    format!(
                        "[keys.{ctx_name}]: no such context (use {})",
                        names.join(", ")
                    )
                })?;
            for (key_text, action_name) in keys {
                let key: Key = key_text
                    .parse()
                    .map_err(|e| format!("[keys.{ctx_name}] {key_text:?}: {e}"))?;
                map.bindings
                    .retain(|b| !(b.context == context && b.key == key));
                if action_name == UNBIND {
                    continue;
                }
                let action: Action =
                    serde_json::from_value(serde_json::Value::String(action_name.clone()))
                        .map_err(|_| {
                            format!(
                                "[keys.{ctx_name}] {key_text:?} = {action_name:?}: no such action \
                                 (the names are listed in docs/keys.md; {UNBIND:?} unbinds)"
                            )
                        })?;
                added.push(Binding {
                    context,
                    key,
                    action,
                });
            }
        }
        added.append(&mut map.bindings);
        map.bindings = added;
        Ok(map)
    }

    #[cfg(test)]
    pub(crate) fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action bound to `key` in `context`, else in `Global` (text
    /// inputs only take Global's ctrl- and function keys, so typing is
    /// never stolen).
    pub(crate) fn lookup(&self, context: Context, key: Key) -> Option<Action> {
        let find = |ctx: Context| {
            self.bindings
                .iter()
                .find(|b| b.context == ctx && b.key == key)
                .map(|b| b.action)
        };
        find(context)
            .or_else(|| context.fallback().and_then(find))
            .or_else(|| {
                // Function keys never type text, so f1 is help everywhere.
                let global_ok = !context.takes_text()
                    || key.mods.contains(KeyModifiers::CONTROL)
                    || matches!(key.code, KeyCode::F(_));
                if global_ok {
                    find(Context::Global)
                } else {
                    None
                }
            })
    }

    /// The keys for `action` in `context`, in table order: `j down`.
    pub(crate) fn keys_for(&self, context: Context, action: Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|b| b.context == context && b.action == action)
            .map(|b| b.key)
            .collect()
    }

    /// The first key for `action` in `context` (or in its fallback, when
    /// not taken over there), for hints (`R`).
    pub(crate) fn hint(&self, context: Context, action: Action) -> String {
        let own = self.keys_for(context, action);
        let key = own.first().copied().or_else(|| {
            let back = context.fallback()?;
            self.keys_for(back, action)
                .into_iter()
                .find(|k| self.lookup(context, *k) == Some(action))
        });
        key.map(|k| k.to_string()).unwrap_or_default()
    }

    /// Help, section by section: each context with one row per action
    /// (its keys joined, `j down`), in table order.
    pub(crate) fn help_sections(&self) -> Vec<(Context, Vec<(String, Action)>)> {
        Context::ALL
            .iter()
            .map(|&ctx| {
                let mut rows: Vec<(String, Action)> = Vec::new();
                for b in self.bindings.iter().filter(|b| b.context == ctx) {
                    if rows.iter().any(|(_, a)| *a == b.action) {
                        continue;
                    }
                    let keys: Vec<String> = self
                        .keys_for(ctx, b.action)
                        .into_iter()
                        .map(|k| self.key_label(ctx, k))
                        .collect();
                    rows.push((keys.join(" "), b.action));
                }
                (ctx, rows)
            })
            .filter(|(_, rows)| !rows.is_empty())
            .collect()
    }

    /// A key as help lists it under `ctx`: `space (not in tree)` where a
    /// context falling back to `ctx` gives it another meaning (a config
    /// binding `[keys.tree]` over browse), so help never claims a key
    /// does there what it does not.
    fn key_label(&self, ctx: Context, key: Key) -> String {
        let own = self.lookup(ctx, key);
        let elsewhere: Vec<&str> = Context::ALL
            .into_iter()
            .filter(|d| d.fallback() == Some(ctx) && self.lookup(*d, key) != own)
            .map(Context::config_name)
            .collect();
        if elsewhere.is_empty() {
            key.to_string()
        } else {
            format!("{key} (not in {})", elsewhere.join(", "))
        }
    }
}

#[cfg(test)]
mod markdown;
mod start;

#[cfg(test)]
mod tests;
