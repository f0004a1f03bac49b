//! The gateway client against the fake gateway, over real HTTP: every
//! response shape, every fault with its attempt count, and what is never
//! sent.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use bytes::Bytes;
use pixloom::gateway::{ApiKey, Client, ErrorKind, Outbound, RetryPolicy, Settings};
use pixloom_core::wire::{ImagePayload, Reply};
use pixloom_fake::{FakeConfig, FakeGateway, Fault, Shape};

fn settings(base: &str) -> Settings {
    let mut s = Settings::new(base, ApiKey::new(common::key()).unwrap());
    // Fast retries: the waits themselves are tested in `gateway::retry`.
    s.retry = RetryPolicy {
        max_retries: 2,
        base: Duration::from_millis(5),
    };
    s.request_timeout = Duration::from_secs(20);
    s
}

fn generations(prompt: &str) -> Outbound {
    let body = serde_json::json!({"model": "gpt-image-2-vip", "prompt": prompt, "size": "1280x720", "response_format": "url"});
    Outbound::Json {
        path: "/v1/images/generations",
        body: Bytes::from(serde_json::to_vec(&body).unwrap()),
    }
}

fn chat(prompt: &str) -> Outbound {
    common::chat_request(prompt)
}

async fn fake(cfg: FakeConfig) -> FakeGateway {
    FakeGateway::start(FakeConfig {
        api_key: Some(common::key()),
        ..cfg
    })
    .await
    .unwrap()
}

async fn image_of(client: &Client, reply: Reply) -> image::DynamicImage {
    let Reply::Images(mut imgs) = reply else {
        panic!("expected an image, got {reply:?}")
    };
    assert_eq!(imgs.len(), 1);
    let bytes = match imgs.remove(0) {
        ImagePayload::Url(u) => client.download(&u).await.unwrap(),
        ImagePayload::Bytes { bytes, .. } => bytes,
    };
    image::load_from_memory(&bytes).unwrap()
}

#[tokio::test]
async fn every_response_shape_yields_the_image() {
    let gw = fake(FakeConfig::default()).await;
    let client = Client::new(settings(&gw.base_url())).unwrap();
    for shape in Shape::ALL {
        gw.set_shape(Some(shape));
        let ok = client
            .send(&chat("a lighthouse"))
            .await
            .unwrap_or_else(|e| panic!("{shape}: {e}"));
        assert_eq!(ok.attempts, 1, "{shape}");
        assert!(
            ok.request_id.as_deref().is_some_and(|r| !r.is_empty()),
            "{shape}: request id"
        );
        let img = image_of(&client, ok.reply).await;
        assert_eq!((img.width(), img.height()), (1280, 720), "{shape}");
    }
    assert_eq!(gw.billed(), 7);
    // Downloads never carry the API key.
    let downloads = gw.download_log();
    assert!(!downloads.is_empty());
    assert!(
        downloads.iter().all(|d| !d.had_authorization),
        "{downloads:?}"
    );
    gw.shutdown().await;
}

/// What a fault case must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// An image.
    Image,
    /// A text refusal (billed, never retried).
    Refusal,
    /// An error of this kind.
    Error(ErrorKind),
}

/// Every fault the issue lists, alone and in runs: (faults queued, the
/// outcome, HTTP requests the fake must see). 429 and 5xx are retried at
/// most twice (three requests); everything else is sent exactly once.
fn fault_table() -> Vec<(Vec<Fault>, Want, usize)> {
    use Fault::*;
    let past = "Mon, 01 Jan 2001 00:00:00 GMT".to_owned();
    vec![
        // 429 then 200: two requests.
        (vec![RetryAfter(429, "0".into())], Want::Image, 2),
        // Retry-After values the client cannot use fall back to its own
        // (here 5 ms) backoff; a date in the past means now.
        (vec![RetryAfter(429, "-10".into())], Want::Image, 2),
        (vec![RetryAfter(429, "soon".into())], Want::Image, 2),
        (vec![RetryAfter(503, past)], Want::Image, 2),
        // Each 5xx once, then an image.
        (vec![Status(500)], Want::Image, 2),
        (vec![BadGatewayHtml], Want::Image, 2),
        (vec![Status(503)], Want::Image, 2),
        (vec![BadGatewayHtml, Status(503)], Want::Image, 3),
        // Three in a row: retried twice, then given up.
        (vec![Status(500); 3], Want::Error(ErrorKind::Server), 3),
        (vec![BadGatewayHtml; 3], Want::Error(ErrorKind::Server), 3),
        (vec![Status(503); 3], Want::Error(ErrorKind::Server), 3),
        (
            vec![RetryAfter(429, "0".into()); 3],
            Want::Error(ErrorKind::RateLimited),
            3,
        ),
        // Never retried.
        (vec![Status(400)], Want::Error(ErrorKind::BadRequest), 1),
        (vec![Status(401)], Want::Error(ErrorKind::Unauthorized), 1),
        (vec![Status(403)], Want::Error(ErrorKind::Unauthorized), 1),
        (vec![Status(404)], Want::Error(ErrorKind::NotFound), 1),
        (vec![Status(413)], Want::Error(ErrorKind::TooLarge), 1),
        (vec![Status(422)], Want::Error(ErrorKind::BadRequest), 1),
        (vec![Fault::Refusal], Want::Refusal, 1),
        (vec![TruncatedJson], Want::Error(ErrorKind::Malformed), 1),
        (vec![Empty], Want::Error(ErrorKind::Malformed), 1),
        // The body went out, then nothing: once, "may have been billed".
        (vec![Drop], Want::Error(ErrorKind::NoAnswer), 1),
        (vec![Hang], Want::Error(ErrorKind::NoAnswer), 1),
    ]
}

