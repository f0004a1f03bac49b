//! The terminal app without a terminal, as `pixloom` starts it: `update`
//! as the loop calls it, effects run by the app's own `Effects`.

use pixloom::convfile::{ConvFolder, Loaded};
use pixloom::engine::Engine;
use pixloom::tui::update::{self, Effect};
use pixloom::tui::{App, Clock, Effects, GraphicsBackend, Msg, TuiArgs};
use pixloom_core::tree::RequestParams;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// A started app, its effects, and the channel their messages come back on.
pub struct Started {
    pub app: App,
    pub effects: Effects,
    pub tx: UnboundedSender<Msg>,
    pub rx: UnboundedReceiver<Msg>,
}

/// The app on an opened folder, with `engine`, `defaults` for new turns
/// and half-block thumbnails.
pub fn start(
    folder: ConvFolder,
    loaded: Loaded,
    engine: Engine,
    defaults: RequestParams,
) -> Started {
    let args = TuiArgs {
        folder,
        conv: loaded.conv,
        interrupted: loaded.interrupted,
        missing_images: loaded.missing_images,
        engine: Some(engine),
        defaults,
        demo: false,
        graphics: GraphicsBackend::Blocks.into(),
        budgets: pixloom::budget::Budgets::default(),
        spent_today: pixloom::budget::DaySpend::none_on(time::OffsetDateTime::now_utc()),
        rerun: None,
    };
    let (app, folder, engine) = args.into_parts(Clock::now());
    let (tx, rx) = unbounded_channel();
    let effects = Effects::new(engine, folder, tx.clone());
    Started {
        app,
        effects,
        tx,
        rx,
    }
}

/// Messages through `update`, each at the clock's now, as one batch of the
/// loop; their effects (not run yet).
pub fn feed(app: &mut App, msgs: Vec<Msg>) -> Vec<Effect> {
    let mut fx = Vec::new();
    for m in msgs {
        app.clock = Clock::now();
        fx.extend(update::update(app, m));
    }
    fx
}
