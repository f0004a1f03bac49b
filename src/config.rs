//! Configuration, in layers: compiled-in defaults, then
//! `$XDG_CONFIG_HOME/pixloom/config.toml`, then the environment, then flags.
//!
//! The API key may come from the file, the environment or a flag; it is
//! never printed, logged, or saved into a conversation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::gateway::{ApiKey, KeyError, RetryPolicy, Settings};
use crate::tui::graphics::GraphicsChoice;
use crate::tui::keymap::{KeyTable, Keymap};
use pixloom_core::history::ImageBudget;
use pixloom_core::model::DEFAULT_MODEL;
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::Endpoint;

pub const DEFAULT_BASE_URL: &str = "https://api.apiyi.com";

/// Environment variables read for the key, in order.
pub const KEY_VARS: [&str; 3] = ["PIXLOOM_API_KEY", "APIYI_API_KEY", "OPENAI_API_KEY"];
const ENV_BASE_URL: &str = "PIXLOOM_BASE_URL";
const ENV_MODEL: &str = "PIXLOOM_MODEL";
const ENV_SIZE: &str = "PIXLOOM_SIZE";
/// `max_retries` above this counts as this.
const MAX_RETRIES_CAP: u32 = 10;
/// `image_budget` is clamped into this range.
const IMAGE_BUDGET_RANGE: (usize, usize) = (1, 16);

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    pub base_url: String,
    /// Whether plain `http://` to a host other than loopback is allowed.
    pub allow_insecure_http: bool,
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
    pub keys: KeyTable,
    /// Where the file layer came from, if a file was read.
    pub file: Option<PathBuf>,
    /// What the user should hear once, on stderr, before anything starts
    /// (a config file holding the key that others can read).
    pub warnings: Vec<String>,
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
            graphics: GraphicsChoice::Auto,
            keys: KeyTable::new(),
            file: None,
            warnings: Vec::new(),
        }
    }
}

/// The config file's keys; every one optional. Unknown keys are an error
/// so a typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLayer {
    pub base_url: Option<String>,
    pub allow_insecure_http: Option<bool>,
    pub api_key: Option<String>,
    pub model: Option<String>,
    pub size: Option<SizeSpec>,
    pub endpoint: Option<Endpoint>,
    pub connect_timeout_secs: Option<f64>,
    pub request_timeout_secs: Option<f64>,
    pub max_retries: Option<u32>,
    pub image_budget: Option<usize>,
    /// `[keys.browse] "ctrl-n" = "move-down"`: see docs/keys.md.
    pub keys: Option<KeyTable>,
    /// auto, kitty, iterm, sixel, blocks or none.
    pub graphics: Option<GraphicsChoice>,
}

/// One key of the config file, with everything docs/config.md says about
/// it. [`SETTINGS`] is the single source of that doc: tests check it
/// against [`FileLayer`]'s fields, the environment [`Config::load`] reads
/// and the command line's flags.
pub struct Setting {
    pub key: &'static str,
    /// The TOML type, as a reader would write it.
    pub kind: &'static str,
    /// The built-in value, read from [`Config::default`].
    pub default: fn(&Config) -> String,
    /// Environment variables that override the file, in lookup order.
    pub env: &'static [&'static str],
    /// The flag that overrides both.
    pub flag: Option<&'static str>,
    /// A valid value, written as in config.toml.
    pub example: &'static str,
    pub does: &'static str,
}

fn secs(d: Duration) -> String {
    d.as_secs_f64().to_string()
}

