//! j/k among the turns on screen re-sends no picture data, in every
//! protocol: the frames are composed as the real screen composes them
//! ([`super::compose`]) and printed by the real presenter into a `Vec`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::{Action, Event, Msg};
use super::compose;
use super::fixtures::branched;
use super::graphics::print::Presenter;
use super::graphics::{GraphicsBackend, ThumbSpec, detect};
use super::state::App;
use super::thumbs::Thumb;
use super::update::{self, update};
use super::view::ViewState;

/// What a picture's data looks like in each protocol.
fn picture_data(backend: GraphicsBackend) -> &'static [u8] {
    match backend {
        GraphicsBackend::Kitty => b"\x1b_Ga=t",
        GraphicsBackend::Iterm => b"\x1b]1337;File=",
        GraphicsBackend::Sixel => b"\x1bP",
        GraphicsBackend::Blocks | GraphicsBackend::None => "▀".as_bytes(),
    }
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// The app's screen: cells (ratatui's diff, as the terminal gets them)
/// and pictures (the presenter's bytes).
struct Shot {
    term: Terminal<TestBackend>,
    view: ViewState,
    presenter: Presenter,
}

impl Shot {
    /// Draws a frame; returns the picture bytes printed after it.
    fn frame(&mut self, app: &mut App) -> Vec<u8> {
        let (mut drawn, mut placed) = (Default::default(), Vec::new());
        let frame = self
            .term
            .draw(|f| (drawn, placed) = compose(f, app, &mut self.view, self.presenter.route()))
            .unwrap();
        let area = frame.area;
        let mut out = Vec::new();
        self.presenter.present(&placed, area, &mut out).unwrap();
        let fx = update::drawn(app, &drawn);
        // Encodes (sixel, iTerm2) as the effects would, off the loop.
        for e in fx {
            if let update::Effect::EncodePicture(job) = e {
                let text = super::graphics::encoded::encode(&job);
                update(
                    app,
                    Msg::Event(Event::PictureEncoded { key: job.key, text }),
                );
            }
        }
        out
    }
}

/// The app with every wanted thumbnail ready, in `backend`.
fn ready(backend: GraphicsBackend, shot: &mut Shot) -> App {
    let mut app = branched();
    app.graphics = backend;
    app.cell_shape = (2, 4);
    let spec = ThumbSpec {
        backend,
        cell_px: (2, 4),
        ..ThumbSpec::default()
    };
    let mut drawn = super::Drawn::default();
    shot.term
        .draw(|f| {
            drawn = compose(f, &app, &mut ViewState::default(), shot.presenter.route()).0;
        })
        .unwrap();
    let wants = drawn.wants.clone();
    app.thumbs.want(&wants);
    for (i, w) in (0u8..).zip(&wants) {
        // A different picture each (the same one would be sent once).
        let img = image::RgbImage::from_fn(u32::from(w.cols) * 2, u32::from(w.rows) * 4, |x, y| {
            image::Rgb([
                (x * 7 % 256) as u8,
                (y * 13 % 256) as u8,
                i.wrapping_mul(90),
            ])
        });
        let thumb = Thumb::from_small(img, None, w.cols, w.rows, &spec);
        assert!(
            app.thumbs
                .insert(w.blob.file_name(), w.cols, w.rows, Ok(Arc::new(thumb)))
        );
    }
    app
}

#[test]
fn moving_the_selection_on_screen_sends_no_picture_again() {
    for backend in [
        GraphicsBackend::Kitty,
        GraphicsBackend::Iterm,
        GraphicsBackend::Sixel,
        GraphicsBackend::Blocks,
    ] {
        let mut shot = Shot {
            term: Terminal::new(TestBackend::new(120, 70)).unwrap(),
            view: ViewState::default(),
            presenter: Presenter::new(&detect::Detected {
                backend,
                truecolor: true,
                cell_px: Some((2, 4)),
                ..detect::Detected::default()
            }),
        };
        let mut app = ready(backend, &mut shot);
        // The first frames: encodes done, every picture printed.
        let mut first = Vec::new();
        for _ in 0..3 {
            first.extend(shot.frame(&mut app));
        }
        let cells = shot.term.backend().buffer().clone();
        let drawn_text: String = cells.content().iter().map(|c| c.symbol()).collect();
        let want = picture_data(backend);
        let pictures = if backend == GraphicsBackend::Blocks {
            count(drawn_text.as_bytes(), want)
        } else {
            count(&first, want)
        };
        assert!(
            pictures >= 2,
            "{backend:?}: two pictures on screen first, not {pictures}"
        );
        // n5 → n4 → n2 → n4 → n5: all on screen, nothing scrolls.
        for action in [
            Action::MoveUp,
            Action::MoveUp,
            Action::MoveDown,
            Action::MoveDown,
        ] {
            let before = shot.term.backend().buffer().clone();
            update(&mut app, Msg::Action(action));
            let printed = shot.frame(&mut app);
            let after = shot.term.backend().buffer().clone();
            assert!(
                printed.is_empty(),
                "{backend:?} {action:?}: printed {} bytes of pictures again",
                printed.len()
            );
            // The cells that changed (what ratatui's diff writes) hold no
            // half-block picture cell either.
            let changed: String = before
                .diff(&after)
                .iter()
                .map(|(_, _, c)| c.symbol())
                .collect();
            assert!(!changed.is_empty(), "{backend:?} {action:?}: nothing moved");
            assert_eq!(
                count(changed.as_bytes(), "▀".as_bytes()),
                0,
                "{backend:?} {action:?}: picture cells redrawn"
            );
        }
        assert_eq!(app.conv.selected, branched().conv.selected);
    }
}
