//! The terminal app's part of config.toml: `graphics` and `[keys]`. The
//! edges' [`Config`] names these keys (so a typo is still an error) and
//! keeps the file; the app reads them here, with the `--graphics` flag
//! over the file, through [`Config::section`] (a bad value names its line
//! like any other config error).

use std::path::PathBuf;

use serde::Deserialize;

use super::graphics::GraphicsChoice;
use super::keymap::{KeyTable, Keymap};
use crate::config::{Config, ConfigError};

/// The app's keys of config.toml, as written.
#[derive(Debug, Default, Deserialize)]
struct FileSection {
    /// `[keys.browse] "ctrl-n" = "move-down"`: see docs/keys.md.
    keys: Option<KeyTable>,
    /// auto, kitty, iterm, sixel, blocks or none.
    graphics: Option<GraphicsChoice>,
}

/// The app's settings in force.
#[derive(Debug, Clone, Default)]
pub(crate) struct TuiConfig {
    /// Thumbnails: detect, or force a backend (`--graphics` over the file).
    pub graphics: GraphicsChoice,
    /// The default keymap with [`TuiConfig::keys`] merged over it.
    pub(crate) keymap: Keymap,
}

/// Why the app's part of the config cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TuiConfigError {
    /// A value that does not parse, named with its line.
    #[error(transparent)]
    File(#[from] ConfigError),
    #[error(
        "the key bindings in {} are not valid: {message}. Fix or remove that line (docs/keys.md lists every key and action).",
        path.as_ref().map_or_else(|| "the config file".to_owned(), |p| p.display().to_string())
    )]
    Keys {
        path: Option<PathBuf>,
        message: String,
    },
}

impl TuiConfig {
    /// The app's settings from `config`'s file, `graphics_flag` (the
    /// `--graphics` flag) winning over the file. Every command that loads
    /// the config checks these too, so a bad binding is said at once.
    pub(crate) fn load(
        config: &Config,
        graphics_flag: Option<GraphicsChoice>,
    ) -> Result<TuiConfig, TuiConfigError> {
        let file: FileSection = config.section()?;
        let keys = file.keys.unwrap_or_default();
        let keymap = Keymap::with_overrides(&keys).map_err(|message| TuiConfigError::Keys {
            path: config.file.as_ref().map(|f| f.path.clone()),
            message,
        })?;
        Ok(TuiConfig {
            graphics: graphics_flag.or(file.graphics).unwrap_or_default(),
            keymap,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::FlagLayer;
    use crate::config::tests::{env_of, write};
    use crate::tui::graphics::GraphicsBackend;

    fn load(
        path: Option<&Path>,
        graphics_flag: Option<GraphicsChoice>,
    ) -> Result<TuiConfig, TuiConfigError> {
        let c = Config::load(path, &env_of(&[]), &FlagLayer::default())?;
        TuiConfig::load(&c, graphics_flag)
    }

    #[test]
    fn graphics_comes_from_the_file_and_a_flag_wins() {
        let dir = tempfile::tempdir().expect("tmp");
        let c = load(None, None).expect("load");
        assert_eq!(c.graphics, GraphicsChoice::Auto);
        let p = write(&dir, "graphics = \"sixel\"\n");
        let c = load(Some(&p), None).expect("load");
        assert_eq!(c.graphics, GraphicsChoice::Force(GraphicsBackend::Sixel));
        let flag = Some(GraphicsChoice::Force(GraphicsBackend::Blocks));
        let c = load(Some(&p), flag).expect("load");
        assert_eq!(c.graphics, GraphicsChoice::Force(GraphicsBackend::Blocks));
        let p = write(&dir, "graphics = \"ascii\"\n");
        let err = load(Some(&p), None).expect_err("bad");
        assert!(
            err.to_string().contains("auto, kitty, iterm, sixel"),
            "{err}"
        );
        // Named with its line and column, like the edges' keys.
        assert!(err.to_string().contains("line 1, column 12"), "{err}");
    }

    #[test]
    fn key_bindings_are_read_and_bad_ones_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(
            &dir,
            "[keys.browse]\n\"ctrl-n\" = \"move-down\"\n\"d\" = \"none\"\n",
        );
        let c = load(Some(&p), None).expect("load");
        let ctrl_n: crate::tui::keymap::Key = "ctrl-n".parse().expect("a key");
        assert_eq!(
            c.keymap.lookup(crate::tui::keymap::Context::Browse, ctrl_n),
            Some(crate::tui::action::Action::MoveDown)
        );
        for (text, needle) in [
            (
                "[keys.browse]\n\"ctrl-n\" = \"fly\"",
                "\"ctrl-n\" = \"fly\": no such action",
            ),
            ("[keys.browse]\n\"hyper-x\" = \"quit\"", "\"hyper-x\""),
            ("[keys.nowhere]\n\"x\" = \"quit\"", "[keys.nowhere]"),
            ("[keys]\nbrowse = 1", "expected a map"),
        ] {
            let p = write(&dir, text);
            let err = load(Some(&p), None).expect_err(text);
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }

    /// docs/config.md's default for `graphics` is written by hand in the
    /// edges' table: it must be the app's.
    #[test]
    fn the_documented_graphics_default_is_the_apps() {
        let row = crate::config::doc::SETTINGS
            .iter()
            .find(|s| s.key == "graphics")
            .expect("a graphics row");
        let want = match TuiConfig::default().graphics {
            GraphicsChoice::Auto => "auto",
            GraphicsChoice::Force(b) => b.name(),
        };
        assert_eq!((row.default)(&Config::default()), want);
    }
}
