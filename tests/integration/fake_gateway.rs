#![allow(clippy::unwrap_used)]
//! The fake gateway over real HTTP: endpoints, shapes, validation, faults,
//! directives, expiry, billing and the request log.

use std::time::{Duration, Instant};

use base64::Engine as _;
use image::{DynamicImage, GenericImageView as _, Rgb, RgbImage};
use pixloom_fake::{FakeConfig, FakeGateway, Fault, RecordedRequest, Shape};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const KEY: &str = "sk-test-key-123";
const VIP: &str = "gpt-image-2-vip";
const ALL: &str = "gpt-image-2-all";

async fn start(cfg: FakeConfig) -> FakeGateway {
    FakeGateway::start(cfg).await.unwrap()
}

async fn fake() -> FakeGateway {
    start(FakeConfig::default()).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// An answer: status, headers, body parsed as JSON (Null if it is not).
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
    json: Value,
}

impl Answer {
    async fn of(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn error_message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or_default()
    }
}

async fn post(fake: &FakeGateway, path: &str, body: &Value) -> Answer {
    let resp = client()
        .post(format!("{}{path}", fake.base_url()))
        .bearer_auth(KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    Answer::of(resp).await
}

async fn chat(fake: &FakeGateway, body: Value) -> Answer {
    post(fake, "/v1/chat/completions", &body).await
}

async fn generate(fake: &FakeGateway, body: Value) -> Answer {
    post(fake, "/v1/images/generations", &body).await
}

async fn edit(fake: &FakeGateway, form: Form) -> Answer {
    let resp = client()
        .post(format!("{}/v1/images/edits", fake.base_url()))
        .bearer_auth(KEY)
        .multipart(form)
        .send()
        .await
        .unwrap();
    Answer::of(resp).await
}

fn text_chat(prompt: &str) -> Value {
    json!({"model": VIP, "messages": [{"role": "user", "content": prompt}], "stream": false})
}

fn png_of(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A reference picture: mostly one colour, with a little texture.
fn solid_png(w: u32, h: u32, c: [u8; 3]) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        let d = ((x + y) % 16) as u8;
        Rgb([
            c[0].saturating_add(d),
            c[1].saturating_add(d),
            c[2].saturating_add(d),
        ])
    });
    png_of(&img)
}

fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn b64_decode(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

async fn download(url: &str) -> (u16, Vec<u8>) {
    let resp = client().get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap().to_vec())
}

/// The image an answer carries, in whatever shape: URL (downloaded),
/// b64_json (prefixed or bare), or older chat content.
async fn image_of(a: &Answer) -> DynamicImage {
    assert_eq!(a.status, 200, "{}", a.text);
    let bytes = if let Some(d) = a.json["data"].get(0) {
        if let Some(url) = d["url"].as_str() {
            let (status, bytes) = download(url).await;
            assert_eq!(status, 200, "{url}");
            bytes
        } else {
            let b = d["b64_json"].as_str().unwrap();
            b64_decode(b.strip_prefix("data:image/png;base64,").unwrap_or(b))
        }
    } else {
        let content = a.json["choices"][0]["message"]["content"].as_str().unwrap();
        if let Some(rest) = content.strip_prefix("data:image/png;base64,") {
            b64_decode(rest)
        } else {
            let at = content.find("http://").unwrap();
            let url = content[at..].trim_end_matches(')');
            download(url).await.1
        }
    };
    assert!(bytes.starts_with(b"\x89PNG"), "results are PNG");
    image::load_from_memory(&bytes).unwrap()
}

fn mean(img: &DynamicImage) -> [f64; 3] {
    let rgb = img.to_rgb8();
    let mut s = [0f64; 3];
    for p in rgb.pixels() {
        for (acc, v) in s.iter_mut().zip(p.0) {
            *acc += f64::from(v);
        }
    }
    let n = f64::from(rgb.width() * rgb.height());
    [s[0] / n, s[1] / n, s[2] / n]
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn assert_request_id(a: &Answer) {
    let id = a.header("request-id").expect("request-id header");
    assert!(id.starts_with("req_") && id.len() == 20, "{id}");
}

// ----- happy paths -----------------------------------------------------------

#[tokio::test]
async fn chat_answers_with_a_url_to_a_png_of_the_exact_size() {
    let fake = fake().await;
    let mut body = text_chat("old lighthouse at dusk");
    body["size"] = json!("2048x1152");
    let a = chat(&fake, body).await;
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

    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "a mug", "size": "848x1280", "response_format": "url"}),
    )
    .await;
    assert!(a.json["data"][0]["url"].is_string());
    assert!(a.json["data"][0].get("b64_json").is_none());
    assert_eq!(image_of(&a).await.dimensions(), (848, 1280));
    assert_eq!(fake.billed(), 2);
}

