//! The in-process timing figures, as criterion benchmarks:
//! `cargo bench --bench pipeline`. `scripts/bench` reads the medians from
//! `target/criterion/*/new/estimates.json` and prints them beside the
//! reference tools. Inputs come from `support` (deterministic, generated).

mod support;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use pixloom::convfile::ConvFolder;
use pixloom::images::{self, ImageStore};
use pixloom::tui::ViewState;
use pixloom::tui::graphics::ThumbSpec;
use pixloom::tui::thumbs::{self, ThumbCache, ThumbWant};
use pixloom::tui::{App, Clock, GraphicsBackend, Screen, TuiArgs};
use pixloom_core::tree::RequestParams;
use pixloom_core::wire::{self, ImagePayload, Reply};

/// Parse a `b64_json` reply, decode it, check the image and store it
/// durably (fsync'd), as the engine does when a result arrives.
fn keep_b64_result(body: &[u8], store: &ImageStore) -> pixloom_core::tree::Blob {
    let Ok(Reply::Images(mut found)) = wire::parse_reply(body) else {
        panic!("the reply parses to an image");
    };
    let Some(ImagePayload::Bytes { bytes, .. }) = found.pop() else {
        panic!("inline bytes");
    };
    store.keep_result(&bytes).expect("kept")
}

fn result_4k(c: &mut Criterion) {
    let body = support::b64_json_response(&support::result_4k_png());
    let dir = tempfile::tempdir().expect("temp dir");
    let store = ImageStore::open(dir.path()).expect("store");
    let blob = keep_b64_result(&body, &store);
    let stored = store.path(&blob);
    let mut g = c.benchmark_group("result");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("b64_json_4k_to_disk", |b| {
        b.iter_batched(
            // A fresh write each time: the store skips content it has.
            || std::fs::remove_file(&stored).expect("remove the stored copy"),
            |()| keep_b64_result(black_box(&body), &store),
            BatchSize::PerIteration,
        );
    });
    // What the reference tools do: the same work, the file written without
    // an fsync (pixloom's store syncs, so that figure includes the disk).
    let plain = dir.path().join("plain.png");
    g.bench_function("b64_json_4k_to_file_no_fsync", |b| {
        b.iter(|| {
            let Ok(Reply::Images(mut found)) = wire::parse_reply(black_box(&body)) else {
                panic!("the reply parses to an image");
            };
            let Some(ImagePayload::Bytes { bytes, .. }) = found.pop() else {
                panic!("inline bytes");
            };
            images::accept_result(&bytes).expect("whole");
            // As the store does: hashed on another thread while written.
            std::thread::scope(|s| {
                let hashing = s.spawn(|| <sha2::Sha256 as sha2::Digest>::digest(&bytes));
                std::fs::write(&plain, &bytes).expect("written");
                hashing.join().expect("hashed")
            })
        });
    });
    g.finish();
}

fn thumbnail(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = ImageStore::open(dir.path().join("images")).expect("store");
    let blob = store.keep_result(&support::result_4k_png()).expect("kept");
    let cache_dir = dir.path().join("thumbs");
    let spec = ThumbSpec {
        cache_dir: Some(cache_dir.clone()),
        ..ThumbSpec::default()
    };
    let (cols, rows) = (60, 20);
    let mut g = c.benchmark_group("thumbnail");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("half_block_60x20_first", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_dir_all(&cache_dir);
            },
            |()| thumbs::load(&store, &blob, cols, rows, &spec).expect("thumb"),
            BatchSize::PerIteration,
        );
    });
    // Another run of the app: the scaled copy comes from the disk cache.
    thumbs::load(&store, &blob, cols, rows, &spec).expect("thumb");
    g.bench_function("half_block_60x20_disk_cache", |b| {
        b.iter(|| thumbs::load(&store, &blob, cols, rows, &spec).expect("thumb"));
    });
    // The same run: the thumbnail is in memory.
    let mut cache = ThumbCache::default();
    let want = ThumbWant {
        blob: blob.clone(),
        cols,
        rows,
    };
    cache.want(std::slice::from_ref(&want));
    let thumb = thumbs::load(&store, &blob, cols, rows, &spec).expect("thumb");
    cache.insert(blob.file_name(), cols, rows, Ok(Arc::new(thumb)));
    g.bench_function("half_block_60x20_memory_cache", |b| {
        b.iter(|| {
            let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 80, 24));
            if let thumbs::ThumbState::Ready(t) = cache.get(&blob.file_name(), cols, rows) {
                let _half_blocks_only =
                    t.render(0, ratatui::layout::Rect::new(0, 0, cols, rows), &mut buf);
            }
            buf
        });
    });
    g.finish();
}

fn reference_upload(c: &mut Criterion) {
    let photo = support::photo_24mp_jpeg();
    let mut g = c.benchmark_group("reference");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("jpeg_24mp_to_data_url", |b| {
        b.iter(|| {
            let prepared = images::prepare_upload(black_box(&photo)).expect("prepared");
            images::data_url(&prepared.bytes, &prepared.info)
        });
    });
    g.finish();
}

/// The big conversation, made once per machine in the target dir (where
/// `scripts/bench` puts its inputs too).
fn big_conversation_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-inputs/big.pixloom");
    if !dir.join("conversation.json").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        support::big_conversation(&dir);
    }
    dir
}

/// Opens the folder (lock, read, check) and builds the app's state, as
/// `pixloom CONV` does before its first frame.
fn open_app(dir: &std::path::Path) -> (App, ConvFolder) {
    let (folder, loaded) = ConvFolder::open(dir).expect("opens");
    let args = TuiArgs {
        folder,
        conv: loaded.conv,
        interrupted: loaded.interrupted,
        missing_images: loaded.missing_images,
        engine: None,
        defaults: RequestParams {
            endpoint: pixloom_core::tree::Endpoint::Chat,
            model: pixloom_core::model::DEFAULT_MODEL.to_owned(),
            size: "auto".parse().expect("size"),
        },
        demo: false,
        graphics: GraphicsBackend::Blocks.into(),
        budgets: pixloom::budget::Budgets::default(),
        spent_today: pixloom::budget::DaySpend::none_on(time::OffsetDateTime::now_utc()),
        rerun: None,
    };
    let (app, folder, _) = args.into_parts(Clock::now());
    (app, folder)
}

fn big_conversation(c: &mut Criterion) {
    let dir = big_conversation_dir();
    let mut g = c.benchmark_group("conversation");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("open_1000_turns_to_first_frame", |b| {
        b.iter(|| {
            let (app, folder) = open_app(&dir);
            let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
            let wants = term
                .frame(&app, &mut ViewState::default())
                .expect("drawn")
                .wants;
            drop(folder);
            wants
        });
    });
    // A steady frame: the thumbnails on screen are decoded.
    let (mut app, _folder) = open_app(&dir);
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let wants = term
        .frame(&app, &mut ViewState::default())
        .expect("drawn")
        .wants;
    let spec = ThumbSpec::default();
    for w in app.thumbs.want(&wants) {
        let store = ImageStore::at(dir.join("images"));
        let t = thumbs::load(&store, &w.blob, w.cols, w.rows, &spec).expect("thumb");
        app.thumbs
            .insert(w.blob.file_name(), w.cols, w.rows, Ok(Arc::new(t)));
    }
    g.bench_function("frame_200x60", |b| {
        b.iter(|| {
            term.frame(black_box(&app), &mut ViewState::default())
                .expect("drawn")
        });
    });
    g.finish();
}

criterion_group!(
    benches,
    result_4k,
    thumbnail,
    reference_upload,
    big_conversation
);
criterion_main!(benches);
