//! Configuration, in layers: compiled-in defaults, then
//! `$XDG_CONFIG_HOME/pixloom/config.toml`, then the environment, then flags.
//!
//! The API key may come from the file, the environment or a flag; it is
//! never printed, logged, or saved into a conversation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::core::history::ImageBudget;
use crate::core::model::DEFAULT_MODEL;
use crate::core::size::SizeSpec;
use crate::core::tree::Endpoint;
use crate::gateway::{ApiKey, RetryPolicy, Settings};
use crate::tui::graphics::GraphicsChoice;

pub const DEFAULT_BASE_URL: &str = "https://api.apiyi.com";

/// Environment variables read for the key, in order.
pub const KEY_VARS: [&str; 3] = ["PIXLOOM_API_KEY", "APIYI_API_KEY", "OPENAI_API_KEY"];

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    pub base_url: String,
    pub api_key: Option<ApiKey>,
    pub model: String,
    pub size: SizeSpec,
    pub endpoint: Endpoint,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_retries: u32,
    pub image_budget: ImageBudget,
    /// Thumbnails: detect, or force a backend.
    pub graphics: GraphicsChoice,
    /// `[keys.CONTEXT]` bindings merged over the default keymap
    /// (validated on load).
    pub keys: crate::tui::keymap::KeyTable,
    /// Where the file layer came from, if a file was read.
    pub file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            model: DEFAULT_MODEL.to_owned(),
            size: SizeSpec::Auto,
            endpoint: Endpoint::Chat,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
            max_retries: 2,
            image_budget: ImageBudget::default(),
            graphics: GraphicsChoice::Auto,
            keys: crate::tui::keymap::KeyTable::new(),
            file: None,
        }
    }
}

/// The config file's keys; every one optional. Unknown keys are an error
/// so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLayer {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub model: Option<String>,
    pub size: Option<SizeSpec>,
    pub endpoint: Option<Endpoint>,
    pub connect_timeout_secs: Option<f64>,
    pub request_timeout_secs: Option<f64>,
    pub max_retries: Option<u32>,
    pub image_budget: Option<usize>,
    /// `[keys.browse] "ctrl-n" = "move-down"`: see docs/keys.md.
    pub keys: Option<crate::tui::keymap::KeyTable>,
    /// auto, kitty, iterm, sixel, blocks or none.
    pub graphics: Option<GraphicsChoice>,
}

/// What flags say; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone)]
pub struct FlagLayer {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub model: Option<String>,
    pub size: Option<SizeSpec>,
    pub endpoint: Option<Endpoint>,
    pub request_timeout_secs: Option<f64>,
    pub graphics: Option<GraphicsChoice>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the config file {path} is not valid: {message}Fix it, or move it away to use the defaults."
    )]
    Invalid { path: PathBuf, message: String },
    #[error("{var} is not valid: {message}")]
    Env { var: &'static str, message: String },
    #[error("the config file's [keys] are not valid: {0}")]
    Keys(String),
    #[error("{what} must be a positive number of seconds, not {value}")]
    BadDuration { what: &'static str, value: f64 },
    #[error(
        "no API key is set. Set one with `export PIXLOOM_API_KEY=sk-…` (APIYI_API_KEY and OPENAI_API_KEY are read too), \
         or `api_key = \"sk-…\"` in {config_hint}, or pass --api-key. To try pixloom without a key, run it with --demo."
    )]
    MissingKey { config_hint: String },
}

/// Where the config file is looked for.
pub fn default_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("pixloom").join("config.toml"))
}

fn seconds(what: &'static str, value: f64) -> Result<Duration, ConfigError> {
    if value.is_finite() && value > 0.0 && value < 1e7 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(ConfigError::BadDuration { what, value })
    }
}

