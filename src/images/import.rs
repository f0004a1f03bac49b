//! Bringing images into a conversation: from a file, a link, or any bytes.
//! All three end in [`import_bytes`]: check, store the original as it is,
//! and store a prepared copy when the original cannot be sent as it is.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ImageError, Subject};
use super::fetch::{CappedReadError, FetchError, fetch_capped};
use super::prepare::prepare_as;
use super::store::ImageStore;
use pixloom_core::tree::{ImageOrigin, ImageRef};

/// Files larger than this are refused before being read.
pub const MAX_FILE_BYTES: u64 = 200_000_000;

/// Downloads stop (and are refused) at this many bytes.
pub const MAX_DOWNLOAD_BYTES: u64 = 64 * 1024 * 1024;

/// Checks `bytes`, stores them as the original, and stores the prepared
/// upload copy when preparation had to change them. Errors name the
/// origin (the path, the link, or "the gateway's image").
pub fn import_bytes(
    bytes: &[u8],
    origin: ImageOrigin,
    store: &ImageStore,
) -> Result<ImageRef, ImageError> {
    let subject = match &origin {
        ImageOrigin::File { path } => Subject::File(path.clone()),
        ImageOrigin::Url { url } => Subject::Url(url.clone()),
        ImageOrigin::Result => Subject::Result,
    };
    let (info, prepared) = prepare_as(bytes, &subject)?;
    let original = store.put(bytes, &info)?;
    let upload = match prepared {
        Some(p) => Some(store.put(&p.bytes, &p.info)?),
        None => None,
    };
    let upload_seal = upload.as_ref().map(|u| {
        crate::provenance::Provenance::installation().upload_seal(&original.sha256, &u.sha256)
    });
    Ok(ImageRef {
        original,
        upload,
        upload_seal,
        origin,
        remote: None,
    })
}

/// Imports a local file. `path` is kept as given (for display).
pub fn import_file(path: &Path, store: &ImageStore) -> Result<ImageRef, ImageError> {
    let shown = path.to_string_lossy().into_owned();
    let unreadable = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound => ImageError::NotFound {
            path: shown.clone(),
        },
        _ => ImageError::Unreadable {
            path: shown.clone(),
            source,
        },
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(ImageError::IsDirectory { path: shown });
    }
    if !meta.is_file() {
        // A device or a pipe could block or never end.
        return Err(ImageError::NotAFile { path: shown });
    }
    let too_large = |size| ImageError::TooLarge {
        subject: Subject::File(shown.clone()),
        size,
        limit: MAX_FILE_BYTES,
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // `take`: the file may have grown since it was measured.
    File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    import_bytes(&bytes, ImageOrigin::File { path: shown }, store)
}

/// How long a reference link may take to connect, and in all.
const REFERENCE_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REFERENCE_TIMEOUT: Duration = Duration::from_secs(120);

/// Imports a reference the user named: an `http(s)://` link (downloaded
/// with a plain client: reference downloads never carry the API key), else
/// a file path, opened where `path_of` says (the app expands `~/`). The
/// one way `send --image` and the app's attach add one.
pub async fn import_reference(
    source: &str,
    path_of: impl FnOnce(&str) -> PathBuf,
    store: &ImageStore,
) -> Result<ImageRef, ImageError> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let http = reqwest::Client::builder()
            .connect_timeout(REFERENCE_CONNECT_TIMEOUT)
            .timeout(REFERENCE_TIMEOUT)
            .build()
            .map_err(|e| ImageError::Download {
                url: source.to_owned(),
                detail: error_chain(&e),
            })?;
        import_url(source, &http, store).await
    } else {
        let (path, store) = (path_of(source), store.clone());
        tokio::task::spawn_blocking(move || import_file(&path, &store))
            .await
            .map_err(stopped)?
    }
}

/// A blocking import task that did not finish (it panicked).
fn stopped(e: tokio::task::JoinError) -> ImageError {
    ImageError::Encode {
        subject: Subject::Data,
        detail: format!("the import task stopped: {e}"),
    }
}

/// Downloads an http(s) image (at most [`MAX_DOWNLOAD_BYTES`]) and imports
/// it. `http` should be a plain client: no gateway credentials are sent.
pub async fn import_url(
    url: &str,
    http: &reqwest::Client,
    store: &ImageStore,
) -> Result<ImageRef, ImageError> {
    import_url_with_cap(url, http, store, MAX_DOWNLOAD_BYTES).await
}

/// [`import_url`] with another download cap (tests use a small one).
pub async fn import_url_with_cap(
    url: &str,
    http: &reqwest::Client,
    store: &ImageStore,
    cap: u64,
) -> Result<ImageRef, ImageError> {
    let bytes = download(url, http, cap).await?;
    let (url, store) = (url.to_string(), store.clone());
    // Decoding and resizing take a while: keep them off the async threads.
    tokio::task::spawn_blocking(move || import_bytes(&bytes, ImageOrigin::Url { url }, &store))
        .await
        .map_err(stopped)?
}

