use super::*;

#[test]
fn api_key_debug_is_redacted() {
    let k = ApiKey::new("sk-canary-123").expect("key");
    assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
    let s = Settings::new("http://x", k);
    assert!(!format!("{s:?}").contains("canary"));
}

#[test]
fn base_url_with_or_without_v1() {
    for base in [
        "https://h:1",
        "https://h:1/",
        "https://h:1/v1",
        "https://h:1/v1/",
    ] {
        let key = ApiKey::new("sk-x").expect("key");
        let c = Client::new(Settings::new(base, key)).expect("client");
        assert_eq!(
            c.url("/v1/chat/completions"),
            "https://h:1/v1/chat/completions",
            "{base}"
        );
    }
}

/// A request reqwest could not build never left: not billed, not
/// "the connection broke".
#[test]
fn a_request_that_could_not_be_built_was_not_billed() {
    let client = Client::new(Settings::new(
        "https://h",
        ApiKey::new("sk-x").expect("key"),
    ))
    .expect("client");
    let e = reqwest::Client::new()
        .get("https://h")
        .header("bad\nname", "v")
        .build()
        .expect_err("a bad header name");
    let got = client.transport_error(&e);
    assert_eq!(got.kind, ErrorKind::NotSent);
    assert!(!got.may_have_been_billed);
    assert!(
        got.message.contains("nothing was sent") && !got.message.contains("billed"),
        "{}",
        got.message
    );
}