/// Every key of config.toml, in the order docs/config.md lists them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "base_url",
        kind: "string (URL)",
        default: |c| c.base_url.clone(),
        env: &[ENV_BASE_URL],
        flag: Some("--base-url"),
        example: "\"https://gateway.example.com\"",
        does: "The gateway's root; `/v1/chat/completions`, `/v1/images/generations` \
               and `/v1/images/edits` are appended (a trailing `/v1` is fine).",
    },
    Setting {
        key: "allow_insecure_http",
        kind: "boolean",
        default: |c| c.allow_insecure_http.to_string(),
        env: &[],
        flag: Some("--allow-insecure-http"),
        example: "true",
        does: "Allow a plain `http://` base URL to a host other than this machine. Off by \
               default, and pixloom refuses such a URL before connecting: over http the \
               API key and your prompts cross the network unencrypted. Loopback \
               (`127.0.0.0/8`, `::1`, `localhost`) is always allowed.",
    },
    Setting {
        key: "api_key",
        kind: "string",
        default: |_| "none".to_owned(),
        env: &KEY_VARS,
        flag: Some("--api-key"),
        example: "\"sk-0123456789abcdef\"",
        does: "The gateway's API key: visible ASCII without spaces (a key with a line \
               break or control character is refused before anything is sent). Prefer the \
               environment: a flag shows in the process list and a file is easy to share \
               by mistake; a config file holding it that others can read or write gets a \
               warning to `chmod 600` it.",
    },
    Setting {
        key: "model",
        kind: "string",
        default: |c| c.model.clone(),
        env: &[ENV_MODEL],
        flag: Some("--model"),
        example: "\"gpt-image-2-all\"",
        does: "The model. `gpt-image-2-all` takes no size field: pixloom writes the \
               wanted dimensions into the prompt instead. Other names are sent as given.",
    },
    Setting {
        key: "size",
        kind: "string: `auto` or `WIDTHxHEIGHT`",
        default: |c| c.size.to_string(),
        env: &[ENV_SIZE],
        flag: Some("--size"),
        example: "\"2048x1152\"",
        does: "Output size: `auto` or one of the gateway's 30 sizes (10 ratios × \
               1K/2K/4K). Anything else is refused before a request, naming the nearest \
               valid size.",
    },
    Setting {
        key: "endpoint",
        kind: "string: `chat` or `images`",
        default: |c| c.endpoint.to_string(),
        env: &[],
        flag: Some("--endpoint"),
        example: "\"images\"",
        does: "`chat` sends the whole path as `/v1/chat/completions`; `images` uses \
               `/v1/images/generations`, or `/v1/images/edits` when images are attached.",
    },
    Setting {
        key: "request_timeout_secs",
        kind: "number (seconds)",
        default: |c| secs(c.request_timeout),
        env: &[],
        flag: Some("--request-timeout"),
        example: "600",
        does: "How long one request may take in all. 4K images can take minutes.",
    },
    Setting {
        key: "connect_timeout_secs",
        kind: "number (seconds)",
        default: |c| secs(c.connect_timeout),
        env: &[],
        flag: None,
        example: "5",
        does: "How long to wait for a connection to the gateway.",
    },
    Setting {
        key: "max_retries",
        kind: "integer (0–10)",
        default: |c| c.max_retries.to_string(),
        env: &[],
        flag: None,
        example: "3",
        does: "Retries after 429, 5xx or a refused connection, with backoff; \
               `Retry-After` is honoured up to 120 s. Above 10 counts as 10.",
    },
    Setting {
        key: "image_budget",
        kind: "integer (1–16)",
        default: |c| c.image_budget.max_images.to_string(),
        env: &[],
        flag: None,
        example: "6",
        does: "Images sent with one request: the current turn's references always, \
               then earlier results, newest first, up to this many.",
    },
    Setting {
        key: "graphics",
        kind: "string: `auto`, `kitty`, `iterm`, `sixel`, `blocks` or `none`",
        default: |c| match c.graphics {
            GraphicsChoice::Auto => "auto".to_owned(),
            GraphicsChoice::Force(b) => b.name().to_owned(),
        },
        env: &[],
        flag: Some("--graphics"),
        example: "\"blocks\"",
        does: "Thumbnails in the app: detected once at start (see docs/graphics.md), \
               or forced.",
    },
    Setting {
        key: "keys",
        kind: "tables `[keys.CONTEXT]`",
        default: |_| "docs/keys.md".to_owned(),
        env: &[],
        flag: None,
        example: "{ browse = { \"ctrl-n\" = \"move-down\" } }",
        does: "Key bindings merged over the defaults; see [Key bindings](#key-bindings).",
    },
];

