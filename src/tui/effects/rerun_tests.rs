//! "Re-run from here" looks for every step's references on disk before
//! anything is sent: a real folder, `update` and `Effects` as the loop
//! runs them.

use crate::tui::action::{Action, Event, Msg};
use crate::tui::effects::Effects;
use crate::tui::fixtures::n;
use crate::tui::update::update;

use super::drop_tests::on_disk;

/// P and Enter from n1 (steps n1 and n4, which attaches E with its
/// upload copy D); what the effects answered.
fn checked(remove_upload_copy: bool) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let conv_dir = dir.path().join("fox.pixloom");
    let (folder, mut app) = on_disk(&conv_dir);
    let d = app
        .conv
        .node(n(4))
        .unwrap()
        .images()
        .next()
        .unwrap()
        .upload
        .clone()
        .unwrap();
    if remove_upload_copy {
        std::fs::remove_file(folder.store.path(&d)).unwrap();
    }
    app.conv.select(n(1)).unwrap();
    let mut fx = Vec::new();
    for a in [Action::Rerun, Action::Confirm] {
        fx.extend(update(&mut app, Msg::Action(a)));
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut effects = Effects::new(None, folder, tx);
    assert!(!effects.run(fx, &app));
    match rx.try_recv() {
        Ok(Msg::Event(Event::RerunChecked { missing, from, .. })) => {
            assert_eq!(from, n(1));
            missing
        }
        other => panic!("no answer from the check: {other:?}"),
    }
}

#[test]
fn a_missing_upload_copy_is_found_before_the_first_step() {
    let line = checked(true).expect("the missing copy is said");
    for piece in [
        "n4's reference image is not usable (missing)",
        "nothing was sent or billed",
        "Put the file back",
        "fox.pixloom/images/",
    ] {
        assert!(line.contains(piece), "{piece:?} not in {line}");
    }
}

#[test]
fn with_every_reference_there_the_rerun_may_start() {
    assert_eq!(checked(false), None);
}
