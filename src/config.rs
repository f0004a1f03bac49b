//! Configuration, in layers: compiled-in defaults, then
//! `$XDG_CONFIG_HOME/pixloom/config.toml`, then the environment, then flags.
//!
//! The API key may come from the file, the environment or a flag; it is
//! never printed, logged, or saved into a conversation.
//!
//! This layer reads the keys the edges need (gateway, key, model, size,
//! endpoint, timeouts). The file also holds keys another layer owns (the
//! terminal app's `graphics` and `[keys]`): they are named here so a typo
//! is still an error, and that layer parses them with [`Config::section`]
//! (`tui/config.rs`), its errors naming the line like any other.
//! [`doc`] is the table of every key and the generated docs/config.md.

#[cfg(test)]
pub(crate) mod doc;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::gateway::{ApiKey, KeyError, RetryPolicy, Settings};
use pixloom_core::history::ImageBudget;
use pixloom_core::model::DEFAULT_MODEL;
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::Endpoint;

pub(crate) const DEFAULT_BASE_URL: &str = "https://api.apiyi.com";

/// Environment variables read for the key, in order.
pub(crate) const KEY_VARS: [&str; 3] = ["PIXLOOM_API_KEY", "APIYI_API_KEY", "OPENAI_API_KEY"];
pub(crate) const ENV_BASE_URL: &str = "PIXLOOM_BASE_URL";
pub(crate) const ENV_MODEL: &str = "PIXLOOM_MODEL";
pub(crate) const ENV_SIZE: &str = "PIXLOOM_SIZE";
/// `max_retries` above this counts as this.
const MAX_RETRIES_CAP: u32 = 10;
/// `image_budget` is clamped into this range.
const IMAGE_BUDGET_RANGE: (usize, usize) = (1, 16);

/// The settings in force.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) base_url: String,
    /// Whether plain `http://` to a host other than loopback is allowed.
    pub allow_insecure_http: bool,
    pub api_key: Option<ApiKey>,
    pub(crate) model: String,
    pub(crate) size: SizeSpec,
    pub(crate) endpoint: Endpoint,
    pub(crate) connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_retries: u32,
    pub(crate) image_budget: ImageBudget,
    /// The spend limits and when to ask first (`budget_day`,
    /// `budget_conversation`, `confirm_above`).
    pub(crate) budgets: crate::budget::Budgets,
    /// The file the file layer came from, if one was read.
    pub file: Option<ConfigFile>,
    /// What the user should hear once, on stderr, before anything starts
    /// (a config file holding the key that others can read).
    pub(crate) warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: DEFAULT_BASE_URL.to_owned(),
            allow_insecure_http: false,
            api_key: None,
            model: DEFAULT_MODEL.to_owned(),
            size: SizeSpec::Auto,
            endpoint: Endpoint::Chat,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
            max_retries: 2,
            image_budget: ImageBudget::default(),
            budgets: crate::budget::Budgets::default(),
            file: None,
            warnings: Vec::new(),
        }
    }
}

/// The config file's keys; every one optional. Unknown keys are an error
/// so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileLayer {
    pub(crate) base_url: Option<String>,
    pub allow_insecure_http: Option<bool>,
    pub api_key: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) size: Option<SizeSpec>,
    pub(crate) endpoint: Option<Endpoint>,
    pub(crate) connect_timeout_secs: Option<f64>,
    pub(crate) request_timeout_secs: Option<f64>,
    pub max_retries: Option<u32>,
    pub(crate) image_budget: Option<usize>,
    pub(crate) budget_day: Option<f64>,
    pub(crate) budget_conversation: Option<f64>,
    pub(crate) confirm_above: Option<u8>,
    /// The app's key bindings: read by the app ([`Config::section`]).
    #[expect(dead_code, reason = "named so the file may hold it; the app reads it")]
    keys: Option<IgnoredAny>,
    /// The app's thumbnails: read by the app ([`Config::section`]).
    #[expect(dead_code, reason = "named so the file may hold it; the app reads it")]
    graphics: Option<IgnoredAny>,
}

/// The config file as read: its path, and its text for [`Config::section`].
/// The text may hold the API key: its `Debug` shows only the path.
#[derive(Clone)]
pub(crate) struct ConfigFile {
    pub path: PathBuf,
    text: String,
}

impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}
/// What flags say; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone)]
pub(crate) struct FlagLayer {
    pub(crate) base_url: Option<String>,
    /// `--allow-insecure-http`: only ever turns it on.
    pub allow_insecure_http: bool,
    pub api_key: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) size: Option<SizeSpec>,
    pub(crate) endpoint: Option<Endpoint>,
    pub(crate) request_timeout_secs: Option<f64>,
    pub(crate) budget_day: Option<f64>,
    pub(crate) budget_conversation: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error(
        "could not read the config file {path}: {source}. Check its permissions, or pass --config with another file."
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the config file {path} given with --config does not exist. Check the path, or leave --config out to use ~/.config/pixloom/config.toml."
    )]
    NoSuchFile { path: PathBuf },
    #[error(
        "the config file {path} is not valid at line {line}, column {column}: {message}. Fix that line (docs/config.md lists every key), or move the file away to use the defaults."
    )]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{var} is not valid: {message}. Set it to {expected}, or unset it.")]
    Env {
        var: &'static str,
        message: String,
        expected: &'static str,
    },
    #[error("{what} must be a positive number of seconds, not {value}. Use a number like 300.")]
    BadDuration { what: String, value: f64 },
    #[error(
        "{what} must be an amount in USD, 0 or more, not {value}. Use a number like 5 or 0.50."
    )]
    BadMoney { what: String, value: f64 },
    #[error("the API key from {from} cannot be used: {source}.")]
    BadKey {
        from: String,
        #[source]
        source: KeyError,
    },
}

/// No API key is set in any layer: a fact. The driver says how to set one
/// (`advice::no_key`; the app says it in its own words).
#[derive(Debug, thiserror::Error)]
#[error("no API key is set")]
pub(crate) struct NoKey {
    /// The config file read, if any: where `api_key` could go.
    pub file: Option<PathBuf>,
}

/// The key from `from`, or the error naming where it came from.
fn api_key(value: String, from: impl FnOnce() -> String) -> Result<ApiKey, ConfigError> {
    ApiKey::new(value).map_err(|source| ConfigError::BadKey {
        from: from(),
        source,
    })
}

