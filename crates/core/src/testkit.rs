//! Test fixtures shared by the core's tests: a fixed clock, images, and a
//! tiny script language that builds conversation trees and renders them back
//! on one line, so tests read as tables of state, operation, expected state.
//!
//! Script lines (separated by `;`), `nK` naming a node:
//!
//! | line | call |
//! | --- | --- |
//! | `system TEXT` | `add_system` |
//! | `reply WORDS` | `reply`; a word `+name` attaches image `name` |
//! | `user nK WORDS`, `user root WORDS` | `add_user` |
//! | `refine nK WORDS`, `edit nK WORDS` | `refine`, `edit_user` |
//! | `pend nK N [PARAMS]` | `add_pending` |
//! | `regen nK [PARAMS]`, `retry nK [PARAMS]` | `regenerate`, `retry` |
//! | `done nK [stale\|local]` | `complete` with image `rK` (gateway URL alive, about to die, or none) |
//! | `refuse nK WORDS`, `fail nK`, `cancel nK`, `interrupt` | settle turns |
//! | `select nK`, `up`, `down`, `prev`, `next` | navigation |
//! | `label nK [WORDS]`, `star nK`, `delete nK`, `upload NAME` | marking, deleting, `set_upload_copy` |
//!
//! PARAMS are `images`, `model=NAME`, `size=WxH` (default: chat, vip, auto).
//!
//! `render` writes `s1[u2[a3.done* a4.failed]]`: role letter and id, an
//! assistant's status, `+` when starred, `'label'`, `*` on the selection.

use std::fmt::Write as _;

use proptest::prelude::*;
use time::{Duration, OffsetDateTime, macros::datetime};

use super::model::DEFAULT_MODEL;
use super::size::SizeSpec;
use super::tree::{
    Blob, Conversation, Endpoint, ImageOrigin, ImageRef, Node, NodeId, Outcome, Part, RemoteCopy,
    RequestParams, Role, Status, TreeError, TurnError,
};

/// The fixed clock every core test uses.
pub fn now() -> OffsetDateTime {
    datetime!(2026-11-23 12:00 UTC)
}

/// How long a gateway URL has left when a `done` line stores a result.
pub const FRESH_URL_TTL: Duration = Duration::hours(23);
/// … and when it says `stale` (under the one-hour safety margin).
pub const STALE_URL_TTL: Duration = Duration::minutes(30);

pub fn blob(name: &str) -> Blob {
    Blob {
        sha256: name.to_owned(),
        ext: "png".to_owned(),
        bytes: 1000,
        width: 1024,
        height: 1024,
    }
}

/// An image the user attached from a file.
pub fn attachment(name: &str) -> ImageRef {
    ImageRef {
        original: blob(name),
        upload: None,
        upload_seal: None,
        origin: ImageOrigin::File {
            path: format!("{name}.png"),
        },
        remote: None,
    }
}

/// A result image, with a gateway URL living `ttl` longer (or none).
pub fn result(name: &str, ttl: Option<Duration>) -> ImageRef {
    ImageRef {
        original: blob(name),
        upload: None,
        upload_seal: None,
        origin: ImageOrigin::Result,
        remote: ttl.map(|ttl| RemoteCopy {
            url: remote_url(name),
            expires_at: now() + ttl,
            seal: None,
        }),
    }
}

pub fn remote_url(name: &str) -> String {
    format!("https://cdn.test/{name}.png")
}

pub fn params() -> RequestParams {
    RequestParams {
        endpoint: Endpoint::Chat,
        model: DEFAULT_MODEL.to_owned(),
        size: SizeSpec::Auto,
    }
}

/// Text and `+name` attachments from script words.
pub fn parts(words: &[&str]) -> Vec<Part> {
    let text = words
        .iter()
        .filter(|w| !w.starts_with('+'))
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let mut parts = Vec::new();
    if !text.is_empty() {
        parts.push(Part::Text { text });
    }
    parts.extend(words.iter().filter_map(|w| {
        w.strip_prefix('+').map(|name| Part::Image {
            image: attachment(name),
        })
    }));
    parts
}

