//! History building as tables: a tree (a `core::testkit` script), the
//! pending turn to send, the image budget, and the request on one line:
//! `role(part, part) …` for chat, `generations(prompt)`, `edits(prompt; images)`.
//! An image shows as `name:url` (its live gateway URL) or `name:data` (the
//! local copy); `-` is the note left where an image was not resent.

use proptest::prelude::*;
use rstest::rstest;
use time::Duration;

use super::*;
use crate::testkit::{attachment, build, now, remote_url, resolve, result, run_one, step};
use crate::tree::{Node, Part};

fn budget(max_images: usize) -> ImageBudget {
    ImageBudget { max_images }
}

fn request(script: &str, node: u32, max_images: usize) -> Result<TurnRequest, HistoryError> {
    build_request(&build(script), NodeId(node), budget(max_images), now())
}

fn show_part(p: &OutPart) -> String {
    match p {
        OutPart::Text(t) if t == OMITTED_IMAGE_NOTE => "-".to_owned(),
        OutPart::Text(t) => t.clone(),
        OutPart::Image(OutImage { image, form }) => {
            let name = &image.original.sha256;
            match form {
                ImageForm::RemoteUrl(url) => {
                    assert_eq!(*url, remote_url(name));
                    format!("{name}:url")
                }
                ImageForm::LocalCopy => format!("{name}:data"),
            }
        }
    }
}

fn show(body: &RequestBody) -> String {
    match body {
        RequestBody::Chat { messages, .. } => messages
            .iter()
            .map(|m| {
                let parts: Vec<String> = m.parts.iter().map(show_part).collect();
                format!("{}({})", m.role, parts.join(", "))
            })
            .collect::<Vec<_>>()
            .join(" "),
        RequestBody::Generations { prompt, .. } => format!("generations({prompt})"),
        RequestBody::Edits { prompt, images, .. } => {
            let names: Vec<&str> = images.iter().map(|i| i.original.sha256.as_str()).collect();
            format!("edits({prompt}; {})", names.join(", "))
        }
    }
}

fn size_of(body: &RequestBody) -> Option<&str> {
    match body {
        RequestBody::Chat { size, .. }
        | RequestBody::Generations { size, .. }
        | RequestBody::Edits { size, .. } => size.as_deref(),
    }
}

/// u1 (a, ref1) → a2 (r2) → u3 (b) → a4 (r4) → u5 (c, ref2, ref3) → a6 (r6)
/// → u7 (d, ref4) → a8, pending: seven images before the turn, one in it.
const CHAIN: &str = "reply a +ref1; pend n1 1; done n2; refine n2 b; pend n3 1; done n4; \
    refine n4 c +ref2 +ref3; pend n5 1; done n6; refine n6 d +ref4; pend n7 1";

const OUTPUT_4K: &str = "\n\n(Output size: 3840x2160 pixels, aspect ratio 16:9.)";