#[tokio::test]
async fn a_4k_result_has_the_exact_size() {
    let fake = fake().await;
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "wallpaper", "size": "3840x2160", "response_format": "url"}),
    )
    .await;
    assert_eq!(image_of(&a).await.dimensions(), (3840, 2160));
}

fn edits_form(prompt: &str, size: Option<&str>, images: &[(&str, Vec<u8>)]) -> Form {
    let mut form = Form::new()
        .text("model", VIP)
        .text("prompt", prompt.to_owned());
    if let Some(s) = size {
        form = form.text("size", s.to_owned());
    }
    for (name, bytes) in images {
        form = form.part(
            "image[]",
            Part::bytes(bytes.clone())
                .file_name((*name).to_owned())
                .mime_str("image/png")
                .unwrap(),
        );
    }
    form
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
    assert_eq!(r.multipart[4].sha256, sha256_hex(&blue));
    assert_eq!(r.multipart[3].content_type.as_deref(), Some("image/png"));
    assert!(r.multipart[3].text.is_none());
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(b))
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
    assert!(url.contains(&sha256_hex(data_url("image/png", &green).as_bytes())));
}

#[tokio::test]
async fn chat_accepts_its_own_result_urls_until_they_expire() {
    let fake = fake().await;
    let mut first = text_chat("a yellow submarine");
    first["size"] = json!("1280x720");
    let a = chat(&fake, first).await;
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

// ----- auth and validation ---------------------------------------------------

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
    let a = Answer::of(
        client()
            .post(format!("{}/v1/images/generations", open.base_url()))
            .bearer_auth("not-sk")
            .json(&json!({"model": VIP, "prompt": "p"}))
            .send()
            .await
            .unwrap(),
    )
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
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/v1/images/generations",
            gen_with(json!({"quality": "high"})),
            "quality",
        ),
        ("/v1/images/generations", gen_with(json!({"n": 3})), "`n`"),
        (
            "/v1/images/generations",
            gen_with(json!({"aspect_ratio": "16:9"})),
            "aspect_ratio",
        ),
        (
            "/v1/images/generations",
            gen_with(json!({"size": "1024x1024"})),
            "1280x1280",
        ),
        (
            "/v1/images/generations",
            gen_with(json!({"size": "2048X1152"})),
            "lowercase",
        ),
        (
            "/v1/images/generations",
            gen_with(json!({"size": "16:9"})),
            "ratio",
        ),
        (
            "/v1/images/generations",
            gen_with(json!({"model": ALL, "size": "1280x720"})),
            "takes no `size`",
        ),
        (
            "/v1/images/generations",
            gen_with(json!({"model": ALL, "size": "auto"})),
            "takes no `size`",
        ),
        (
            "/v1/images/generations",
            gen_with(json!({"model": "dall-e-3"})),
            "does not exist",
        ),
        (
            "/v1/images/generations",
            gen_with(json!({"prompt": "  "})),
            "prompt",
        ),
        ("/v1/images/generations", json!({"model": VIP}), "prompt"),
        (
            "/v1/images/generations",
            gen_with(json!({"response_format": "png"})),
            "response_format",
        ),
        (
            "/v1/images/generations",
            gen_with(json!({"style": "vivid"})),
            "Unrecognized",
        ),
        (
            "/v1/chat/completions",
            chat_with(json!({"stream": true})),
            "stream",
        ),
        (
            "/v1/chat/completions",
            chat_with(json!({"quality": "low"})),
            "quality",
        ),
        (
            "/v1/chat/completions",
            chat_with(json!({"size": "1024x768"})),
            "1280x960",
        ),
        (
            "/v1/chat/completions",
            chat_with(json!({"temperature": 3})),
            "temperature",
        ),
        (
            "/v1/chat/completions",
            json!({"model": VIP, "messages": []}),
            "messages",
        ),
        ("/v1/chat/completions", json!({"model": VIP}), "messages"),
        (
            "/v1/chat/completions",
            json!({"model": VIP, "messages": [{"role": "tool", "content": "x"}]}),
            "tool",
        ),
        (
            "/v1/chat/completions",
            json!({"model": VIP, "messages": [{"role": "assistant", "content": "x"}]}),
            "no user message",
        ),
        (
            "/v1/chat/completions",
            json!({"model": VIP, "messages": [{"role": "user", "content": [
            {"type": "input_image", "image_url": "x"}]}]}),
            "input_image",
        ),
        (
            "/v1/chat/completions",
            with_image("ftp://x/y.png".into()),
            "https://",
        ),
        (
            "/v1/chat/completions",
            with_image("https://example.com/photo.png".into()),
            "could not fetch image_url",
        ),
        (
            "/v1/chat/completions",
            with_image(format!("{}/files/0123.png", fake.base_url())),
            "could not fetch image_url",
        ),
        (
            "/v1/chat/completions",
            with_image(data_url("image/gif", &png)),
            "image/gif",
        ),
        (
            "/v1/chat/completions",
            with_image("data:image/png;base64,@@@".into()),
            "base64",
        ),
        (
            "/v1/chat/completions",
            with_image(data_url("image/png", &jpeg)),
            "image/jpeg",
        ),
        (
            "/v1/chat/completions",
            with_image(data_url("image/png", b"hello, not an image")),
            "not a png",
        ),
        (
            "/v1/chat/completions",
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
    let a = Answer::of(
        client()
            .post(format!("{}/v1/chat/completions", fake.base_url()))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body("{\"model\":")
            .send()
            .await
            .unwrap(),
    )
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

// ----- faults ----------------------------------------------------------------

#[tokio::test]
async fn queued_faults_apply_in_order_then_normal_behaviour() {
    let fake = start(FakeConfig {
        faults: vec![Fault::Status(500), Fault::Status(429)],
        ..FakeConfig::default()
    })
    .await;
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
    let fake = start(FakeConfig {
        faults: vec![Fault::Status(500)],
        ..FakeConfig::default()
    })
    .await;
    let a = generate(&fake, json!({"model": VIP, "prompt": "p", "size": "1x1"})).await;
    assert_eq!(a.status, 400);
    let a = Answer::of(
        client()
            .post(format!("{}/v1/images/generations", fake.base_url()))
            .json(&json!({"model": VIP, "prompt": "p"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 401);
    let a = generate(&fake, json!({"model": VIP, "prompt": "p"})).await;
    assert_eq!(a.status, 500);
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let fake = start(FakeConfig {
        faults: vec![Fault::Drop],
        ..FakeConfig::default()
    })
    .await;
    let err = client()
        .post(format!("{}/v1/images/generations", fake.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"model": VIP, "prompt": "p"}))
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
    let fake = start(FakeConfig {
        faults: vec![Fault::Hang],
        hang_for: Duration::from_secs(120),
        ..FakeConfig::default()
    })
    .await;
    let short = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let t0 = Instant::now();
    let err = short
        .post(format!("{}/v1/images/generations", fake.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"model": VIP, "prompt": "p"}))
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    assert!(t0.elapsed() < Duration::from_secs(10));
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
    // Shutdown does not wait for the hang.
    let t1 = Instant::now();
    fake.shutdown().await;
    assert!(t1.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_short_hang_answers_504() {
    let fake = start(FakeConfig {
        faults: vec![Fault::Hang],
        hang_for: Duration::from_millis(200),
        ..FakeConfig::default()
    })
    .await;
    let a = generate(&fake, json!({"model": VIP, "prompt": "p"})).await;
    assert_eq!(a.status, 504);
    assert_eq!(fake.requests()[0].status, 504);
}

// ----- per-request steering ----------------------------------------------------

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

    let t0 = Instant::now();
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "slow [fake:latency=0.3]", "size": "1280x544"}),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));

    let a = generate(&fake, json!({"model": VIP, "prompt": "x [fake:nonsense]"})).await;
    assert_eq!(a.status, 400);
    assert!(a.error_message().contains("nonsense"));

    let resp = client()
        .post(format!("{}/v1/images/generations", fake.base_url()))
        .bearer_auth(KEY)
        .header("x-fake-fault", "429")
        .json(&json!({"model": VIP, "prompt": "x"}))
        .send()
        .await
        .unwrap();
    let a = Answer::of(resp).await;
    assert_eq!((a.status, a.header("retry-after")), (429, Some("1")));

    let resp = client()
        .post(format!("{}/v1/images/generations", fake.base_url()))
        .bearer_auth(KEY)
        .header("x-fake-shape", "chat-data-url")
        .json(&json!({"model": VIP, "prompt": "x", "size": "1280x544"}))
        .send()
        .await
        .unwrap();
    let a = Answer::of(resp).await;
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
    let fake = start(FakeConfig {
        faults: vec![Fault::Status(503)],
        ..FakeConfig::default()
    })
    .await;
    let a = generate(&fake, json!({"model": VIP, "prompt": "x [fake:refuse]"})).await;
    assert_eq!(
        a.json["choices"][0]["message"]["content"],
        "I can't help with that request."
    );
    let a = generate(&fake, json!({"model": VIP, "prompt": "x"})).await;
    assert_eq!(a.status, 503);
}

