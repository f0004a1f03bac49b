//! The gateway client against the fake gateway, over real HTTP: every
//! response shape, every fault with its attempt count, and what is never
//! sent.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use bytes::Bytes;
use pixloom::core::wire::{ImagePayload, Reply};
use pixloom::fake::{FakeConfig, FakeGateway, Fault, Shape};
use pixloom::gateway::{ApiKey, Client, ErrorKind, Outbound, RetryPolicy, Settings};

fn settings(base: &str) -> Settings {
    let mut s = Settings::new(base, ApiKey::new(common::key()));
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
    let body = serde_json::json!({
        "model": "gpt-image-2-vip",
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
        "size": "1280x720",
        "stream": false,
    });
    Outbound::Json {
        path: "/v1/chat/completions",
        body: Bytes::from(serde_json::to_vec(&body).unwrap()),
    }
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

/// (faults queued, expected outcome, HTTP requests the fake must see)
#[tokio::test]
async fn faults_are_retried_exactly_as_documented() {
    use Fault::*;
    let cases: Vec<(Vec<Fault>, Option<ErrorKind>, usize)> = vec![
        (vec![RetryAfter(429, "0".into())], None, 2),
        (vec![Status(500)], None, 2),
        (vec![BadGatewayHtml, Status(503)], None, 3),
        (
            vec![Status(500), Status(500), Status(500)],
            Some(ErrorKind::Server),
            3,
        ),
        (
            vec![BadGatewayHtml, BadGatewayHtml, BadGatewayHtml],
            Some(ErrorKind::Server),
            3,
        ),
        (
            vec![RetryAfter(429, "0".into()); 3],
            Some(ErrorKind::RateLimited),
            3,
        ),
        (vec![Status(400)], Some(ErrorKind::BadRequest), 1),
        (vec![Status(401)], Some(ErrorKind::Unauthorized), 1),
        (vec![Status(403)], Some(ErrorKind::Unauthorized), 1),
        (vec![Status(404)], Some(ErrorKind::NotFound), 1),
        (vec![Status(413)], Some(ErrorKind::TooLarge), 1),
        (vec![Status(422)], Some(ErrorKind::BadRequest), 1),
        (vec![TruncatedJson], Some(ErrorKind::Malformed), 1),
        (vec![Empty], Some(ErrorKind::Malformed), 1),
        (vec![Drop], Some(ErrorKind::NoAnswer), 1),
    ];
    for (faults, want, requests) in cases {
        let gw = fake(FakeConfig::default()).await;
        gw.push_faults(faults.clone());
        let client = Client::new(settings(&gw.base_url())).unwrap();
        let got = client.send(&generations("a fox")).await;
        let label = format!("{faults:?}");
        match (want, got) {
            (None, Ok(ok)) => assert_eq!(ok.attempts as usize, requests, "{label}"),
            (Some(kind), Err(e)) => {
                assert_eq!(e.kind, kind, "{label}: {}", e.message);
                assert_eq!(e.attempts as usize, requests, "{label}");
                assert!(!e.message.is_empty());
                if matches!(kind, ErrorKind::NoAnswer | ErrorKind::Malformed) {
                    assert!(e.may_have_been_billed, "{label}");
                    assert!(e.message.contains("billed"), "{label}: {}", e.message);
                } else {
                    assert!(!e.may_have_been_billed, "{label}");
                    assert!(e.request_id.is_some(), "{label}: the request id is kept");
                }
            }
            (want, got) => panic!("{label}: wanted {want:?}, got {got:?}"),
        }
        assert_eq!(gw.requests().len(), requests, "{label}");
        drop(client);
        gw.shutdown().await;
    }
}

#[tokio::test]
async fn a_hang_times_out_once_and_may_have_been_billed() {
    let gw = fake(FakeConfig::default()).await;
    gw.push_faults([Fault::Hang]);
    let mut s = settings(&gw.base_url());
    s.request_timeout = Duration::from_millis(600);
    let client = Client::new(s).unwrap();
    let e = client.send(&generations("slow")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoAnswer, "{}", e.message);
    assert_eq!(e.attempts, 1);
    assert!(e.may_have_been_billed);
    assert!(e.message.contains("may have been billed"), "{}", e.message);
    assert_eq!(gw.requests().len(), 1);
    assert_eq!(gw.billed(), 0);
    gw.shutdown().await;
}

#[tokio::test]
async fn refusals_are_not_retried() {
    let gw = fake(FakeConfig::default()).await;
    gw.push_faults([Fault::Refusal]);
    let client = Client::new(settings(&gw.base_url())).unwrap();
    let ok = client.send(&chat("a celebrity")).await.unwrap();
    assert!(
        matches!(&ok.reply, Reply::Refusal(t) if t.contains("can't")),
        "{:?}",
        ok.reply
    );
    assert_eq!(ok.attempts, 1);
    assert_eq!(gw.requests().len(), 1);
    assert_eq!(gw.billed(), 1, "refusals may be billed");
    gw.shutdown().await;
}

#[tokio::test]
async fn a_bad_key_is_refused_with_directions() {
    let gw = fake(FakeConfig::default()).await;
    let mut s = settings(&gw.base_url());
    s.api_key = ApiKey::new("sk-wrong");
    let client = Client::new(s).unwrap();
    let e = client.send(&chat("x")).await.unwrap_err();
    assert_eq!((e.kind, e.attempts), (ErrorKind::Unauthorized, 1));
    assert!(e.message.contains("PIXLOOM_API_KEY"), "{}", e.message);
    gw.shutdown().await;
}

#[tokio::test]
async fn gateway_down_says_so() {
    // Bind, learn a free port, close it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::new(settings(&format!("http://127.0.0.1:{port}"))).unwrap();
    let e = client.send(&chat("x")).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unreachable);
    assert_eq!(e.attempts, 3, "a connection never made is safe to retry");
    assert!(!e.may_have_been_billed);
    assert!(
        e.message.contains("could not reach") && e.message.contains("--demo"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn no_connection_is_left_open_after_faults() {
    let gw = fake(FakeConfig::default()).await;
    gw.push_faults([Fault::Status(500), Fault::Drop]);
    {
        let client = Client::new(settings(&gw.base_url())).unwrap();
        let _ = client.send(&chat("a")).await;
        let _ = client.send(&chat("b")).await;
    }
    // The client is gone, so its pooled connections close; the server
    // must see every one of them closed.
    assert!(
        gw.wait_open_connections_at_most(0, Duration::from_secs(10))
            .await,
        "{} connections left open",
        gw.open_connections()
    );
    gw.shutdown().await;
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
