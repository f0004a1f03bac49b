//! When to try again: exponential backoff with jitter, and the server's
//! `Retry-After`, both capped so no wait ever exceeds [`MAX_WAIT`].

use std::time::{Duration, SystemTime};

/// No wait is ever longer than this, whatever the server says.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

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
    pub fn wait(
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
        let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
        exp.mul_f64(factor).min(MAX_WAIT)
    }
}

/// Reads a `Retry-After` value: delay seconds (a non-negative number) or an
/// HTTP date. Anything else (negative, `inf`, `nan`, garbage) is ignored so
/// the caller falls back to its own backoff. Always ≤ [`MAX_WAIT`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
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
