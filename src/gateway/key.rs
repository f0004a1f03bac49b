//! The API key: it can only be built valid and never shows itself.

use std::fmt;

/// The API key. Its `Debug` is redacted and it has no `Display`, so it
/// cannot end up in a log line or an error message by accident. It can
/// only be built valid: visible ASCII without spaces, so it always fits an
/// Authorization header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

/// Why a key cannot be used. Never quotes the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("it is empty")]
    Empty,
    #[error(
        "it contains {what} (character {position}), which an HTTP header cannot carry, so nothing was sent. Copy the key again, without line breaks, spaces or quotes around it"
    )]
    Unsendable { what: &'static str, position: usize },
}

impl ApiKey {
    /// The key, trimmed; refused when an HTTP header could not carry it.
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into().trim().to_owned();
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if let Some((i, c)) = key.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
            let what = match c {
                '\n' | '\r' => "a line break",
                ' ' | '\t' => "a space",
                c if c.is_control() => "a control character",
                _ => "a character that is not plain ASCII",
            };
            return Err(KeyError::Unsendable {
                what,
                position: i + 1,
            });
        }
        Ok(ApiKey(key))
    }

    /// The secret itself, for the Authorization header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}
