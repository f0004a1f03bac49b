//! Injectable failures ([`Fault`]) and forced response shapes ([`Shape`]),
//! with the text forms the CLI, headers and prompt directives use.

use std::fmt;
use std::str::FromStr;

/// A failure the fake injects instead of its normal answer.
///
/// Text form (for `--fail`, `x-fake-fault`, `[fake:fault=…]` and
/// `POST /__fake/faults`): a status such as `500`, `429`, `401`
/// (→ [`Fault::Status`]; `502` → [`Fault::BadGatewayHtml`], `502-json` →
/// `Status(502)`), `STATUS:RETRY_AFTER` such as `429:5` or `503:0`
/// (→ [`Fault::RetryAfter`]), one of `truncated`, `hang`, `drop`,
/// `refuse`, `empty`, or a hostile answer: `oversize:BYTES`,
/// `oversize-claimed:BYTES`, `echo:STATUS` / `echo:html` / `echo:refuse` /
/// `echo:malformed` / `echo:url` ([`Echo`]), `redirect:URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// This status with an OpenAI-style JSON error body. A 429 carries
    /// `Retry-After: 1`.
    Status(u16),
    /// This status (429 or 503, typically) with this exact `Retry-After`.
    RetryAfter(u16, String),
    /// 502 with an HTML body, as a proxy in front of the gateway sends it.
    BadGatewayHtml,
    /// 200 with a JSON body cut in half.
    TruncatedJson,
    /// Read the request, then answer nothing until `hang_for` has passed
    /// (the client's timeout should fire first).
    Hang,
    /// Read the request, then close the TCP connection without a response.
    Drop,
    /// 200 in the older chat shape with a text refusal and no image. Billed.
    Refusal,
    /// 200 with `{"data":[]}`.
    Empty,
    /// 200 with a JSON-looking body of this many bytes, streamed in chunks
    /// without `Content-Length` (an endless reply, as far as a client can
    /// tell). Not billed.
    Oversize(u64),
    /// 200 whose `Content-Length` claims this many bytes; the body streams
    /// until the client hangs up. Not billed.
    OversizeClaimed(u64),
    /// The request's Authorization header sent back, as [`Echo`] says.
    Echo(Echo),
    /// 307 to this URL (another server, say), with no body.
    Redirect(String),
}

/// Where an echoing gateway puts the Authorization header it received.
/// Every form also sends it in the `request-id`, `x-request-id` and
/// `x-echo` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// This status with a JSON error whose message quotes it.
    Status(u16),
    /// 502 with an HTML page quoting it.
    Html,
    /// 200 refusal (older chat shape) quoting it. Billed.
    Refusal,
    /// 200 with an `error` object quoting it.
    Malformed,
    /// 200 with an image whose URL carries it in the query. Billed.
    Url,
}

/// Why a fault or shape name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseNameError(pub String);

impl FromStr for Fault {
    type Err = ParseNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let status = |code: &str| -> Result<u16, ParseNameError> {
            code.trim()
                .parse::<u16>()
                .ok()
                .filter(|c| (400..=599).contains(c))
                .ok_or_else(|| ParseNameError(format!("fault {s:?}: status must be 400..=599")))
        };
        Ok(match t.as_str() {
            "502" | "html" | "bad-gateway" | "502-html" => Fault::BadGatewayHtml,
            "502-json" => Fault::Status(502),
            "truncated" | "truncate" => Fault::TruncatedJson,
            "hang" | "timeout" => Fault::Hang,
            "drop" | "close" => Fault::Drop,
            "refuse" | "refusal" => Fault::Refusal,
            "empty" => Fault::Empty,
            _ if t.starts_with("oversize")
                || t.starts_with("echo:")
                || t.starts_with("redirect:") =>
            {
                hostile(s.trim())?
            }
            _ => match s.trim().split_once(':') {
                // Keep the original case of the header value (HTTP dates).
                Some((code, value)) if !value.trim().is_empty() => {
                    Fault::RetryAfter(status(code)?, value.trim().to_owned())
                }
                Some(_) => {
                    return Err(ParseNameError(format!(
                        "fault {s:?}: empty Retry-After value"
                    )));
                }
                None if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() => {
                    Fault::Status(status(&t)?)
                }
                None => {
                    return Err(ParseNameError(format!(
                        "unknown fault {s:?} (try 500, 429, 429:5, 502, truncated, hang, drop, refuse, empty)"
                    )));
                }
            },
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Status(502) => f.write_str("502-json"),
            Fault::Status(s) => write!(f, "{s}"),
            Fault::RetryAfter(s, v) => write!(f, "{s}:{v}"),
            Fault::BadGatewayHtml => f.write_str("502"),
            Fault::TruncatedJson => f.write_str("truncated"),
            Fault::Hang => f.write_str("hang"),
            Fault::Drop => f.write_str("drop"),
            Fault::Refusal => f.write_str("refuse"),
            Fault::Empty => f.write_str("empty"),
            Fault::Oversize(n) => write!(f, "oversize:{n}"),
            Fault::OversizeClaimed(n) => write!(f, "oversize-claimed:{n}"),
            Fault::Echo(Echo::Status(s)) => write!(f, "echo:{s}"),
            Fault::Echo(Echo::Html) => f.write_str("echo:html"),
            Fault::Echo(Echo::Refusal) => f.write_str("echo:refuse"),
            Fault::Echo(Echo::Malformed) => f.write_str("echo:malformed"),
            Fault::Echo(Echo::Url) => f.write_str("echo:url"),
            Fault::Redirect(url) => write!(f, "redirect:{url}"),
        }
    }
}

