//! The happy paths: each endpoint answers with a readable PNG of the
//! exact size, in every shape.

use super::*;

#[tokio::test]
async fn chat_answers_with_a_url_to_a_png_of_the_exact_size() {
    let fake = fake().await;
    let a = chat(&fake, sized_chat("old lighthouse at dusk", "2048x1152")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_request_id(&a);
    let d = &a.json["data"][0];
    let url = d["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/files/", fake.base_url())),
        "{url}"
    );
    assert!(
        d.get("b64_json").is_none(),
        "one of url/b64_json, never both"
    );
    assert!(a.json["created"].as_u64().unwrap() > 1_700_000_000);
    assert!(a.json["usage"]["total_tokens"].as_u64().unwrap() > 0);
    let img = image_of(&a).await;
    assert_eq!(img.dimensions(), (2048, 1152));
    assert_eq!(fake.billed(), 1);
    let log = fake.download_log();
    assert_eq!(log.len(), 1);
    assert!(!log[0].had_authorization);
    assert_eq!(log[0].status, 200);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "downloads are not API requests");
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(reqs[0].model.as_deref(), Some(VIP));
    assert_eq!(reqs[0].status, 200);
    assert!(reqs[0].authorized && reqs[0].has_authorization);
    assert_eq!(Some(reqs[0].request_id.as_str()), a.header("request-id"));
}

#[tokio::test]
async fn generations_default_to_prefixed_b64_and_honour_url() {
    let fake = fake().await;
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "a mug", "size": "1280x720"}),
    )
    .await;
    let b64 = a.json["data"][0]["b64_json"].as_str().unwrap();
    assert!(
        b64.starts_with("data:image/png;base64,iVBOR"),
        "prefix as documented"
    );
    assert!(a.json["data"][0].get("url").is_none());
    assert_eq!(image_of(&a).await.dimensions(), (1280, 720));

    let a = generate_url(&fake, "a mug", "848x1280").await;
    assert!(a.json["data"][0]["url"].is_string());
    assert!(a.json["data"][0].get("b64_json").is_none());
    assert_eq!(image_of(&a).await.dimensions(), (848, 1280));
    assert_eq!(fake.billed(), 2);
}

#[tokio::test]
async fn a_4k_result_has_the_exact_size() {
    let fake = fake().await;
    let a = generate_url(&fake, "wallpaper", "3840x2160").await;
    assert_eq!(image_of(&a).await.dimensions(), (3840, 2160));
}

#[tokio::test]
async fn edits_derive_from_the_first_image_and_record_parts_in_order() {
    let fake = fake().await;
    let red = solid_png(300, 200, [200, 40, 30]);
    let blue = solid_png(120, 120, [20, 40, 210]);
    let a = edit(
        &fake,
        edits_form(
            "Place image1 on a beach in the style of image2",
            Some("1280x960"),
            &[("ref1.png", red.clone()), ("ref2.png", blue.clone())],
        ),
    )
    .await;
    assert!(a.json["data"][0]["url"].is_string(), "edits default to url");
    let out = image_of(&a).await;
    assert_eq!(out.dimensions(), (1280, 960));
    let red_mean = mean(&image::load_from_memory(&red).unwrap());
    let plain = image_of(
        &generate(
            &fake,
            json!({"model": VIP, "prompt": "Place image1 on a beach in the style of image2", "size": "1280x960"}),
        )
        .await,
    )
    .await;
    let derived = dist(mean(&out), red_mean);
    assert!(
        derived < 45.0,
        "result mean {:?} vs reference {red_mean:?}",
        mean(&out)
    );
    assert!(
        dist(mean(&plain), red_mean) > derived + 20.0,
        "a fresh picture is not the reference"
    );

    let r = &fake.requests()[0];
    assert_eq!(r.path, "/v1/images/edits");
    assert_eq!(r.model.as_deref(), Some(VIP));
    assert!(r.json.is_none());
    let names: Vec<_> = r.multipart.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["model", "prompt", "size", "image[]", "image[]"]);
    assert_eq!(r.multipart[2].text.as_deref(), Some("1280x960"));
    let files: Vec<_> = r.multipart[3..]
        .iter()
        .map(|p| p.file_name.as_deref().unwrap())
        .collect();
    assert_eq!(files, ["ref1.png", "ref2.png"]);
    assert_eq!(r.multipart[3].len, red.len());
    assert_eq!(r.multipart[4].sha256, pixloom_core::hex::sha256(&blue));
    assert_eq!(r.multipart[3].content_type.as_deref(), Some("image/png"));
    assert!(r.multipart[3].text.is_none());
}

