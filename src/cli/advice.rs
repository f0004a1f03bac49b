//! What the command line tells the user to do about a failure an edge
//! reports as a fact: phrased here, with the command line's own flags and
//! variables, so the edges name none of them.

use crate::config::NoKey;

/// No key set: every way to set one, and `--demo` to try without.
pub fn no_key(e: &NoKey) -> String {
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
