//! The trust boundary for what a gateway sends. Status, headers, bodies,
//! URLs and even reqwest's error texts (which quote URLs) are written by
//! whoever answers, and a gateway may echo the Authorization header back.
//! Every such string becomes a value the rest of pixloom may show, log or
//! save only through [`Untrusted`]: control sequences stripped
//! ([`sanitize`]), then the key and anything shaped like a credential
//! replaced ([`sanitize::redact`]). Core stays pure; the engine, the app
//! and the conversation file only ever see the result.

use memchr::memmem;

use super::error::GatewayError;
use super::key::ApiKey;
use crate::sanitize;
use pixloom_core::wire::{ImagePayload, Reply};

/// Cleans network text for one key. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Untrusted {
    key: ApiKey,
}

impl std::fmt::Debug for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Untrusted")
    }
}

impl Untrusted {
    pub(crate) fn new(key: &ApiKey) -> Self {
        Untrusted { key: key.clone() }
    }

    /// A reply body with every copy of the key cut out, before anything
    /// parses, quotes or cuts it (a quote cut mid-key would leave a part of
    /// it that no later pass recognises). Returned as it is when the key is
    /// not there (the rule: a 4K image is handed back, not copied).
    pub(crate) fn body(&self, body: Vec<u8>) -> Vec<u8> {
        let key = self.key.expose().as_bytes();
        let finder = memmem::Finder::new(key);
        if finder.find(&body).is_none() {
            return body;
        }
        let mut out = Vec::with_capacity(body.len());
        let mut copied = 0;
        for at in finder.find_iter(&body) {
            out.extend_from_slice(&body[copied..at]);
            out.extend_from_slice(sanitize::REDACTED.as_bytes());
            copied = at + key.len();
        }
        out.extend_from_slice(&body[copied..]);
        out
    }

    /// One line: controls gone, secrets redacted.
    pub(crate) fn line(&self, s: &str) -> String {
        sanitize::redact(&sanitize::line(s), self.key.expose()).into_owned()
    }

    /// Several lines: controls but line breaks gone, secrets redacted.
    pub(crate) fn text(&self, s: &str) -> String {
        sanitize::redact(&sanitize::text(s), self.key.expose()).into_owned()
    }

    /// A parsed reply: refusal text, image URLs and types cleaned. A URL
    /// that carried the key no longer does, so the download can never send
    /// the key to whatever host the URL names.
    pub(crate) fn reply(&self, reply: Reply) -> Reply {
        match reply {
            Reply::Refusal(text) => Reply::Refusal(self.text(&text)),
            Reply::Images(images) => Reply::Images(
                images
                    .into_iter()
                    .map(|image| match image {
                        ImagePayload::Url(url) => ImagePayload::Url(self.line(&url)),
                        ImagePayload::Bytes { mime, bytes } => ImagePayload::Bytes {
                            mime: mime.map(|m| self.line(&m)),
                            bytes,
                        },
                    })
                    .collect(),
            ),
        }
    }

    /// Every text of an error, once more as it leaves the client: its
    /// parts were cleaned where they were read, and the message around
    /// them may quote more (reqwest's errors name URLs).
    pub(crate) fn error(&self, e: GatewayError) -> GatewayError {
        GatewayError {
            message: self.line(&e.message),
            request_id: e.request_id.map(|r| self.line(&r)),
            raw_body: e.raw_body.map(|b| self.text(&b)),
            ..e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn untrusted() -> Untrusted {
        Untrusted::new(&ApiKey::new("sk-unit-7f3a9c1e").expect("key"))
    }

    #[test]
    fn the_key_is_cut_from_bodies_before_parsing() {
        let u = untrusted();
        let body = br#"{"error":{"message":"bad key sk-unit-7f3a9c1e (sk-unit-7f3a9c1e)"}}"#;
        let clean = u.body(body.to_vec());
        let text = String::from_utf8(clean).expect("utf8");
        assert!(!text.contains("7f3a9c1e"), "{text}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "still JSON"
        );
        let plain = b"no key here".to_vec();
        assert_eq!(u.body(plain.clone()), plain);
    }

    #[test]
    fn replies_lose_the_key_in_refusals_and_urls() {
        let u = untrusted();
        let r = u.reply(Reply::Refusal(
            "no: Authorization: Bearer sk-unit-7f3a9c1e\u{1b}[2J".into(),
        ));
        assert_eq!(
            r,
            Reply::Refusal("no: Authorization: Bearer [redacted][2J".into())
        );
        let r = u.reply(Reply::Images(vec![ImagePayload::Url(
            "https://cdn.example/x.png?k=sk-unit-7f3a9c1e".into(),
        )]));
        assert_eq!(
            r,
            Reply::Images(vec![ImagePayload::Url(
                "https://cdn.example/x.png?k=[redacted]".into()
            )])
        );
    }
}
