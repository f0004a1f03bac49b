//! `pixloom export`: the whole tree as one self-contained HTML file (images
//! embedded) or as Markdown (images copied into `STEM_files/` beside it and
//! linked relatively). Every saved string is escaped for the format: the
//! conversation file is untrusted, and an export is opened in browsers and
//! Markdown viewers.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use clap::{Args, ValueEnum};
use color_eyre::eyre::{Result, eyre};

use crate::convfile;
use crate::core::tree::{Blob, Conversation, ImageRef, Node, NodeId};
use crate::durable;
use crate::images::{self, ImageStore};

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
    pub out: PathBuf,
    /// Replace the output file (and the Markdown images folder) if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &ExportArgs) -> Result<()> {
    let dir = convfile::conversation_dir(&args.conv);
    let (conv, store) = convfile::read_only(&dir)?;
    let target = Target::check(&args.out, &dir, args.force)?;
    let mut skipped = Vec::new();
    let text = match args.format {
        Format::Html => html(&conv, &store, &mut skipped)?,
        Format::Markdown => markdown(&conv, &store, &target, &mut skipped)?,
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

fn html(conv: &Conversation, store: &ImageStore, skipped: &mut Vec<String>) -> Result<String> {
    let mut out = String::new();
    let title = esc(&conv.title);
    let _ = write!(
        out,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>\
         body{{font:15px/1.4 system-ui,sans-serif;margin:2em;background:#111;color:#ddd}}\
         ul{{list-style:none;border-left:1px solid #444;padding-left:1.2em}}\
         .node{{margin:.6em 0}}.user .text{{color:#fff;white-space:pre-wrap}}.meta{{color:#888;font-size:12px}}\
         .sel>.card{{border-left:3px solid #6af;padding-left:.5em}}img{{max-width:480px;max-height:480px;display:block;margin:.3em 0}}\
         </style></head><body><h1>{title}</h1><p class=\"meta\">{} turns · ${:.2}. Images are embedded previews (≤ 1.5 MB); \
         the originals are in the conversation's images/ folder.</p>",
        conv.len(),
        conv.total_cost_micro_usd() as f64 / 1e6
    );
    let on_path: HashSet<NodeId> = conv.selected_path().into_iter().collect();
    // Iterative, so no depth can overflow the stack. A frame is a list of
    // siblings being written, the next one's index, the depth, and what
    // closes the list: `</ul>` and the owner's `</li>`, or nothing for
    // turns past the drawn depth (written as following items).
    struct Frame<'a> {
        ids: &'a [NodeId],
        at: usize,
        depth: usize,
        close: &'static str,
    }
    out.push_str("<ul>");
    let mut stack = vec![Frame {
        ids: &conv.roots,
        at: 0,
        depth: 1,
        close: "</ul>",
    }];
    let mut budget = conv.len();
    while let Some(frame) = stack.last_mut() {
        let Some(&id) = frame.ids.get(frame.at) else {
            out.push_str(frame.close);
            stack.pop();
            continue;
        };
        frame.at += 1;
        let depth = frame.depth;
        let Some(n) = conv.nodes.get(&id) else {
            continue;
        };
        if budget == 0 {
            break; // a cycle in an unchecked tree
        }
        budget -= 1;
        let role = n.role.as_str();
        let sel = if on_path.contains(&id) { " sel" } else { "" };
        let _ = write!(
            out,
            "<li class=\"node {role}{sel}\" id=\"{id}\"><div class=\"card\"><span class=\"meta\">{}{id} {role}",
            esc(&output::depth_note(depth))
        );
        if n.starred {
            out.push_str(" ★");
        }
        if let Some(l) = &n.label {
            let _ = write!(out, " [{}]", esc(l));
        }
        let _ = write!(out, " {}</span>", esc(&params(n)));
        let text = n.text();
        if !text.is_empty() {
            let _ = write!(out, "<div class=\"text\">{}</div>", esc(&text));
        }
        for img in n.images() {
            match embedded(store, id, img) {
                Ok(data) => {
                    let _ = write!(
                        out,
                        "<img alt=\"{id} {}x{}\" src=\"{data}\">",
                        img.original.width, img.original.height,
                    );
                }
                Err(why) => {
                    let why = why.to_string();
                    let _ = write!(
                        out,
                        "<div class=\"text\">[image left out: {}]</div>",
                        esc(&why)
                    );
                    skipped.push(why);
                }
            }
        }
        out.push_str("</div>");
        if n.children.is_empty() {
            out.push_str("</li>");
        } else if depth < output::DRAWN_DEPTH {
            out.push_str("<ul>");
            stack.push(Frame {
                ids: &n.children,
                at: 0,
                depth: depth + 1,
                close: "</ul></li>",
            });
        } else {
            out.push_str("</li>");
            stack.push(Frame {
                ids: &n.children,
                at: 0,
                depth: depth + 1,
                close: "",
            });
        }
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

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

/// Markdown with every image copied next to the file (`STEM_files/`) and
/// linked relative to it, so the export is self-contained wherever --out
/// points.
fn markdown(
    conv: &Conversation,
    store: &ImageStore,
    target: &Target,
    skipped: &mut Vec<String>,
) -> Result<String> {
    let mut out = format!("# {}\n\n", md(&crate::sanitize::line(&conv.title)));
    let mut images: Option<(PathBuf, String)> = None;
    let mut copied = HashMap::new();
    // (node, depth), depth-first in display order; iterative.
    let mut stack: Vec<(NodeId, usize)> = conv.roots.iter().rev().map(|&r| (r, 1)).collect();
    let mut budget = conv.len();
    while let Some((id, depth)) = stack.pop() {
        let Some(n) = conv.nodes.get(&id) else {
            continue;
        };
        if budget == 0 {
            break; // a cycle in an unchecked tree
        }
        budget -= 1;
        stack.extend(n.children.iter().rev().map(|&c| (c, depth + 1)));
        let indent = "  ".repeat(depth.min(output::DRAWN_DEPTH) - 1);
        let role = n.role.as_str();
        let _ = write!(
            out,
            "{indent}- {}**{id}** {role}",
            md(&output::depth_note(depth))
        );
        let p = params(n);
        if !p.is_empty() {
            let _ = write!(out, " — {}", md(&crate::sanitize::line(&p)));
        }
        out.push('\n');
        let text = n.text();
        if !text.is_empty() {
            for line in md(&text).lines() {
                let _ = writeln!(out, "{indent}  > {line}");
            }
        }
        for img in n.images() {
            let (folder, link) = match &images {
                Some(made) => made,
                None => images.insert(target.images_folder()?),
            };
            match copy_image(store, &img.original, folder, &mut copied)? {
                Ok(name) => {
                    let _ = writeln!(out, "{indent}  ![{id}]({link}/{})", percent_encode(&name));
                }
                Err(why) => {
                    let why = format!("{id}: {why}");
                    let _ = writeln!(out, "{indent}  \\[image left out: {}\\]", md(&why));
                    skipped.push(why);
                }
            }
        }
    }
    Ok(out)
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
