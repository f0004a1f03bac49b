//! A download that never ends is cut at the client's cap.

use super::*;

/// How much a capped download may hold at once: the body's buffer grows by
/// doubling but never past the cap (it used to reach twice the cap), plus
/// the HTTP stack's own buffers.
fn download_memory_bound(cap: u64) -> usize {
    usize::try_from(cap).unwrap() + 8 * MIB
}

/// A result download whose body never ends is cut at the client's cap
/// (64 MiB by default), refused as too large, not retried, in bounded
/// memory.
#[test]
fn an_endless_result_download_is_cut_at_the_cap() {
    let _serial = one_at_a_time();
    let base = common::endless_http_server();
    let settings = Settings::new(base.clone(), ApiKey::new(common::key()).unwrap());
    let cap = settings.download_cap;
    assert_eq!(cap, MAX_DOWNLOAD_BYTES, "the default cap");
    let client = Client::new(settings).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (result, peak) = pixloom_testkit::alloc::peak_during(|| {
        rt.block_on(client.download(&format!("{base}/result.png")))
    });
    let e = result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Download);
    assert!(
        e.message.contains("is larger than 64 MiB; refused"),
        "{}",
        e.message
    );
    assert_eq!(e.attempts, 1, "a too-large download is not retried");
    let bound = download_memory_bound(cap);
    assert!(peak < bound, "the download held {} MiB", peak / MIB);
    eprintln!(
        "endless result download: cut at the {} MiB cap; peak allocation {} MiB",
        cap >> 20,
        peak / MIB
    );
}

/// The same for a reference image attached by link.
#[test]
fn an_endless_reference_download_is_cut_at_the_cap() {
    let _serial = one_at_a_time();
    let base = common::endless_http_server();
    let home = tempfile::tempdir().unwrap();
    let store = ImageStore::open(home.path().join("images")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{base}/photo.png");
    let (result, peak) = pixloom_testkit::alloc::peak_during(|| {
        rt.block_on(pixloom::images::import_url(&url, &http, &store))
    });
    let e = result.unwrap_err();
    assert!(
        matches!(e, ImageError::DownloadTooLarge { cap, .. } if cap == MAX_DOWNLOAD_BYTES),
        "{e:?}"
    );
    let bound = download_memory_bound(MAX_DOWNLOAD_BYTES);
    assert!(peak < bound, "the download held {} MiB", peak / MIB);
    eprintln!(
        "endless reference download: cut at the cap; peak allocation {} MiB",
        peak / MIB
    );
    assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 0);
}
