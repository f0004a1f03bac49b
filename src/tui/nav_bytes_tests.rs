//! j/k among the turns on screen re-sends no picture data, in every
//! protocol (kitty printed or as placeholders, iTerm2, sixel, half-blocks):
//! the frames are composed as the real screen composes them
//! ([`super::compose`]) and printed by the real presenter into a `Vec`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::action::{Action, Event, Msg};
use super::compose;
use super::fixtures::branched;
use super::graphics::print::Presenter;
use super::graphics::{GraphicsBackend, Route, ThumbSpec, detect};
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

/// The app with every wanted thumbnail ready, in `backend` by `route`.
fn ready(backend: GraphicsBackend, route: Route, shot: &mut Shot) -> App {
    let mut app = branched();
    app.graphics = backend;
    app.cell_shape = (2, 4);
    let spec = ThumbSpec {
        backend,
        cell_px: (2, 4),
        route,
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
    // Kitty placeholders: inside tmux, the pictures are text in the
    // buffer, sent once through passthrough.
    for (backend, route) in [
        (GraphicsBackend::Kitty, Route::Printed),
        (GraphicsBackend::Kitty, Route::Placeholders),
        (GraphicsBackend::Iterm, Route::Printed),
        (GraphicsBackend::Sixel, Route::Printed),
        (GraphicsBackend::Blocks, Route::Printed),
    ] {
        let placeholders = route == Route::Placeholders;
        let mut shot = Shot {
            term: Terminal::new(TestBackend::new(120, 70)).unwrap(),
            view: ViewState::default(),
            presenter: Presenter::new(&detect::Detected {
                backend,
                truecolor: true,
                cell_px: Some((2, 4)),
                route,
                passthrough: placeholders,
                ..detect::Detected::default()
            }),
        };
        let mut app = ready(backend, route, &mut shot);
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
        } else if placeholders {
            // Wrapped for tmux: every ESC inside doubled.
            count(&first, b"\x1bPtmux;\x1b\x1b_Ga=T,U=1")
        } else {
            count(&first, want)
        };
        assert!(
            pictures >= 2,
            "{backend:?} {route:?}: two pictures on screen first, not {pictures}"
        );
        if placeholders {
            assert!(
                count(drawn_text.as_bytes(), "\u{10EEEE}".as_bytes()) > 0,
                "placeholders drawn as text"
            );
        }
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
                "{backend:?} {route:?} {action:?}: printed {} bytes of pictures again",
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
            for cell in ["▀", "\u{10EEEE}"] {
                assert_eq!(
                    count(changed.as_bytes(), cell.as_bytes()),
                    0,
                    "{backend:?} {route:?} {action:?}: picture cells redrawn"
                );
            }
        }
        assert_eq!(app.conv.selected, branched().conv.selected);
    }
}
