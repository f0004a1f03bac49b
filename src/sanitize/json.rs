//! JSON for scripts: what `--json` prints. serde_json escapes only C0
//! controls, so a saved title with a C1 control or a bidi override would
//! reach the pipe (and, through `jq`, the terminal) as it is. Every
//! character [`super::is_forbidden`] names (DEL, C1, bidi controls) is
//! written as a `\uXXXX` escape instead, and U+2028/U+2029 too (line breaks
//! to JavaScript). The data survives a parse unchanged; only the bytes on
//! the wire are inert.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// Pretty JSON (two-space indent, as `serde_json::to_string_pretty`) with
/// controls and bidi characters escaped. The one writer every `--json`
/// output goes through.
pub(crate) fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, Escaping(PrettyFormatter::new()));
    value.serialize(&mut ser)?;
    // Only `str` fragments and ASCII are written: always UTF-8.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn needs_escape(c: char) -> bool {
    super::is_forbidden(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `PrettyFormatter` with string fragments screened.
struct Escaping(PrettyFormatter<'static>);

impl Formatter for Escaping {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if needs_escape(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // Every such character is in the BMP: one `\u` escape.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_escaped_and_survive_a_parse() {
        let hostile = "a\x1b]52;c;eA==\x07b\u{9b}2J\u{85}\u{7f}\u{202e}gpj.exe\u{2066}\u{200f}\u{61c}\u{2028}猫";
        let value = serde_json::json!({ "title": hostile, hostile: [hostile] });
        let out = to_string_pretty(&value).unwrap();
        assert!(
            !out.chars()
                .any(|c| c.is_control() && c != '\n' || needs_escape(c)),
            "{out:?}"
        );
        for esc in [
            "\\u001b", "\\u0007", "\\u009b", "\\u0085", "\\u007f", "\\u202e", "\\u2066", "\\u200f",
            "\\u061c", "\\u2028",
        ] {
            assert!(out.contains(esc), "{esc} missing in {out}");
        }
        assert!(out.contains('猫'), "other text stays as it is");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn plain_output_matches_serde_json_pretty() {
        let value = serde_json::json!({"nodes": [{"id": "n1", "text": "a \"red\" fox\n"}], "cost_usd": 0.03, "e": [], "o": {}});
        assert_eq!(
            to_string_pretty(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}
