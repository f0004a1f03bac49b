//! The figures criterion cannot take: peak memory (a counting allocator),
//! and 8 variants through the app's real loop against the fake gateway at
//! 2 s latency (wall time, slowest frame). Also writes the inputs the
//! reference tools read. Run by `scripts/bench`, or by hand:
//!
//! ```text
//! cargo bench --bench figures                # memory + variants
//! cargo bench --bench figures -- inputs DIR  # write the inputs to DIR
//! cargo bench --bench figures -- breakdown   # where the b64 result time goes
//! ```
//!
//! Prints one `FIGURE <name> <value> <unit>` line per measurement.

mod support;

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::unbounded_channel;

use pixloom::convfile::ConvFolder;
use pixloom::engine::Engine;
use pixloom::gateway::{ApiKey, Client, Settings};
use pixloom::images::{self, ImageStore};
use pixloom::tui::{
    App, Clock, Drawn, Effects, Event, GraphicsBackend, Msg, Screen, TuiArgs, ViewState,
};
use pixloom_core::history::ImageBudget;
use pixloom_core::tree::{Endpoint, NodeId, Part, RequestParams, Status};
use pixloom_core::wire::{self, ImagePayload, Reply};
use pixloom_fake::{FakeConfig, FakeGateway};

#[global_allocator]
static ALLOCATOR: pixloom_testkit::alloc::Counting = pixloom_testkit::alloc::Counting;

