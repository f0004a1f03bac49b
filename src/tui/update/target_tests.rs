//! The composer's target as tables: a state, the keys a user presses, the
//! title the composer shows (read off the drawn screen), then Enter and
//! where the new prompt landed in the tree. Written against keys, the
//! screen and the tree only, so each row also runs on the code before the
//! target was data (issue 10 §1: `e`, Esc, `G`, `i` still said "editing
//! n1"; clearing and sending made a root without history).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::fixtures::{branched, branched_at, empty, n};
use pixloom_core::tree::Role;

/// Keys as typed: characters, and `<esc>`, `<enter>`, `<tab>`, `<bs>`,
/// `<alt-r>`, `<alt-x>` for the named ones.
pub(super) fn keys(s: &str) -> Vec<Msg> {
    let ev = |code, mods| Msg::Event(Event::Key(KeyEvent::new(code, mods)));
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
            && end > 1
        {
            let (code, mods) = match &rest[1..end] {
                "esc" => (KeyCode::Esc, KeyModifiers::NONE),
                "enter" => (KeyCode::Enter, KeyModifiers::NONE),
                "tab" => (KeyCode::Tab, KeyModifiers::NONE),
                "bs" => (KeyCode::Backspace, KeyModifiers::NONE),
                "alt-r" => (KeyCode::Char('r'), KeyModifiers::ALT),
                "alt-x" => (KeyCode::Char('x'), KeyModifiers::ALT),
                other => panic!("no key <{other}>"),
            };
            out.push(ev(code, mods));
            rest = &rest[end + 1..];
        } else {
            let mods = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            out.push(ev(KeyCode::Char(c), mods));
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The whole screen as drawn, `w` columns by 30 rows.
pub(super) fn screen(app: &App, w: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, 30)).expect("a test terminal");
    t.draw(|f| {
        crate::tui::view::draw(f, app);
    })
    .expect("draws");
    t.backend().to_string()
}

/// The composer's title as drawn: the last top border on the screen.
pub(super) fn composer_title(app: &App) -> String {
    let screen = screen(app, 160);
    let line = screen
        .lines()
        .map(|l| l.trim_matches('"'))
        .rfind(|l| l.starts_with('┌'))
        .expect("the composer's border");
    line.trim_start_matches('┌')
        .trim_end_matches(['─', '┐'])
        .trim()
        .to_owned()
}

/// The prompts the tree holds, by id.
fn user_turns(app: &App) -> Vec<NodeId> {
    app.conv
        .nodes
        .values()
        .filter(|n| n.role == Role::User)
        .map(|n| n.id)
        .collect()
}

/// `n` backspaces: clearing what is there.
fn cleared(n: usize) -> String {
    "<bs>".repeat(n)
}

struct Row {
    name: &'static str,
    app: App,
    keys: String,
    /// What the composer's title says after the keys.
    title: &'static str,
    /// Enter, then: the new prompt's parent (`None`: a new root) and text.
    parent: Option<u32>,
    text: &'static str,
}

fn row(
    name: &'static str,
    app: App,
    keys: impl Into<String>,
    title: &'static str,
    parent: Option<u32>,
    text: &'static str,
) -> Row {
    Row {
        name,
        app,
        keys: keys.into(),
        title,
        parent,
        text,
    }
}

/// Fixture: n1 › fox ─ n2 ◆ ─ n4 › make it dusk ─ n5 ◆ (selected); n3 ◆
/// under n1; n6 › an edit of n1 (a second root) ─ n7 ✗.
#[test]
fn the_composer_title_says_what_enter_does_and_enter_does_it() {
    let long = "a red fox in snow, golden hour, telephoto".len();
    let rows = vec![
        row(
            "the issue: e on a root, Esc, G, i, clear, send is a reply, not a root",
            branched_at(1),
            format!("e<esc>Gi{}a moon", cleared(long)),
            "reply under n5 · draft kept from \"new branch beside n1 (a new root, no history)\"",
            Some(5),
            "a moon",
        ),
        row(
            "e then Enter: a new branch beside the prompt",
            branched_at(4),
            "e now",
            "new branch beside n4",
            Some(2),
            "make it dusk now",
        ),
        row(
            "e on an image edits its prompt, beside it",
            branched_at(5),
            "e, at night",
            "new branch beside n4",
            Some(2),
            "make it dusk, at night",
        ),
        row(
            "f then Enter: a new prompt under the image",
            branched(),
            "fmore snow",
            "refine n5",
            Some(5),
            "more snow",
        ),
        row(
            "a refine left with Esc does not outlive it: the draft follows the selection",
            branched_at(2),
            "fsnow<esc>li",
            "reply under n3 · draft kept from \"refine n2\"",
            Some(3),
            "snow",
        ),
        row(
            "an edit left with Tab does not outlive it",
            branched_at(4),
            "e<tab><tab><tab>",
            "reply under n5 · draft kept from \"new branch beside n4\"",
            Some(5),
            "make it dusk",
        ),
        row(
            "e, Esc, e on the same prompt resumes the edited draft",
            branched_at(4),
            "e now<esc>e",
            "new branch beside n4",
            Some(2),
            "make it dusk now",
        ),
        row(
            "an edit of a root says it makes a root without history",
            branched_at(1),
            "e, watercolor",
            "new branch beside n1 (a new root, no history)",
            None,
            "a red fox in snow, golden hour, telephoto, watercolor",
        ),
        row(
            "i continues the branch under its end",
            branched_at(1),
            "ia moon",
            "reply under n5",
            Some(5),
            "a moon",
        ),
        row(
            "i on the failed branch replies under its end",
            branched_at(6),
            "iagain",
            "reply under n7",
            Some(7),
            "again",
        ),
        row(
            "an empty tree starts the conversation",
            empty(),
            "ia fox",
            "start the conversation",
            None,
            "a fox",
        ),
        row(
            "alt-r asks for a new root",
            branched(),
            "i<alt-r>a cat",
            "new conversation root (no history)",
            None,
            "a cat",
        ),
        row(
            "alt-r again goes back to the reply",
            branched(),
            "i<alt-r><alt-r>a cat",
            "reply under n5",
            Some(5),
            "a cat",
        ),
        row(
            "after a send the composer replies under what was sent",
            branched(),
            "ia moon<enter>brighter",
            "reply under n9",
            Some(9),
            "brighter",
        ),
        row(
            "the edited prompt deleted meanwhile: the draft replies where the selection is",
            branched_at(4),
            "e<esc>dyi",
            "reply under n2 · draft kept from \"new branch beside n4\"",
            Some(2),
            "make it dusk",
        ),
    ];
    let mut failures = Vec::new();
    for Row {
        name,
        mut app,
        keys: k,
        title,
        parent,
        text,
    } in rows
    {
        run_msgs(&mut app, keys(&k));
        let shown = composer_title(&app);
        let before = user_turns(&app);
        run_msgs(&mut app, keys("<enter>"));
        let added: Vec<NodeId> = user_turns(&app)
            .into_iter()
            .filter(|id| !before.contains(id))
            .collect();
        let landed = match added.as_slice() {
            [one] => app.conv.node(*one).ok().map(|n| (n.parent, n.text())),
            _ => None,
        };
        let want = Some((parent.map(n), text.to_owned()));
        if shown != title || landed != want {
            failures.push(format!(
                "{name}:\n  title  {shown:?}\n  wanted {title:?}\n  sent   {landed:?}\n  wanted {want:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn run_msgs(app: &mut App, msgs: Vec<Msg>) {
    for m in msgs {
        update(app, m);
    }
}
