//! The gateway as an attacker: everything it sends (status, headers,
//! bodies, URLs, sizes) is hostile. Against the fake gateway over real
//! HTTP on loopback, and through the real binary: replies that never end
//! are cut at the cap, an echoed key never reaches the screen, the
//! conversation or the log, redirects take the key nowhere, a key that
//! cannot be sent is a config error with nothing sent, plain http off
//! this machine is refused, and a config file holding the key that others
//! can read draws a warning.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use pixloom::gateway::{
    ApiKey, Client, ErrorKind, GatewayError, MAX_DOWNLOAD_REDIRECTS, Outbound, REPLY_CAP,
    RetryPolicy, Settings, SetupError,
};
use pixloom_core::wire::{ImagePayload, Reply};
use pixloom_fake::{Echo, FakeConfig, FakeGateway, Fault};

use common::{FakeProcess, bin, key};

/// What the sockets between the fake and the client may hold beyond what
/// the client read (loopback buffers autotune to a few MB each way).
const SOCKET_SLACK: u64 = 32 * 1024 * 1024;

fn settings(base: &str) -> Settings {
    let mut s = Settings::new(base, ApiKey::new(key()).unwrap());
    s.retry = RetryPolicy {
        max_retries: 2,
        base: Duration::from_millis(5),
    };
    s.request_timeout = Duration::from_secs(60);
    s
}

fn chat(prompt: &str) -> Outbound {
    common::chat_request(prompt)
}

async fn fake() -> FakeGateway {
    FakeGateway::start(FakeConfig {
        api_key: Some(key()),
        ..FakeConfig::default()
    })
    .await
    .unwrap()
}

/// Fails if `text` holds the key, or a tell-tale piece of it (its last 12
/// characters: a key cut in half by a truncation would still show those).
fn assert_no_key(what: &str, text: &str) {
    let k = key();
    let tail = &k[k.len().saturating_sub(12)..];
    assert!(
        !text.contains(&k) && !text.contains(tail),
        "{what} shows the key: {text}"
    );
}

/// Every text of an error: what is shown, stored and logged.
fn assert_error_clean(label: &str, e: &GatewayError) {
    assert_no_key(&format!("{label}: Display"), &e.to_string());
    assert_no_key(&format!("{label}: Debug"), &format!("{e:?}"));
}

/// Sends through a client whose reply cap is `cap`, against one fault,
/// and returns the error and how many bytes the fake handed out once every
/// connection is closed.
async fn oversize_case(fault: Fault, cap: u64) -> (GatewayError, u64) {
    let gw = fake().await;
    gw.push_faults([fault]);
    let mut s = settings(&gw.base_url());
    s.reply_cap = cap;
    let client = Client::new(s).unwrap();
    let e = client.send(&chat("a fox")).await.unwrap_err();
    drop(client);
    assert!(
        gw.wait_open_connections_at_most(0, Duration::from_secs(20))
            .await,
        "the refused reply's connection is closed"
    );
    let streamed = gw.streamed_bytes();
    gw.shutdown().await;
    (e, streamed)
}

/// Replies too large to hold: each is refused with a clear error, and the
/// fake can hand out no more than the cap (or, for a claim, nothing beyond
/// what the sockets buffer) before the client hangs up.
/// - 1 GB chunked, no Content-Length, against a 1 MiB cap;
/// - the issue's 4 GB (it used to abort the process) at the default cap;
/// - a Content-Length claiming 4 GB, which is refused unread.
#[tokio::test]
async fn oversized_replies_stop_at_the_cap() {
    const MIB: u64 = 1024 * 1024;
    let cases = [
        (Fault::Oversize(1 << 30), MIB, "1 MiB", MIB + SOCKET_SLACK),
        (
            Fault::Oversize(4 << 30),
            REPLY_CAP,
            "128 MiB",
            REPLY_CAP + SOCKET_SLACK,
        ),
        (
            Fault::OversizeClaimed(4 << 30),
            REPLY_CAP,
            "128 MiB",
            SOCKET_SLACK,
        ),
    ];
    for (fault, cap, cap_words, most) in cases {
        let label = fault.to_string();
        let (e, streamed) = oversize_case(fault, cap).await;
        assert_eq!(e.kind, ErrorKind::Malformed, "{label}: {}", e.message);
        assert_eq!(e.attempts, 1, "{label}: an oversized reply is not retried");
        assert!(
            e.message.contains("larger than") && e.message.contains(cap_words),
            "{label}: {}",
            e.message
        );
        assert!(e.may_have_been_billed, "{label}: a 200 may be billed");
        assert!(
            streamed <= most,
            "{label}: the fake streamed {streamed} bytes, at most {most} expected"
        );
    }
}

