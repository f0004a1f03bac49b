//! `pixloom export`: the whole tree as one self-contained HTML file (images
//! embedded) or as Markdown (images copied into `STEM_files/` beside it and
//! linked relatively). Every saved string is escaped for the format: the
//! conversation file is untrusted, and an export is opened in browsers and
//! Markdown viewers.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use clap::{Args, ValueEnum};
use color_eyre::eyre::{Result, eyre};

use crate::convfile;
use pixloom_core::tree::{Blob, Conversation, ImageRef, Node, NodeId};

mod html;
mod layout;
mod markdown;

use crate::durable;
use crate::images::{self, ImageStore};
use layout::Line;

use super::output;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Html,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The conversation: NAME or NAME.pixloom.
    pub conv: String,
    #[arg(long, value_enum)]
    pub format: Format,
    /// Where to write the file (never inside a conversation folder).
    /// Markdown puts its images next to it, in `STEM_files/`.
    #[arg(long, value_name = "PATH")]
    pub(crate) out: PathBuf,
    /// Replace the output file (and the Markdown images folder) if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

pub(super) fn run(args: &ExportArgs) -> Result<()> {
    let dir = convfile::conversation_dir(&args.conv);
    let (conv, store) = convfile::read_only(&dir)?;
    let target = Target::check(&args.out, &dir, args.force)?;
    let mut skipped = Vec::new();
    let text = match args.format {
        Format::Html => html::html(&conv, &store, &mut skipped)?,
        Format::Markdown => markdown::markdown(&conv, &store, &target, &mut skipped)?,
    };
    // The error names the file already.
    durable::write_atomic(&args.out, text.as_bytes()).map_err(|e| {
        eyre!("{e}. Check that the folder exists and is writable, or pick another --out.")
    })?;
    // An image the folder does not hold as it claims (a link, a special
    // file, other bytes) is left out, said in its place and here: the rest
    // of the conversation is still exported.
    for why in &skipped {
        eprintln!("pixloom: not exported: {}", crate::sanitize::line(why));
    }
    let note = match skipped.len() {
        0 => String::new(),
        n => format!(" ({n} image(s) left out, see above)"),
    };
    output::print_text(&format!(
        "wrote {}{note}\n",
        crate::sanitize::line(&args.out.display().to_string())
    ))
}

/// Where an export may write: checked before anything is written. An
/// export never writes into a conversation folder (it could replace
/// `conversation.json` or a paid image) and replaces an existing file only
/// with `--force`.
struct Target {
    /// The folder the file goes in, resolved (symlinks followed), when it
    /// exists; a missing folder is reported by the write itself.
    folder: Option<PathBuf>,
    /// The file's name without extension: `fox` for `fox.md`.
    stem: String,
    force: bool,
}

impl Target {
    fn check(out: &Path, conv_dir: &Path, force: bool) -> Result<Target> {
        let shown = out.display();
        let Some(name) = out.file_name().filter(|_| !out.as_os_str().is_empty()) else {
            return Err(eyre!(
                "--out {shown} names no file. Give a file name, e.g. --out fox.html"
            ));
        };
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let folder = std::fs::canonicalize(parent).ok();
        if let Some(folder) = &folder {
            refuse_conversation_folder(folder, conv_dir, out)?;
            let path = folder.join(name);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {
                    return Err(eyre!(
                        "--out {shown} is a folder. Name a file in it, e.g. --out {}",
                        Path::new(&shown.to_string()).join("export.html").display()
                    ));
                }
                Ok(_) if !force => {
                    return Err(eyre!(
                        "{shown} already exists and was not changed. Pick another --out, or pass --force to replace it."
                    ));
                }
                _ => {}
            }
        }
        let stem = Path::new(name)
            .file_stem()
            .map_or_else(|| "export".to_owned(), |s| s.to_string_lossy().into_owned());
        Ok(Target {
            folder,
            stem,
            force,
        })
    }

    /// The folder next to the file that holds a Markdown export's images,
    /// created (or, with `--force`, reused) now; with its name as linked.
    fn images_folder(&self) -> Result<(PathBuf, String)> {
        let name = format!("{}_files", self.stem);
        let folder = self.folder.as_ref().ok_or_else(|| {
            eyre!("the folder for --out does not exist. Create it or pick another --out.")
        })?;
        let path = folder.join(&name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() && self.force => {
                // Resolved again: the folder itself may be a link.
                let resolved = std::fs::canonicalize(&path)?;
                refuse_conversation_folder(&resolved, Path::new(""), &path)?;
            }
            Ok(_) => {
                return Err(eyre!(
                    "{} already exists and was not changed: the Markdown export puts its images there. Pick another --out, or pass --force to reuse it.",
                    path.display()
                ));
            }
            Err(_) => std::fs::create_dir(&path).map_err(|e| {
                eyre!(
                    "could not create {}: {e}. Check that the folder is writable, or pick another --out.",
                    path.display()
                )
            })?,
        }
        Ok((path, percent_encode(&name)))
    }
}