/// Tree, the pending turn, image budget, the request, its `size` field.
#[rustfmt::skip]
#[rstest]
// The path becomes messages; earlier results go as assistant images.
#[case("reply a cat; pend n1 1", 2, 4, "user(a cat)", None)]
#[case("reply a cat +ref1 +ref2; pend n1 1", 2, 4, "user(a cat, ref1:data, ref2:data)", None)]
#[case("system be terse; reply a cat; pend n2 1", 3, 4, "system(be terse) user(a cat)", None)]
#[case("reply a cat; pend n1 1; done n2; refine n2 bluer; pend n3 1", 4, 4, "user(a cat) assistant(r2:url) user(bluer)", None)]
// A gateway URL is reused only with over an hour to live, else the local copy.
#[case("reply a cat; pend n1 1; done n2 stale; refine n2 bluer; pend n3 1", 4, 4, "user(a cat) assistant(r2:data) user(bluer)", None)]
#[case("reply a cat; pend n1 1; done n2 local; refine n2 bluer; pend n3 1", 4, 4, "user(a cat) assistant(r2:data) user(bluer)", None)]
// Sibling branches never leak in: variants, edits, regenerations.
#[case("reply a; pend n1 2; done n2; done n3; select n3; refine n3 b; pend n4 1", 5, 4, "user(a) assistant(r3:url) user(b)", None)]
#[case("reply a; pend n1 1; done n2; edit n1 a dog; pend n3 1", 4, 4, "user(a dog)", None)]
#[case("reply a; pend n1 1; done n2; refine n2 b; pend n3 1; done n4; edit n3 c; pend n5 1", 6, 4, "user(a) assistant(r2:url) user(c)", None)]
#[case("reply a; pend n1 1; done n2; regen n2", 3, 4, "user(a)", None)]
// Turns without an image are left out.
#[case("reply a; pend n1 1; fail n2; refine n2 again; pend n3 1", 4, 4, "user(a) user(again)", None)]
#[case("reply a; pend n1 1; refuse n2 no; refine n2 again; pend n3 1", 4, 4, "user(a) user(again)", None)]
#[case("reply a; pend n1 1; cancel n2; refine n2 again; pend n3 1", 4, 4, "user(a) user(again)", None)]
#[case("reply a; pend n1 1; interrupt; refine n2 again; pend n3 1", 4, 4, "user(a) user(again)", None)]
#[case("reply a; pend n1 1; refine n2 again; pend n3 1", 4, 4, "user(a) user(again)", None)]
// The budget: the turn's own references, the refined image, then newest first.
#[case(CHAIN, 8, 10, "user(a, ref1:data) assistant(r2:url) user(b) assistant(r4:url) user(c, ref2:data, ref3:data) assistant(r6:url) user(d, ref4:data)", None)]
#[case(CHAIN, 8, 4, "user(a, -) assistant(-) user(b) assistant(-) user(c, ref2:data, ref3:data) assistant(r6:url) user(d, ref4:data)", None)]
#[case(CHAIN, 8, 3, "user(a, -) assistant(-) user(b) assistant(-) user(c, -, ref3:data) assistant(r6:url) user(d, ref4:data)", None)]
#[case(CHAIN, 8, 2, "user(a, -) assistant(-) user(b) assistant(-) user(c, -, -) assistant(r6:url) user(d, ref4:data)", None)]
#[case(CHAIN, 8, 1, "user(a, -) assistant(-) user(b) assistant(-) user(c, -, -) assistant(-) user(d, ref4:data)", None)]
#[case(CHAIN, 8, 0, "user(a, -) assistant(-) user(b) assistant(-) user(c, -, -) assistant(-) user(d, ref4:data)", None)]
#[case("reply a; pend n1 1; done n2; refine n2 b +ref1 +ref2 +ref3; pend n3 1", 4, 2, "user(a) assistant(-) user(b, ref1:data, ref2:data, ref3:data)", None)]
#[case("reply a +ref1; pend n1 1; fail n2; refine n2 b; pend n3 1", 4, 1, "user(a, ref1:data) user(b)", None)]
// The size field: sent for vip, never for auto; -all gets it in the prompt.
#[case("reply a cat; pend n1 1 size=3840x2160", 2, 4, "user(a cat)", Some("3840x2160"))]
#[case("reply a cat; pend n1 1 model=gpt-image-2-all size=3840x2160", 2, 4, &format!("user(a cat{OUTPUT_4K})"), None)]
#[case("reply a cat; pend n1 1 model=gpt-image-2-all", 2, 4, "user(a cat)", None)]
#[case("reply a; pend n1 1 model=gpt-image-2-all size=3840x2160; done n2; refine n2 b; pend n3 1 model=gpt-image-2-all size=3840x2160", 4, 4, &format!("user(a) assistant(r2:url) user(b{OUTPUT_4K})"), None)]
// The images endpoint: generations from nothing, else edits with the refined
// image first, then the turn's references in order.
#[case("reply a cat; pend n1 1 images size=2048x2048", 2, 4, "generations(a cat)", Some("2048x2048"))]
#[case("reply a cat +ref1 +ref2; pend n1 1 images", 2, 4, "edits(a cat; ref1, ref2)", None)]
#[case("reply a; pend n1 1; done n2; refine n2 b +ref1 +ref2; pend n3 1 images", 4, 4, "edits(b; r2, ref1, ref2)", None)]
#[case("reply a; pend n1 1; done n2 stale; refine n2 b; pend n3 1 images size=1280x720", 4, 0, "edits(b; r2)", Some("1280x720"))]
#[case("reply a +ref1; pend n1 1; fail n2; refine n2 b; pend n3 1 images", 4, 4, "generations(b)", None)]
#[case("reply a; pend n1 1 images model=gpt-image-2-all size=3840x2160", 2, 4, &format!("generations(a{OUTPUT_4K})"), None)]
fn builds(
    #[case] script: &str,
    #[case] node: u32,
    #[case] max_images: usize,
    #[case] want: &str,
    #[case] size: Option<&str>,
) {
    let conv = build(script);
    let req = build_request(&conv, NodeId(node), budget(max_images), now()).expect(script);
    assert_eq!(show(&req.body), want, "{script}");
    assert_eq!(size_of(&req.body), size, "{script}");
    assert_eq!(req.node, NodeId(node));
    assert_eq!(
        Some(&req.params),
        conv.nodes[&NodeId(node)].turn.as_ref().map(|t| &t.request)
    );
}

