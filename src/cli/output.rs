//! The one way CLI commands print results: text through
//! [`sanitize::text`] (whatever a caller forgot, no control sequence or
//! bidi override reaches the terminal), JSON through
//! [`sanitize::json_pretty`]. A closed pipe (`| head`) ends the output
//! quietly instead of panicking as `println!` would.

use std::io::{self, Write as _};

use color_eyre::eyre::{Result, WrapErr as _};
use serde::Serialize;

use crate::sanitize;

/// Prints `text` to stdout, controls removed (line breaks kept).
pub(crate) fn print_text(text: &str) -> Result<()> {
    write_stdout(sanitize::text(text).as_bytes())
}

/// Prints `value` as pretty JSON and a newline, every control and bidi
/// character escaped as `\uXXXX`.
pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut json = sanitize::json_pretty(value)?;
    json.push('\n');
    write_stdout(json.as_bytes())
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(e).wrap_err("could not write to stdout")
        }
        _ => Ok(()),
    }
}

/// How deep `show` draws the tree nested (its box lines; exports do not
/// nest per turn at all, see `export/layout.rs`). A deeper turn is drawn at this depth with its real depth
/// written out, so the output of a 20,000-turn chain stays linear in its
/// length instead of indenting 20,000 levels (hundreds of MB of spaces).
pub(crate) const DRAWN_DEPTH: usize = 64;

/// `[depth N] ` for a turn deeper than [`DRAWN_DEPTH`] (1-based `depth`),
/// else nothing.
pub(crate) fn depth_note(depth: usize) -> String {
    if depth > DRAWN_DEPTH {
        format!("[depth {depth}] ")
    } else {
        String::new()
    }
}
