//! Deleting a branch deletes the images only it used, after the tree is
//! saved without them: a real folder on disk, `update` and `Effects` as
//! the loop runs them, files counted before and after.

use std::path::Path;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::convfile::ConvFolder;
use crate::images::testimg::noise_rgb;
use crate::tui::action::{Action, Msg};
use crate::tui::effects::Effects;
use crate::tui::fixtures::{T0, app, branched_conv, n};
use crate::tui::state::App;
use crate::tui::update::update;
use pixloom_core::tree::{Blob, ImageOrigin, ImageRef, Part};

fn images_in(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("images")).unwrap().count()
}

fn part(original: &Blob, upload: Option<&Blob>) -> Part {
    Part::Image {
        image: ImageRef {
            original: original.clone(),
            upload: upload.cloned(),
            upload_seal: None,
            origin: ImageOrigin::Result,
            remote: None,
        },
    }
}

/// `branched_conv` on disk: n2 and n3 show the same picture A (a
/// duplicate by content), n4 attaches E (upload copy D), n5 shows C.
pub(super) fn on_disk(dir: &Path) -> (ConvFolder, App) {
    let (folder, _) = ConvFolder::create(dir, "fox", T0).unwrap();
    let png = |seed| {
        let rgb = noise_rgb(64, 48, 200, seed);
        let img = image::RgbImage::from_raw(64, 48, rgb).unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let [a, c, d, e] = [1, 3, 5, 7].map(|s| folder.store.keep_result(&png(s)).unwrap());
    let mut conv = branched_conv();
    let mut set = |id, parts| conv.nodes.get_mut(&n(id)).unwrap().parts = parts;
    set(2, vec![part(&a, None)]);
    set(3, vec![part(&a, None)]);
    set(
        4,
        vec![
            Part::Text {
                text: "make it dusk".into(),
            },
            part(&e, Some(&d)),
        ],
    );
    set(5, vec![part(&c, None)]);
    folder.save(&conv).unwrap();
    (folder, app(conv))
}

fn delete_n2(app: &mut App, effects: &mut Effects) {
    let mut fx = Vec::new();
    for a in [Action::Delete, Action::Confirm] {
        fx.extend(update(app, Msg::Action(a)));
    }
    assert!(!effects.run(fx, app));
    effects.wait_for_saves();
}

#[test]
fn a_delete_says_which_images_go_and_removes_them_after_the_save() {
    let dir = tempfile::tempdir().unwrap();
    let conv_dir = dir.path().join("fox.pixloom");
    let (folder, mut app) = on_disk(&conv_dir);
    let (c, d, e) = {
        let img = |id, i: usize| {
            app.conv
                .node(n(id))
                .unwrap()
                .images()
                .nth(i)
                .unwrap()
                .clone()
        };
        (
            img(5, 0).original,
            img(4, 0).upload.unwrap(),
            img(4, 0).original,
        )
    };
    let mb = (c.bytes + d.bytes + e.bytes) as f64 / 1_000_000.0;
    assert_eq!(images_in(&conv_dir), 4);
    app.conv.select(n(2)).unwrap();
    update(&mut app, Msg::Action(Action::Delete));
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| drop(crate::tui::view::draw(f, &app))).unwrap();
    let screen = t.backend().to_string();
    let said = format!("It also deletes 3 images ({mb:.1} MB) no other turn uses.");
    assert!(screen.contains(&said), "{said} in\n{screen}");
    update(&mut app, Msg::Action(Action::Dismiss));

    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut effects = Effects::new(None, folder, tx);
    delete_n2(&mut app, &mut effects);
    let status = app.status.clone().unwrap().text;
    assert!(status.contains("and 3 images"), "{status}");
    assert_eq!(
        images_in(&conv_dir),
        1,
        "only A, which n3 still shows, stays"
    );
    drop(effects);
    let (_, loaded) = ConvFolder::open(&conv_dir).unwrap();
    assert!(
        loaded.missing_images.is_empty(),
        "{:?}",
        loaded.missing_images
    );
    assert!(loaded.conv.node(n(2)).is_err());
}

#[test]
fn when_the_save_fails_no_image_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let conv_dir = dir.path().join("fox.pixloom");
    let (folder, mut app) = on_disk(&conv_dir);
    app.conv.select(n(2)).unwrap();
    // The save cannot replace a folder: it fails, and the old tree (which
    // uses every image) is what a reader would find.
    let file = conv_dir.join("conversation.json");
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir(&file).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut effects = Effects::new(None, folder, tx);
    delete_n2(&mut app, &mut effects);
    assert_eq!(
        images_in(&conv_dir),
        4,
        "nothing removed before a good save"
    );
}
