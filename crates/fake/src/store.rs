//! In-memory state that outlives a request: result files (with expiry),
//! and the log of what came in. Bounded, so the demo can run for hours.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

/// At most this many result files are kept; the oldest go first.
pub(crate) const MAX_FILES: usize = 256;
/// And at most this many bytes of them.
pub(crate) const MAX_FILE_BYTES: usize = 768 * 1024 * 1024;
/// At most this many recorded requests are kept.
pub(crate) const MAX_RECORDS: usize = 4096;
/// Strings longer than this are elided in recorded JSON (data URLs).
pub(crate) const ELIDE_OVER: usize = 4096;

struct Stored {
    png: Bytes,
    created: Instant,
}

/// What a file lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found(Bytes),
    Expired,
    Missing,
}

/// Result files by id.
#[derive(Default)]
pub(crate) struct Files {
    by_id: HashMap<String, Stored>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Files {
    /// Keeps `png` under a fresh id, dropping the oldest files beyond the
    /// bounds.
    pub(crate) fn insert(&mut self, png: Bytes, now: Instant) -> String {
        let id = format!("{:032x}", rand::random::<u128>());
        self.bytes += png.len();
        self.by_id.insert(id.clone(), Stored { png, created: now });
        self.order.push_back(id.clone());
        while self.order.len() > MAX_FILES || (self.bytes > MAX_FILE_BYTES && self.order.len() > 1)
        {
            if let Some(old) = self.order.pop_front()
                && let Some(s) = self.by_id.remove(&old)
            {
                self.bytes -= s.png.len();
            }
        }
        id
    }

    /// The file, if it exists and is younger than `ttl` at `now`.
    pub(crate) fn get(&self, id: &str, now: Instant, ttl: Duration) -> Lookup {
        match self.by_id.get(id) {
            None => Lookup::Missing,
            Some(s) if now.saturating_duration_since(s.created) >= ttl => Lookup::Expired,
            Some(s) => Lookup::Found(s.png.clone()),
        }
    }
}

/// A copy of `v` with every string longer than [`ELIDE_OVER`] replaced by
/// its first 64 characters, `…`, and `[N chars, sha256 HEX]` (hash of the
/// whole string), so the log stays small but still says what was sent.
pub(crate) fn elide(v: &Value) -> Value {
    match v {
        Value::String(s) if s.len() > ELIDE_OVER => {
            let head: String = s.chars().take(64).collect();
            Value::String(format!(
                "{head}…[{} chars, sha256 {}]",
                s.len(),
                pixloom_core::hex::sha256(s.as_bytes())
            ))
        }
        Value::Array(a) => Value::Array(a.iter().map(elide).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), elide(v))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_expire_and_stay_bounded() {
        let mut f = Files::default();
        let t0 = Instant::now();
        let id = f.insert(Bytes::from_static(b"png"), t0);
        let ttl = Duration::from_secs(10);
        assert_eq!(
            f.get(&id, t0 + Duration::from_secs(9), ttl),
            Lookup::Found(Bytes::from_static(b"png"))
        );
        assert_eq!(f.get(&id, t0 + ttl, ttl), Lookup::Expired);
        assert_eq!(f.get("nope", t0, ttl), Lookup::Missing);
        for _ in 0..MAX_FILES {
            f.insert(Bytes::from_static(b"x"), t0);
        }
        assert_eq!(
            f.get(&id, t0, ttl),
            Lookup::Missing,
            "the oldest was dropped"
        );
        assert_eq!(f.order.len(), MAX_FILES);
    }

    #[test]
    fn long_strings_are_elided_with_their_hash() {
        let long = format!("data:image/png;base64,{}", "A".repeat(5000));
        let v = serde_json::json!({"a": [{"url": long}], "short": "keep"});
        let e = elide(&v);
        let s = e["a"][0]["url"].as_str().expect("string");
        assert!(s.starts_with("data:image/png;base64,AAAA"), "{s}");
        assert!(
            s.contains(&pixloom_core::hex::sha256(long.as_bytes())),
            "{s}"
        );
        assert!(s.contains(&format!("[{} chars", long.len())), "{s}");
        assert_eq!(e["short"], "keep");
    }
}
