//! Per-request steering: prompt directives and headers.

use super::*;

#[tokio::test]
async fn prompt_directives_and_headers_steer_one_request() {
    let fake = fake().await;
    let a = chat(&fake, text_chat("a celebrity [fake:refuse]")).await;
    assert_eq!(
        a.json["choices"][0]["message"]["content"],
        "I can't help with that request."
    );
    assert_eq!(fake.billed(), 1, "refusals are billed");

    let a = generate(&fake, json!({"model": VIP, "prompt": "x [fake:fault=500]"})).await;
    assert_eq!(a.status, 500);
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "x [fake:fault=429:3]"}),
    )
    .await;
    assert_eq!((a.status, a.header("retry-after")), (429, Some("3")));

    let body = json!({"model": VIP, "size": "1280x720", "messages": [
        {"role": "system", "content": "[fake:fault=500] system text is not the prompt"},
        {"role": "user", "content": [{"type": "text", "text": "a boat"}, {"type": "text", "text": "[fake:shape=chat-bare-url]"}]}]});
    let a = chat(&fake, body).await;
    assert!(
        a.json["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .starts_with("Here it is: http://")
    );

    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "slow [fake:latency=0.3]", "size": "1280x544"}),
    )
    .await;
    assert_eq!(a.status, 200);
    // The fake's own clock says how long it held the answer.
    let slow = fake.requests().pop().unwrap();
    let held_us = slow.answered_us.unwrap() - slow.received_us;
    assert!(held_us >= 300_000, "answered after {held_us} µs");

    let a = generate(&fake, json!({"model": VIP, "prompt": "x [fake:nonsense]"})).await;
    assert_eq!(a.status, 400);
    assert!(a.error_message().contains("nonsense"));

    let a = post_with(&fake, "/v1/images/generations", Some(KEY), |r| {
        r.header("x-fake-fault", "429")
            .json(&json!({"model": VIP, "prompt": "x"}))
    })
    .await;
    assert_eq!((a.status, a.header("retry-after")), (429, Some("1")));

    let a = post_with(&fake, "/v1/images/generations", Some(KEY), |r| {
        r.header("x-fake-shape", "chat-data-url")
            .json(&json!({"model": VIP, "prompt": "x", "size": "1280x544"}))
    })
    .await;
    assert!(
        a.json["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(image_of(&a).await.dimensions(), (1280, 544));
}

#[tokio::test]
async fn a_directive_leaves_the_queue_for_the_next_request() {
    let fake = with_faults(vec![Fault::Status(503)]).await;
    let a = generate(&fake, json!({"model": VIP, "prompt": "x [fake:refuse]"})).await;
    assert_eq!(
        a.json["choices"][0]["message"]["content"],
        "I can't help with that request."
    );
    let a = generate(&fake, json!({"model": VIP, "prompt": "x"})).await;
    assert_eq!(a.status, 503);
}