fn id(word: Option<&&str>) -> NodeId {
    let word = word.expect("a node id");
    word.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn request(words: &[&str]) -> Option<RequestParams> {
    if words.is_empty() {
        return None;
    }
    let mut p = params();
    for w in words {
        match w.split_once('=') {
            None if *w == "images" => p.endpoint = Endpoint::Images,
            Some(("model", m)) => p.model = m.to_owned(),
            Some(("size", s)) => p.size = s.parse().expect("a valid size"),
            _ => panic!("unknown request word {w:?}"),
        }
    }
    Some(p)
}

fn outcome(k: NodeId) -> Outcome {
    Outcome {
        request_id: Some(format!("req-{k}")),
        latency_ms: Some(1000),
        cost_micro_usd: 30_000,
        attempts: 1,
    }
}

fn shown<T>(r: Result<T, TreeError>, ok: impl FnOnce(T) -> String) -> String {
    r.map_or_else(|e| format!("err: {e}"), ok)
}

fn ids(v: Vec<NodeId>) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs one script line; returns what the call answered, `err: …` on error.
pub fn run_one(conv: &mut Conversation, line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (cmd, args) = words.split_first().expect("a command");
    let t = now();
    let node = |n: NodeId| n.to_string();
    let unit = |()| "ok".to_owned();
    let flag = |b: bool| b.to_string();
    match *cmd {
        "system" => shown(conv.add_system(args.join(" "), t), node),
        "reply" => shown(conv.reply(parts(args), t), node),
        "user" => {
            let parent = (args.first() != Some(&"root")).then(|| id(args.first()));
            shown(conv.add_user(parent, parts(&args[1..]), t), node)
        }
        "refine" => shown(conv.refine(id(args.first()), parts(&args[1..]), t), node),
        "edit" => shown(conv.edit_user(id(args.first()), parts(&args[1..]), t), node),
        "pend" => {
            let n = args.get(1).expect("a count").parse().expect("a number");
            let p = request(&args[2..]).unwrap_or_else(params);
            shown(conv.add_pending(id(args.first()), &p, n, t), ids)
        }
        "regen" => shown(
            conv.regenerate(id(args.first()), request(&args[1..]), t),
            node,
        ),
        "retry" => shown(conv.retry(id(args.first()), request(&args[1..])), unit),
        "done" => {
            let k = id(args.first());
            let ttl = match args.get(1).copied() {
                None => Some(FRESH_URL_TTL),
                Some("stale") => Some(STALE_URL_TTL),
                Some("local") => None,
                Some(w) => panic!("done takes stale or local, not {w:?}"),
            };
            let image = result(&format!("r{}", k.0), ttl);
            shown(conv.complete(k, image, outcome(k)), unit)
        }
        "refuse" => {
            let k = id(args.first());
            shown(conv.refuse(k, args[1..].join(" "), outcome(k)), unit)
        }
        "fail" => {
            let k = id(args.first());
            let error = TurnError {
                message: "the gateway broke".to_owned(),
                http_status: Some(502),
                ..TurnError::default()
            };
            shown(conv.fail(k, error, outcome(k)), unit)
        }
        "cancel" => shown(conv.cancel(id(args.first())), unit),
        "interrupt" => ids(conv.interrupt_pending()),
        "select" => shown(conv.select(id(args.first())), unit),
        "up" => shown(conv.select_parent(), flag),
        "down" => shown(conv.select_child(), flag),
        "prev" => shown(conv.select_sibling(-1), flag),
        "next" => shown(conv.select_sibling(1), flag),
        "label" => {
            let label = (args.len() > 1).then(|| args[1..].join(" "));
            shown(conv.set_label(id(args.first()), label), unit)
        }
        "star" => shown(conv.toggle_star(id(args.first())), flag),
        "delete" => shown(conv.delete_subtree(id(args.first())), ids),
        "upload" => {
            let name = args.first().expect("an image name");
            conv.set_upload_copy(name, &blob(&format!("{name}-small")), "seal");
            "ok".to_owned()
        }
        _ => panic!("unknown script command {cmd:?}"),
    }
}

/// Runs a `;`-separated script; every line must succeed.
pub fn run(conv: &mut Conversation, script: &str) {
    for line in script.split(';').map(str::trim).filter(|l| !l.is_empty()) {
        let out = run_one(conv, line);
        assert!(!out.starts_with("err"), "{line}: {out}");
    }
}

/// A new conversation built by `script`.
pub fn build(script: &str) -> Conversation {
    let mut conv = Conversation::new("test", now());
    run(&mut conv, script);
    conv
}

/// The tree on one line, e.g. `s1[u2[a3.done* a4.failed]]`.
pub fn render(conv: &Conversation) -> String {
    fn node(conv: &Conversation, id: NodeId, out: &mut String) {
        let n = &conv.nodes[&id];
        out.push(match n.role {
            Role::System => 's',
            Role::User => 'u',
            Role::Assistant => 'a',
        });
        let _ = write!(out, "{}", id.0);
        if let Some(s) = n.status() {
            let _ = write!(out, ".{s}");
        }
        if n.starred {
            out.push('+');
        }
        if let Some(l) = &n.label {
            let _ = write!(out, "'{l}'");
        }
        if conv.selected == Some(id) {
            out.push('*');
        }
        list(conv, &n.children, out);
    }
    fn list(conv: &Conversation, ids: &[NodeId], out: &mut String) {
        if ids.is_empty() {
            return;
        }
        out.push('[');
        for (i, &c) in ids.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            node(conv, c, out);
        }
        out.push(']');
    }
    let mut out = String::new();
    for (i, &r) in conv.roots.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        node(conv, r, &mut out);
    }
    out
}