// ----- pictures and sizes ------------------------------------------------------

/// Three calls (fox, lighthouse, fox again) to a fake with `seed`.
async fn three_pictures(seed: u64) -> Vec<RgbImage> {
    let fake = start(FakeConfig {
        seed,
        ..FakeConfig::default()
    })
    .await;
    let mut out = Vec::new();
    for p in [
        "a red fox in the snow",
        "a lighthouse at dusk",
        "a red fox in the snow",
    ] {
        let a = generate(
            &fake,
            json!({"model": VIP, "prompt": p, "size": "1280x720"}),
        )
        .await;
        out.push(image_of(&a).await.to_rgb8());
    }
    out
}

/// As the real gateway: every call draws a new picture, the same prompt
/// included (variants differ), and different prompts look clearly
/// different; a seed repeats the whole sequence exactly.
#[tokio::test]
async fn every_call_draws_a_new_picture_and_a_seed_repeats_the_sequence() {
    let run = three_pictures(0).await;
    let (a, b, a2) = (&run[0], &run[1], &run[2]);
    assert_ne!(a, a2, "the same prompt twice drew the same picture");
    let diff: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    let per_channel = diff / a.as_raw().len() as u64;
    assert!(per_channel > 20, "mean abs difference {per_channel}");
    assert_eq!(
        three_pictures(0).await,
        run,
        "the same seed, other pictures"
    );
    assert_ne!(
        three_pictures(1).await[0],
        run[0],
        "another seed, the same picture"
    );
}