/// Every way a gateway can echo the Authorization header back, through
/// the client: the error (Display, Debug: message, raw body, request id)
/// or the reply (refusal text, image URL, request id) never holds the key.
#[tokio::test]
async fn an_echoed_key_is_redacted_from_every_error_and_reply() {
    let errors = [
        (Echo::Status(400), ErrorKind::BadRequest, 1),
        (Echo::Status(401), ErrorKind::Unauthorized, 1),
        (Echo::Status(403), ErrorKind::Unauthorized, 1),
        (Echo::Status(422), ErrorKind::BadRequest, 1),
        (Echo::Status(500), ErrorKind::Server, 3),
        (Echo::Status(503), ErrorKind::Server, 3),
        (Echo::Html, ErrorKind::Server, 3),
        (Echo::Malformed, ErrorKind::Malformed, 1),
    ];
    for (echo, kind, requests) in errors {
        let label = format!("{echo:?}");
        let gw = fake().await;
        gw.push_faults(vec![Fault::Echo(echo); requests]);
        let client = Client::new(settings(&gw.base_url())).unwrap();
        let e = client.send(&chat("a fox")).await.unwrap_err();
        assert_eq!(e.kind, kind, "{label}: {}", e.message);
        assert_eq!(e.attempts as usize, requests, "{label}");
        assert_error_clean(&label, &e);
        assert!(
            e.request_id
                .as_deref()
                .is_some_and(|r| r.contains("[redacted]")),
            "{label}: the echoing request id is kept, redacted: {:?}",
            e.request_id
        );
        if echo != Echo::Html {
            assert!(
                e.message.contains("[redacted]"),
                "{label}: the message says what was removed: {}",
                e.message
            );
        }
        gw.shutdown().await;
    }

    let gw = fake().await;
    gw.push_faults([Fault::Echo(Echo::Refusal), Fault::Echo(Echo::Url)]);
    let client = Client::new(settings(&gw.base_url())).unwrap();
    let ok = client.send(&chat("a fox")).await.unwrap();
    let Reply::Refusal(text) = &ok.reply else {
        panic!("a refusal: {:?}", ok.reply)
    };
    assert!(text.contains("Authorization: Bearer [redacted]"), "{text}");
    assert_no_key("refusal", text);
    assert_no_key("refusal request id", &format!("{:?}", ok.request_id));

    let ok = client.send(&chat("a fox")).await.unwrap();
    let Reply::Images(images) = &ok.reply else {
        panic!("an image: {:?}", ok.reply)
    };
    let ImagePayload::Url(url) = &images[0] else {
        panic!("a URL: {images:?}")
    };
    assert_no_key("image URL", url);
    // The image still arrives (the fake ignores the query), and the key
    // never travelled to the download.
    let png = client.download(url).await.unwrap();
    assert!(image::load_from_memory(&png).is_ok());
    assert!(gw.download_log().iter().all(|d| !d.had_authorization));
    gw.shutdown().await;
}

