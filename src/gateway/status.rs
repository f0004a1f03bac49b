//! An answer that is not a success (a status, a redirect) as a
//! [`GatewayError`]: what the gateway said, cleaned, and what to do.

use reqwest::StatusCode;

use super::error::{ErrorKind, GatewayError, RAW_BODY_LIMIT};
use super::untrusted::Untrusted;
use crate::sanitize;
use pixloom_core::wire;

/// A 3xx to an API call: not followed, so the key never goes anywhere but
/// the base URL.
pub(super) fn redirect_error(
    status: StatusCode,
    location: Option<String>,
    request_id: Option<String>,
) -> GatewayError {
    let to = location.map_or_else(
        || "somewhere it did not say".to_owned(),
        |l| sanitize::truncate(&l, 200).into_owned(),
    );
    GatewayError {
        kind: ErrorKind::Redirect,
        message: format!(
            "the gateway answered {} redirecting to {to}. pixloom follows no redirect for API calls, so the API key is only ever sent to --base-url; if you trust that address, set --base-url to it.",
            status.as_u16()
        ),
        status: Some(status.as_u16()),
        request_id,
        raw_body: None,
        attempts: 0,
        may_have_been_billed: false,
    }
}

/// A body as kept in an error: cleaned, then cut to [`RAW_BODY_LIMIT`]
/// characters.
pub(super) fn cut_body(untrusted: &Untrusted, body: &[u8]) -> String {
    // Only the start is quoted: no need to clean 128 MB.
    let head = &body[..body.len().min(RAW_BODY_LIMIT * 4 + 256)];
    let text = untrusted.text(&String::from_utf8_lossy(head));
    sanitize::truncate(&text, RAW_BODY_LIMIT).into_owned()
}

/// An HTTP error status as the user sees it: what the gateway said
/// (cleaned), and what to do.
pub(super) fn status_error(
    untrusted: &Untrusted,
    status: StatusCode,
    body: &[u8],
    request_id: Option<String>,
) -> GatewayError {
    let said = wire::error_message(body)
        .map(|m| sanitize::truncate(&untrusted.line(&m), 300).into_owned())
        .unwrap_or_else(|| {
            let looks_html = body.iter().take(200).any(|&b| b == b'<');
            if looks_html {
                "an HTML error page".to_owned()
            } else {
                "no message".to_owned()
            }
        });
    let code = status.as_u16();
    let (kind, advice) = match code {
        400 | 422 => (
            ErrorKind::BadRequest,
            "The request was refused as invalid; change it and send again.",
        ),
        401 | 403 => (
            ErrorKind::Unauthorized,
            "The API key was refused. Set a valid key with PIXLOOM_API_KEY or --api-key (or try --demo).",
        ),
        404 => (
            ErrorKind::NotFound,
            "Check --base-url: it should be the gateway's root, like https://api.apiyi.com.",
        ),
        413 => (
            ErrorKind::TooLarge,
            "An image was too large for the gateway; attach a smaller one.",
        ),
        429 => (
            ErrorKind::RateLimited,
            "The gateway is rate-limiting or your quota is used up; wait a little and retry.",
        ),
        500..=599 => (
            ErrorKind::Server,
            "The gateway failed upstream; retry (4K fails more often: try 2K).",
        ),
        _ => (
            ErrorKind::BadRequest,
            "Unexpected answer from the gateway; check --base-url, then retry.",
        ),
    };
    // "The model `x` does not exist": the fix is the model, not the request.
    let advice = if matches!(code, 400 | 404 | 422) && said.to_ascii_lowercase().contains("model") {
        "Pick a model the gateway serves with --model or `model` in config.toml (gpt-image-2-vip or gpt-image-2-all)."
    } else {
        advice
    };
    GatewayError {
        kind,
        message: format!("gateway answered {code}: {said}. {advice}"),
        status: Some(code),
        request_id,
        raw_body: Some(cut_body(untrusted, body)),
        attempts: 0,
        may_have_been_billed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::ApiKey;

    #[test]
    fn status_errors_name_the_fix() {
        let untrusted = Untrusted::new(&ApiKey::new("sk-x").expect("key"));
        let e = status_error(
            &untrusted,
            StatusCode::UNAUTHORIZED,
            br#"{"error":{"message":"Invalid token"}}"#,
            Some("req_1".into()),
        );
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        assert!(
            e.message.contains("Invalid token") && e.message.contains("PIXLOOM_API_KEY"),
            "{}",
            e.message
        );
        let e = status_error(
            &untrusted,
            StatusCode::BAD_GATEWAY,
            b"<html><body>502</body></html>",
            None,
        );
        assert_eq!(e.kind, ErrorKind::Server);
        assert!(e.message.contains("HTML"), "{}", e.message);
        let e = status_error(
            &untrusted,
            StatusCode::BAD_REQUEST,
            "{\"error\":\"bad \u{1b}[2Jsize\"}".as_bytes(),
            None,
        );
        assert!(!e.message.contains('\u{1b}'));
    }
}