impl Config {
    /// Layers defaults, the file at `path` (missing is fine), the
    /// environment (read through `env`, so tests need not touch the real
    /// one) and the flags.
    pub fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: &FlagLayer,
    ) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        if let Some(path) = path {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let layer: FileLayer =
                        toml::from_str(&text).map_err(|e| ConfigError::Invalid {
                            path: path.to_owned(),
                            message: e.to_string(),
                        })?;
                    cfg.apply_file(layer)?;
                    cfg.file = Some(path.to_owned());
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(ConfigError::Read {
                        path: path.to_owned(),
                        source,
                    });
                }
            }
        }
        if let Some(v) = env("PIXLOOM_BASE_URL").filter(|v| !v.is_empty()) {
            cfg.base_url = v;
        }
        if let Some(k) = KEY_VARS
            .iter()
            .find_map(|var| env(var).filter(|v| !v.trim().is_empty()))
        {
            cfg.api_key = Some(ApiKey::new(k));
        }
        if let Some(v) = env("PIXLOOM_MODEL").filter(|v| !v.is_empty()) {
            cfg.model = v;
        }
        if let Some(v) = env("PIXLOOM_SIZE").filter(|v| !v.is_empty()) {
            cfg.size = v
                .parse()
                .map_err(|e: crate::core::size::SizeError| ConfigError::Env {
                    var: "PIXLOOM_SIZE",
                    message: e.to_string(),
                })?;
        }
        cfg.apply_flags(flags)?;
        Ok(cfg)
    }

    fn apply_file(&mut self, f: FileLayer) -> Result<(), ConfigError> {
        if let Some(v) = f.base_url {
            self.base_url = v;
        }
        if let Some(v) = f.api_key.filter(|k| !k.trim().is_empty()) {
            self.api_key = Some(ApiKey::new(v));
        }
        if let Some(v) = f.model {
            self.model = v;
        }
        if let Some(v) = f.size {
            self.size = v;
        }
        if let Some(v) = f.endpoint {
            self.endpoint = v;
        }
        if let Some(v) = f.connect_timeout_secs {
            self.connect_timeout = seconds("connect_timeout_secs", v)?;
        }
        if let Some(v) = f.request_timeout_secs {
            self.request_timeout = seconds("request_timeout_secs", v)?;
        }
        if let Some(v) = f.max_retries {
            self.max_retries = v.min(10);
        }
        if let Some(keys) = f.keys {
            crate::tui::keymap::Keymap::with_overrides(&keys).map_err(ConfigError::Keys)?;
            self.keys = keys;
        }
        if let Some(v) = f.graphics {
            self.graphics = v;
        }
        if let Some(v) = f.image_budget {
            self.image_budget = ImageBudget {
                max_images: v.clamp(1, 16),
            };
        }
        Ok(())
    }

    fn apply_flags(&mut self, f: &FlagLayer) -> Result<(), ConfigError> {
        if let Some(v) = &f.base_url {
            self.base_url.clone_from(v);
        }
        if let Some(v) = f.api_key.as_ref().filter(|k| !k.trim().is_empty()) {
            self.api_key = Some(ApiKey::new(v.clone()));
        }
        if let Some(v) = &f.model {
            self.model.clone_from(v);
        }
        if let Some(v) = f.size {
            self.size = v;
        }
        if let Some(v) = f.endpoint {
            self.endpoint = v;
        }
        if let Some(v) = f.request_timeout_secs {
            self.request_timeout = seconds("--request-timeout", v)?;
        }
        if let Some(v) = f.graphics {
            self.graphics = v;
        }
        Ok(())
    }

    /// The client settings; fails with directions when there is no key.
    pub fn client_settings(&self) -> Result<Settings, ConfigError> {
        let key = self
            .api_key
            .clone()
            .ok_or_else(|| ConfigError::MissingKey {
                config_hint: self.file.as_ref().map_or_else(
                    || "~/.config/pixloom/config.toml".to_owned(),
                    |p| p.display().to_string(),
                ),
            })?;
        let mut s = Settings::new(self.base_url.clone(), key);
        s.connect_timeout = self.connect_timeout;
        s.request_timeout = self.request_timeout;
        s.retry = RetryPolicy {
            max_retries: self.max_retries,
            ..RetryPolicy::default()
        };
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let p = dir.path().join("config.toml");
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn defaults() {
        let c = Config::load(None, &env_of(&[]), &FlagLayer::default()).expect("load");
        assert_eq!(c.base_url, "https://api.apiyi.com");
        assert_eq!(c.model, "gpt-image-2-vip");
        assert_eq!(c.size, SizeSpec::Auto);
        assert_eq!(c.endpoint, Endpoint::Chat);
        assert!(c.api_key.is_none());
    }

    #[test]
    fn layers_override_in_order_file_env_flags() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(
            &dir,
            "base_url = \"http://file\"\nmodel = \"gpt-image-2-all\"\nsize = \"2048x1152\"\napi_key = \"sk-file\"\nendpoint = \"images\"\n",
        );
        let c = Config::load(Some(&p), &env_of(&[]), &FlagLayer::default()).expect("load");
        assert_eq!(
            (c.base_url.as_str(), c.model.as_str()),
            ("http://file", "gpt-image-2-all")
        );
        assert_eq!(c.size.to_string(), "2048x1152");
        assert_eq!(c.endpoint, Endpoint::Images);
        assert_eq!(c.api_key.as_ref().map(ApiKey::expose), Some("sk-file"));

        let env = env_of(&[
            ("PIXLOOM_BASE_URL", "http://env"),
            ("OPENAI_API_KEY", "sk-openai"),
            ("APIYI_API_KEY", "sk-apiyi"),
        ]);
        let c = Config::load(Some(&p), &env, &FlagLayer::default()).expect("load");
        assert_eq!(c.base_url, "http://env");
        assert_eq!(c.api_key.as_ref().map(ApiKey::expose), Some("sk-apiyi"));

        let flags = FlagLayer {
            base_url: Some("http://flag".into()),
            api_key: Some("sk-flag".into()),
            ..FlagLayer::default()
        };
        let c = Config::load(Some(&p), &env, &flags).expect("load");
        assert_eq!(c.base_url, "http://flag");
        assert_eq!(c.api_key.as_ref().map(ApiKey::expose), Some("sk-flag"));
    }

    #[test]
    fn pixloom_key_wins_over_the_fallbacks() {
        let env = env_of(&[
            ("OPENAI_API_KEY", "sk-o"),
            ("PIXLOOM_API_KEY", "sk-p"),
            ("APIYI_API_KEY", "sk-a"),
        ]);
        let c = Config::load(None, &env, &FlagLayer::default()).expect("load");
        assert_eq!(c.api_key.as_ref().map(ApiKey::expose), Some("sk-p"));
    }

    #[test]
    fn invalid_files_say_where_and_what() {
        let dir = tempfile::tempdir().expect("tmp");
        for (text, needle) in [
            ("base_url = ", "config.toml"),
            ("modle = \"x\"", "unknown field `modle`"),
            ("size = \"1024x768\"", "1280x960"),
            ("endpoint = \"rest\"", "endpoint"),
            ("request_timeout_secs = -1", "positive"),
        ] {
            let p = write(&dir, text);
            let err = Config::load(Some(&p), &env_of(&[]), &FlagLayer::default()).expect_err(text);
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn key_bindings_are_read_and_bad_ones_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = write(
            &dir,
            "[keys.browse]\n\"ctrl-n\" = \"move-down\"\n\"d\" = \"none\"\n",
        );
        let c = Config::load(Some(&p), &env_of(&[]), &FlagLayer::default()).expect("load");
        assert_eq!(c.keys["browse"]["ctrl-n"], "move-down");
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
            let err = Config::load(Some(&p), &env_of(&[]), &FlagLayer::default()).expect_err(text);
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn missing_key_says_how_to_set_one_and_mentions_demo() {
        let c = Config::load(None, &env_of(&[]), &FlagLayer::default()).expect("load");
        let msg = c.client_settings().expect_err("no key").to_string();
        for needle in ["PIXLOOM_API_KEY", "--api-key", "--demo", "config.toml"] {
            assert!(msg.contains(needle), "{msg}");
        }
    }

    #[test]
    fn graphics_comes_from_the_file_and_a_flag_wins() {
        use crate::tui::graphics::GraphicsBackend;
        let dir = tempfile::tempdir().expect("tmp");
        let c = Config::load(None, &env_of(&[]), &FlagLayer::default()).expect("load");
        assert_eq!(c.graphics, GraphicsChoice::Auto);
        let p = write(&dir, "graphics = \"sixel\"\n");
        let c = Config::load(Some(&p), &env_of(&[]), &FlagLayer::default()).expect("load");
        assert_eq!(c.graphics, GraphicsChoice::Force(GraphicsBackend::Sixel));
        let flags = FlagLayer {
            graphics: Some(GraphicsChoice::Force(GraphicsBackend::Blocks)),
            ..FlagLayer::default()
        };
        let c = Config::load(Some(&p), &env_of(&[]), &flags).expect("load");
        assert_eq!(c.graphics, GraphicsChoice::Force(GraphicsBackend::Blocks));
        let p = write(&dir, "graphics = \"ascii\"\n");
        let err = Config::load(Some(&p), &env_of(&[]), &FlagLayer::default()).expect_err("bad");
        assert!(
            err.to_string().contains("auto, kitty, iterm, sixel"),
            "{err}"
        );
    }

    #[test]
    fn config_path_follows_xdg() {
        let p = default_config_path(&env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]));
        assert_eq!(p, Some(PathBuf::from("/x/pixloom/config.toml")));
        let p = default_config_path(&env_of(&[("HOME", "/h")]));
        assert_eq!(p, Some(PathBuf::from("/h/.config/pixloom/config.toml")));
    }
}
