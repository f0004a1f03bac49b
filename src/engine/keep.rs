//! Storing a received picture: from the bytes in hand, its spare copy, or
//! its link.

use bytes::Bytes;
use time::OffsetDateTime;

use crate::gateway;
use crate::images::{self, ImageStore};
use crate::provenance::Provenance;
use pixloom_core::tree::{Blob, ImageOrigin, ImageRef, Received};
use pixloom_core::wire::ImagePayload;

/// How long the gateway keeps result URLs alive (about a day).
pub const RESULT_URL_LIFETIME: time::Duration = time::Duration::hours(24);

/// What became of a received picture.
#[derive(Debug, Clone)]
pub enum Kept {
    Stored(Box<ImageRef>),
    /// The bytes are not a usable image: the gateway's fault, still billed.
    Refused(String),
    /// Not stored (yet): why, and the bytes if they are in hand.
    Unstored {
        reason: String,
        bytes: Option<Bytes>,
    },
}

/// What the gateway's answer says about the picture, and its bytes when
/// they came inline.
pub(super) fn received_of(payload: ImagePayload, now: OffsetDateTime) -> (Received, Option<Bytes>) {
    match payload {
        ImagePayload::Url(url) => (
            Received {
                url: Some(url),
                expires_at: Some(now + RESULT_URL_LIFETIME),
                sha256: None,
                spare_copy: None,
                seal: None,
            },
            None,
        ),
        ImagePayload::Bytes { bytes, .. } => (
            Received {
                url: None,
                expires_at: None,
                sha256: None,
                spare_copy: None,
                seal: None,
            },
            Some(Bytes::from(bytes)),
        ),
    }
}

/// Stores a received picture: from `bytes` when in hand, else from the
/// spare copy if it still has the recorded content, else from the
/// gateway's link while it is alive. `client` (no key is sent with
/// downloads) may be absent: then only what is in hand can be stored.
/// Records the content's hash in `received` once known.
pub async fn keep_received(
    client: Option<&gateway::Client>,
    store: &ImageStore,
    received: &mut Received,
    bytes: Option<Bytes>,
    now: OffsetDateTime,
) -> Kept {
    let bytes = match bytes {
        Some(b) => b,
        None => match spare_copy(received).await {
            Some(b) => b,
            None => match (&received.url, client) {
                (Some(url), Some(client)) if received.url_alive(now) => {
                    match client.download(url).await {
                        Ok(b) => Bytes::from(b),
                        Err(e) => {
                            return Kept::Unstored {
                                reason: format!("downloading it failed: {}", e.message),
                                bytes: None,
                            };
                        }
                    }
                }
                (Some(_), None) => {
                    return Kept::Unstored {
                        reason: "fetching it from its link needs an API key configured".into(),
                        bytes: None,
                    };
                }
                (Some(_), Some(_)) => {
                    return Kept::Unstored {
                        reason: "its link has expired and no copy is left".into(),
                        bytes: None,
                    };
                }
                (None, _) => {
                    return Kept::Unstored {
                        reason: "no copy of it is left and the gateway gave no link".into(),
                        bytes: None,
                    };
                }
            },
        },
    };
    let (store, held) = (store.clone(), bytes.clone());
    let stored = tokio::task::spawn_blocking(move || -> Result<Blob, Kept> {
        let info = images::accept_result(&held).map_err(|e| Kept::Refused(e.to_string()))?;
        store.put(&held, &info).map_err(|e| Kept::Unstored {
            reason: e.to_string(),
            bytes: Some(held.clone()),
        })
    })
    .await
    .unwrap_or_else(|e| {
        Err(Kept::Unstored {
            reason: format!("storing it failed: {e}"),
            bytes: Some(bytes.clone()),
        })
    });
    match stored {
        Ok(original) => Kept::Stored(Box::new(ImageRef {
            remote: received.url.clone().map(|url| {
                let expires_at = received.expires_at.unwrap_or(now + RESULT_URL_LIFETIME);
                Provenance::installation().remote(&original.sha256, url, expires_at)
            }),
            original,
            upload: None,
            upload_seal: None,
            origin: ImageOrigin::Result,
        })),
        Err(kept) => {
            if let Kept::Unstored { bytes: Some(b), .. } = &kept {
                received.sha256 = Some(pixloom_core::hex::sha256(b));
            }
            kept
        }
    }
}

/// The spare copy's bytes, if the file is there with the recorded content
/// (it lives outside the folder and its path comes from a file that can be
/// edited, so it is checked, never trusted: a regular file, no larger than
/// a result download may be, with the recorded hash).
async fn spare_copy(received: &Received) -> Option<Bytes> {
    use std::io::Read as _;
    let (path, want) = (received.spare_copy.clone()?, received.sha256.clone()?);
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > images::MAX_DOWNLOAD_BYTES {
            return None;
        }
        let mut bytes = Vec::new();
        file.take(images::MAX_DOWNLOAD_BYTES)
            .read_to_end(&mut bytes)
            .ok()?;
        (pixloom_core::hex::sha256(&bytes) == want).then(|| Bytes::from(bytes))
    })
    .await
    .ok()
    .flatten()
}