/// The ssh-style warning for a config file holding the key that others
/// can read or write; `None` when only its owner can.
#[cfg(unix)]
fn exposed_key_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o066 != 0).then(|| {
        format!(
            "warning: {} holds api_key and other users can read or write it (mode {mode:03o}); run `chmod 600 {}` so only you can.",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn exposed_key_warning(_path: &Path) -> Option<String> {
    None
}

/// Where the config file is looked for.
pub(crate) fn default_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
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

fn seconds(what: impl Into<String>, value: f64) -> Result<Duration, ConfigError> {
    if value.is_finite() && value > 0.0 && value < 1e7 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(ConfigError::BadDuration {
            what: what.into(),
            value,
        })
    }
}

/// An amount in USD as micro USD: finite, 0 or more, under a million.
fn micro_usd(what: impl Into<String>, value: f64) -> Result<u64, ConfigError> {
    if value.is_finite() && (0.0..1e6).contains(&value) {
        Ok((value * 1e6).round() as u64)
    } else {
        Err(ConfigError::BadMoney {
            what: what.into(),
            value,
        })
    }
}

/// toml's own rendering spans several lines (a source excerpt with
/// carets); the one-line error keeps its message and position.
fn invalid_file(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let start = e.span().map_or(0, |s| s.start).min(text.len());
    let before = text.get(..start).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    ConfigError::Invalid {
        path: path.to_owned(),
        line: before.matches('\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
        message: e.message().trim().trim_end_matches('.').to_owned(),
    }
}

impl Config {
    /// The keys of the config file another layer owns, read into `T` (a
    /// struct naming them; the other keys are this layer's and were
    /// checked on load). A bad value is a [`ConfigError::Invalid`] naming
    /// the line and column, as for this layer's keys. `T::default()` when
    /// no file was read.
    pub(crate) fn section<T: DeserializeOwned + Default>(&self) -> Result<T, ConfigError> {
        match &self.file {
            Some(file) => {
                toml::from_str(&file.text).map_err(|e| invalid_file(&file.path, &file.text, &e))
            }
            None => Ok(T::default()),
        }
    }

    /// Layers defaults, the file at `path` (missing is fine), the
    /// environment (read through `env`, so tests need not touch the real
    /// one) and the flags.
    pub(crate) fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: &FlagLayer,
    ) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        if let Some(path) = path {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    let layer: FileLayer =
                        toml::from_str(&text).map_err(|e| invalid_file(path, &text, &e))?;
                    cfg.apply_file(layer, path)?;
                    cfg.file = Some(ConfigFile {
                        path: path.to_owned(),
                        text,
                    });
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
        if let Some(v) = env(ENV_BASE_URL).filter(|v| !v.is_empty()) {
            cfg.base_url = v;
        }
        if let Some((var, k)) = KEY_VARS
            .iter()
            .find_map(|var| env(var).filter(|v| !v.trim().is_empty()).map(|v| (var, v)))
        {
            cfg.api_key = Some(api_key(k, || (*var).to_owned())?);
        }
        if let Some(v) = env(ENV_MODEL).filter(|v| !v.is_empty()) {
            cfg.model = v;
        }
        if let Some(v) = env(ENV_SIZE).filter(|v| !v.is_empty()) {
            cfg.size = v
                .parse()
                .map_err(|e: pixloom_core::size::SizeError| ConfigError::Env {
                    var: ENV_SIZE,
                    message: e.to_string(),
                    expected: "auto or a size like 2048x1152",
                })?;
        }
        cfg.apply_flags(flags)?;
        Ok(cfg)
    }

    fn apply_file(&mut self, f: FileLayer, path: &Path) -> Result<(), ConfigError> {
        let in_file = |key: &str| format!("{key} in {}", path.display());
        if let Some(v) = f.base_url {
            self.base_url = v;
        }
        if let Some(v) = f.allow_insecure_http {
            self.allow_insecure_http = v;
        }
        if let Some(v) = f.api_key.filter(|k| !k.trim().is_empty()) {
            self.api_key = Some(api_key(v, || in_file("api_key"))?);
            self.warnings.extend(exposed_key_warning(path));
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
            self.connect_timeout = seconds(in_file("connect_timeout_secs"), v)?;
        }
        if let Some(v) = f.request_timeout_secs {
            self.request_timeout = seconds(in_file("request_timeout_secs"), v)?;
        }
        if let Some(v) = f.max_retries {
            self.max_retries = v.min(MAX_RETRIES_CAP);
        }
        if let Some(v) = f.image_budget {
            self.image_budget = ImageBudget {
                max_images: v.clamp(IMAGE_BUDGET_RANGE.0, IMAGE_BUDGET_RANGE.1),
            };
        }
        if let Some(v) = f.budget_day {
            self.budgets.day = Some(micro_usd(in_file("budget_day"), v)?);
        }
        if let Some(v) = f.budget_conversation {
            self.budgets.conversation = Some(micro_usd(in_file("budget_conversation"), v)?);
        }
        if let Some(v) = f.confirm_above {
            self.budgets.confirm_above = v;
        }
        Ok(())
    }

    fn apply_flags(&mut self, f: &FlagLayer) -> Result<(), ConfigError> {
        if let Some(v) = &f.base_url {
            self.base_url.clone_from(v);
        }
        if f.allow_insecure_http {
            self.allow_insecure_http = true;
        }
        if let Some(v) = f.api_key.as_ref().filter(|k| !k.trim().is_empty()) {
            self.api_key = Some(api_key(v.clone(), || "--api-key".to_owned())?);
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
        if let Some(v) = f.budget_day {
            self.budgets.day = Some(micro_usd("--budget-day", v)?);
        }
        if let Some(v) = f.budget_conversation {
            self.budgets.conversation = Some(micro_usd("--budget-conversation", v)?);
        }
        Ok(())
    }

    /// The client settings; [`NoKey`] when no key is set.
    pub(crate) fn client_settings(&self) -> Result<Settings, NoKey> {
        let key = self.api_key.clone().ok_or_else(|| NoKey {
            file: self.file.as_ref().map(|f| f.path.clone()),
        })?;
        let mut s = Settings::new(self.base_url.clone(), key);
        s.allow_insecure_http = self.allow_insecure_http;
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
pub(crate) mod tests;