/// `oversize:BYTES`, `oversize-claimed:BYTES`, `echo:…`, `redirect:URL`.
fn hostile(s: &str) -> Result<Fault, ParseNameError> {
    let err = |why: &str| ParseNameError(format!("fault {s:?}: {why}"));
    let (name, arg) = s
        .split_once(':')
        .ok_or_else(|| err("needs a value after `:`"))?;
    let bytes = || {
        arg.trim()
            .parse::<u64>()
            .map_err(|_| err("the size must be a number of bytes"))
    };
    Ok(match name.to_ascii_lowercase().as_str() {
        "oversize" => Fault::Oversize(bytes()?),
        "oversize-claimed" => Fault::OversizeClaimed(bytes()?),
        "redirect" if !arg.trim().is_empty() => Fault::Redirect(arg.trim().to_owned()),
        "echo" => Fault::Echo(match arg.trim().to_ascii_lowercase().as_str() {
            "html" => Echo::Html,
            "refuse" | "refusal" => Echo::Refusal,
            "malformed" => Echo::Malformed,
            "url" => Echo::Url,
            code => Echo::Status(
                code.parse::<u16>()
                    .ok()
                    .filter(|c| (400..=599).contains(c))
                    .ok_or_else(|| {
                        err("echo takes a status 400..=599, html, refuse, malformed or url")
                    })?,
            ),
        }),
        _ => return Err(err("unknown fault")),
    })
}

/// A response shape, forced for every request (or one request) instead of
/// each endpoint's documented default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `{"data":[{"url":…}]}` (chat and edits default).
    DataUrl,
    /// `{"data":[{"b64_json":"data:image/png;base64,…"}]}` (generations
    /// default): the prefix is there, as the docs say.
    DataB64,
    /// `b64_json` without the `data:` prefix, as legacy OpenAI servers send.
    DataB64Bare,
    /// Both `url` and `b64_json` in one entry, as the edits page's example.
    DataBoth,
    /// Older chat page: `choices[0].message.content` = `![image](URL)`.
    ChatMarkdown,
    /// Older chat page: content `Here it is: URL`.
    ChatBareUrl,
    /// Older chat page: content is a `data:image/png;base64,…` URL.
    ChatDataUrl,
}

impl Shape {
    /// Every shape, in declaration order.
    pub const ALL: [Shape; 7] = [
        Shape::DataUrl,
        Shape::DataB64,
        Shape::DataB64Bare,
        Shape::DataBoth,
        Shape::ChatMarkdown,
        Shape::ChatBareUrl,
        Shape::ChatDataUrl,
    ];

    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Shape::DataUrl => "data-url",
            Shape::DataB64 => "data-b64",
            Shape::DataB64Bare => "data-b64-bare",
            Shape::DataBoth => "data-both",
            Shape::ChatMarkdown => "chat-markdown",
            Shape::ChatBareUrl => "chat-bare-url",
            Shape::ChatDataUrl => "chat-data-url",
        }
    }

    /// Whether the answer carries a URL to `/files/…` (so the image is kept
    /// in the store).
    pub(crate) fn has_url(self) -> bool {
        matches!(
            self,
            Shape::DataUrl | Shape::DataBoth | Shape::ChatMarkdown | Shape::ChatBareUrl
        )
    }
}

