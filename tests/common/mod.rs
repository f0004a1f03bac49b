//! Shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

pub mod disk;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The API key the tests use: CI sets a random canary
/// (`PIXLOOM_CANARY_KEY`) and checks it never leaks.
pub fn key() -> String {
    std::env::var("PIXLOOM_CANARY_KEY").unwrap_or_else(|_| "sk-canary-7f3a9c1e5b2d4f60".to_owned())
}

/// A text-only chat request, as the engine would build it.
pub fn chat_request(prompt: &str) -> pixloom::gateway::Outbound {
    let body = serde_json::json!({
        "model": "gpt-image-2-vip",
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
        "size": "1280x720",
        "stream": false,
    });
    pixloom::gateway::Outbound::Json {
        path: "/v1/chat/completions",
        body: bytes::Bytes::from(serde_json::to_vec(&body).unwrap()),
    }
}

/// A solid-colour PNG on disk.
pub fn png_file(dir: &Path, name: &str, w: u32, h: u32, rgb: [u8; 3]) -> PathBuf {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    let path = dir.join(name);
    img.save(&path).unwrap();
    path
}

#[allow(unused_imports)] // the hostile-files crate does not use it
pub use pixloom_testkit::pictures::noisy_jpeg;

/// The `pixloom` binary built for these tests.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pixloom"));
    // Isolate from the developer's own config, key and logs.
    for var in [
        "PIXLOOM_API_KEY",
        "APIYI_API_KEY",
        "OPENAI_API_KEY",
        "PIXLOOM_BASE_URL",
        "PIXLOOM_MODEL",
        "PIXLOOM_SIZE",
    ] {
        c.env_remove(var);
    }
    // The demo's pictures, repeatable (a user's demo draws a fresh seed).
    c.env(pixloom::cli::DEMO_SEED_VAR, "0");
    c
}

/// The first line `child` writes to its (piped) stdout, which is closed
/// after it.
pub fn first_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line
}

/// A `pixloom fake-gateway` child process, killed on drop.
pub struct FakeProcess {
    pub child: Child,
    pub base_url: String,
}

impl FakeProcess {
    pub fn start(args: &[&str]) -> FakeProcess {
        let mut child = bin()
            .arg("fake-gateway")
            .args(["--api-key", &key()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let line = first_line(&mut child);
        let base_url = line.trim().rsplit(' ').next().unwrap().to_owned();
        assert!(base_url.starts_with("http://127.0.0.1:"), "{line}");
        FakeProcess { child, base_url }
    }

    /// The fake's own record of what it received.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        let url = format!("{}/__fake/requests", self.base_url);
        let body = blocking_get(&url);
        serde_json::from_str::<Vec<serde_json::Value>>(&body).unwrap()
    }

    /// Lets every `[fake:hold]` request answer (`POST /__fake/release`).
    pub fn release(&self) {
        blocking_post(&format!("{}/__fake/release", self.base_url));
    }

    pub fn billed(&self) -> u64 {
        let body = blocking_get(&format!("{}/__fake/stats", self.base_url));
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["billed"]
            .as_u64()
            .unwrap()
    }
}

impl Drop for FakeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET with std only (the tests that use it are not async).
pub fn blocking_get(url: &str) -> String {
    blocking_request("GET", url)
}

/// A POST with no body, std only.
pub fn blocking_post(url: &str) -> String {
    blocking_request("POST", url)
}

fn blocking_request(method: &str, url: &str) -> String {
    use std::io::{Read as _, Write as _};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return dechunk(body);
    }
    body.to_owned()
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out
}

/// Real terminals: the app's binary, tmux, a pty, a private sshd.
pub mod term;
pub mod tui;

/// A loopback HTTP server whose every answer is `200 OK`, a PNG
/// signature, then bytes forever (no length, never ends): only the
/// client's cap can stop it. Returns its base URL; it lives as long as the
/// test process, one thread per connection, each ending when the client
/// hangs up.
pub fn endless_http_server() -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\nconnection: close\r\n\r\n\x89PNG\r\n\x1a\n",
                );
                let chunk = vec![0x42u8; 64 * 1024];
                while conn.write_all(&chunk).is_ok() {}
            });
        }
    });
    base
}

/// A chain of `turns` nodes (user, failed assistant, user, …), the last
/// selected, built field by field: the core's `select` walks the path on
/// every step, which would make building 20,000 turns take minutes.
pub fn chain(turns: usize) -> pixloom_core::tree::Conversation {
    use pixloom_core::tree::{
        Conversation, Endpoint, Node, NodeId, Part, RequestParams, Role, Status, Turn, TurnError,
    };
    let t0 = time::macros::datetime!(2026-12-01 12:00 UTC);
    let mut c = Conversation::new("deep", t0);
    let last = u32::try_from(turns).unwrap();
    for i in 1..=last {
        let user = i % 2 == 1;
        let id = NodeId(i);
        let next = (i < last).then(|| NodeId(i + 1));
        c.nodes.insert(
            id,
            Node {
                id,
                parent: (i > 1).then(|| NodeId(i - 1)),
                children: next.into_iter().collect(),
                role: if user { Role::User } else { Role::Assistant },
                parts: if user {
                    vec![Part::Text {
                        text: format!("turn {i}"),
                    }]
                } else {
                    Vec::new()
                },
                created_at: t0,
                label: None,
                starred: false,
                last_child: next,
                turn: (!user).then(|| Turn {
                    request: RequestParams {
                        endpoint: Endpoint::Chat,
                        model: "gpt-image-2-vip".to_owned(),
                        size: "1280x720".parse().unwrap(),
                    },
                    status: Status::Failed,
                    error: Some(TurnError {
                        message: format!("failed {i}"),
                        ..TurnError::default()
                    }),
                    request_id: None,
                    latency_ms: None,
                    cost_micro_usd: 0,
                    attempts: 1,
                    received: None,
                }),
            },
        );
    }
    c.next_id = last + 1;
    c.roots = vec![NodeId(1)];
    c.selected = c.nodes.keys().next_back().copied();
    c.check().unwrap();
    c
}

/// The fake gateway on loopback, expecting the test key, and an engine
/// pointed at it.
pub async fn fake_with_engine(
    max_images: usize,
) -> (pixloom_fake::FakeGateway, pixloom::engine::Engine) {
    use pixloom::gateway::{ApiKey, Client, Settings};
    let gw = pixloom_fake::FakeGateway::start(pixloom_fake::FakeConfig {
        api_key: Some(key()),
        ..pixloom_fake::FakeConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(Settings::new(gw.base_url(), ApiKey::new(key()).unwrap())).unwrap();
    let budget = pixloom_core::history::ImageBudget { max_images };
    (gw, pixloom::engine::Engine::new(client, budget))
}

/// A loopback port nobody listens on (right now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A gateway URL nothing answers at: a loopback port nobody listens on.
pub fn down_url() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// How many entries of `dir` have a name that `pick` accepts.
pub fn count_names(dir: &Path, pick: impl Fn(&str) -> bool) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| pick(&e.as_ref().unwrap().file_name().to_string_lossy()))
        .count()
}

/// Runs `cmd` to completion, failing the test (with its stderr) unless it
/// succeeds.
pub fn succeeds(what: &str, cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert_success(what, &out);
    out
}

/// Fails the test, with the process's stderr, unless it succeeded.
pub fn assert_success(what: &str, out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
