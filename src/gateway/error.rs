//! What a failed exchange or set-up is, as data.

use crate::sanitize;

/// What kind of failure, for deciding what to offer the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400/422: the request was wrong; fix it.
    BadRequest,
    /// 401/403: the key is wrong.
    Unauthorized,
    /// 404: wrong base URL, most likely.
    NotFound,
    /// 413: an image was too large.
    TooLarge,
    /// 429 after every retry.
    RateLimited,
    /// 5xx after every retry.
    Server,
    /// The gateway could not be reached at all.
    Unreachable,
    /// The request went out and no (complete) answer came back.
    NoAnswer,
    /// A success status with a body in no documented shape.
    Malformed,
    /// The result image could not be downloaded or is not an image.
    Download,
    /// A 3xx: API calls follow no redirect.
    Redirect,
    /// The request could not be built; nothing was sent.
    NotSent,
}

/// A failed exchange, with everything needed to show it and decide.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct GatewayError {
    pub kind: ErrorKind,
    /// What happened, one or two lines, sanitised. What to do about it is
    /// the drivers' to say (`advice::gateway`), from these facts.
    pub message: String,
    /// The gateway's words name the model (a 400/404/422 about it): the
    /// fix is another model, not another request.
    pub(crate) about_model: bool,
    /// No answer came in the time allowed (a longer timeout may help).
    pub(crate) timed_out: bool,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    /// The reply body, cut to [`RAW_BODY_LIMIT`] characters, sanitised.
    pub(crate) raw_body: Option<String>,
    pub attempts: u32,
    /// The request went out but its fate is unknown: it may be billed.
    pub may_have_been_billed: bool,
}

/// How much of an error body is kept.
pub const RAW_BODY_LIMIT: usize = 2000;

/// Why a client could not be set up. Nothing was sent.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SetupError {
    #[error("the base URL {url:?} cannot be used: {reason}.")]
    BadBaseUrl { url: String, reason: String },
    #[error(
        "the base URL {url} is plain http to a host that is not this machine: the API key and your prompts would cross the network unencrypted, readable and replayable by anyone on the way."
    )]
    InsecureBaseUrl { url: String },
    #[error("could not set up the HTTP client: {0}")]
    Http(String),
}

/// Refuses a base URL the key must not be sent to: not http(s), or plain
/// http to anything but loopback (127.0.0.0/8, ::1, localhost) unless
/// `allow_insecure_http`.
pub fn check_base_url(base_url: &str, allow_insecure_http: bool) -> Result<(), SetupError> {
    let shown = sanitize::truncate(&sanitize::line(base_url), 200).into_owned();
    let bad = |reason: String| SetupError::BadBaseUrl {
        url: shown.clone(),
        reason,
    };
    let url = url::Url::parse(base_url.trim()).map_err(|e| bad(e.to_string()))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(SetupError::InsecureBaseUrl { url: shown.clone() })
            }
        }
        other => Err(bad(format!(
            "only https:// (or http://) works, not {other}:"
        ))),
    }
}

/// `64 MiB`, `10 KiB`, `512 bytes`: the caps are powers of two.
pub(super) fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match n {
        0..KIB => format!("{n} bytes"),
        KIB..MIB => format!("{} KiB", n / KIB),
        _ => format!("{} MiB", n / MIB),
    }
}
