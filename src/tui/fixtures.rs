//! Test states built from the pure core: no network, no files, a fixed
//! clock.

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use time::macros::datetime;

use bytes::Bytes;
use pixloom_core::model::{DEFAULT_MODEL, PRICE_PER_CALL_MICRO_USD};
use pixloom_core::size::SizeSpec;

use crate::engine::{TurnReport, TurnResult};
use pixloom_core::tree::{
    Blob, Conversation, Endpoint, ImageOrigin, ImageRef, NodeId, Outcome, Part, Received,
    RequestParams, TurnError,
};

use super::action::{Event, Msg};
use super::state::{App, Clock};
use super::update::{self, Effect};

pub(super) const T0: OffsetDateTime = datetime!(2025-03-01 12:00 UTC);

pub(super) fn n(id: u32) -> NodeId {
    NodeId(id)
}

pub(super) fn size(s: &str) -> SizeSpec {
    s.parse().expect("a valid size")
}

pub(super) fn params(s: &str) -> RequestParams {
    RequestParams {
        endpoint: Endpoint::Chat,
        model: DEFAULT_MODEL.to_owned(),
        size: size(s),
    }
}

pub(super) fn image(sha: &str, width: u32, height: u32) -> ImageRef {
    ImageRef {
        original: Blob {
            sha256: sha.to_owned(),
            ext: "png".to_owned(),
            bytes: 1000,
            width,
            height,
        },
        upload: None,
        upload_seal: None,
        origin: ImageOrigin::Result,
        remote: None,
    }
}

pub(super) fn text(s: &str) -> Vec<Part> {
    vec![Part::Text { text: s.to_owned() }]
}

pub(super) fn outcome(latency_ms: u64) -> Outcome {
    Outcome {
        request_id: Some("req_0123456789abcdef".to_owned()),
        latency_ms: Some(latency_ms),
        cost_micro_usd: PRICE_PER_CALL_MICRO_USD,
        attempts: 1,
    }
}

/// An app over `conv` whose clock stands still at `T0`.
pub(super) fn app(conv: Conversation) -> App {
    App::new(
        conv,
        params("2048x1152"),
        Clock {
            mono: Instant::now(),
            wall: T0,
        },
    )
}

pub(super) fn empty() -> App {
    app(Conversation::new("fox", T0))
}

/// ```text
/// n1 › a red fox in snow
/// ├─ n2 ◆ ── n4 › make it dusk ── n5 ◆      (selected path)
/// └─ n3 ◆                                   (a regeneration)
/// n6 › a red fox in snow, watercolor        (an edit of n1)
/// └─ n7 ✗ 500 at 4K
/// ```
pub(crate) fn branched_conv() -> Conversation {
    let mut c = Conversation::new("fox", T0);
    let p = params("2048x1152");
    let n1 = c
        .add_user(None, text("a red fox in snow, golden hour, telephoto"), T0)
        .expect("n1");
    let pend = c.add_pending(n1, &p, 2, T0).expect("n2 n3");
    c.complete(pend[0], image("aa", 2048, 1152), outcome(41_200))
        .expect("n2");
    c.complete(pend[1], image("bb", 2048, 1152), outcome(38_900))
        .expect("n3");
    let n4 = c.refine(pend[0], text("make it dusk"), T0).expect("n4");
    let n5 = c.add_pending(n4, &p, 1, T0).expect("n5")[0];
    c.complete(n5, image("cc", 2048, 1152), outcome(52_000))
        .expect("n5");
    let n6 = c
        .edit_user(n1, text("a red fox in snow, watercolor"), T0)
        .expect("n6");
    let n7 = c.add_pending(n6, &params("3840x2160"), 1, T0).expect("n7")[0];
    let error = TurnError {
        message: "the gateway failed upstream (500): the 4K render did not finish".to_owned(),
        http_status: Some(500),
        may_have_been_billed: false,
        raw_body: Some(
            r#"{"error":{"message":"upstream error","type":"shell_api_error"}}"#.to_owned(),
        ),
    };
    c.fail(
        n7,
        error,
        Outcome {
            attempts: 3,
            ..Outcome::default()
        },
    )
    .expect("n7");
    c.select(n5).expect("select n5");
    c
}

pub(super) fn branched() -> App {
    app(branched_conv())
}

/// `branched`, with the selection moved to `id`.
pub(crate) fn branched_at(id: u32) -> App {
    let mut a = branched();
    a.conv.select(n(id)).expect("a node of the fixture");
    a
}

/// `branched` with n5 regenerated as n8, in flight for 12.3 s.
pub(super) fn in_flight() -> App {
    let mut a = branched();
    let started = a.clock.mono;
    let n8 = a.conv.regenerate(n(5), None, T0).expect("n8");
    a.in_flight.insert(n8, started);
    a.clock.mono = started + Duration::from_millis(12_300);
    a
}

pub(crate) fn done_report(id: NodeId, sha: &str) -> Box<TurnReport> {
    Box::new(TurnReport {
        node: id,
        result: TurnResult::Done {
            image: image(sha, 2048, 1152),
        },
        outcome: outcome(30_000),
        upload_copies: Vec::new(),
        ledger_warning: None,
    })
}

/// `branched_conv` in `pixloom replay`, paused at its first turn.
pub(crate) fn replaying() -> App {
    super::replay::app(
        branched_conv(),
        Clock {
            mono: Instant::now(),
            wall: T0,
        },
        None,
        false,
    )
}

/// The link the gateway gave n8's picture in [`unstored`].
pub(super) fn received() -> Received {
    Received {
        url: Some("http://127.0.0.1:9/files/abc.png".to_owned()),
        expires_at: Some(datetime!(2026-11-24 12:00 UTC)),
        sha256: None,
        spare_copy: None,
        seal: None,
    }
}

pub(super) fn picture() -> Bytes {
    Bytes::from_static(b"\x89PNG not really")
}

/// `in_flight`'s n8: its picture arrives (noted), then storing it fails
/// (disk full); with the effects `update` returned.
pub(super) fn unstored() -> (App, Vec<Effect>) {
    let mut app = in_flight();
    let noted = Msg::Event(Event::ResultReceived {
        node: n(8),
        received: Box::new(received()),
        request_id: Some("req-8".to_owned()),
    });
    let mut fx = update::update(&mut app, noted);
    let report = TurnReport {
        node: n(8),
        result: TurnResult::Unstored {
            received: received(),
            error: TurnError {
                message: "the picture arrived (the call was billed) but is not stored: No space left on device".to_owned(),
                may_have_been_billed: true,
                ..TurnError::default()
            },
            bytes: Some(picture()),
        },
        outcome: Outcome {
            request_id: Some("req-8".to_owned()),
            ..outcome(20_000)
        },
        upload_copies: Vec::new(),
        ledger_warning: None,
    };
    fx.extend(update::update(
        &mut app,
        Msg::Event(Event::TurnFinished(Box::new(report))),
    ));
    (app, fx)
}
