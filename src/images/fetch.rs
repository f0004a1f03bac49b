//! The one capped read every network body goes through, and the one
//! capped GET (result downloads, reference links) built on it.

/// Appends a downloaded `chunk` to `body` unless that would pass `cap`
/// bytes (then `false`, `body` unchanged). The buffer grows by doubling but
/// never past the cap, so a download at the limit holds the cap, not twice.
fn append_within_cap(body: &mut Vec<u8>, chunk: &[u8], cap: u64) -> bool {
    let needed = body.len() as u64 + chunk.len() as u64;
    if needed > cap {
        return false;
    }
    if needed > body.capacity() as u64 {
        let grown = (body.capacity() as u64 * 2).clamp(needed, cap);
        body.reserve_exact(grown as usize - body.len());
    }
    body.extend_from_slice(chunk);
    true
}

/// Why [`read_capped`] stopped before the end of a body.
#[derive(Debug)]
pub(crate) enum CappedReadError {
    /// The body is (or says it is) larger than the cap.
    TooLarge,
    /// The connection broke off mid-body.
    Broken(reqwest::Error),
}

/// The body of `resp`, read chunk by chunk through [`append_within_cap`]
/// and refused as soon as it would pass `cap` bytes (or says it will), so
/// memory stays bounded by the cap whatever the sender claims or sends.
/// Dropping the response on refusal closes the connection. The one capped
/// read every network body goes through (API replies, result downloads,
/// reference URLs).
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    cap: u64,
) -> Result<Vec<u8>, CappedReadError> {
    let claimed = resp.content_length();
    if claimed.is_some_and(|n| n > cap) {
        return Err(CappedReadError::TooLarge);
    }
    // A claim is not trusted for more than a first megabyte: the buffer
    // grows with what actually arrives.
    let mut body = Vec::with_capacity(claimed.unwrap_or(0).min(1 << 20) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(CappedReadError::Broken)? {
        if !append_within_cap(&mut body, &chunk, cap) {
            return Err(CappedReadError::TooLarge);
        }
    }
    Ok(body)
}

/// Why [`fetch_capped`] brought no body.
#[derive(Debug)]
pub(crate) enum FetchError {
    /// No answer: the request failed below HTTP (refused, DNS, TLS, too
    /// many redirects).
    Send(reqwest::Error),
    /// An answer whose status is not a success.
    Status(reqwest::StatusCode),
    /// A success whose body was over the cap or broke off.
    Body(CappedReadError),
}

/// GETs `url` with `http` and reads a successful body through
/// [`read_capped`]. `http` decides headers and redirects: callers pass a
/// client that never carries the API key.
pub(crate) async fn fetch_capped(
    http: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    cap: u64,
) -> Result<Vec<u8>, FetchError> {
    let resp = http.get(url).send().await.map_err(FetchError::Send)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(FetchError::Status(status));
    }
    read_capped(resp, cap).await.map_err(FetchError::Body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_grow_to_the_cap_and_no_further() {
        let mut body = Vec::new();
        let chunk = [7u8; 1000];
        let mut pushed = 0;
        while append_within_cap(&mut body, &chunk, 10_500) {
            pushed += 1;
        }
        assert_eq!(pushed, 10);
        assert_eq!(body.len(), 10_000);
        assert!(body.capacity() <= 10_500, "{}", body.capacity());
        assert!(append_within_cap(&mut body, &chunk[..500], 10_500));
        assert_eq!(body.len(), 10_500);
    }
}