/// `docs/config.md`, generated from [`SETTINGS`] (the test
/// `config_doc_is_current` fails when the file is stale).
pub fn markdown() -> String {
    let defaults = Config::default();
    let code = |s: &str| format!("`{}`", s.replace('|', "\\|"));
    let mut out = String::from(
        "# pixloom configuration\n\n\
         Generated from `SETTINGS` in `src/config.rs` by the test `config_doc_is_current`\n\
         (`UPDATE_DOCS=1 cargo test --lib config_doc` rewrites it).\n\n\
         ## Where settings come from\n\n\
         Each setting is looked up in layers; a later layer wins:\n\n\
         1. the built-in default;\n\
         2. the config file: `--config PATH`, else `$XDG_CONFIG_HOME/pixloom/config.toml`,\n   \
         else `~/.config/pixloom/config.toml`. A missing file is fine; a file that does\n   \
         not parse, has an unknown key or a bad value is an error naming the line;\n\
         3. the environment;\n\
         4. flags.\n\n\
         `size`, `model` and `endpoint` have one more layer, between the\n\
         environment and flags: what was last picked in the conversation (`s` /\n\
         `m` in the app; saved in it, see file-format.md). So a conversation\n\
         reopens as it was left, `pixloom send` continues it the same way, and a\n\
         flag still wins for that run (it is not saved). Each of the three is\n\
         decided on its own: picking a size leaves the model to the config.\n\n\
         `--demo` then points `base_url` and `api_key` at the fake gateway it starts\n\
         on loopback, so it needs no key.\n\n\
         ### The API key\n\n",
    );
    out.push_str(&format!(
        "The key is read from `api_key` in the file, then from the environment in\n\
         this order:\n\n{}\n\n\
         (the first one set and not blank wins, and overrides the file), then from\n\
         `--api-key`. It is never printed, logged, or saved in a conversation.\n\
         It is sent only in the Authorization header of API calls to `base_url`:\n\
         pixloom follows no redirect for those calls, refuses plain `http://` to\n\
         another machine unless `allow_insecure_http` is set, and removes the key\n\
         (and anything shaped like `Bearer …` or `sk-…`) from whatever the gateway\n\
         sends back before it is shown, logged or saved.\n\
         Without a key, `send` fails saying how to set one; the app still opens to\n\
         browse and replay.\n",
        KEY_VARS
            .iter()
            .map(|v| code(v))
            .collect::<Vec<_>>()
            .join(" → "),
    ));
    out.push_str(
        "\n## Keys\n\n\
         | key | type | default | environment | flag | what it does |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for s in SETTINGS {
        let env: Vec<String> = s.env.iter().map(|v| code(v)).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            code(s.key),
            s.kind,
            code(&(s.default)(&defaults)),
            env.join(" → "),
            s.flag.map(code).unwrap_or_default(),
            s.does
        ));
    }
    // One table from every example, so `keys` comes out as `[keys.browse]`
    // after the plain keys (a test checks each example parses).
    let mut example = toml::Table::new();
    for s in SETTINGS {
        if let Ok(t) = format!("{} = {}", s.key, s.example).parse::<toml::Table>() {
            example.extend(t);
        }
    }
    out.push_str(&format!(
        "\nA config.toml that sets every key (each one is optional):\n\n```toml\n{}```\n",
        toml::to_string(&example).unwrap_or_default()
    ));
    out.push_str(
        "\n\
         ## Key bindings\n\n\
         A `[keys.CONTEXT]` table maps keys to action names and is merged over the\n\
         default keymap; `\"none\"` unbinds a key. An unknown context, key or action\n\
         is a config error naming it. [docs/keys.md](keys.md) lists every context,\n\
         key and action.\n\n\
         ```toml\n\
         [keys.browse]\n\
         \"ctrl-n\" = \"move-down\"\n\
         \"d\" = \"none\"\n\
         ```\n\n\
         ## Files pixloom writes\n\n\
         - **Log**: `$XDG_STATE_HOME/pixloom/pixloom.log`, else\n  \
         `~/.local/state/pixloom/pixloom.log`. `--log-level LEVEL` (`error`, `warn`,\n  \
         `info`, `debug`, `trace`, or a filter like `pixloom=debug`) or `PIXLOOM_LOG`\n  \
         sets the detail; the default is `info`. The API key never reaches it.\n\
         - **Thumbnail cache**: `$XDG_CACHE_HOME/pixloom/thumbs/`, else\n  \
         `~/.cache/pixloom/thumbs/`. Safe to delete at any time.\n\
         - **Conversations**: `NAME.pixloom/` folders where you name them (the\n  \
         current directory for a bare NAME); see [file-format.md](file-format.md).\n  \
         A bare `pixloom` creates none: it lists the conversations of the current\n  \
         directory and those opened lately, and `n` makes one by the name you type.\n\
         - **Recent conversations**: `$XDG_STATE_HOME/pixloom/recent`, else\n  \
         `~/.local/state/pixloom/recent`: the folders opened in the app lately, one\n  \
         a line, newest first (at most 50), for that list. Safe to delete.\n\n\
         ## Other environment variables\n\n\
         - `PIXLOOM_LOG`: the log filter when `--log-level` is not given.\n\
         - `PIXLOOM_DEMO_LATENCY`: seconds the `--demo` gateway takes per answer\n  \
         (default 3).\n\
         - `PIXLOOM_DEMO_SEED`: a number that fixes the `--demo` gateway's pictures\n  \
         (the same seed and requests give the same pictures); unset, each run\n  \
         draws new ones.\n\
         - `XDG_CONFIG_HOME`, `XDG_STATE_HOME`, `XDG_CACHE_HOME`, `HOME`: where the\n  \
         files above go.\n",
    );
    out
}

