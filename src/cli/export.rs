//! `pixloom export`: the whole tree as one self-contained HTML file (images
//! embedded) or as Markdown (images linked).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use clap::{Args, ValueEnum};
use color_eyre::eyre::{Result, eyre};

use crate::convfile;
use crate::core::tree::{Conversation, ImageRef, Node, NodeId};
use crate::durable;
use crate::images::{self, ImageStore};

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
    /// Where to write the file.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

pub fn run(args: &ExportArgs) -> Result<()> {
    let dir = convfile::conversation_dir(&args.conv);
    let (conv, store) = convfile::read_only(&dir)?;
    let text = match args.format {
        Format::Html => html(&conv, &store)?,
        Format::Markdown => markdown(&conv, &store, args.out.parent().unwrap_or(Path::new(".")))?,
    };
    // The error names the file already.
    durable::write_atomic(&args.out, text.as_bytes()).map_err(|e| {
        eyre!("{e}. Check that the folder exists and is writable, or pick another --out.")
    })?;
    println!("wrote {}", args.out.display());
    Ok(())
}

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

fn html(conv: &Conversation, store: &ImageStore) -> Result<String> {
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
    let on_path = conv.selected_path();
    fn walk(
        conv: &Conversation,
        store: &ImageStore,
        ids: &[NodeId],
        on_path: &[NodeId],
        out: &mut String,
    ) -> Result<()> {
        out.push_str("<ul>");
        for &id in ids {
            let Some(n) = conv.nodes.get(&id) else {
                continue;
            };
            let role = n.role.as_str();
            let sel = if on_path.contains(&id) { " sel" } else { "" };
            let _ = write!(
                out,
                "<li class=\"node {role}{sel}\" id=\"{id}\"><div class=\"card\"><span class=\"meta\">{id} {role}"
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
                let _ = write!(
                    out,
                    "<img alt=\"{id} {}x{}\" src=\"{}\">",
                    img.original.width,
                    img.original.height,
                    embedded(store, id, img)?
                );
            }
            out.push_str("</div>");
            if !n.children.is_empty() {
                walk(conv, store, &n.children, on_path, out)?;
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
        Ok(())
    }
    walk(conv, store, &conv.roots, &on_path, &mut out)?;
    out.push_str("</body></html>\n");
    Ok(out)
}

fn markdown(conv: &Conversation, store: &ImageStore, out_dir: &Path) -> Result<String> {
    let mut out = format!("# {}\n\n", crate::sanitize::line(&conv.title));
    let out_dir = std::fs::canonicalize(out_dir).unwrap_or_else(|_| out_dir.to_owned());
    for id in conv.preorder() {
        let Some(n) = conv.nodes.get(&id) else {
            continue;
        };
        let depth = conv.path_to(id).map_or(1, |p| p.len());
        let indent = "  ".repeat(depth - 1);
        let role = n.role.as_str();
        let _ = write!(out, "{indent}- **{id}** {role}");
        let p = params(n);
        if !p.is_empty() {
            let _ = write!(out, " — {}", crate::sanitize::line(&p));
        }
        out.push('\n');
        let text = n.text();
        if !text.is_empty() {
            for line in crate::sanitize::text(&text).lines() {
                let _ = writeln!(out, "{indent}  > {line}");
            }
        }
        for img in n.images() {
            // Linked, not read: a regular file of the right length inside
            // the folder (a planted link is refused, never resolved).
            store.check(&img.original).map_err(|e| eyre!("{id}: {e}"))?;
            let path = PathBuf::from(crate::cli::image_path(store, &img.original));
            let shown = path
                .strip_prefix(&out_dir)
                .map_or_else(|_| path.clone(), Path::to_path_buf);
            let _ = writeln!(out, "{indent}  ![{id}]({})", shown.display());
        }
    }
    Ok(out)
}
