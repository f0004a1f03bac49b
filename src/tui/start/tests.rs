//! The start screen: `update` as a table (keys → step and state), the
//! view on a `TestBackend` (snapshots), the listing of real folders, and
//! the loop opening and creating real folders.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
use time::macros::datetime;

use super::listing::Summary;
use super::run::Chosen;
use super::*;
use crate::convfile::{self, ConvFolder};
use crate::tui::fixtures::image;

const HERE: &str = "/home/u/work";

fn now() -> OffsetDateTime {
    datetime!(2026-12-05 15:00 UTC)
}

fn ready(title: &str, turns: usize, minutes_ago: i64, latest: Option<&str>) -> EntryState {
    EntryState::Ready(Summary {
        title: title.to_owned(),
        turns,
        changed: Some(now() - time::Duration::minutes(minutes_ago)),
        latest: latest.map(|sha| image(sha, 1280, 720).original),
    })
}

fn entry(dir: &str, place: Place, state: EntryState) -> Entry {
    Entry {
        dir: PathBuf::from(dir),
        place,
        state,
    }
}

/// fox and a damaged one here; cat, a gone one, opened lately.
fn listed() -> Start {
    let entries = vec![
        entry(
            "/home/u/work/fox.pixloom",
            Place::Here,
            ready("fox", 12, 5, Some("aa")),
        ),
        entry(
            "/home/u/work/broken.pixloom",
            Place::Here,
            EntryState::Unreadable("conversation.json is damaged at line 3".into()),
        ),
        entry(
            "/home/u/art/cat.pixloom",
            Place::Recent,
            ready("cat \u{1b}[31mred", 1, 60 * 30, None),
        ),
        entry("/tmp/old.pixloom", Place::Recent, EntryState::Gone),
    ];
    let mut s = Start::new(PathBuf::from(HERE), entries, Keymap::default(), now());
    let (cols, rows) = view::thumb_size(&image("aa", 1280, 720).original);
    let cells = (0..cols * rows)
        .map(|i| ([200, 80, (i * 9 % 256) as u8], [20, 40, 90]))
        .collect();
    s.thumbs.insert(
        "aa.png".to_owned(),
        Arc::new(Thumb::from_cells(cols, rows, cells)),
    );
    s
}

fn nothing() -> Start {
    Start::new(PathBuf::from(HERE), Vec::new(), Keymap::default(), now())
}

/// A key as the terminal reports it, written as in the keymap (`enter`,
/// `G`, `ctrl-c`).
fn press(k: &str) -> Msg {
    let key: Key = k.parse().expect("a key");
    Msg::Event(Event::Key(KeyEvent::new(key.code, key.mods)))
}

fn keys(s: &mut Start, ks: &[&str]) -> Step {
    let mut last = Step::Stay;
    for k in ks {
        last = update(s, press(k));
    }
    last
}