#[rustfmt::skip]
#[rstest]
#[case("reply a; pend n1 1; done n2", 2, HistoryError::NotARequest(NodeId(2)))]
#[case("reply a; pend n1 1; fail n2", 2, HistoryError::NotARequest(NodeId(2)))]
#[case("reply a; pend n1 1; interrupt", 2, HistoryError::NotARequest(NodeId(2)))]
#[case("reply a; pend n1 1", 1, HistoryError::NotARequest(NodeId(1)))]
#[case("system s", 1, HistoryError::NotARequest(NodeId(1)))]
#[case("reply a; pend n1 1", 9, HistoryError::Tree(TreeError::NoSuchNode(NodeId(9))))]
#[case("reply +ref1; pend n1 1", 2, HistoryError::NoPrompt)]
fn refuses(#[case] script: &str, #[case] node: u32, #[case] want: HistoryError) {
    assert_eq!(request(script, node, 4), Err(want));
}

#[test]
fn a_retried_turn_is_a_request_again() {
    let mut conv = build("reply a; pend n1 1; interrupt");
    assert_eq!(run_one(&mut conv, "retry n2"), "ok");
    let req = build_request(&conv, NodeId(2), ImageBudget::default(), now()).unwrap();
    assert_eq!(show(&req.body), "user(a)");
}

#[test]
fn the_default_budget_is_four_images() {
    assert_eq!(ImageBudget::default(), budget(4));
    let conv = build(CHAIN);
    let req = build_request(&conv, NodeId(8), ImageBudget::default(), now()).unwrap();
    assert_eq!(req.body, request(CHAIN, 8, 4).unwrap().body);
}

/// Seconds the gateway URL has left (none: no URL), and how it travels.
#[rustfmt::skip]
#[rstest]
#[case(None, false)]
#[case(Some(86_400), true)]
#[case(Some(3_601), true)]
#[case(Some(3_600), false)]
#[case(Some(60), false)]
#[case(Some(0), false)]
#[case(Some(-3_600), false)]
fn present_image_uses_a_url_only_with_over_an_hour_left(
    #[case] ttl: Option<i64>,
    #[case] url: bool,
) {
    let image = result("r1", ttl.map(Duration::seconds));
    let want = if url {
        ImageForm::RemoteUrl(remote_url("r1"))
    } else {
        ImageForm::LocalCopy
    };
    assert_eq!(present_image(&image, now()), want);
    assert_eq!(URL_SAFETY_MARGIN, Duration::hours(1));
}

#[test]
fn the_current_prompt_goes_first_and_once_earlier_turns_keep_their_order() {
    let mut conv = build("reply p; pend n1 1; done n2; refine n2 x; pend n3 1");
    let text = |t: &str| Part::Text { text: t.to_owned() };
    let image = |n: &str| Part::Image {
        image: attachment(n),
    };
    conv.nodes.get_mut(&NodeId(1)).unwrap().parts = vec![text("p"), image("ref1"), text("q")];
    conv.nodes.get_mut(&NodeId(3)).unwrap().parts =
        vec![image("ref2"), text("x"), image("ref3"), text("y")];
    let req = build_request(&conv, NodeId(4), budget(10), now()).unwrap();
    assert_eq!(
        show(&req.body),
        "user(p, ref1:data, q) assistant(r2:url) user(x\ny, ref2:data, ref3:data)"
    );
}

#[test]
fn paths_and_local_images_of_each_body() {
    let chat = request(CHAIN, 8, 4).unwrap().body;
    assert_eq!(chat.path(), "/v1/chat/completions");
    let names = |b: &RequestBody| -> Vec<String> {
        local_images(b)
            .iter()
            .map(|i| i.original.sha256.clone())
            .collect()
    };
    // r6's gateway URL is alive, so only the references travel as bytes.
    assert_eq!(names(&chat), ["ref2", "ref3", "ref4"]);
    let generations = request("reply a; pend n1 1 images", 2, 4).unwrap().body;
    assert_eq!(generations.path(), "/v1/images/generations");
    assert!(names(&generations).is_empty());
    let edits = request(
        "reply a +ref1; pend n1 1; done n2; refine n2 b +ref2; pend n3 1 images",
        4,
        4,
    )
    .unwrap()
    .body;
    assert_eq!(edits.path(), "/v1/images/edits");
    assert_eq!(names(&edits), ["r2", "ref2"]);
}

/// Images a request sends as bytes (data URLs or uploads).
fn local_images(body: &RequestBody) -> Vec<&ImageRef> {
    match body {
        RequestBody::Chat { messages, .. } => messages
            .iter()
            .flat_map(|m| &m.parts)
            .filter_map(|p| match p {
                OutPart::Image(OutImage {
                    image,
                    form: ImageForm::LocalCopy,
                }) => Some(image),
                _ => None,
            })
            .collect(),
        RequestBody::Generations { .. } => Vec::new(),
        RequestBody::Edits { images, .. } => images.iter().collect(),
    }
}

