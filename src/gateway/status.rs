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
            "the gateway answered {} redirecting to {to}.",
            status.as_u16()
        ),
        about_model: false,
        timed_out: false,
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
    let kind = match code {
        401 | 403 => ErrorKind::Unauthorized,
        404 => ErrorKind::NotFound,
        413 => ErrorKind::TooLarge,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::BadRequest,
    };
    // "The model `x` does not exist": the fix is the model, not the request.
    let about_model =
        matches!(code, 400 | 404 | 422) && said.to_ascii_lowercase().contains("model");
    GatewayError {
        kind,
        message: format!("gateway answered {code}: {said}."),
        about_model,
        timed_out: false,
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
        let said = crate::advice::gateway(&e);
        assert!(
            said.contains("Invalid token") && said.contains("PIXLOOM_API_KEY"),
            "{said}"
        );
        assert!(
            !e.message.contains("PIXLOOM_API_KEY"),
            "the edge names no variable"
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

    /// The edge says what happened and names no flag, variable or config
    /// key; the drivers' advice (`advice::gateway`) adds what to do.
    #[test]
    fn status_errors_carry_facts_and_the_drivers_add_the_advice() {
        let untrusted = Untrusted::new(&ApiKey::new("sk-x").expect("key"));
        for code in [400, 401, 403, 404, 413, 418, 422, 429, 500, 502] {
            for body in [&br#"{"error":{"message":"no such model"}}"#[..], b"busy"] {
                let status = StatusCode::from_u16(code).expect("status");
                let e = status_error(&untrusted, status, body, None);
                for flag in ["--", "PIXLOOM_", "config.toml"] {
                    assert!(!e.message.contains(flag), "{code}: {}", e.message);
                }
                let said = crate::advice::gateway(&e);
                assert!(
                    said.starts_with(&e.message) && said.len() > e.message.len() + 10,
                    "{code}: {said}"
                );
            }
        }
    }
}
