//! Auth and validation: bad keys get 401, bad requests 400, big images 413,
//! each with a clear message.

use super::*;

#[tokio::test]
async fn bad_or_missing_keys_get_401_and_the_key_is_never_logged() {
    let fake = start(FakeConfig {
        api_key: Some(KEY.into()),
        ..FakeConfig::default()
    })
    .await;
    let url = format!("{}/v1/images/generations", fake.base_url());
    let body = json!({"model": VIP, "prompt": "p", "size": "1280x720"});
    let cases: [Option<&str>; 4] = [
        None,
        Some("Bearer sk-wrong"),
        Some("Basic c2stdGVzdA=="),
        Some(KEY),
    ];
    for auth in cases {
        let mut req = client().post(&url).json(&body);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let a = Answer::of(req.send().await.unwrap()).await;
        assert_eq!(a.status, 401, "{auth:?}");
        assert_request_id(&a);
        assert_eq!(a.json["error"]["code"], "invalid_api_key");
        assert!(!a.text.contains(KEY) && !a.text.contains("sk-wrong"));
    }
    let a = generate(&fake, body).await;
    assert_eq!(a.status, 200);
    assert_eq!(fake.billed(), 1);
    let reqs = fake.requests();
    let flags: Vec<_> = reqs
        .iter()
        .map(|r| (r.has_authorization, r.authorized, r.status))
        .collect();
    assert_eq!(
        flags,
        [
            (false, false, 401),
            (true, false, 401),
            (true, false, 401),
            (true, false, 401),
            (true, true, 200)
        ]
    );
    let logged = serde_json::to_string(&reqs).unwrap();
    assert!(
        !logged.contains(KEY) && !logged.contains("sk-wrong") && !logged.contains("c2stdGVzdA")
    );

    // Without a configured key, any sk- token passes.
    let open = start(FakeConfig::default()).await;
    let a = post_with(&open, "/v1/images/generations", Some("not-sk"), |r| {
        r.json(&json!({"model": VIP, "prompt": "p"}))
    })
    .await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn invalid_requests_get_400_with_a_clear_message() {
    let fake = fake().await;
    let png = solid_png(16, 16, [1, 2, 3]);
    let jpeg = {
        let mut out = std::io::Cursor::new(Vec::new());
        RgbImage::from_pixel(8, 8, Rgb([5, 5, 5]))
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .unwrap();
        out.into_inner()
    };
    let with_image = |url: String| {
        json!({"model": VIP, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "edit"}, {"type": "image_url", "image_url": {"url": url}}]}]})
    };
    let gen_with = |extra: Value| {
        let mut b = json!({"model": VIP, "prompt": "a cat"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let chat_with = |extra: Value| {
        let mut b = text_chat("a cat");
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    const GEN: &str = "/v1/images/generations";
    const CHAT: &str = "/v1/chat/completions";
    let cases: Vec<(&str, Value, &str)> = vec![
        (GEN, gen_with(json!({"quality": "high"})), "quality"),
        (GEN, gen_with(json!({"n": 3})), "`n`"),
        (
            GEN,
            gen_with(json!({"aspect_ratio": "16:9"})),
            "aspect_ratio",
        ),
        (GEN, gen_with(json!({"size": "1024x1024"})), "1280x1280"),
        (GEN, gen_with(json!({"size": "2048X1152"})), "lowercase"),
        (GEN, gen_with(json!({"size": "16:9"})), "ratio"),
        (
            GEN,
            gen_with(json!({"model": ALL, "size": "1280x720"})),
            "takes no `size`",
        ),
        (
            GEN,
            gen_with(json!({"model": ALL, "size": "auto"})),
            "takes no `size`",
        ),
        (
            GEN,
            gen_with(json!({"model": "dall-e-3"})),
            "does not exist",
        ),
        (GEN, gen_with(json!({"prompt": "  "})), "prompt"),
        (GEN, json!({"model": VIP}), "prompt"),
        (
            GEN,
            gen_with(json!({"response_format": "png"})),
            "response_format",
        ),
        (GEN, gen_with(json!({"style": "vivid"})), "Unrecognized"),
        (CHAT, chat_with(json!({"stream": true})), "stream"),
        (CHAT, chat_with(json!({"quality": "low"})), "quality"),
        (CHAT, chat_with(json!({"size": "1024x768"})), "1280x960"),
        (CHAT, chat_with(json!({"temperature": 3})), "temperature"),
        (CHAT, json!({"model": VIP, "messages": []}), "messages"),
        (CHAT, json!({"model": VIP}), "messages"),
        (
            CHAT,
            json!({"model": VIP, "messages": [{"role": "tool", "content": "x"}]}),
            "tool",
        ),
        (
            CHAT,
            json!({"model": VIP, "messages": [{"role": "assistant", "content": "x"}]}),
            "no user message",
        ),
        (
            CHAT,
            json!({"model": VIP, "messages": [{"role": "user", "content": [
            {"type": "input_image", "image_url": "x"}]}]}),
            "input_image",
        ),
        (CHAT, with_image("ftp://x/y.png".into()), "https://"),
        (
            CHAT,
            with_image("https://example.com/photo.png".into()),
            "could not fetch image_url",
        ),
        (
            CHAT,
            with_image(format!("{}/files/0123.png", fake.base_url())),
            "could not fetch image_url",
        ),
        (CHAT, with_image(data_url("image/gif", &png)), "image/gif"),
        (
            CHAT,
            with_image("data:image/png;base64,@@@".into()),
            "base64",
        ),
        (CHAT, with_image(data_url("image/png", &jpeg)), "image/jpeg"),
        (
            CHAT,
            with_image(data_url("image/png", b"hello, not an image")),
            "not a png",
        ),
        (
            CHAT,
            with_image(data_url("image/png", &png[..40])),
            "does not decode",
        ),
    ];
    for (path, body, fragment) in cases {
        let a = post(&fake, path, &body).await;
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        assert_request_id(&a);
        assert_eq!(
            a.json["error"]["type"], "invalid_request_error",
            "{}",
            a.text
        );
        assert!(
            a.error_message().contains(fragment),
            "{body}: {} lacks {fragment:?}",
            a.error_message()
        );
    }
    // Not JSON at all.
    let a = post_with(&fake, "/v1/chat/completions", Some(KEY), |r| {
        r.header("content-type", "application/json")
            .body("{\"model\":")
    })
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(fake.billed(), 0, "invalid requests are not billed");
    assert!(fake.requests().iter().all(|r| r.status == 400));
}

#[tokio::test]
async fn invalid_edits_get_400() {
    let fake = fake().await;
    let png = solid_png(16, 16, [1, 2, 3]);
    let cases: Vec<(Form, &str)> = vec![
        (edits_form("x", Some("1280x720"), &[]), "image[]"),
        (
            edits_form("x", None, &[]).part(
                "image[]",
                Part::bytes(b"plain text".to_vec())
                    .file_name("notes.txt")
                    .mime_str("text/plain")
                    .unwrap(),
            ),
            "not a png",
        ),
        (
            edits_form("x", Some("1280X720"), &[("a.png", png.clone())]),
            "lowercase",
        ),
        (
            Form::new()
                .text("model", ALL)
                .text("prompt", "x")
                .text("size", "1280x720")
                .part("image[]", Part::bytes(png.clone()).file_name("a.png")),
            "takes no `size`",
        ),
        (
            edits_form("x", None, &[("a.png", png.clone())]).text("quality", "high"),
            "quality",
        ),
        (
            edits_form("x", None, &[("a.png", png.clone())]).text("n", "2"),
            "`n`",
        ),
        (edits_form("", None, &[("a.png", png.clone())]), "prompt"),
        (
            Form::new()
                .text("model", VIP)
                .text("prompt", "x")
                .part("image", Part::bytes(png.clone()).file_name("a.png")),
            "Unrecognized request argument supplied: image",
        ),
    ];
    for (form, fragment) in cases {
        let a = edit(&fake, form).await;
        assert_eq!(a.status, 400, "{}", a.text);
        assert!(
            a.error_message().contains(fragment),
            "{} lacks {fragment:?}",
            a.error_message()
        );
    }
    // JSON to the multipart endpoint.
    let a = post(
        &fake,
        "/v1/images/edits",
        &json!({"model": VIP, "prompt": "x"}),
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(fake.billed(), 0);
}

/// A valid PNG padded past 10 MB (decoders ignore bytes after IEND).
fn oversized_png() -> Vec<u8> {
    let mut png = solid_png(8, 8, [1, 1, 1]);
    png.resize(pixloom_fake::MAX_IMAGE_BYTES + 1024, 0);
    png
}

#[tokio::test]
async fn images_over_10_mb_get_413() {
    let fake = fake().await;
    let big = oversized_png();
    let a = edit(&fake, edits_form("x", None, &[("big.png", big.clone())])).await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert!(a.error_message().contains("10 MB"), "{}", a.text);
    let body = json!({"model": VIP, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "x"}, {"type": "image_url", "image_url": {"url": data_url("image/png", &big)}}]}]});
    let a = chat(&fake, body).await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert_eq!(fake.billed(), 0);
}