/// Refuses `folder` (resolved) when it is, or is inside, the conversation
/// being exported or any conversation folder (one holding
/// `conversation.json`).
fn refuse_conversation_folder(folder: &Path, conv_dir: &Path, out: &Path) -> Result<()> {
    let exported = std::fs::canonicalize(conv_dir).ok();
    for ancestor in folder.ancestors() {
        let is_conversation = exported.as_deref() == Some(ancestor)
            || std::fs::symlink_metadata(ancestor.join(convfile::CONVERSATION_FILE)).is_ok();
        if is_conversation {
            return Err(eyre!(
                "--out {} is inside the conversation folder {}, and an export never writes there (it could replace conversation.json or an image). Pick a path outside it.",
                out.display(),
                ancestor.display(),
            ));
        }
    }
    Ok(())
}

/// A path segment for a Markdown link: everything but unreserved
/// characters percent-encoded, so no name can end or extend the link.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Text for HTML, attributes included: controls removed, markup escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::sanitize::text(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A data URL small enough to embed: the upload copy (≤ 1.5 MB) of each
/// image, prepared now if the conversation has none yet. Read verified (a
/// link, special file or changed file is refused, naming node and file).
fn embedded(store: &ImageStore, id: NodeId, image: &ImageRef) -> Result<String> {
    let bytes = store
        .read(image.upload_blob())
        .map_err(|e| eyre!("{id}: {e}"))?;
    let prepared = images::prepare_upload(&bytes)?;
    Ok(format!(
        "data:{};base64,{}",
        prepared.info.format.mime(),
        base64::engine::general_purpose::STANDARD.encode(&prepared.bytes)
    ))
}

/// The turn's request in one line, unescaped (each format escapes it).
fn params(n: &Node) -> String {
    let Some(t) = &n.turn else {
        return String::new();
    };
    let mut s = format!(
        "{} · {} · {} · {}",
        t.status, t.request.model, t.request.size, t.request.endpoint
    );
    if let Some(ms) = t.latency_ms {
        let _ = write!(s, " · {:.1} s", ms as f64 / 1000.0);
    }
    if let Some(id) = &t.request_id {
        let _ = write!(s, " · {id}");
    }
    if let Some(e) = &t.error {
        let _ = write!(s, " · {}", e.message);
    }
    s
}

/// A line's heading, unescaped (each format escapes it): "Main line", or
/// which branch, where it starts, how long it is and how it begins.
fn line_title(conv: &Conversation, line: &Line) -> String {
    let turns = line.turns.len();
    if line.number == 1 {
        return format!("Main line · {}", count(turns, "turn"));
    }
    let start = line
        .from
        .map_or_else(|| "a separate start".to_owned(), |f| format!("from {f}"));
    // How the branch begins: its first words, or what kind of turn it is.
    let first = line.turns.first().and_then(|id| conv.nodes.get(id));
    let opening = first.map_or_else(String::new, |n| {
        let text = crate::sanitize::line(&n.text()).into_owned();
        let words: String = text.chars().take(BRANCH_WORDS).collect();
        if words.is_empty() {
            format!(" · {} {}", n.role.as_str(), n.id)
        } else if words.len() < text.len() {
            format!(" · “{words}…”")
        } else {
            format!(" · “{words}”")
        }
    });
    format!(
        "Branch {} · {start} · {}{opening}",
        line.number,
        count(turns, "turn")
    )
}

/// The export's first line: how many turns and branches, and the cost.
fn summary(conv: &Conversation, layout: &layout::Layout) -> String {
    format!(
        "{} · {} · ${:.2}",
        count(conv.len(), "turn"),
        count(layout.lines.len().saturating_sub(1), "branch"),
        conv.total_cost_micro_usd() as f64 / 1e6
    )
}

/// `1 turn`, `2 turns`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        let s = if what.ends_with("ch") { "es" } else { "s" };
        format!("{n} {what}{s}")
    }
}

/// How much of a branch's first prompt its title shows, in characters.
const BRANCH_WORDS: usize = 60;

/// Text for Markdown: Markdown's punctuation backslash-escaped (no link,
/// image, reference, code or emphasis), then as for HTML (controls
/// removed, `<` `>` `&` as entities: no tag, comment or autolink).
fn md(s: &str) -> String {
    let mut marked = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '!' | '#' | '|' | '~'
        ) {
            marked.push('\\');
        }
        marked.push(c);
    }
    esc(&marked)
}

/// Copies the blob into `folder` once (under its store name: hex and a
/// known extension) and returns that name, or why the folder cannot give
/// it (the export goes on without it). Failing to write is an error.
fn copy_image(
    store: &ImageStore,
    blob: &Blob,
    folder: &Path,
    copied: &mut HashMap<String, Result<(), String>>,
) -> Result<Result<String, String>> {
    let path = store.path(blob);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| eyre!("{} has no file name", path.display()))?;
    if !copied.contains_key(&name) {
        let read = store.read(blob).map_err(|e| e.to_string());
        if let Ok(bytes) = &read {
            durable::write_atomic(&folder.join(&name), bytes).map_err(|e| {
                eyre!("{e}. Check that the folder is writable, or pick another --out.")
            })?;
        }
        copied.insert(name.clone(), read.map(drop));
    }
    Ok(match &copied[&name] {
        Ok(()) => Ok(name),
        Err(why) => Err(why.clone()),
    })
}
