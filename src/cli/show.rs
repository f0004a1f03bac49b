//! `pixloom show`: the tree, for people (box-drawn) or scripts (`--json`).
//! Read-only: it takes no lock and changes nothing, so it works while a
//! `send` or the app has the conversation open.

use clap::Args;
use color_eyre::eyre::Result;
use serde::Serialize;

use crate::convfile;
use crate::core::size::SizeSpec;
use crate::core::tree::{Conversation, Endpoint, Node, NodeId, Received, Role, Status};
use crate::images::ImageStore;
use crate::sanitize;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The conversation: NAME or NAME.pixloom.
    pub conv: String,
    /// Print JSON: every node with its id, role, status, prompt and image.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct ShowOutput {
    title: String,
    selected: Option<NodeId>,
    selected_path: Vec<NodeId>,
    cost_usd: f64,
    nodes: Vec<NodeJson>,
}

#[derive(Debug, Serialize)]
struct NodeJson {
    id: NodeId,
    parent: Option<NodeId>,
    children: Vec<NodeId>,
    role: Role,
    status: Option<Status>,
    text: String,
    images: Vec<String>,
    width: Option<u32>,
    height: Option<u32>,
    endpoint: Option<Endpoint>,
    model: Option<String>,
    size: Option<SizeSpec>,
    request_id: Option<String>,
    latency_ms: Option<u64>,
    cost_usd: f64,
    error: Option<String>,
    /// An `unstored` turn's paid picture: its link (until when) and any
    /// spare copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    received: Option<Received>,
    label: Option<String>,
    starred: bool,
}

#[allow(clippy::cast_precision_loss)] // micro-dollars: exact for whole cents
fn usd(micro: u64) -> f64 {
    micro as f64 / 1e6
}

fn node_json(n: &Node, store: &ImageStore) -> NodeJson {
    let turn = n.turn.as_ref();
    let first = n.images().next();
    NodeJson {
        id: n.id,
        parent: n.parent,
        children: n.children.clone(),
        role: n.role,
        status: n.status(),
        text: n.text(),
        images: n
            .images()
            .map(|i| super::image_path(store, &i.original))
            .collect(),
        width: first.map(|i| i.original.width),
        height: first.map(|i| i.original.height),
        endpoint: turn.map(|t| t.request.endpoint),
        model: turn.map(|t| t.request.model.clone()),
        size: turn.map(|t| t.request.size),
        request_id: turn.and_then(|t| t.request_id.clone()),
        latency_ms: turn.and_then(|t| t.latency_ms),
        cost_usd: usd(turn.map_or(0, |t| t.cost_micro_usd)),
        error: turn
            .and_then(|t| t.error.as_ref())
            .map(|e| e.message.clone()),
        received: turn.and_then(|t| t.received.clone()),
        label: n.label.clone(),
        starred: n.starred,
    }
}

pub fn run(args: &ShowArgs) -> Result<()> {
    let dir = convfile::conversation_dir(&args.conv);
    let (conv, store) = convfile::read_only(&dir)?;
    if args.json {
        let out = ShowOutput {
            title: conv.title.clone(),
            selected: conv.selected,
            selected_path: conv.selected_path(),
            cost_usd: usd(conv.total_cost_micro_usd()),
            nodes: conv
                .preorder()
                .iter()
                .filter_map(|id| conv.nodes.get(id))
                .map(|n| node_json(n, &store))
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", render_tree(&conv));
    }
    Ok(())
}

/// One line per node, branches drawn with box characters; the selected
/// path is marked with `>`.
pub fn render_tree(conv: &Conversation) -> String {
    let on_path = conv.selected_path();
    let mut out = format!(
        "{}  ({} turns, ${:.2})\n",
        sanitize::line(&conv.title),
        conv.len(),
        usd(conv.total_cost_micro_usd())
    );
    // (node, prefix for its line, prefix for its children)
    let mut stack: Vec<(NodeId, String, String)> = Vec::new();
    let roots = &conv.roots;
    for (i, &r) in roots.iter().enumerate().rev() {
        let last = i + 1 == roots.len();
        stack.push((
            r,
            if last { "└─ " } else { "├─ " }.to_owned(),
            if last { "   " } else { "│  " }.to_owned(),
        ));
    }
    while let Some((id, lead, child_lead)) = stack.pop() {
        let Some(n) = conv.nodes.get(&id) else {
            continue;
        };
        let mark = if on_path.contains(&id) { '>' } else { ' ' };
        out.push_str(&format!("{mark} {lead}{}\n", describe(n)));
        for (i, &c) in n.children.iter().enumerate().rev() {
            let last = i + 1 == n.children.len();
            stack.push((
                c,
                format!("{child_lead}{}", if last { "└─ " } else { "├─ " }),
                format!("{child_lead}{}", if last { "   " } else { "│  " }),
            ));
        }
    }
    out
}

fn describe(n: &Node) -> String {
    let star = if n.starred { " ★" } else { "" };
    let label = n
        .label
        .as_deref()
        .map(|l| format!(" [{}]", sanitize::line(l)))
        .unwrap_or_default();
    let body = match (&n.turn, n.role) {
        (Some(t), _) => {
            let img = n
                .images()
                .next()
                .map(|i| format!(" {}x{}", i.original.width, i.original.height))
                .unwrap_or_default();
            let extra = match t.status {
                Status::Refused => format!(
                    " \"{}\"",
                    sanitize::truncate(&sanitize::line(&n.text()), 60)
                ),
                Status::Failed => t
                    .error
                    .as_ref()
                    .map(|e| format!(" {}", sanitize::truncate(&sanitize::line(&e.message), 60)))
                    .unwrap_or_default(),
                Status::Unstored => t
                    .received
                    .as_ref()
                    .and_then(|r| r.url.as_ref().zip(r.expires_at))
                    .map_or_else(
                        || " paid, not on disk, no link".to_owned(),
                        |(url, until)| {
                            format!(
                                " paid, not on disk; link until {until}: {}",
                                sanitize::line(url)
                            )
                        },
                    ),
                _ => String::new(),
            };
            format!(
                "assistant {}{img} ({} {} {}){extra}",
                t.status, t.request.model, t.request.size, t.request.endpoint
            )
        }
        (None, role) => {
            let refs = n.images().count();
            let refs = if refs > 0 {
                format!(" +{refs} image(s)")
            } else {
                String::new()
            };
            format!(
                "{} \"{}\"{refs}",
                role.as_str(),
                sanitize::truncate(&sanitize::line(&n.text()), 60)
            )
        }
    };
    format!("{} {body}{label}{star}", n.id)
}
