//! Expiry, billing, concurrency, the control endpoints and the log.

use super::*;

#[tokio::test]
async fn result_urls_expire_after_the_ttl() {
    let ttl = Duration::from_millis(400);
    let fake = start(FakeConfig {
        url_ttl: ttl,
        ..FakeConfig::default()
    })
    .await;
    let t0 = Instant::now();
    let a = generate_url(&fake, "p", "1280x544").await;
    let url = a.json["data"][0]["url"].as_str().unwrap().to_owned();
    // Poll (bounded) until it dies; it must never die before the ttl.
    let mut gone = None;
    for _ in 0..400 {
        let (status, _) = download(&url).await;
        if status == 404 {
            gone = Some(t0.elapsed());
            break;
        }
        assert_eq!(status, 200);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let gone = gone.expect("the URL expired within 10 s");
    assert!(gone >= ttl, "expired after {gone:?}, before the ttl");
    let log = fake.download_log();
    assert_eq!(log.last().unwrap().status, 404);
}

#[tokio::test]
async fn an_injected_clock_expires_urls_without_waiting() {
    let fake = fake().await;
    let a = generate_url(&fake, "p", "1280x544").await;
    let url = a.json["data"][0]["url"].as_str().unwrap().to_owned();
    fake.advance_clock(Duration::from_secs(23 * 3600));
    assert_eq!(download(&url).await.0, 200, "alive at 23 h");
    fake.advance_clock(Duration::from_secs(3600));
    assert_eq!(download(&url).await.0, 404, "dead at 24 h");
    assert_eq!(
        download(&format!("{}/files/nope.png", fake.base_url()))
            .await
            .0,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_wait_their_latency_in_parallel() {
    let fake = start(FakeConfig {
        latency: Duration::from_millis(300),
        ..FakeConfig::default()
    })
    .await;
    // Refusals go through auth, parsing, validation and the latency like
    // any request but cost no drawing. The fake's own record says when
    // each was read and answered: waited in parallel, every request was
    // read before any was answered (served one by one, the first answer
    // would come before the second request was read). No wall-clock bound.
    let calls = (0..8).map(|i| {
        let fake = &fake;
        async move {
            chat(fake, text_chat(&format!("p{i} [fake:refuse]")))
                .await
                .status
        }
    });
    let done = futures_util::future::join_all(calls).await;
    assert_eq!(done, vec![200; 8]);
    let records = fake.requests();
    assert_eq!(records.len(), 8);
    let last_read = records.iter().map(|r| r.received_us).max().unwrap();
    let first_answer = records
        .iter()
        .map(|r| r.answered_us.unwrap())
        .min()
        .unwrap();
    assert!(
        last_read < first_answer,
        "a request was answered before the last one was read: not in parallel"
    );
    for r in &records {
        let waited_us = r.answered_us.unwrap() - r.received_us;
        assert!(waited_us >= 300_000, "waited {waited_us} µs");
    }

    // Pictures drawn concurrently come out whole and distinct.
    let calls = (0..8).map(|i| {
        let fake = &fake;
        async move {
            let a = generate_url(fake, &format!("p{i}"), "1280x544").await;
            let img = image_of(&a).await;
            assert_eq!(img.dimensions(), (1280, 544));
            a.json["data"][0]["url"].as_str().unwrap().to_owned()
        }
    });
    let mut urls = futures_util::future::join_all(calls).await;
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 8);
    assert_eq!(fake.billed(), 16);
}

#[tokio::test]
async fn connections_are_counted_and_closed() {
    let fake = fake().await;
    {
        let c = client();
        let resp = c
            .get(format!("{}/__fake/stats", fake.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(fake.open_connections(), 1, "the client keeps it alive");
    }
    assert!(
        fake.wait_open_connections_at_most(0, Duration::from_secs(5))
            .await
    );
    assert_eq!(fake.open_connections(), 0);
}

/// What the fake's control endpoint `/__fake/WHAT` answers.
async fn control(c: &reqwest::Client, base: &str, what: &str) -> Value {
    c.get(format!("{base}/__fake/{what}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_control_endpoints_serve_out_of_process_tests() {
    let fake = fake().await;
    let base = fake.base_url();
    let c = client();
    let resp = c
        .post(format!("{base}/__fake/faults"))
        .json(&json!(["500", "refuse"]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bad = c
        .post(format!("{base}/__fake/faults"))
        .json(&json!(["boom"]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(
        generate(&fake, json!({"model": VIP, "prompt": "p"}))
            .await
            .status,
        500
    );
    generate(&fake, json!({"model": VIP, "prompt": "p"})).await;
    let stats = control(&c, &base, "stats").await;
    assert_eq!(
        (stats["billed"].as_u64(), stats["requests"].as_u64()),
        (Some(1), Some(2))
    );
    let reqs: Vec<RecordedRequest> =
        serde_json::from_value(control(&c, &base, "requests").await).unwrap();
    assert_eq!(reqs, fake.requests());
    assert_eq!(reqs[1].json.as_ref().unwrap()["prompt"], "p");
    let resp = c
        .post(format!("{base}/__fake/shape"))
        .json(&json!({"shape": "data-both"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "p", "size": "1280x544"}),
    )
    .await;
    assert!(a.json["data"][0]["url"].is_string() && a.json["data"][0]["b64_json"].is_string());
    let downloads = control(&c, &base, "downloads").await;
    assert!(downloads.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn every_answer_has_a_unique_request_id_and_unknown_routes_404() {
    let fake = fake().await;
    let a = Answer::of(
        client()
            .get(format!("{}/v1/models", fake.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 404);
    assert!(a.error_message().contains("/v1/models"));
    assert_request_id(&a);
    let b = generate(
        &fake,
        json!({"model": VIP, "prompt": "p", "size": "1280x544"}),
    )
    .await;
    assert_request_id(&b);
    assert_ne!(a.header("request-id"), b.header("request-id"));
    let resp = client()
        .get(format!("{}/files/x.png", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("request-id"));
    assert!(fake.requests().iter().all(|r| r.path != "/v1/models"));
}
