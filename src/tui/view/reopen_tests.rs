//! Reopening a conversation as `pixloom CONV` does (folder, session, app
//! state), drawn on a `TestBackend`: the size, model and endpoint picked
//! with `s` / `m` come back, a flag still beats them, a hostile saved
//! value is refused with a message, and the status bar says what the
//! conversation cost so far, not $0.00. A replay shows the total too.

use std::time::Instant;

use super::tests::{screen, with};
use crate::cli::Session;
use crate::config::Config;
use crate::convfile::ConvFolder;
use crate::tui::action::Action;
use crate::tui::fixtures::{T0, branched, empty, replaying, size};
use crate::tui::state::{App, Clock};
use pixloom_core::settings::TurnSettings;

/// Opens the folder as `open_app` does, with `flags` on the command line.
fn reopen(dir: &std::path::Path, flags: TurnSettings) -> App {
    let (folder, loaded) = ConvFolder::open(dir).expect("opens");
    let session = Session {
        config: Config::default(),
        app: crate::tui::config::TuiConfig::default(),
        flags,
        demo: None,
    };
    let args = session.app_args(folder, loaded, None);
    let (app, _folder, _) = args.into_parts(Clock {
        mono: Instant::now(),
        wall: T0,
    });
    app
}

/// `app`'s conversation saved in a folder after picking 4K 16:9 with `s`
/// and the images endpoint with `m`.
fn saved_with_picks(app: App) -> (tempfile::TempDir, std::path::PathBuf) {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join("fox.pixloom");
    let (folder, _) = ConvFolder::create(&dir, "fox", T0).expect("creates");
    let app = with(
        app,
        &[
            Action::SizePicker,
            Action::MoveRight,
            Action::Confirm,
            Action::ModelPicker,
            Action::MoveDown,
            Action::Confirm,
        ],
    );
    folder.save(&app.conv).expect("saves");
    drop(folder);
    (home, dir)
}

#[test]
fn picks_and_cost_come_back_when_the_conversation_is_reopened() {
    // `branched`: three paid turns, $0.09. (Its fixture images are not in
    // the folder: esc clears that message.)
    let (_home, dir) = saved_with_picks(branched());
    let app = with(reopen(&dir, TurnSettings::default()), &[Action::Dismiss]);
    let (text, _) = screen(&app, 100, 30);
    assert!(
        text.contains("3840x2160 · gpt-image-2-vip · images"),
        "the picks, not the config's auto · chat:\n{text}"
    );
    assert!(
        text.contains("$0.09 this conversation · $0.00 this session"),
        "{text}"
    );

    // A flag beats the saved pick, field by field.
    let flags = TurnSettings {
        size: Some(size("1280x720")),
        ..TurnSettings::default()
    };
    let app = reopen(&dir, flags);
    let (text, _) = screen(&app, 100, 30);
    assert!(
        text.contains("1280x720 · gpt-image-2-vip · images"),
        "{text}"
    );
}

#[test]
fn a_hostile_saved_size_is_refused_with_a_message() {
    let (_home, dir) = saved_with_picks(empty());
    let file = dir.join("conversation.json");
    let json = std::fs::read_to_string(&file).expect("reads");
    assert!(json.contains(r#""size": "3840x2160""#), "{json}");
    let json = json.replacen(r#""size": "3840x2160""#, r#""size": "4000x4000""#, 1);
    std::fs::write(&file, json).expect("writes");
    let app = reopen(&dir, TurnSettings::default());
    let status = app.status.clone().expect("a message").text;
    assert!(
        status.contains(r#"size "4000x4000" is not one of the gateway's 30 sizes; try"#),
        "{status}"
    );
    assert!(status.contains("pick again with s / m"), "{status}");
    assert_eq!(app.composer.params.size, Config::default().size, "not used");
    assert_eq!(
        app.composer.params.endpoint,
        pixloom_core::tree::Endpoint::Images,
        "the valid pick stays"
    );
}

#[test]
fn the_cost_so_far_shows_in_a_replay_and_after_a_turn() {
    let (text, _) = screen(&replaying(), 100, 30);
    assert!(text.contains("$0.09 this conversation │"), "{text}");
    assert!(
        !text.contains("session"),
        "a replay spends nothing:\n{text}"
    );

    // A turn finished in this session counts in both.
    let mut app = crate::tui::fixtures::in_flight();
    crate::tui::update::update(
        &mut app,
        crate::tui::action::Msg::Event(crate::tui::action::Event::TurnFinished(
            crate::tui::fixtures::done_report(crate::tui::fixtures::n(8), "dd"),
        )),
    );
    let (text, _) = screen(&app, 100, 30);
    assert!(
        text.contains("$0.12 this conversation · $0.03 this session"),
        "{text}"
    );
}
