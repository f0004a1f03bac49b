#![allow(clippy::unwrap_used)]
//! The fake gateway over real HTTP: endpoints, shapes, validation, faults,
//! directives, expiry, billing and the request log.

use std::time::{Duration, Instant};

use base64::Engine as _;
use image::{DynamicImage, GenericImageView as _, Rgb, RgbImage};
use pixloom_fake::{FakeConfig, FakeGateway, Fault, RecordedRequest, Shape};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

mod faults;
mod happy;
mod pictures;
mod serving;
mod steering;
mod validation;

const KEY: &str = "sk-test-key-123";
const VIP: &str = "gpt-image-2-vip";
const ALL: &str = "gpt-image-2-all";

async fn start(cfg: FakeConfig) -> FakeGateway {
    FakeGateway::start(cfg).await.unwrap()
}

/// A fake that answers its first requests with `faults`, in order.
async fn with_faults(faults: Vec<Fault>) -> FakeGateway {
    start(FakeConfig {
        faults,
        ..FakeConfig::default()
    })
    .await
}

/// A fake whose first request hangs for `hang_for`.
async fn hanging(hang_for: Duration) -> FakeGateway {
    start(FakeConfig {
        faults: vec![Fault::Hang],
        hang_for,
        ..FakeConfig::default()
    })
    .await
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

/// A POST to `path` of the fake with `key` as its bearer token (`None`:
/// no Authorization header) and the body `fill` puts in.
async fn post_with(
    fake: &FakeGateway,
    path: &str,
    key: Option<&str>,
    fill: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Answer {
    let mut req = client().post(format!("{}{path}", fake.base_url()));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    Answer::of(fill(req).send().await.unwrap()).await
}

async fn post(fake: &FakeGateway, path: &str, body: &Value) -> Answer {
    post_with(fake, path, Some(KEY), |r| r.json(body)).await
}

async fn chat(fake: &FakeGateway, body: Value) -> Answer {
    post(fake, "/v1/chat/completions", &body).await
}

async fn generate(fake: &FakeGateway, body: Value) -> Answer {
    post(fake, "/v1/images/generations", &body).await
}

/// A generation of `prompt` at `size` on the VIP model, answered with a URL.
async fn generate_url(fake: &FakeGateway, prompt: &str, size: &str) -> Answer {
    let body = json!({"model": VIP, "prompt": prompt, "size": size, "response_format": "url"});
    generate(fake, body).await
}

async fn edit(fake: &FakeGateway, form: Form) -> Answer {
    post_with(fake, "/v1/images/edits", Some(KEY), |r| r.multipart(form)).await
}

/// [`text_chat`] asking for `size`.
fn sized_chat(prompt: &str, size: &str) -> Value {
    let mut body = text_chat(prompt);
    body["size"] = json!(size);
    body
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