fn figure(name: &str, value: f64, unit: &str) {
    println!("FIGURE {name} {value:.3} {unit}");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Peak heap above what was live before, for `work`.
fn peak_extra(work: impl FnOnce()) -> usize {
    let before = pixloom_testkit::alloc::start();
    work();
    pixloom_testkit::alloc::peak() - before
}

fn memory() {
    // A 17 MB b64_json reply arriving: parse, decode, check, store.
    let body = support::b64_json_response(&support::result_4k_png());
    let dir = tempfile::tempdir().expect("temp dir");
    let store = ImageStore::open(dir.path()).expect("store");
    let extra = peak_extra(|| {
        let Ok(Reply::Images(mut found)) = wire::parse_reply(&body) else {
            panic!("the reply parses to an image");
        };
        let Some(ImagePayload::Bytes { bytes, .. }) = found.pop() else {
            panic!("inline bytes");
        };
        store.keep_result(&bytes).expect("kept");
    });
    figure("result_response_bytes", body.len() as f64, "B");
    figure("result_peak_extra_bytes", extra as f64, "B");
    figure(
        "result_peak_extra_ratio",
        extra as f64 / body.len() as f64,
        "x",
    );
    drop(body);

    // A 24 MP camera JPEG prepared to a data URL.
    let photo = support::photo_24mp_jpeg();
    let mut url_len = 0;
    let extra = peak_extra(|| {
        let prepared = images::prepare_upload(&photo).expect("prepared");
        url_len = images::data_url(&prepared.bytes, &prepared.info).len();
    });
    figure("reference_input_bytes", photo.len() as f64, "B");
    figure("reference_data_url_bytes", url_len as f64, "B");
    figure("reference_peak_extra_bytes", extra as f64, "B");
}

fn key(code: KeyCode) -> Msg {
    Msg::Event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// A test screen that times every frame and notes when all variants are
/// done.
struct TimedScreen {
    term: Terminal<TestBackend>,
    frames: Vec<Duration>,
    variants: Vec<NodeId>,
    started: Option<Instant>,
    all_back: Option<Duration>,
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
}

impl Screen for TimedScreen {
    fn frame(&mut self, app: &App, view: &mut ViewState) -> io::Result<Drawn> {
        let t0 = Instant::now();
        let drawn = self.term.frame(app, view)?;
        self.frames.push(t0.elapsed());
        if self.variants.is_empty() {
            self.variants = app.in_flight.keys().copied().collect();
        }
        let done =
            |id: &NodeId| app.conv.node(*id).ok().and_then(|n| n.status()) == Some(Status::Done);
        if self.all_back.is_none() && self.variants.len() == 8 && self.variants.iter().all(done) {
            self.all_back = self.started.map(|s| s.elapsed());
            self.tx
                .send(Msg::Action(pixloom::tui::Action::Quit))
                .expect("the loop listens");
        }
        Ok(drawn)
    }
}

/// One run: a conversation with one prompt, `v` `8` on it, until all 8
/// variants are done and stored. Returns (wall, slowest frame).
async fn eight_variants(latency: Duration) -> (Duration, Duration) {
    let fake = FakeGateway::start(FakeConfig {
        latency,
        ..FakeConfig::default()
    })
    .await
    .expect("fake gateway");
    let dir = tempfile::tempdir().expect("temp dir");
    let now = time::OffsetDateTime::now_utc();
    let (folder, mut conv) =
        ConvFolder::create(dir.path().join("v.pixloom"), "variants", now).expect("folder");
    conv.add_user(
        None,
        vec![Part::Text {
            text: "a lighthouse at dusk".to_owned(),
        }],
        now,
    )
    .expect("prompt");
    let client = Client::new(Settings::new(
        fake.base_url(),
        ApiKey::new("sk-bench").expect("key"),
    ))
    .expect("client");
    let args = TuiArgs {
        folder,
        conv,
        interrupted: Vec::new(),
        missing_images: Vec::new(),
        engine: Some(Engine::new(client, ImageBudget::default())),
        defaults: RequestParams {
            endpoint: Endpoint::Chat,
            model: pixloom_core::model::DEFAULT_MODEL.to_owned(),
            size: "1280x1280".parse().expect("size"),
        },
        demo: false,
        graphics: GraphicsBackend::Blocks.into(),
        budgets: pixloom::budget::Budgets::default(),
        spent_today: pixloom::budget::DaySpend::none_on(time::OffsetDateTime::now_utc()),
        rerun: None,
    };
    let (mut app, folder, engine) = args.into_parts(Clock::now());
    let (tx, mut rx) = unbounded_channel();
    let mut effects = Effects::new(engine, folder, tx.clone());
    let mut screen = TimedScreen {
        term: Terminal::new(TestBackend::new(200, 60)).expect("terminal"),
        frames: Vec::new(),
        variants: Vec::new(),
        started: Some(Instant::now()),
        all_back: None,
        tx: tx.clone(),
    };
    tx.send(key(KeyCode::Char('v'))).expect("queued");
    tx.send(key(KeyCode::Char('8'))).expect("queued");
    tokio::time::timeout(
        Duration::from_secs(60),
        pixloom::tui::drive(&mut app, &mut effects, &mut rx, &mut screen, Clock::now),
    )
    .await
    .expect("the variants came back within a minute")
    .expect("the loop ran");
    effects.shutdown();
    let wall = screen.all_back.expect("all 8 variants done");
    let slowest = screen.frames.iter().copied().max().unwrap_or_default();
    (wall, slowest)
}

fn variants() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut walls = Vec::new();
    let mut frames = Vec::new();
    for _ in 0..5 {
        let (wall, slowest) = rt.block_on(eight_variants(Duration::from_secs(2)));
        walls.push(wall.as_secs_f64() * 1e3);
        frames.push(slowest.as_secs_f64() * 1e3);
    }
    figure("variants_8_at_2s_wall", median(walls), "ms");
    // The worst frame of any run (the target is a bound, not a median).
    let worst = frames.iter().copied().fold(0.0, f64::max);
    figure("variants_8_at_2s_slowest_frame", worst, "ms");
}

fn cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn timed<R>(label: &str, f: impl FnOnce() -> R) -> R {
    let (w, c) = (Instant::now(), cpu());
    let r = f();
    println!("  {label}: wall {:?} cpu {:?}", w.elapsed(), cpu() - c);
    r
}

/// Where the b64_json result's time goes (wall and CPU, 5 runs).
fn breakdown() {
    let png = support::result_4k_png();
    let body = support::b64_json_response(&png);
    let dir = tempfile::tempdir().expect("temp dir");
    for run in 0..5 {
        println!("run {run}");
        timed("parse + base64", || {
            wire::parse_reply(&body).expect("parse")
        });
        timed("check whole", || {
            images::accept_result(&png).expect("whole")
        });
        timed("sha256", || <sha2::Sha256 as sha2::Digest>::digest(&png));
        let plain = dir.path().join(format!("plain-{run}"));
        timed("write (page cache)", || {
            std::fs::write(&plain, &png).expect("write")
        });
        let durable = dir.path().join(format!("durable-{run}"));
        timed("write_atomic (fsync)", || {
            pixloom::durable::write_atomic(&durable, &png).expect("write")
        });
    }
}

fn inputs(dir: &Path) {
    std::fs::create_dir_all(dir).expect("inputs dir");
    let png = support::result_4k_png();
    std::fs::write(dir.join("result-4k.png"), &png).expect("write");
    std::fs::write(
        dir.join("result-4k-b64.json"),
        support::b64_json_response(&png),
    )
    .expect("write");
    std::fs::write(dir.join("photo-24mp.jpg"), support::photo_24mp_jpeg()).expect("write");
    let big = dir.join("big.pixloom");
    if !big.join("conversation.json").exists() {
        let _ = std::fs::remove_dir_all(&big);
        support::big_conversation(&big);
    }
    println!("inputs written to {}", dir.display());
}

fn main() {
    // `cargo bench` passes `--bench`; anything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["inputs", dir] => inputs(Path::new(dir)),
        ["memory"] => memory(),
        ["variants"] => variants(),
        ["breakdown"] => breakdown(),
        [] => {
            memory();
            variants();
        }
        _ => {
            eprintln!("usage: figures [inputs DIR | memory | variants | breakdown]");
            std::process::exit(2);
        }
    }
}