/// What `pixloom send` printed, and the conversation folder and log file
/// it wrote, as one text.
fn everything_written(home: &Path, out: &Output) -> String {
    let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
    all.push_str(&String::from_utf8_lossy(&out.stderr));
    for dir in [home.join("c.pixloom"), home.join("state")] {
        for entry in walk(&dir) {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
        }
    }
    all
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

/// The binary in `home` (config, state and log under it), the log at
/// debug level, with `envs` set.
fn pixloom(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> Output {
    bin()
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("PIXLOOM_LOG", "debug")
        .envs(envs.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The same echoes through the real binary: stdout, stderr,
/// conversation.json and the log file never hold the key (the log at
/// debug level, where request ids and statuses are written).
#[test]
fn an_echoed_key_reaches_no_screen_file_or_log() {
    for fail in [
        "echo:400",
        "echo:401",
        "echo:500,echo:500,echo:500",
        "echo:html,echo:html,echo:html",
        "echo:malformed",
        "echo:refuse",
        "echo:url",
    ] {
        let home = tempfile::tempdir().unwrap();
        let fake = FakeProcess::start(&["--fail", fail]);
        let out = pixloom(
            home.path(),
            &[],
            &[
                "--base-url",
                &fake.base_url,
                "--api-key",
                &key(),
                "send",
                "c",
                "--prompt",
                "a fox",
            ],
        );
        let all = everything_written(home.path(), &out);
        assert!(
            home.path().join("c.pixloom/conversation.json").exists(),
            "{fail}: the turn was saved"
        );
        assert_no_key(fail, &all);
        assert!(all.contains("[redacted]"), "{fail}: {all}");
    }
}

/// A key with a line break (a pasted key, `$(cat file)` of a file with two
/// lines) is a config error naming the problem, not a broken connection
/// "that may have been billed"; the fake sees no request at all.
#[test]
fn a_key_with_a_control_character_is_a_config_error_and_nothing_is_sent() {
    let fake = FakeProcess::start(&[]);
    for bad in [
        format!("{}\nsecond-line", key()),
        format!("{}\u{7}", key()),
        format!("sk-a b{}", key()),
        "sk-ünïcode-key".to_owned(),
    ] {
        let home = tempfile::tempdir().unwrap();
        let out = pixloom(
            home.path(),
            &[("PIXLOOM_API_KEY", &bad)],
            &["--base-url", &fake.base_url, "send", "c", "--prompt", "x"],
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("PIXLOOM_API_KEY") && err.contains("cannot be used"),
            "{bad:?}: {err}"
        );
        assert!(!err.contains("billed"), "{bad:?}: {err}");
        assert_no_key("stderr", &err);
        assert!(
            !home.path().join("c.pixloom").exists(),
            "no conversation is started"
        );
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

/// Plain http to another machine is refused before any connection (the
/// addresses below are never contacted: the refusal needs no network);
/// loopback is fine; the opt-in allows it.
#[test]
fn plain_http_off_this_machine_is_refused_unless_allowed() {
    for base in [
        "http://203.0.113.7",
        "http://gateway.example.com:8080/v1",
        "http://10.0.0.1",
        "http://[2001:db8::1]:80",
        "http://127.0.0.1.example.com",
    ] {
        let e = Client::new(settings(base)).unwrap_err();
        assert!(matches!(e, SetupError::InsecureBaseUrl { .. }), "{base}");
        let msg = pixloom::advice::setup(&e);
        assert!(
            msg.contains("--allow-insecure-http") && msg.contains("unencrypted"),
            "{msg}"
        );
        let mut allowed = settings(base);
        allowed.allow_insecure_http = true;
        assert!(Client::new(allowed).is_ok(), "{base} with the opt-in");
    }
    for base in [
        "http://127.0.0.1:9",
        "http://127.8.9.10",
        "http://localhost:8080",
        "http://LOCALHOST",
        "http://[::1]:9",
        "https://gateway.example.com",
    ] {
        assert!(Client::new(settings(base)).is_ok(), "{base}");
    }
    for base in ["ftp://gateway.example.com", "not a url", ""] {
        let e = Client::new(settings(base)).unwrap_err();
        assert!(matches!(e, SetupError::BadBaseUrl { .. }), "{base}: {e}");
    }

    // The binary says so before touching anything.
    let home = tempfile::tempdir().unwrap();
    let k = key();
    let out = pixloom(
        home.path(),
        &[("PIXLOOM_API_KEY", &k)],
        &[
            "--base-url",
            "http://203.0.113.7",
            "send",
            "c",
            "--prompt",
            "x",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-insecure-http"), "{err}");
    assert!(!home.path().join("c.pixloom").exists());
}

/// A 307 to another server: the client follows no redirect for API calls,
/// says where it pointed, and the other server never hears from it.
/// (reqwest's own default would follow it, stripping the key on the way
/// to another origin: checked too, so a change there is noticed.)
#[tokio::test]
async fn an_api_redirect_is_refused_and_the_key_goes_nowhere() {
    let gw = fake().await;
    let elsewhere = fake().await;
    let target = format!("{}/v1/chat/completions", elsewhere.base_url());
    gw.push_faults([Fault::Redirect(target.clone())]);
    let client = Client::new(settings(&gw.base_url())).unwrap();
    let e = client.send(&chat("a fox")).await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ErrorKind::Redirect, 1));
    assert!(!e.may_have_been_billed);
    let said = pixloom::advice::gateway(&e);
    assert!(
        said.contains(&target) && said.contains("--base-url"),
        "{said}"
    );
    assert_eq!(gw.requests().len(), 1);
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );

    gw.push_faults([Fault::Redirect(target)]);
    let plain = reqwest::Client::new();
    let resp = plain
        .post(format!("{}/v1/chat/completions", gw.base_url()))
        .bearer_auth(key())
        .header("content-type", "application/json")
        .body(r#"{"model":"gpt-image-2-vip","messages":[{"role":"user","content":"x"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "followed, without the key");
    let seen = elsewhere.requests();
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].has_authorization, "{seen:?}");
    gw.shutdown().await;
    elsewhere.shutdown().await;
}

/// A result URL that redirects forever: the download follows at most
/// `MAX_DOWNLOAD_REDIRECTS` hops, once (no retry: it would loop again),
/// gives a clear error, and never carries the key.
#[tokio::test]
async fn a_download_redirect_loop_ends() {
    let gw = fake().await;
    let client = Client::new(settings(&gw.base_url())).unwrap();
    let url = format!("{}/__fake/redirect-loop", gw.base_url());
    let e = client.download(&url).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Download);
    assert!(
        e.message.contains("could not download") && e.message.contains("redirect"),
        "{}",
        e.message
    );
    assert_eq!(e.attempts, 1, "not retried");
    let hops = gw.download_log();
    assert_eq!(hops.len(), 1 + MAX_DOWNLOAD_REDIRECTS, "{hops:?}");
    assert!(hops.iter().all(|h| !h.had_authorization), "{hops:?}");
    gw.shutdown().await;
}

/// ssh's rule for the config file that holds the key: readable or
/// writable by others draws one warning naming `chmod 600`, printed before
/// the command runs; 0600, or a file without the key, draws none.
#[cfg(unix)]
#[test]
fn a_config_file_with_the_key_that_others_can_read_warns() {
    use std::os::unix::fs::PermissionsExt as _;
    let fake = FakeProcess::start(&[]);
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    let run = |text: &str, mode: u32| {
        std::fs::write(&config, text).unwrap();
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = pixloom(
            home.path(),
            &[],
            &[
                "--config",
                config.to_str().unwrap(),
                "--api-key",
                &key(),
                "send",
                "c",
                "--prompt",
                "x",
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        err
    };
    let with_key = format!(
        "base_url = \"{}\"\napi_key = \"{}\"\n",
        fake.base_url,
        key()
    );
    for mode in [0o644, 0o640, 0o604, 0o666] {
        let err = run(&with_key, mode);
        assert_eq!(err.matches("chmod 600").count(), 1, "{mode:o}: {err}");
        assert!(err.contains(&format!("mode {mode:03o}")), "{mode:o}: {err}");
        assert_no_key("the warning", &err);
    }
    let err = run(&with_key, 0o600);
    assert!(!err.contains("chmod"), "{err}");
    // No key in the file (it came from the flag): nothing to warn about.
    let err = run(&format!("base_url = \"{}\"\n", fake.base_url), 0o644);
    assert!(!err.contains("chmod"), "{err}");
}
