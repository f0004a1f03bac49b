//! `conversation.json`: `{"format":"pixloom/1", …the conversation…}`,
//! pretty-printed. Reading checks, in order: that it is JSON text at all
//! (UTF-16 and binary files are named; a UTF-8 byte-order mark is
//! skipped), JSON syntax, that it is an object with a pixloom `format` this
//! version reads, the fields, and the tree's invariants — each failure its
//! own error, nothing written.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::error::ConvFileError;
use pixloom_core::settings::kind_of;
use pixloom_core::tree::Conversation;

/// The format this version writes and reads. Readers refuse a newer major
/// version; fields may be added within `pixloom/1` (older readers ignore
/// them).
pub const FORMAT: &str = "pixloom/1";
const MAJOR: u32 = 1;

/// The file as written: `format` first, then the conversation's fields.
#[derive(Serialize)]
struct FileOut<'a> {
    format: &'static str,
    #[serde(flatten)]
    conv: &'a Conversation,
}

/// The file's text for `conv` (pretty JSON, ending in a newline).
pub fn to_json(conv: &Conversation) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(&FileOut {
        format: FORMAT,
        conv,
    })?;
    s.push('\n');
    Ok(s)
}

/// Parses and checks a saved file's bytes; `path` is for the messages.
pub fn from_json(bytes: &[u8], path: &Path) -> Result<Conversation, ConvFileError> {
    // Editors on some systems add a UTF-8 byte-order mark when saving.
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ConvFileError::Empty {
            path: path.to_path_buf(),
        });
    }
    let not_pixloom = |why: String| ConvFileError::NotPixloom {
        path: path.to_path_buf(),
        why,
    };
    if let Some(what) = not_json_text(bytes) {
        return Err(not_pixloom(what));
    }
    // First as plain JSON: syntax errors get a position, and the format is
    // checked before any field is interpreted.
    let value: Value = serde_json::from_slice(bytes).map_err(|e| damaged(path, &e))?;
    let Value::Object(map) = &value else {
        return Err(not_pixloom(format!(
            "it holds {}, not an object",
            kind_of(&value)
        )));
    };
    match map.get("format") {
        None => return Err(not_pixloom("it has no \"format\" field".into())),
        Some(Value::String(f)) => check_format(f, path)?,
        Some(other) => {
            return Err(not_pixloom(format!(
                "its \"format\" is {}, not a string",
                kind_of(other)
            )));
        }
    }
    drop(value);
    // Then as the conversation, from the text again, for field errors with
    // a position. Unknown fields (`format`, later additions) are ignored.
    let conv: Conversation = serde_json::from_slice(bytes).map_err(|e| damaged(path, &e))?;
    conv.check().map_err(|broken| ConvFileError::Inconsistent {
        path: path.to_path_buf(),
        broken,
    })?;
    Ok(conv)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a file that is not JSON text at all holds, for the message (a
/// damaged conversation is still JSON text and gets a position instead).
fn not_json_text(bytes: &[u8]) -> Option<String> {
    let utf16 = bytes.starts_with(b"\xFF\xFE")
        || bytes.starts_with(b"\xFE\xFF")
        || bytes.starts_with(b"{\0")
        || bytes.starts_with(b"\0{");
    if utf16 {
        return Some("it is UTF-16 text; pixloom writes UTF-8".into());
    }
    // JSON text starts with `{` or `[` and has no NUL; binary files
    // (images, archives) have NULs early on.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let head = &bytes[..bytes.len().min(1024)];
    if matches!(first, Some(b'{' | b'[')) || !head.contains(&0) {
        return None;
    }
    let what = match crate::images::inspect(bytes) {
        Ok(info) => format!("a {} image", info.format.name()),
        Err(crate::images::ImageError::NotAnImage {
            looks_like: Some(what),
            ..
        }) => what.to_string(),
        Err(_) => "binary data".to_string(),
    };
    Some(format!("it holds {what}, not JSON text"))
}

/// `pixloom/1` (or `pixloom/1.x`) is read; a higher major is newer.
fn check_format(found: &str, path: &Path) -> Result<(), ConvFileError> {
    let major = found
        .strip_prefix("pixloom/")
        .map(|v| v.split('.').next().unwrap_or(v).parse::<u32>());
    match major {
        Some(Ok(MAJOR)) => Ok(()),
        Some(Ok(n)) if n > MAJOR => Err(ConvFileError::Newer {
            path: path.to_path_buf(),
            found: found.to_string(),
        }),
        _ => Err(ConvFileError::NotPixloom {
            path: path.to_path_buf(),
            why: format!("its format is {found:?}"),
        }),
    }
}

fn damaged(path: &Path, e: &serde_json::Error) -> ConvFileError {
    let detail = if e.is_eof() {
        "the file ends too early: it was cut short".to_string()
    } else {
        // serde_json appends " at line L column C": said separately.
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        full.strip_suffix(&suffix).unwrap_or(&full).to_string()
    };
    ConvFileError::Damaged {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        detail,
    }
}