/// The body of a successful GET, cut at `cap` bytes (an endless body is
/// refused, not buffered).
async fn download(url: &str, http: &reqwest::Client, cap: u64) -> Result<Vec<u8>, ImageError> {
    let bad = |reason: String| ImageError::BadUrl {
        url: url.to_string(),
        reason,
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(format!("it is not a valid link ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad(format!(
            "only http and https links can be attached, not {}:",
            parsed.scheme()
        )));
    }
    let failed = |e: reqwest::Error| ImageError::Download {
        url: url.to_string(),
        // The link is already in the message; reqwest repeats it otherwise.
        detail: error_chain(&e.without_url()),
    };
    fetch_capped(http, parsed, cap).await.map_err(|e| match e {
        FetchError::Send(e) | FetchError::Body(CappedReadError::Broken(e)) => failed(e),
        FetchError::Status(status) => ImageError::Http {
            url: url.to_string(),
            status: status.as_u16(),
        },
        FetchError::Body(CappedReadError::TooLarge) => ImageError::DownloadTooLarge {
            url: url.to_string(),
            cap,
        },
    })
}

/// reqwest's top-level message is often just "error sending request": the
/// cause (refused, DNS, TLS) is further down.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::{ImageKind, testimg};

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn store() -> (tempfile::TempDir, ImageStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path().join("images")).unwrap();
        (dir, store)
    }

    #[test]
    fn small_png_is_stored_once_without_upload_copy() {
        let (_d, store) = store();
        let png = testimg::encoded(ImageKind::Png, 40, 20);
        let r = import_bytes(&png, ImageOrigin::Result, &store).unwrap();
        assert!(r.upload.is_none());
        assert_eq!((r.original.width, r.original.height), (40, 20));
        assert_eq!(store.read(&r.original).unwrap(), png);
    }

    #[test]
    fn gif_gets_a_jpeg_upload_copy_and_keeps_the_original() {
        let (_d, store) = store();
        let gif = testimg::encoded(ImageKind::Gif, 40, 20);
        let r = import_bytes(&gif, ImageOrigin::Result, &store).unwrap();
        assert_eq!(r.original.ext, "gif");
        let up = r.upload.as_ref().unwrap();
        assert_eq!(up.ext, "jpg");
        assert_eq!(store.read(&r.original).unwrap(), gif);
        assert!(store.contains(up));
    }

    #[test]
    fn file_errors_are_distinct() {
        let (dir, store) = store();
        let missing = dir.path().join("nope.png");
        assert!(matches!(
            import_file(&missing, &store),
            Err(ImageError::NotFound { .. })
        ));
        assert!(matches!(
            import_file(dir.path(), &store),
            Err(ImageError::IsDirectory { .. })
        ));
        let empty = dir.path().join("empty.png");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(
            import_file(&empty, &store),
            Err(ImageError::Empty { .. })
        ));
        #[cfg(unix)]
        assert!(matches!(
            import_file(Path::new("/dev/null"), &store),
            Err(ImageError::NotAFile { .. })
        ));
    }

    #[test]
    fn bad_schemes_are_refused_before_any_request() {
        let (_d, store) = store();
        let rt = rt();
        let http = reqwest::Client::new();
        for url in ["file:///etc/passwd", "ftp://x.test/a.png", "not a url"] {
            let e = rt.block_on(import_url(url, &http, &store)).unwrap_err();
            assert!(matches!(e, ImageError::BadUrl { .. }), "{url}: {e:?}");
        }
    }

    /// A path is opened where the driver says (the app expands `~/`), a
    /// link is fetched and never looked for on disk.
    #[test]
    fn a_reference_is_a_link_or_a_path_the_driver_resolves() {
        let (dir, store) = store();
        let rt = rt();
        let png = testimg::encoded(ImageKind::Png, 8, 4);
        std::fs::write(dir.path().join("fox.png"), &png).unwrap();
        let home = |s: &str| dir.path().join(s.trim_start_matches("~/"));
        let r = rt
            .block_on(import_reference("~/fox.png", home, &store))
            .unwrap();
        assert_eq!(store.read(&r.original).unwrap(), png);
        // Nothing listens on port 9: a download error naming the link.
        let link = "http://127.0.0.1:9/fox.png";
        let e = rt
            .block_on(import_reference(link, |_| panic!("not a path"), &store))
            .unwrap_err();
        assert!(
            matches!(&e, ImageError::Download { url, .. } if url == link),
            "{e:?}"
        );
    }
}
