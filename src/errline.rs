//! The one shape of a message about a file or folder: what happened and
//! what to do first, the path once, last — `REASON: PATH`. A status line
//! cut at its width then loses only the end of a long path, never the
//! reason or the advice. Errors that carry a path (`ImageError`,
//! `ConvFileError`, `durable`'s I/O errors, the app's notices) all end so;
//! `tests/error_lines.rs`-style table: `errline::tests` and the tables in
//! `images::error` and `convfile::error`.

use std::fmt::Display;

/// `reason: path`.
pub fn with_path(reason: impl Display, path: impl Display) -> String {
    format!("{reason}: {path}")
}