// ----- random scripts ----------------------------------------------------------

/// One random script line, `{n}` standing for its target (see `resolve`).
fn op() -> impl Strategy<Value = String> {
    let words =
        || prop::sample::select(vec!["a cat", "bluer +ref1", "+ref2", "", "dog +ref1 +ref2"]);
    let request = || {
        prop::sample::select(vec![
            "",
            "images",
            "size=3840x2160",
            "model=gpt-image-2-all",
        ])
    };
    let on = |cmd: &'static str| Just(format!("{cmd} {{n}}"));
    prop_oneof![
        2 => words().prop_map(|w| format!("system {w}")),
        6 => words().prop_map(|w| format!("reply {w}")),
        1 => words().prop_map(|w| format!("user root {w}")),
        2 => words().prop_map(|w| format!("user {{n}} {w}")),
        4 => words().prop_map(|w| format!("refine {{n}} {w}")),
        3 => words().prop_map(|w| format!("edit {{n}} {w}")),
        6 => (0usize..10, request()).prop_map(|(c, r)| format!("pend {{n}} {c} {r}")),
        3 => request().prop_map(|r| format!("regen {{n}} {r}")),
        3 => request().prop_map(|r| format!("retry {{n}} {r}")),
        6 => prop::sample::select(vec!["", "stale", "local"]).prop_map(|h| format!("done {{n}} {h}")),
        2 => Just("refuse {n} I can't do that".to_owned()),
        3 => on("fail"),
        2 => on("cancel"),
        1 => Just("interrupt".to_owned()),
        3 => on("select"),
        4 => prop::sample::select(vec!["up", "down", "prev", "next"]).prop_map(str::to_owned),
        1 => words().prop_map(|w| format!("label {{n}} {w}")),
        1 => on("star"),
        2 => on("delete"),
        1 => Just("upload ref1".to_owned()),
    ]
}

/// A line with its target: mostly a live node of the kind the command
/// works on, else any id up to a few past the last one made.
pub fn step() -> impl Strategy<Value = (String, prop::sample::Index, bool)> {
    (
        op(),
        any::<prop::sample::Index>(),
        prop::bool::weighted(0.85),
    )
}

/// The step as a script line for `conv`, its `{n}` replaced by the target.
pub fn resolve(
    conv: &Conversation,
    (line, pick, fit): &(String, prop::sample::Index, bool),
) -> String {
    let cmd = line.split_whitespace().next().unwrap_or_default();
    let fits = |n: &&Node| match cmd {
        "done" | "refuse" | "fail" | "cancel" => n.status() == Some(Status::Pending),
        "retry" => n.status().is_some_and(Status::is_retryable),
        "refine" | "regen" => n.role == Role::Assistant,
        "edit" | "pend" => n.role == Role::User,
        _ => true,
    };
    let fitting: Vec<NodeId> = conv.nodes.values().filter(fits).map(|n| n.id).collect();
    let target = if *fit && !fitting.is_empty() {
        fitting[pick.index(fitting.len())]
    } else {
        NodeId(u32::try_from(pick.index(conv.next_id as usize + 3)).expect("a node id fits u32"))
    };
    line.replace("{n}", &target.to_string())
}
