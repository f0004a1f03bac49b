//! Result downloads: a client that never carries the key, capped, retried
//! on 5xx and broken connections.

use std::time::SystemTime;

use super::Client;
use super::error::{ErrorKind, GatewayError, human_bytes};
use crate::images::{CappedReadError, FetchError, fetch_capped};
use crate::sanitize;

impl Client {
    /// Downloads a result image: no Authorization header, at most
    /// `download_cap` bytes, retried on 5xx and connection failures.
    pub async fn download(&self, url: &str) -> Result<Vec<u8>, GatewayError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.download_once(url).await {
                Ok(b) => return Ok(b),
                Err((e, retryable)) if !retryable || attempts > self.settings.retry.max_retries => {
                    return Err(GatewayError { attempts, ..e });
                }
                Err((e, _)) => {
                    tracing::info!(status = ?e.status, "retrying the result download");
                    let wait = self.settings.retry.wait(
                        attempts,
                        None,
                        SystemTime::now(),
                        rand::random::<f64>(),
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One download, its error through [`Untrusted`].
    async fn download_once(&self, url: &str) -> Result<Vec<u8>, (GatewayError, bool)> {
        self.download_unchecked(url)
            .await
            .map_err(|(e, retryable)| (self.untrusted.error(e), retryable))
    }

    /// The error says whether another try could help (5xx and broken
    /// connections: yes; 4xx and too large: no).
    async fn download_unchecked(&self, url: &str) -> Result<Vec<u8>, (GatewayError, bool)> {
        let fail = |message: String, status: Option<u16>| {
            let retryable = status.is_none_or(|s| s >= 500);
            let error = GatewayError {
                kind: ErrorKind::Download,
                message,
                status,
                request_id: None,
                raw_body: None,
                attempts: 0,
                may_have_been_billed: true,
                about_model: false,
                timed_out: false,
            };
            (error, retryable)
        };
        let shown = sanitize::truncate(&self.untrusted.line(url), 120).into_owned();
        let cap = self.settings.download_cap;
        fetch_capped(&self.download, url, cap)
            .await
            .map_err(|e| match e {
                FetchError::Send(e) => {
                    let (error, retryable) = fail(
                        format!(
                            "could not download the result image from {shown}: {}",
                            self.root_cause(&e)
                        ),
                        None,
                    );
                    // Too many redirects will be as many next time.
                    (error, retryable && !e.is_redirect())
                }
                FetchError::Status(status) => fail(
                    format!(
                        "the result image at {shown} answered {status}; the call was billed but its image is lost (result URLs expire after about 24 h)"
                    ),
                    Some(status.as_u16()),
                ),
                FetchError::Body(CappedReadError::TooLarge) => {
                    let (e, _) = fail(
                        format!(
                            "the result image at {shown} is larger than {}; refused",
                            human_bytes(cap)
                        ),
                        None,
                    );
                    (e, false)
                }
                FetchError::Body(CappedReadError::Broken(e)) => fail(
                    format!("the download of {shown} broke off: {}", self.root_cause(&e)),
                    None,
                ),
            })
    }
}
