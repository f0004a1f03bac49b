//! Queued faults: errors, dropped connections and hangs, in order.

use super::*;

#[tokio::test]
async fn queued_faults_apply_in_order_then_normal_behaviour() {
    let fake = with_faults(vec![Fault::Status(500), Fault::Status(429)]).await;
    fake.push_faults([
        Fault::RetryAfter(503, "7".into()),
        Fault::BadGatewayHtml,
        Fault::TruncatedJson,
        Fault::Empty,
        Fault::Refusal,
        Fault::Status(401),
    ]);
    let body = json!({"model": VIP, "prompt": "p", "size": "1280x720"});

    let a = generate(&fake, body.clone()).await;
    assert_eq!(a.status, 500);
    assert_eq!(a.json["error"]["type"], "server_error");
    assert_request_id(&a);

    let a = generate(&fake, body.clone()).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.header("retry-after"), Some("1"));
    assert!(a.json["error"]["message"].is_string());

    let a = generate(&fake, body.clone()).await;
    assert_eq!((a.status, a.header("retry-after")), (503, Some("7")));

    let a = generate(&fake, body.clone()).await;
    assert_eq!(a.status, 502);
    assert!(a.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(a.text, "<html><body><h1>502 Bad Gateway</h1></body></html>");
    assert_request_id(&a);

    let a = generate(&fake, body.clone()).await;
    assert_eq!(a.status, 200);
    let err = serde_json::from_str::<Value>(&a.text).unwrap_err();
    assert!(err.is_eof(), "cut off, not garbled: {err}");
    assert!(a.text.starts_with("{\"") && a.text.len() > 20);

    let a = generate(&fake, body.clone()).await;
    assert_eq!((a.status, &a.json), (200, &json!({"data": []})));

    let a = generate(&fake, body.clone()).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["object"], "chat.completion");
    assert_eq!(
        a.json["choices"][0]["message"]["content"],
        "I can't help with that request."
    );
    assert_eq!(a.json["model"], VIP);

    let a = generate(&fake, body.clone()).await;
    assert_eq!(a.status, 401);

    let a = generate(&fake, body).await;
    assert_eq!(a.status, 200, "the queue is drained");
    assert_eq!(fake.billed(), 2, "the refusal and the last image");
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 429, 503, 502, 200, 200, 200, 401, 200]);
}

#[tokio::test]
async fn invalid_and_unauthorized_requests_leave_the_fault_queue_alone() {
    let fake = with_faults(vec![Fault::Status(500)]).await;
    let a = generate(&fake, json!({"model": VIP, "prompt": "p", "size": "1x1"})).await;
    assert_eq!(a.status, 400);
    let a = post_with(&fake, "/v1/images/generations", None, |r| {
        r.json(&json!({"model": VIP, "prompt": "p"}))
    })
    .await;
    assert_eq!(a.status, 401);
    let a = generate(&fake, json!({"model": VIP, "prompt": "p"})).await;
    assert_eq!(a.status, 500);
}

/// A generation request ("p", the VIP model, with the key) to `fake`,
/// from `c`.
fn generation(c: &reqwest::Client, fake: &FakeGateway) -> reqwest::RequestBuilder {
    c.post(format!("{}/v1/images/generations", fake.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"model": VIP, "prompt": "p"}))
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let fake = with_faults(vec![Fault::Drop]).await;
    let err = generation(&client(), &fake)
        .send()
        .await
        .expect_err("no response at all");
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert!(
        fake.wait_open_connections_at_most(0, Duration::from_secs(5))
            .await
    );
    let r = &fake.requests()[0];
    assert_eq!(
        (r.status, r.model.as_deref()),
        (0, Some(VIP)),
        "the body was read"
    );
    // The server carries on.
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "p", "size": "1280x544"}),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(fake.billed(), 1);
}

#[tokio::test]
async fn hang_outlasts_a_short_client_timeout() {
    // An hour: only the client's own timeout can end this request.
    let fake = hanging(Duration::from_secs(3600)).await;
    let short = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let err = generation(&short, &fake)
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(fake.requests()[0].status, 0, "never answered");
    assert!(
        fake.wait_open_connections_at_most(0, Duration::from_secs(5))
            .await,
        "the client's give-up closes the hung connection"
    );
    assert_eq!(fake.billed(), 0);
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "p", "size": "1280x544"}),
    )
    .await;
    assert_eq!(a.status, 200, "others are served meanwhile");
    // Shutdown does not wait for the hour-long hang (the bound only turns
    // a shutdown that waits into a failure instead of a stuck test).
    tokio::time::timeout(Duration::from_secs(600), fake.shutdown())
        .await
        .expect("shutdown waited for the hung request");
}

#[tokio::test]
async fn a_short_hang_answers_504() {
    let fake = hanging(Duration::from_millis(200)).await;
    let a = generate(&fake, json!({"model": VIP, "prompt": "p"})).await;
    assert_eq!(a.status, 504);
    assert_eq!(fake.requests()[0].status, 504);
}
