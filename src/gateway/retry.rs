//! When to try again: exponential backoff with jitter, and the server's
//! `Retry-After`, both capped so no wait ever exceeds [`MAX_WAIT`].

use std::time::{Duration, SystemTime};

/// No wait is ever longer than this, whatever the server says.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt, for 429 and 5xx (and a connection
    /// that could not be made).
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub base: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): the server's
    /// `Retry-After` when it is usable, else `base × 2^(retry-1)` with
    /// ±25 % jitter (`jitter` in 0..1 picks where in that band), never over
    /// [`MAX_WAIT`].
    pub(crate) fn wait(
        &self,
        retry: u32,
        retry_after: Option<&str>,
        now: SystemTime,
        jitter: f64,
    ) -> Duration {
        if let Some(d) = retry_after.and_then(|v| parse_retry_after(v, now)) {
            return d;
        }
        let exp = self
            .base
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
        // A NaN jitter would make `mul_f64` panic: take the middle.
        let jitter = if jitter.is_nan() {
            0.5
        } else {
            jitter.clamp(0.0, 1.0)
        };
        // Capped before the multiplication too, which panics on overflow.
        exp.min(MAX_WAIT).mul_f64(0.75 + 0.5 * jitter).min(MAX_WAIT)
    }
}

/// Reads a `Retry-After` value: delay seconds (a non-negative number) or an
/// HTTP date. Anything else (negative, `inf`, `nan`, garbage) is ignored so
/// the caller falls back to its own backoff. Always ≤ [`MAX_WAIT`].
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Any number of digits: a huge one means "a long time", i.e. the cap.
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_WAIT));
    }
    if let Ok(f) = v.parse::<f64>() {
        // Fractions are not in the RFC but harmless; the rest is refused.
        if f.is_finite() && f >= 0.0 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Some(Duration::from_secs_f64(f.min(MAX_WAIT.as_secs_f64())));
        }
        return None;
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_WAIT),
    )
}

/// A retry about to be made, told to whoever shows progress (`pixloom
/// send` on a terminal): which one, why, and how long until it goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNote {
    /// 1 for the first retry.
    pub retry: u32,
    pub max_retries: u32,
    /// Why, in a few words: `HTTP 429 (rate limited)`.
    pub(crate) reason: String,
    pub(crate) wait: Duration,
}

/// Called before each wait for a retry.
pub type OnRetry<'a> = &'a (dyn Fn(&RetryNote) + Send + Sync);

/// The few words a [`RetryNote`] gives for a failure that is retried.
pub(crate) fn retry_reason(kind: super::error::ErrorKind, status: Option<u16>) -> String {
    use super::error::ErrorKind;
    let what = match kind {
        ErrorKind::RateLimited => "rate limited",
        ErrorKind::Server => "gateway error",
        ErrorKind::Unreachable => "could not connect",
        _ => "failed",
    };
    match status {
        Some(s) => format!("HTTP {s} ({what})"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        httpdate::parse_http_date("Mon, 23 Nov 2026 12:00:00 GMT").expect("date")
    }

    #[test]
    fn retry_after_table() {
        let cases: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("20", Some(20)),
            ("120", Some(120)),
            ("121", Some(120)),
            ("99999999999999999999999999999999999", Some(120)),
            ("-10", None),
            ("inf", None),
            ("nan", None),
            ("-inf", None),
            ("1e3", None),
            ("", None),
            ("soon", None),
            ("garbage", None),
            (" 7 ", Some(7)),
            ("Mon, 23 Nov 2026 12:00:30 GMT", Some(30)),
            ("Mon, 23 Nov 2026 13:00:00 GMT", Some(120)),
            ("Mon, 23 Nov 2026 11:00:00 GMT", Some(0)),
        ];
        for (v, want) in cases {
            let got = parse_retry_after(v, now()).map(|d| d.as_secs());
            assert_eq!(got, *want, "{v:?}");
        }
        assert_eq!(
            parse_retry_after("1.5", now()),
            Some(Duration::from_millis(1500))
        );
    }

    /// The list, plus more a server (or a proxy) could send.
    const RETRY_AFTER_VALUES: &[&str] = &[
        "0",
        "-10",
        "20",
        "121",
        "inf",
        "nan",
        "99999999999999999999999999999999999",
        "Mon, 23 Nov 2026 12:00:30 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "garbage",
        "",
        " 7 ",
        "+5",
        "-0",
        "1e400",
        "Infinity",
        "NaN",
        "0x10",
        "12abc",
        "\u{661}\u{662}",
        "99999999999999999999.5",
        ".5",
        "5.",
    ];

    /// Whatever `Retry-After` says, whichever retry, whatever the jitter
    /// and base: no wait is over two minutes, and none panics.
    #[test]
    fn every_wait_is_bounded() {
        let long = "9".repeat(10_000);
        let values = RETRY_AFTER_VALUES
            .iter()
            .copied()
            .chain([long.as_str()])
            .map(Some)
            .chain([None]);
        let policies = [
            RetryPolicy::default(),
            RetryPolicy {
                max_retries: u32::MAX,
                base: Duration::MAX,
            },
        ];
        for value in values {
            for policy in policies {
                for retry in [0, 1, 2, 3, 17, 64, u32::MAX] {
                    for jitter in [0.0, 0.5, 1.0, -3.0, 7.0, f64::NAN, f64::INFINITY] {
                        let w = policy.wait(retry, value, now(), jitter);
                        assert!(
                            w <= MAX_WAIT,
                            "{value:?} retry {retry} jitter {jitter}: {w:?}"
                        );
                    }
                }
            }
            if let Some(v) = value {
                assert!(
                    parse_retry_after(v, now()).is_none_or(|d| d <= MAX_WAIT),
                    "{v:?}"
                );
            }
        }
        // A value the client cannot use falls back to its own backoff.
        for v in ["-10", "inf", "nan", "garbage", "1e400", "0x10", "12abc"] {
            assert_eq!(
                RetryPolicy::default().wait(2, Some(v), now(), 0.5),
                Duration::from_secs(2),
                "{v:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_cap() {
        let p = RetryPolicy::default();
        for jitter in [0.0, 0.5, 1.0] {
            let w1 = p.wait(1, None, now(), jitter);
            let w2 = p.wait(2, None, now(), jitter);
            assert!(
                w1 >= Duration::from_millis(750) && w1 <= Duration::from_millis(1250),
                "{w1:?}"
            );
            assert!(
                w2 >= Duration::from_millis(1500) && w2 <= Duration::from_millis(2500),
                "{w2:?}"
            );
        }
        for retry in [1, 5, 10, 40, u32::MAX] {
            assert!(p.wait(retry, None, now(), 1.0) <= MAX_WAIT);
        }
        assert_eq!(p.wait(1, Some("7"), now(), 0.0), Duration::from_secs(7));
        assert_eq!(
            p.wait(1, Some("garbage"), now(), 0.0),
            Duration::from_millis(750)
        );
    }
}
