use super::*;
use std::collections::HashMap;

/// An environment of `pairs` only (the tests of the app's section and
/// the command line use it too).
pub(crate) fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| m.get(k).cloned()
}

/// `text` as `config.toml` in `dir`.
pub(crate) fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
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
fn config_path_follows_xdg() {
    let p = default_config_path(&env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]));
    assert_eq!(p, Some(PathBuf::from("/x/pixloom/config.toml")));
    let p = default_config_path(&env_of(&[("HOME", "/h")]));
    assert_eq!(p, Some(PathBuf::from("/h/.config/pixloom/config.toml")));
}