// ----- properties --------------------------------------------------------------

/// Whether a path node is sent as a message.
fn sent(n: &Node) -> bool {
    n.role != Role::Assistant || (n.status() == Some(Status::Done) && n.images().count() > 0)
}

/// What `build_request` must give for `node`, checked against the tree.
fn assert_request(conv: &Conversation, node: NodeId, max_images: usize) {
    let n = &conv.nodes[&node];
    let user = n.parent.map(|p| &conv.nodes[&p]);
    let got = build_request(conv, node, budget(max_images), now());
    let Some(user) = user.filter(|u| n.status() == Some(Status::Pending) && u.role == Role::User)
    else {
        assert_eq!(got, Err(HistoryError::NotARequest(node)));
        return;
    };
    if user.text().trim().is_empty() {
        assert_eq!(got, Err(HistoryError::NoPrompt));
        return;
    }
    let req = got.unwrap_or_else(|e| panic!("{node}: {e}"));
    let own: Vec<&ImageRef> = user.images().collect();
    match req.body {
        RequestBody::Chat { messages, .. } => {
            let path: Vec<&Node> = conv
                .path_to(user.id)
                .unwrap()
                .iter()
                .map(|id| &conv.nodes[id])
                .filter(|n| sent(n))
                .collect();
            assert_eq!(messages.len(), path.len(), "one message per path turn");
            // Per earlier image slot, in path order: was it resent?
            let mut kept = Vec::new();
            for (m, p) in messages.iter().zip(&path) {
                assert_eq!(m.role, p.role);
                let images: Vec<&OutImage> = m
                    .parts
                    .iter()
                    .filter_map(|o| match o {
                        OutPart::Image(i) => Some(i),
                        OutPart::Text(_) => None,
                    })
                    .collect();
                for i in &images {
                    assert_eq!(i.form, present_image(&i.image, now()));
                }
                if p.id == user.id {
                    assert_eq!(
                        m.parts[0],
                        OutPart::Text(crate::model::prompt_for(
                            &req.params.model,
                            &user.text(),
                            req.params.size
                        ))
                    );
                    assert_eq!(
                        images.iter().map(|i| &i.image).collect::<Vec<_>>(),
                        own,
                        "the turn's own images always go"
                    );
                } else {
                    assert_eq!(m.parts.len(), p.parts.len());
                    for (o, part) in m.parts.iter().zip(&p.parts) {
                        match (o, part) {
                            (OutPart::Text(a), Part::Text { text }) => assert_eq!(a, text),
                            (OutPart::Image(o), Part::Image { image }) => {
                                assert_eq!(&o.image, image);
                                kept.push(true)
                            }
                            (OutPart::Text(note), Part::Image { .. }) => {
                                assert_eq!(note, OMITTED_IMAGE_NOTE);
                                kept.push(false)
                            }
                            (o, p) => panic!("{o:?} sent for {p:?}"),
                        }
                    }
                }
            }
            // Newest first: the images resent are the last ones, as many as fit.
            let fit = kept.len().min(max_images.saturating_sub(own.len()));
            let want: Vec<bool> = (0..kept.len()).map(|i| i >= kept.len() - fit).collect();
            assert_eq!(kept, want, "{node} with budget {max_images}");
        }
        RequestBody::Generations { .. } | RequestBody::Edits { .. } => {
            let parent = user.parent.map(|p| &conv.nodes[&p]);
            let refined = parent
                .filter(|p| p.role == Role::Assistant && p.status() == Some(Status::Done))
                .and_then(|p| p.images().next());
            let want: Vec<&ImageRef> = refined.into_iter().chain(own).collect();
            match req.body {
                RequestBody::Edits { images, .. } => {
                    assert_eq!(images.iter().collect::<Vec<_>>(), want)
                }
                _ => assert!(want.is_empty(), "generations with images to work from"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// On any tree: only the path, in order; every earlier turn's parts in
    /// place; the budget kept newest first; each image as `present_image`
    /// says; the images endpoint given the refined image, then references.
    #[test]
    fn any_tree_builds_requests_from_the_path_alone(
        steps in prop::collection::vec(step(), 1..60),
        max_images in 0usize..6,
    ) {
        let mut conv = Conversation::new("prop", now());
        for step in &steps {
            let line = resolve(&conv, step);
            run_one(&mut conv, &line);
        }
        for &id in conv.nodes.keys() {
            assert_request(&conv, id, max_images);
        }
    }
}