impl FromStr for Shape {
    type Err = ParseNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        Shape::ALL
            .into_iter()
            .find(|sh| sh.name() == t)
            .ok_or_else(|| {
                let names: Vec<&str> = Shape::ALL.iter().map(|s| s.name()).collect();
                ParseNameError(format!("unknown shape {s:?} (one of {})", names.join(", ")))
            })
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `type` and `code` of an OpenAI-style error body for a status, and a
/// default message.
pub(crate) fn error_kind(status: u16) -> (&'static str, Option<&'static str>, &'static str) {
    match status {
        400 => ("invalid_request_error", None, "Invalid request."),
        401 => (
            "invalid_request_error",
            Some("invalid_api_key"),
            "Incorrect API key provided.",
        ),
        403 => (
            "permission_error",
            Some("insufficient_permissions"),
            "Your key is not allowed to use this model.",
        ),
        404 => ("invalid_request_error", Some("not_found"), "Not found."),
        413 => (
            "invalid_request_error",
            Some("request_too_large"),
            "The request is too large.",
        ),
        422 => (
            "invalid_request_error",
            Some("unprocessable_entity"),
            "The request could not be processed.",
        ),
        429 => (
            "rate_limit_error",
            Some("rate_limit_exceeded"),
            "Rate limit reached for requests. Please retry later.",
        ),
        500 => (
            "server_error",
            Some("shell_api_error"),
            "The upstream model failed to generate the image (upstream status 500).",
        ),
        503 => (
            "server_error",
            Some("service_unavailable"),
            "The service is temporarily overloaded. Please retry later.",
        ),
        504 => (
            "server_error",
            Some("gateway_timeout"),
            "The upstream did not answer in time.",
        ),
        s if s >= 500 => ("server_error", None, "The server had an error."),
        _ => ("invalid_request_error", None, "The request failed."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_print_back() {
        let cases = [
            ("500", Fault::Status(500)),
            ("429", Fault::Status(429)),
            ("401", Fault::Status(401)),
            ("502", Fault::BadGatewayHtml),
            ("502-json", Fault::Status(502)),
            ("429:7", Fault::RetryAfter(429, "7".into())),
            (
                "503:Wed, 21 Oct 2015 07:28:00 GMT",
                Fault::RetryAfter(503, "Wed, 21 Oct 2015 07:28:00 GMT".into()),
            ),
            ("truncated", Fault::TruncatedJson),
            ("hang", Fault::Hang),
            ("drop", Fault::Drop),
            ("refuse", Fault::Refusal),
            ("empty", Fault::Empty),
            ("oversize:1000", Fault::Oversize(1000)),
            (
                "oversize-claimed:4294967296",
                Fault::OversizeClaimed(1 << 32),
            ),
            ("echo:401", Fault::Echo(Echo::Status(401))),
            ("echo:html", Fault::Echo(Echo::Html)),
            ("echo:refuse", Fault::Echo(Echo::Refusal)),
            ("echo:malformed", Fault::Echo(Echo::Malformed)),
            ("echo:url", Fault::Echo(Echo::Url)),
            (
                "redirect:http://127.0.0.1:9/v1/chat/completions",
                Fault::Redirect("http://127.0.0.1:9/v1/chat/completions".into()),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<Fault>(), Ok(want.clone()), "{text}");
            assert_eq!(want.to_string().parse::<Fault>(), Ok(want), "{text}");
        }
        assert_eq!(" Refusal ".parse::<Fault>(), Ok(Fault::Refusal));
        for bad in [
            "",
            "200",
            "600",
            "boom",
            "429:",
            "x:5",
            "5000",
            "oversize:lots",
            "echo:200",
            "redirect:",
        ] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shapes_parse_and_print_back() {
        for s in Shape::ALL {
            assert_eq!(s.to_string().parse::<Shape>(), Ok(s));
        }
        assert_eq!("chat_markdown".parse::<Shape>(), Ok(Shape::ChatMarkdown));
        let err = "markdown".parse::<Shape>().expect_err("unknown");
        assert!(err.0.contains("chat-markdown"), "{err}");
    }
}
