//! What the drivers tell the user to do about a failure an edge reports
//! as a fact (the gateway client, the configuration): phrased here, with
//! pixloom's own flags, variables and config keys, so no edge names any of
//! them. The CLI and the app (through the engine's turn errors) use these.

use crate::config::NoKey;
use crate::gateway::{ErrorKind, GatewayError, SetupError};

/// A failed exchange as the user reads it: what happened, then what to do.
pub fn gateway(e: &GatewayError) -> String {
    match what_to_do(e) {
        Some(advice) => format!("{} {advice}", e.message),
        None => e.message.clone(),
    }
}

fn what_to_do(e: &GatewayError) -> Option<&'static str> {
    Some(match e.kind {
        _ if e.about_model => {
            "Pick a model the gateway serves with --model or `model` in config.toml (gpt-image-2-vip or gpt-image-2-all)."
        }
        ErrorKind::BadRequest if e.status.is_some_and(|s| matches!(s, 400 | 422)) => {
            "The request was refused as invalid; change it and send again."
        }
        ErrorKind::BadRequest => {
            "Unexpected answer from the gateway; check --base-url, then retry."
        }
        ErrorKind::Unauthorized => {
            "The API key was refused. Set a valid key with PIXLOOM_API_KEY or --api-key (or try --demo)."
        }
        ErrorKind::NotFound => {
            "Check --base-url: it should be the gateway's root, like https://api.apiyi.com."
        }
        ErrorKind::TooLarge => "An image was too large for the gateway; attach a smaller one.",
        ErrorKind::RateLimited => {
            "The gateway is rate-limiting or your quota is used up; wait a little and retry."
        }
        ErrorKind::Server => "The gateway failed upstream; retry (4K fails more often: try 2K).",
        ErrorKind::Redirect => {
            "pixloom follows no redirect for API calls, so the API key is only ever sent to --base-url; if you trust that address, set --base-url to it."
        }
        ErrorKind::NotSent => "Check --base-url and the API key.",
        ErrorKind::Unreachable => "Check your network and --base-url, or try --demo.",
        ErrorKind::NoAnswer if e.timed_out => {
            "Retry when you are ready (a longer --request-timeout may help for 4K)."
        }
        ErrorKind::NoAnswer | ErrorKind::Malformed | ErrorKind::Download => return None,
    })
}

/// A client that could not be set up, as the user reads it.
pub fn setup(e: &SetupError) -> String {
    match e {
        SetupError::BadBaseUrl { .. } => format!(
            "{e} Set --base-url (or base_url in config.toml) to the gateway's root, like https://api.apiyi.com."
        ),
        SetupError::InsecureBaseUrl { .. } => format!(
            "{e} Use https://, or, if you accept that, pass --allow-insecure-http (or set allow_insecure_http = true in config.toml)."
        ),
        SetupError::Http(_) => e.to_string(),
    }
}

/// No key set: every way to set one, and `--demo` to try without.
pub(crate) fn no_key(e: &NoKey) -> String {
    let file = e.file.as_ref().map_or_else(
        || "~/.config/pixloom/config.toml".to_owned(),
        |p| p.display().to_string(),
    );
    format!(
        "{e}. Set one with `export PIXLOOM_API_KEY=sk-…` (APIYI_API_KEY and OPENAI_API_KEY are read too), \
         or `api_key = \"sk-…\"` in {file}, or pass --api-key. To try pixloom without a key, run it with --demo."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::env_of;
    use crate::config::{Config, FlagLayer};

    #[test]
    fn missing_key_says_how_to_set_one_and_mentions_demo() {
        let c = Config::load(None, &env_of(&[]), &FlagLayer::default()).expect("load");
        let e = c.client_settings().expect_err("no key");
        let msg = no_key(&e);
        for needle in ["PIXLOOM_API_KEY", "--api-key", "--demo", "config.toml"] {
            assert!(msg.contains(needle), "{msg}");
        }
        // The edge says what is missing; the advice is the driver's.
        assert_eq!(e.to_string(), "no API key is set");
    }
}