/// Each case on a fresh fake: the outcome, the attempts the client counts
/// and the requests the fake saw agree; only an image or a refusal is
/// billed; and no connection is left open — none beside the idle pooled
/// ones while the client lives (a hung, dropped or retried exchange must
/// not linger), none at all once it is dropped.
#[tokio::test]
async fn faults_are_retried_exactly_as_documented() {
    for (faults, want, requests) in fault_table() {
        let label = format!("{faults:?}");
        let gw = fake(FakeConfig::default()).await;
        gw.push_faults(faults.clone());
        let mut s = settings(&gw.base_url());
        if faults.contains(&Fault::Hang) {
            s.request_timeout = Duration::from_millis(600);
        }
        let client = Client::new(s).unwrap();
        let got = client.send(&chat("a fox")).await;
        match (want, got) {
            (Want::Image, Ok(ok)) => {
                assert_eq!(ok.attempts as usize, requests, "{label}");
                image_of(&client, ok.reply).await;
            }
            (Want::Refusal, Ok(ok)) => {
                assert_eq!(ok.attempts as usize, requests, "{label}");
                assert!(
                    matches!(&ok.reply, Reply::Refusal(t) if t.contains("can't")),
                    "{label}: {:?}",
                    ok.reply
                );
            }
            (Want::Error(kind), Err(e)) => {
                assert_eq!(e.kind, kind, "{label}: {}", e.message);
                assert_eq!(e.attempts as usize, requests, "{label}");
                let unknown_fate = matches!(kind, ErrorKind::NoAnswer | ErrorKind::Malformed);
                assert_eq!(e.may_have_been_billed, unknown_fate, "{label}");
                assert_eq!(
                    e.message.contains("may have been billed"),
                    unknown_fate,
                    "{label}: {}",
                    e.message
                );
                if !unknown_fate {
                    assert!(e.request_id.is_some(), "{label}: the request id is kept");
                }
            }
            (want, got) => panic!("{label}: wanted {want:?}, got {got:?}"),
        }
        assert_eq!(gw.requests().len(), requests, "{label}");
        let billed = u64::from(matches!(want, Want::Image | Want::Refusal));
        assert_eq!(gw.billed(), billed, "{label}: billed calls");
        // Idle connections the client may keep: one to the API, plus one of
        // the download client if it fetched an image; none after an
        // exchange that got no answer (that connection is discarded).
        let pooled = match want {
            Want::Image => 2,
            Want::Error(ErrorKind::NoAnswer) => 0,
            Want::Refusal | Want::Error(_) => 1,
        };
        assert!(
            gw.wait_open_connections_at_most(pooled, Duration::from_secs(10))
                .await,
            "{label}: {} connections open, {pooled} pooled",
            gw.open_connections()
        );
        drop(client);
        assert!(
            gw.wait_open_connections_at_most(0, Duration::from_secs(10))
                .await,
            "{label}: {} connections left open",
            gw.open_connections()
        );
        gw.shutdown().await;
    }
}

#[tokio::test]
async fn a_bad_key_is_refused_with_directions() {
    let gw = fake(FakeConfig::default()).await;
    let mut s = settings(&gw.base_url());
    s.api_key = ApiKey::new("sk-wrong").unwrap();
    let client = Client::new(s).unwrap();
    let e = client.send(&chat("x")).await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ErrorKind::Unauthorized, 1));
    let said = pixloom::advice::gateway(&e);
    assert!(said.contains("PIXLOOM_API_KEY"), "{said}");
    gw.shutdown().await;
}

#[tokio::test]
async fn gateway_down_says_so() {
    let client = Client::new(settings(&common::down_url())).unwrap();
    let e = client.send(&chat("x")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unreachable);
    assert_eq!(e.attempts, 3, "a connection never made is safe to retry");
    assert!(!e.may_have_been_billed);
    let said = pixloom::advice::gateway(&e);
    assert!(
        said.contains("could not reach") && said.contains("--demo"),
        "{said}"
    );
}

#[tokio::test]
async fn a_result_larger_than_the_cap_is_refused() {
    let gw = fake(FakeConfig::default()).await;
    gw.set_shape(Some(Shape::DataUrl));
    let mut s = settings(&gw.base_url());
    s.download_cap = 10_000; // a 1280×720 PNG is larger than this
    let client = Client::new(s).unwrap();
    let ok = client.send(&generations("a big one")).await.unwrap();
    let Reply::Images(imgs) = ok.reply else {
        panic!("no image")
    };
    let ImagePayload::Url(url) = &imgs[0] else {
        panic!("expected a URL")
    };
    let e = client.download(url).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Download);
    assert!(e.message.contains("larger than"), "{}", e.message);
    assert_eq!(e.attempts, 1, "a too-large download is not retried");
    gw.shutdown().await;
}
