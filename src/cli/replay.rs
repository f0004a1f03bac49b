//! `pixloom replay CONV`: plays a saved conversation back in the terminal,
//! offline and read-only (no request, no key, no lock, nothing written).
//! `P` there hands a re-run to the app: the folder is then opened for
//! writing as `pixloom CONV` opens it (lock, key, ledger), and when it
//! cannot be, the replay comes back where it was, saying why.

use clap::Args;
use color_eyre::eyre::Result;

use super::Session;
use crate::convfile::{self, ConvFolder};
use crate::tui;
use crate::tui::replay::Ended;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The conversation: NAME, NAME.pixloom or a path to one (a folder
    /// copied from another machine works: its paths are relative).
    pub conv: String,
    /// Seconds per turn when playing (0.5 to 20).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub(crate) speed: f64,
    /// Start playing at once instead of waiting for `p` or `space`.
    #[arg(long)]
    pub(crate) play: bool,
}

pub(super) async fn run(session: &Session, args: ReplayArgs) -> Result<()> {
    let speed = if args.speed.is_finite() && args.speed > 0.0 {
        Some(args.speed)
    } else {
        None
    };
    let dir = convfile::conversation_dir(&args.conv);
    let mut back = None;
    loop {
        let ended = tui::replay::run(tui::replay::ReplayArgs {
            dir: dir.clone(),
            speed_secs: speed,
            play: args.play && back.is_none(),
            graphics: session.app.graphics,
            keys: session.app.keymap.clone(),
            can_rerun: session.config.api_key.is_some(),
            back: back.take(),
        })
        .await?;
        let Ended::Rerun(path) = ended else {
            return Ok(());
        };
        match open_for_rerun(session, &dir) {
            Ok((folder, loaded, engine)) => {
                return super::run_opened(session, folder, loaded, Some(engine), Some(path)).await;
            }
            Err(why) => back = Some((path, why)),
        }
    }
}

/// The folder opened for writing and the engine a re-run sends with, or
/// the one line the replay shows when either cannot be had.
fn open_for_rerun(
    session: &Session,
    dir: &std::path::Path,
) -> Result<(ConvFolder, convfile::Loaded, crate::engine::Engine), String> {
    let why = |e: color_eyre::Report| format!("re-run not started: {}", super::error_line(&e));
    let engine = session.engine().map_err(why)?;
    let (folder, loaded) = ConvFolder::open(dir).map_err(|e| why(e.into()))?;
    Ok((folder, loaded, engine))
}