/// Keys → the last step, the cursor, the name being typed and a piece of
/// the status line (`""`: no status).
#[test]
fn keys_do_what_the_start_screen_says() {
    let here = |f: &str| Step::Create(Path::new(HERE).join(f));
    type Case = (
        fn() -> Start,
        &'static [&'static str],
        Step,
        usize,
        Option<&'static str>,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            listed,
            &["enter"],
            Step::Open("/home/u/work/fox.pixloom".into()),
            0,
            None,
            "",
        ),
        (
            listed,
            &["j", "j", "enter"],
            Step::Open("/home/u/art/cat.pixloom".into()),
            2,
            None,
            "",
        ),
        (
            listed,
            &["down", "up", "k", "enter"],
            Step::Open("/home/u/work/fox.pixloom".into()),
            0,
            None,
            "",
        ),
        (
            listed,
            &["j", "j", "j", "j", "j", "j"],
            Step::Stay,
            3,
            None,
            "",
        ),
        (
            listed,
            &["G", "enter"],
            Step::Stay,
            3,
            None,
            "\"old\" is gone (moved or deleted): /tmp/old.pixloom. Pick another, or n for a new one",
        ),
        (
            listed,
            &["G", "g", "j", "enter"],
            Step::Stay,
            1,
            None,
            "\"broken\" does not open: conversation.json is damaged at line 3",
        ),
        (listed, &["G", "enter", "k"], Step::Stay, 2, None, ""),
        (listed, &["q"], Step::Quit, 0, None, ""),
        (listed, &["esc"], Step::Quit, 0, None, ""),
        (listed, &["ctrl-c"], Step::Quit, 0, None, ""),
        (listed, &["n"], Step::Stay, 0, Some(""), ""),
        (
            listed,
            &["n", "o", "w", "l", "enter"],
            here("owl.pixloom"),
            0,
            Some("owl"),
            "",
        ),
        (
            listed,
            &[
                "n",
                "o",
                "w",
                "x",
                "backspace",
                "l",
                ".",
                "p",
                "i",
                "x",
                "l",
                "o",
                "o",
                "m",
                "enter",
            ],
            here("owl.pixloom"),
            0,
            Some("owl.pixloom"),
            "",
        ),
        (
            listed,
            &["n", "f", "o", "x", "enter"],
            Step::Stay,
            0,
            Some("fox"),
            "fox.pixloom already exists here: pick it in the list to open it, or choose another name",
        ),
        (
            listed,
            &["n", "a", "/", "b", "enter"],
            Step::Stay,
            0,
            Some("a/b"),
            "a name, not a path",
        ),
        (
            listed,
            &["n", ".", "x", "enter"],
            Step::Stay,
            0,
            Some(".x"),
            "cannot start with a dot",
        ),
        (
            listed,
            &["n", "space", "enter"],
            Step::Stay,
            0,
            Some(" "),
            "type a name for the new conversation",
        ),
        // In the name, q and j are letters; esc goes back to the list.
        (listed, &["n", "q", "j"], Step::Stay, 0, Some("qj"), ""),
        (listed, &["n", "q", "esc", "j"], Step::Stay, 1, None, ""),
        (listed, &["n", "q", "esc", "q"], Step::Quit, 0, None, ""),
        (listed, &["n", "x", "ctrl-c"], Step::Quit, 0, Some("x"), ""),
        (
            nothing,
            &["enter"],
            Step::Stay,
            0,
            None,
            "no conversation to open yet: press n to start one",
        ),
        (nothing, &["j", "G", "k"], Step::Stay, 0, None, ""),
        (
            nothing,
            &["n", "f", "o", "x", "enter"],
            here("fox.pixloom"),
            0,
            Some("fox"),
            "",
        ),
    ];
    for (i, (make, ks, step, cursor, naming, status)) in cases.iter().enumerate() {
        let mut s = make();
        let got = keys(&mut s, ks);
        let case = format!("case {i}: {ks:?}");
        assert_eq!(&got, step, "{case}");
        assert_eq!(s.cursor, *cursor, "{case}");
        assert_eq!(s.naming.as_deref(), *naming, "{case}");
        let shown = s
            .status
            .as_ref()
            .map(|l| l.text.clone())
            .unwrap_or_default();
        if status.is_empty() {
            assert_eq!(shown, "", "{case}");
        } else {
            assert!(shown.contains(status), "{case}: {shown:?}");
        }
    }
}

#[test]
fn a_name_is_one_line_and_the_signals_quit() {
    let mut s = listed();
    update(&mut s, press("n"));
    update(
        &mut s,
        Msg::Event(Event::Paste("my\u{1b}[2Jfox\nsecond line".into())),
    );
    assert_eq!(s.naming.as_deref(), Some("my[2Jfox"));
    let long = "x".repeat(MAX_NAME_BYTES + 1);
    let err = new_folder(Path::new(HERE), &s.entries, &long).unwrap_err();
    assert!(err.contains("too long (101 bytes; 100 at most)"), "{err}");
    assert_eq!(
        update(&mut s, Msg::Event(Event::Terminate("SIGTERM"))),
        Step::Quit
    );
    // Keys with alt or ctrl do not type.
    let mut s = nothing();
    update(&mut s, press("n"));
    update(
        &mut s,
        Msg::Event(Event::Key(KeyEvent::new(
            KeyCode::Char('z'),
            KeyModifiers::ALT,
        ))),
    );
    assert_eq!(s.naming.as_deref(), Some(""));
}

fn screen(s: &Start, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    t.draw(|f| view::draw(f, s)).expect("draws");
    t.backend().to_string()
}

