//! Reading the ledger back. Its lines are hostile input (hand-edited,
//! cut short by a crash or a full disk): a line that does not parse is
//! skipped with a warning, never a crash.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;

use super::entry::{self, Call, Entry, Kind};

/// The longest line read; a longer one is skipped (no line pixloom writes
/// comes near it).
const MAX_LINE: u64 = 64 * 1024;

/// The calls in a ledger, in the order they went out, and what was
/// skipped on the way.
#[derive(Debug, Default)]
pub struct Read {
    pub calls: Vec<Call>,
    /// One message per skipped line (line number and why).
    pub warnings: Vec<String>,
}

/// Reads the ledger at `path`; a missing file is an empty ledger.
pub fn read(path: &Path) -> std::io::Result<Read> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::default()),
        Err(e) => return Err(e),
    };
    let mut reader = BufReader::new(file);
    let mut out = Read::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        if buf.last() != Some(&b'\n') && n as u64 > MAX_LINE {
            // Skip the rest of the over-long line.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest)?;
            out.warnings.push(format!(
                "line {number}: longer than {MAX_LINE} bytes, skipped"
            ));
            continue;
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match parse_line(text) {
            Ok(e) => fold(&mut out, &mut index, e, number),
            Err(why) => out.warnings.push(format!("line {number}: {why}, skipped")),
        }
    }
    Ok(out)
}

/// One line, checked.
pub(crate) fn parse_line(text: &str) -> Result<Entry, String> {
    let mut e: Entry =
        serde_json::from_str(text).map_err(|e| format!("not a ledger line ({e})"))?;
    if e.kind == Kind::Unknown {
        return Err("outcome \"unknown\" is never written".to_owned());
    }
    let t = entry::parse_time(&e.time).ok_or("its time is not RFC 3339")?;
    e.time = entry::now_rfc3339(t);
    if e.call.is_empty() {
        return Err("it has no call id".to_owned());
    }
    Ok(e)
}

/// Adds a line to the calls: a `sent` line opens a call (outcome unknown
/// until its outcome line comes), an outcome line settles it.
fn fold(out: &mut Read, index: &mut HashMap<String, usize>, e: Entry, number: usize) {
    match (e.kind, index.get(&e.call).copied()) {
        (Kind::Sent, None) => {
            index.insert(e.call.clone(), out.calls.len());
            out.calls.push(Call {
                sent: e.time.clone(),
                entry: Entry {
                    kind: Kind::Unknown,
                    ..e
                },
            });
        }
        (Kind::Sent, Some(_)) => out.warnings.push(format!(
            "line {number}: call {} sent twice, skipped",
            e.call
        )),
        (_, Some(i)) if out.calls[i].entry.kind == Kind::Unknown => {
            out.calls[i].entry = e;
        }
        (_, Some(_)) => out.warnings.push(format!(
            "line {number}: a second outcome for call {}, skipped",
            e.call
        )),
        (_, None) => {
            // Its `sent` line was lost (cut, edited): the outcome still counts.
            index.insert(e.call.clone(), out.calls.len());
            out.calls.push(Call {
                sent: e.time.clone(),
                entry: e,
            });
        }
    }
}
