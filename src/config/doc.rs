//! Every key of config.toml as data ([`SETTINGS`]), and docs/config.md
//! generated from it.

use std::time::Duration;

use super::{Config, ENV_BASE_URL, ENV_MODEL, ENV_SIZE, KEY_VARS};

/// One key of the config file, with everything docs/config.md says about
/// it. [`SETTINGS`] is the single source of that doc: tests check it
/// against [`FileLayer`]'s fields, the environment [`Config::load`] reads
/// and the command line's flags.
pub(crate) struct Setting {
    pub(crate) key: &'static str,
    /// The TOML type, as a reader would write it.
    pub kind: &'static str,
    /// The built-in value, read from [`Config::default`].
    pub(crate) default: fn(&Config) -> String,
    /// Environment variables that override the file, in lookup order.
    pub(crate) env: &'static [&'static str],
    /// The flag that overrides both.
    pub(crate) flag: Option<&'static str>,
    /// A valid value, written as in config.toml.
    pub(crate) example: &'static str,
    pub(crate) does: &'static str,
}

fn secs(d: Duration) -> String {
    d.as_secs_f64().to_string()
}

/// Every key of config.toml, in the order docs/config.md lists them.
pub(crate) const SETTINGS: &[Setting] = &[
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
               wanted dimensions into the prompt instead. Other names are sent as given. \
               `send --model` also takes a comma list: a grid (see `--size`).",
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
               valid size. `send --size` also takes a comma list (`1280x720,2048x1152`, \
               with `--model` a list too or not): a grid, one turn per size and model, \
               each a billed call, at most 16 calls with `--variants`; every size is \
               checked before anything is sent.",
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
        // The app's default (`tui::config` checks this stays true).
        default: |_| "auto".to_owned(),
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
pub(crate) fn markdown() -> String {
    let defaults = Config::default();
    let code = |s: &str| format!("`{}`", s.replace('|', "\\|"));
    let mut out = String::from(
        "# pixloom configuration\n\n\
         Generated from `SETTINGS` in `src/config/doc.rs` by the test `config_doc_is_current`\n\
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileLayer;

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
}
