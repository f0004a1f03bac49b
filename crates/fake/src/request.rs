//! What every check of a request works with: the error it answers, and
//! where the fake is (to tell its own `/files/` URLs apart). Shared by
//! `validate` and `refimage` so neither imports the other back.

use bytes::Bytes;

/// An OpenAI-style error to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
    pub(crate) param: Option<String>,
    pub(crate) code: Option<&'static str>,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            param: None,
            code: None,
        }
    }

    pub(crate) fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    pub(crate) fn param(mut self, p: &str) -> ApiError {
        self.param = Some(p.to_owned());
        self
    }

    pub(crate) fn code(mut self, c: &'static str) -> ApiError {
        self.code = Some(c);
        self
    }
}

/// Looks up one of the fake's own result files by id (`None`: unknown or
/// expired).
pub(crate) type OwnFiles<'a> = &'a (dyn Fn(&str) -> Option<Bytes> + Sync);

/// Where the fake is reachable, to tell its own `/files/` URLs apart.
pub(crate) struct Ctx<'a> {
    pub(crate) port: u16,
    pub(crate) own_file: OwnFiles<'a>,
}