/// What flags say; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone)]
pub struct FlagLayer {
    pub base_url: Option<String>,
    /// `--allow-insecure-http`: only ever turns it on.
    pub allow_insecure_http: bool,
    pub api_key: Option<String>,
    pub model: Option<String>,
    pub size: Option<SizeSpec>,
    pub endpoint: Option<Endpoint>,
    pub request_timeout_secs: Option<f64>,
    pub graphics: Option<GraphicsChoice>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
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
    #[error(
        "the key bindings in {} are not valid: {message}. Fix or remove that line (docs/keys.md lists every key and action).",
        path.as_ref().map_or_else(|| "the config file".to_owned(), |p| p.display().to_string())
    )]
    Keys {
        path: Option<PathBuf>,
        message: String,
    },
    #[error("{what} must be a positive number of seconds, not {value}. Use a number like 300.")]
    BadDuration { what: String, value: f64 },
    #[error(
        "no API key is set. Set one with `export PIXLOOM_API_KEY=sk-…` (APIYI_API_KEY and OPENAI_API_KEY are read too), \
         or `api_key = \"sk-…\"` in {config_hint}, or pass --api-key. To try pixloom without a key, run it with --demo."
    )]
    MissingKey { config_hint: String },
    #[error("the API key from {from} cannot be used: {source}.")]
    BadKey {
        from: String,
        #[source]
        source: KeyError,
    },
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

/// The default keymap with `keys` merged over it; a bad binding is an
/// error naming the file it came from.
fn keymap_with(keys: &KeyTable, path: Option<&Path>) -> Result<Keymap, ConfigError> {
    Keymap::with_overrides(keys).map_err(|message| ConfigError::Keys {
        path: path.map(Path::to_owned),
        message,
    })
}

impl Config {
    /// The keymap in force: the defaults with `[keys.CONTEXT]` merged in.
    pub fn keymap(&self) -> Result<Keymap, ConfigError> {
        keymap_with(&self.keys, self.file.as_deref())
    }

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
                        toml::from_str(&text).map_err(|e| invalid_file(path, &text, &e))?;
                    cfg.apply_file(layer, path)?;
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
        if let Some(keys) = f.keys {
            keymap_with(&keys, Some(path))?;
            self.keys = keys;
        }
        if let Some(v) = f.graphics {
            self.graphics = v;
        }
        if let Some(v) = f.image_budget {
            self.image_budget = ImageBudget {
                max_images: v.clamp(IMAGE_BUDGET_RANGE.0, IMAGE_BUDGET_RANGE.1),
            };
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
            (
                "endpoint = \"rest\"",
                "line 1, column 12: unknown variant `rest`",
            ),
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

    /// A key an HTTP header cannot carry is refused where it is
    /// configured, naming where it came from and never quoting it.
    #[test]
    fn keys_that_cannot_be_sent_are_config_errors_naming_their_source() {
        let dir = tempfile::tempdir().expect("tmp");
        let bad = "sk-secret-1234\nsk-other";
        let p = write(&dir, "api_key = \"sk-secret-1234\\u0007\"\n");
        let err = Config::load(Some(&p), &env_of(&[]), &FlagLayer::default()).expect_err("file");
        assert!(err.to_string().contains("api_key in"), "{err}");
        assert!(err.to_string().contains("control character"), "{err}");
        let err = Config::load(
            None,
            &env_of(&[("APIYI_API_KEY", bad)]),
            &FlagLayer::default(),
        )
        .expect_err("env");
        assert!(err.to_string().contains("APIYI_API_KEY"), "{err}");
        assert!(err.to_string().contains("line break"), "{err}");
        let flags = FlagLayer {
            api_key: Some("sk-with space".into()),
            ..FlagLayer::default()
        };
        let err = Config::load(None, &env_of(&[]), &flags).expect_err("flag");
        assert!(err.to_string().contains("--api-key"), "{err}");
        assert!(err.to_string().contains("a space"), "{err}");
        // Surrounding whitespace (a trailing newline from `$(cat key)`) is fine.
        let c = Config::load(
            None,
            &env_of(&[("PIXLOOM_API_KEY", " sk-ok-1\n")]),
            &FlagLayer::default(),
        )
        .expect("trimmed");
        assert_eq!(c.api_key.as_ref().map(ApiKey::expose), Some("sk-ok-1"));
        for e in [bad, "sk-secret-1234"] {
            assert!(!err.to_string().contains(e));
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
    fn config_doc_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/config.md");
        let want = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).expect("write docs/config.md");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/config.md is stale: run UPDATE_DOCS=1 cargo test --lib config_doc"
        );
    }