#[test]
fn the_list_shows_title_turns_change_place_and_picture() {
    let s = listed();
    let text = screen(&s, 100, 30);
    insta::assert_snapshot!("start_listed_100x30", text);
    for piece in [
        "fox  here",
        "12 turns · changed 5 min ago",
        "fox.pixloom",
        "cat [31mred  opened lately",
        "1 turn · changed 1 day ago",
        "/home/u/art/cat.pixloom",
        "gone: moved or deleted since it was opened",
        "does not open: conversation.json is damaged",
        "2 here · 2 opened lately",
        "enter open · n new · j/k move · q quit",
        "▀▀▀▀▀▀▀▀▀▀▀",
    ] {
        assert!(text.contains(piece), "{piece:?} missing:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "an escape reached the screen");
    // At 80×24 the cursor's entry stays in view when the list scrolls.
    let mut s = listed();
    s.entries = (0..12)
        .map(|i| {
            entry(
                &format!("/w/c{i}.pixloom"),
                Place::Here,
                ready(&format!("conv {i}"), i, 1, None),
            )
        })
        .collect();
    keys(&mut s, &["G"]);
    let text = screen(&s, 80, 24);
    insta::assert_snapshot!("start_scrolled_80x24", text);
    assert!(
        text.contains("conv 11") && !text.contains("conv 0 "),
        "{text}"
    );
}

#[test]
fn with_nothing_to_list_n_is_the_next_step() {
    let text = screen(&nothing(), 80, 24);
    insta::assert_snapshot!("start_empty_80x24", text);
    assert!(text.contains("No conversations in /home/u/work, and none opened lately."));
    assert!(text.contains("Press n to start one"));
}

#[test]
fn naming_shows_the_name_and_why_it_is_refused() {
    let mut s = listed();
    keys(&mut s, &["n", "f", "o", "x", "enter"]);
    let text = screen(&s, 100, 30);
    insta::assert_snapshot!("start_naming_refused_100x30", text);
    assert!(text.contains("New conversation: its name (made in /home/u/work)"));
    assert!(text.contains("fox█"));
    assert!(text.contains("enter create · esc back"));
    assert!(text.contains("fox.pixloom already exists here"));
}

#[test]
fn the_listing_reads_folders_here_and_remembered() {
    let home = tempfile::tempdir().unwrap();
    let here = home.path().join("work");
    let elsewhere = home.path().join("art");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let make = |dir: PathBuf| ConvFolder::open_or_create(dir, now()).unwrap();
    drop(make(here.join("fox.pixloom")));
    drop(make(here.join("owl.pixloom")));
    drop(make(elsewhere.join("cat.pixloom")));
    // Not conversations: a plain folder and a file with the extension.
    std::fs::create_dir_all(here.join("empty.pixloom")).unwrap();
    std::fs::write(here.join("note.pixloom"), "x").unwrap();
    let recent = vec![
        here.join("fox.pixloom"),
        elsewhere.join("cat.pixloom"),
        home.path().join("gone.pixloom"),
    ];
    let entries = listing::gather(&here, &recent);
    let got: Vec<(String, Place, bool)> = entries
        .iter()
        .map(|e| (e.name(), e.place, matches!(e.state, EntryState::Ready(_))))
        .collect();
    assert_eq!(got.len(), 4, "{got:?}");
    let mut local: Vec<&str> = got[..2].iter().map(|(n, _, _)| n.as_str()).collect();
    local.sort_unstable();
    assert_eq!(local, ["fox", "owl"]);
    assert!(got[..2].iter().all(|(_, p, ok)| *p == Place::Here && *ok));
    assert_eq!(got[2], ("cat".into(), Place::Recent, true));
    assert_eq!(got[3], ("gone".into(), Place::Recent, false));
    assert_eq!(entries[3].state, EntryState::Gone);
}

/// The loop on a test backend with real folders: Enter opens the
/// highlighted one (locked), a folder another process holds says so and
/// stays, `n` + a name creates it, and quitting creates nothing.
#[tokio::test]
async fn the_loop_opens_creates_and_creates_nothing_on_quit() {
    let home = tempfile::tempdir().unwrap();
    let here = home.path().to_path_buf();
    drop(ConvFolder::open_or_create(here.join("fox.pixloom"), now()).unwrap());
    drop(ConvFolder::open_or_create(here.join("owl.pixloom"), now()).unwrap());
    let run = |ks: &'static [&'static str]| {
        let here = here.clone();
        async move {
            let mut s = Start::new(
                here.clone(),
                listing::gather(&here, &[]),
                Keymap::default(),
                now(),
            );
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            for k in ks {
                tx.send(press(k)).unwrap();
            }
            drop(tx);
            let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
            let chosen = run::drive(&mut s, &mut rx, &mut t).await.unwrap();
            (chosen, s, t.backend().to_string())
        }
    };
    let listing_before: Vec<PathBuf> = std::fs::read_dir(&here)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let (chosen, _, _) = run(&["q"]).await;
    assert!(matches!(chosen, Chosen::Quit));
    let (chosen, _, _) = run(&["esc"]).await;
    assert!(matches!(chosen, Chosen::Quit));
    let listing_after: Vec<PathBuf> = std::fs::read_dir(&here)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        listing_before.len(),
        listing_after.len(),
        "quitting created something"
    );

    let (chosen, s, _) = run(&["j", "enter"]).await;
    let Chosen::Open { folder, loaded } = chosen else {
        panic!("nothing opened")
    };
    let opened = s.entries[1].dir.clone();
    assert_eq!(folder.dir, opened);
    assert_eq!(loaded.conv.title, convfile::folder_title(&opened));
    // Held by "another process" (this folder's lock): said, and the
    // screen stays (until its input ends).
    let (chosen, s, text) = run(&["j", "enter"]).await;
    assert!(matches!(chosen, Chosen::Quit), "a held folder opened twice");
    let why = s.status.map(|l| l.text).unwrap_or_default();
    assert!(why.contains("is open in another pixloom process"), "{why}");
    assert!(text.contains("is open in another pixloom"), "{text}");
    drop(folder);

    let (chosen, _, _) = run(&["n", "e", "m", "u", "enter"]).await;
    let Chosen::Open { folder, loaded } = chosen else {
        panic!("nothing created")
    };
    assert_eq!(folder.dir, here.join("emu.pixloom"));
    assert!(here.join("emu.pixloom/conversation.json").is_file());
    assert_eq!(
        (loaded.conv.title.as_str(), loaded.conv.nodes.len()),
        ("emu", 0)
    );
}
