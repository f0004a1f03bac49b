//! `pixloom show`: the tree, for people (box-drawn) or scripts (`--json`).
//! Read-only: it takes no lock and changes nothing, so it works while a
//! `send` or the app has the conversation open.

use std::collections::HashSet;

use clap::Args;
use color_eyre::eyre::Result;
use serde::Serialize;

use crate::convfile;
use crate::images::ImageStore;
use crate::sanitize;
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::{Conversation, Endpoint, Node, NodeId, Received, Role, Status};

use super::output;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The conversation: NAME or NAME.pixloom.
    pub conv: String,
    /// Print JSON: every node with its id, role, status, prompt and image.
    #[arg(long)]
    pub(crate) json: bool,
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

pub(super) fn run(args: &ShowArgs) -> Result<()> {
    let dir = convfile::conversation_dir(&args.conv);
    let (conv, store) = convfile::read_only(&dir)?;
    // On stderr, so `--json` stays one document; nothing is followed or
    // hashed to find these.
    for unusable in convfile::missing_images(&store, &conv) {
        eprintln!("pixloom: cannot use {}", crate::sanitize::line(&unusable));
    }
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
        output::print_json(&out)
    } else {
        output::print_text(&render_tree(&conv))
    }
}

/// One line per node, branches drawn with box characters; the selected
/// path is marked with `>`. Iterative; nesting stops growing at
/// [`output::DRAWN_DEPTH`].
pub(crate) fn render_tree(conv: &Conversation) -> String {
    let on_path: HashSet<NodeId> = conv.selected_path().into_iter().collect();
    let mut out = format!(
        "{}  ({} turns, ${:.2})\n",
        sanitize::line(&conv.title),
        conv.len(),
        usd(conv.total_cost_micro_usd())
    );
    // (node, its depth, prefix for its line, prefix for its children)
    let mut stack: Vec<(NodeId, usize, String, String)> = Vec::new();
    let push_children =
        |stack: &mut Vec<_>, ids: &[NodeId], depth: usize, lead: &str, child_lead: &str| {
            for (i, &c) in ids.iter().enumerate().rev() {
                if depth > output::DRAWN_DEPTH {
                    // Past the drawn depth: the same column, the depth written.
                    stack.push((c, depth, lead.to_owned(), child_lead.to_owned()));
                    continue;
                }
                let last = i + 1 == ids.len();
                stack.push((
                    c,
                    depth,
                    format!("{child_lead}{}", if last { "└─ " } else { "├─ " }),
                    format!("{child_lead}{}", if last { "   " } else { "│  " }),
                ));
            }
        };
    push_children(&mut stack, &conv.roots, 1, "", "");
    // The bound keeps a cycle in an unchecked tree from looping forever.
    let mut budget = conv.len();
    while let Some((id, depth, lead, child_lead)) = stack.pop() {
        let Some(n) = conv.nodes.get(&id) else {
            continue;
        };
        if budget == 0 {
            break;
        }
        budget -= 1;
        let mark = if on_path.contains(&id) { '>' } else { ' ' };
        out.push_str(&format!(
            "{mark} {lead}{}{}\n",
            output::depth_note(depth),
            describe(n)
        ));
        push_children(&mut stack, &n.children, depth + 1, &lead, &child_lead);
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
                t.status,
                sanitize::line(&t.request.model),
                t.request.size,
                t.request.endpoint
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

#[cfg(test)]
mod tests {
    use super::*;
    use pixloom_core::tree::{Endpoint, Outcome, Part, RequestParams, TurnError};
    use time::macros::datetime;

    const T0: time::OffsetDateTime = datetime!(2026-12-01 12:00 UTC);

    fn text(s: &str) -> Vec<Part> {
        vec![Part::Text { text: s.to_owned() }]
    }

    fn failed_pair(
        c: &mut Conversation,
        parent: Option<NodeId>,
        prompt: &str,
        n: usize,
    ) -> Vec<NodeId> {
        let params = RequestParams {
            endpoint: Endpoint::Chat,
            model: "m\x1b]0;x\x07".to_owned(),
            size: SizeSpec::Auto,
        };
        let u = c.add_user(parent, text(prompt), T0).expect("user");
        let pending = c.add_pending(u, &params, n, T0).expect("pending");
        for &a in &pending {
            let error = TurnError {
                message: "boom".to_owned(),
                ..TurnError::default()
            };
            c.fail(a, error, Outcome::default()).expect("fail");
        }
        pending
    }

    #[test]
    fn branches_are_drawn_as_before_and_the_model_is_sanitised() {
        let mut c = Conversation::new("t", T0);
        let pair = failed_pair(&mut c, None, "a fox", 2);
        c.add_user(Some(pair[0]), text("dusk"), T0).expect("n4");
        assert_eq!(
            render_tree(&c),
            "t  (4 turns, $0.00)\n\
             > └─ n1 user \"a fox\"\n\
             >    ├─ n2 assistant failed (m]0;x auto chat) boom\n\
             >    │  └─ n4 user \"dusk\"\n  \
             \x20  └─ n3 assistant failed (m]0;x auto chat) boom\n"
        );
    }

    #[test]
    fn nesting_stops_at_the_drawn_depth_and_says_the_depth() {
        let mut c = Conversation::new("deep", T0);
        let mut parent = None;
        for i in 0..40 {
            parent = failed_pair(&mut c, parent, &format!("turn {i}"), 1)
                .first()
                .copied();
        }
        let out = render_tree(&c);
        // Where each line's description starts, in characters.
        let starts = out
            .lines()
            .skip(1)
            .map(|l| l.chars().position(|c| c == 'n' || c == '[').unwrap_or(0));
        assert_eq!(starts.max(), Some(2 + 3 * output::DRAWN_DEPTH), "{out}");
        assert!(out.contains("[depth 80] n80 assistant failed"), "{out}");
        assert!(
            !out.contains("[depth 64]") && out.contains("[depth 65] n65"),
            "{out}"
        );
    }
}