    /// serde's unknown-field error lists every field `FileLayer` has: the
    /// table must name exactly those.
    #[test]
    fn settings_list_every_file_key() {
        let err = toml::from_str::<FileLayer>("no_such_key = 1").expect_err("unknown key");
        let msg = err.message();
        let listed = msg
            .split_once("expected one of ")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("no field list in {msg:?}"));
        let mut fields: Vec<&str> = listed
            .split(", ")
            .map(|f| f.trim().trim_matches('`'))
            .collect();
        let mut keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        fields.sort_unstable();
        keys.sort_unstable();
        assert_eq!(keys, fields);
    }

    /// The doc's example for each key is valid and changes the setting,
    /// from the file, from each environment variable and from the flag.
    #[test]
    fn each_setting_is_read_from_the_file_the_environment_and_its_flag() {
        use clap::{CommandFactory as _, Parser as _};
        let dir = tempfile::tempdir().expect("tmp");
        let shown = |c: &Config| {
            format!(
                "{:?}",
                Config {
                    file: None,
                    ..c.clone()
                }
            )
        };
        let default = shown(&Config::default());
        let cli = crate::cli::Cli::command();
        for s in SETTINGS {
            let p = write(&dir, &format!("{} = {}\n", s.key, s.example));
            let c = Config::load(Some(&p), &env_of(&[]), &FlagLayer::default())
                .unwrap_or_else(|e| panic!("{}: {e}", s.key));
            assert_ne!(
                shown(&c),
                default,
                "{} = {} changed nothing",
                s.key,
                s.example
            );
            let plain = s.example.trim_matches('"');
            for var in s.env {
                let c = Config::load(None, &env_of(&[(var, plain)]), &FlagLayer::default())
                    .unwrap_or_else(|e| panic!("{var}: {e}"));
                assert_ne!(shown(&c), default, "{var}={plain} changed nothing");
            }
            if let Some(flag) = s.flag {
                let long = flag.trim_start_matches("--");
                assert!(
                    cli.get_arguments().any(|a| a.get_long() == Some(long)),
                    "no flag {flag}"
                );
                // A boolean flag is given bare.
                let args = if s.kind == "boolean" {
                    vec!["pixloom", flag]
                } else {
                    vec!["pixloom", flag, plain]
                };
                let cli = crate::cli::Cli::try_parse_from(args)
                    .unwrap_or_else(|e| panic!("{flag} {plain}: {e}"));
                let c = Config::load(None, &env_of(&[]), &cli.global.flag_layer())
                    .unwrap_or_else(|e| panic!("{flag}: {e}"));
                assert_ne!(shown(&c), default, "{flag} {plain} changed nothing");
            }
        }
    }

    #[test]
    fn config_path_follows_xdg() {
        let p = default_config_path(&env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]));
        assert_eq!(p, Some(PathBuf::from("/x/pixloom/config.toml")));
        let p = default_config_path(&env_of(&[("HOME", "/h")]));
        assert_eq!(p, Some(PathBuf::from("/h/.config/pixloom/config.toml")));
    }
}