#[tokio::test]
async fn auto_and_the_all_model_pick_sizes_from_the_prompt() {
    let fake = fake().await;
    let dims = |body: Value| {
        let fake = &fake;
        async move { image_of(&generate(fake, body).await).await.dimensions() }
    };
    let (w, h) = dims(json!({"model": VIP, "prompt": "a harbour", "size": "auto"})).await;
    let s = pixloom_core::size::Size::lookup(w, h).expect("auto gives a table size");
    assert_ne!(s.tier, pixloom_core::size::Tier::Detail4K);
    assert_eq!(
        dims(json!({"model": VIP, "prompt": "a harbour"})).await,
        (w, h),
        "auto is deterministic"
    );
    assert_eq!(
        dims(json!({"model": ALL, "prompt": "a cat\n\n(Output size: 1280x720 pixels, aspect ratio 16:9.)"})).await,
        (1280, 720)
    );
    assert_eq!(
        dims(json!({"model": ALL, "prompt": "a cat"})).await,
        (1280, 1280)
    );
}

// ----- expiry, billing, concurrency, the log --------------------------------------

#[tokio::test]
async fn result_urls_expire_after_the_ttl() {
    let ttl = Duration::from_millis(400);
    let fake = start(FakeConfig {
        url_ttl: ttl,
        ..FakeConfig::default()
    })
    .await;
    let t0 = Instant::now();
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "p", "size": "1280x544", "response_format": "url"}),
    )
    .await;
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
    let a = generate(
        &fake,
        json!({"model": VIP, "prompt": "p", "size": "1280x544", "response_format": "url"}),
    )
    .await;
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
            let a = generate(
                fake,
                json!({"model": VIP, "prompt": format!("p{i}"), "size": "1280x544", "response_format": "url"}),
            )
            .await;
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
    let stats: Value = c
        .get(format!("{base}/__fake/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (stats["billed"].as_u64(), stats["requests"].as_u64()),
        (Some(1), Some(2))
    );
    let reqs: Vec<RecordedRequest> = c
        .get(format!("{base}/__fake/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let downloads: Value = c
        .get(format!("{base}/__fake/downloads"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
