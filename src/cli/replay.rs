//! `pixloom replay CONV`: plays a saved conversation back in the terminal,
//! offline and read-only (no request, no key, no lock, nothing written).

use clap::Args;
use color_eyre::eyre::Result;

use crate::convfile;
use crate::tui;
use crate::tui::config::TuiConfig;

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

pub(super) async fn run(config: &TuiConfig, args: ReplayArgs) -> Result<()> {
    let speed = if args.speed.is_finite() && args.speed > 0.0 {
        Some(args.speed)
    } else {
        None
    };
    tui::replay::run(tui::replay::ReplayArgs {
        dir: convfile::conversation_dir(&args.conv),
        speed_secs: speed,
        play: args.play,
        graphics: config.graphics,
        keys: config.keymap.clone(),
    })
    .await
}