#[tokio::test]
async fn edits_honour_b64_json() {
    let fake = fake().await;
    let form = edits_form(
        "x",
        Some("1280x544"),
        &[("a.png", solid_png(64, 64, [9, 9, 9]))],
    )
    .text("response_format", "b64_json");
    let a = edit(&fake, form).await;
    assert!(
        a.json["data"][0]["b64_json"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(image_of(&a).await.dimensions(), (1280, 544));
}

#[tokio::test]
async fn chat_with_a_reference_derives_from_it() {
    let fake = fake().await;
    let green = solid_png(200, 200, [30, 180, 60]);
    let body = json!({"model": VIP, "size": "1280x1280", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Convert this image into watercolor style"},
        {"type": "image_url", "image_url": {"url": data_url("image/png", &green)}},
    ]}]});
    let out = image_of(&chat(&fake, body).await).await;
    let m = mean(&out);
    assert!(
        dist(m, mean(&image::load_from_memory(&green).unwrap())) < 45.0,
        "{m:?}"
    );
    // The log keeps the data URL short but says what it was.
    let url =
        fake.requests()[0].json.as_ref().unwrap()["messages"][0]["content"][1]["image_url"]["url"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(
        url.starts_with("data:image/png;base64,iVBOR") && url.len() < 300,
        "{url}"
    );
    assert!(url.contains(&pixloom_core::hex::sha256(
        data_url("image/png", &green).as_bytes()
    )));
}

#[tokio::test]
async fn chat_accepts_its_own_result_urls_until_they_expire() {
    let fake = fake().await;
    let a = chat(&fake, sized_chat("a yellow submarine", "1280x720")).await;
    let url = a.json["data"][0]["url"].as_str().unwrap().to_owned();
    let original = image_of(&a).await;
    let refine = json!({"model": VIP, "size": "1280x720", "messages": [
        {"role": "user", "content": "a yellow submarine"},
        {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": url}}]},
        {"role": "user", "content": "make it night"},
    ]});
    let b = chat(&fake, refine.clone()).await;
    let refined = image_of(&b).await;
    assert!(
        dist(mean(&refined), mean(&original)) < 45.0,
        "refines the earlier image"
    );

    fake.advance_clock(Duration::from_secs(24 * 3600 + 1));
    let c = chat(&fake, refine).await;
    assert_eq!(c.status, 400);
    assert!(
        c.error_message().contains("could not fetch image_url"),
        "{}",
        c.text
    );
}

#[tokio::test]
async fn every_shape_carries_a_readable_png() {
    let fake = fake().await;
    for shape in Shape::ALL {
        fake.set_shape(Some(shape));
        let mut body = text_chat("shapes");
        body["size"] = json!("1280x544");
        let a = chat(&fake, body).await;
        assert_eq!(a.status, 200, "{shape}: {}", a.text);
        let content = a.json["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default();
        let d = &a.json["data"][0];
        match shape {
            Shape::DataUrl => assert!(d["url"].is_string() && d.get("b64_json").is_none()),
            Shape::DataB64 => assert!(
                d["b64_json"]
                    .as_str()
                    .unwrap()
                    .starts_with("data:image/png;base64,")
            ),
            Shape::DataB64Bare => assert!(d["b64_json"].as_str().unwrap().starts_with("iVBOR")),
            Shape::DataBoth => assert!(d["url"].is_string() && d["b64_json"].is_string()),
            Shape::ChatMarkdown => assert!(
                content.starts_with("![image](http://127.0.0.1:"),
                "{content}"
            ),
            Shape::ChatBareUrl => assert!(content.starts_with("Here it is: http://"), "{content}"),
            Shape::ChatDataUrl => assert!(content.starts_with("data:image/png;base64,")),
        }
        if content.is_empty() {
            assert!(a.json.get("choices").is_none(), "{shape}");
        } else {
            assert_eq!(a.json["object"], "chat.completion");
            assert!(a.json["id"].as_str().unwrap().starts_with("chatcmpl-"));
            assert_eq!(a.json["choices"][0]["finish_reason"], "stop");
            assert_eq!(a.json["choices"][0]["message"]["role"], "assistant");
        }
        assert_eq!(image_of(&a).await.dimensions(), (1280, 544), "{shape}");
    }
    assert_eq!(fake.billed(), Shape::ALL.len() as u64);
}

#[tokio::test]
async fn a_forced_shape_beats_response_format_and_none_restores_it() {
    let fake = start(FakeConfig {
        shape: Some(Shape::ChatMarkdown),
        ..FakeConfig::default()
    })
    .await;
    let body =
        json!({"model": VIP, "prompt": "p", "size": "1280x720", "response_format": "b64_json"});
    let a = generate(&fake, body.clone()).await;
    assert!(
        a.json["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .starts_with("![image](")
    );
    fake.set_shape(None);
    let a = generate(&fake, body).await;
    assert!(a.json["data"][0]["b64_json"].is_string());
}
