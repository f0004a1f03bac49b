//! A conversation's own size, model and endpoint (picked with `s` / `m`,
//! saved in `conversation.json` as `settings`) through the real binary:
//! `pixloom send` uses them, flags beat them, the config only fills in, and
//! a hostile value in the file is refused with a message, not sent.

use std::path::Path;
use std::process::Output;

use crate::common::{FakeProcess, key};
use serde_json::Value;

/// `pixloom --base-url … --api-key … ARGS` in `home`, which must succeed.
fn send(home: &Path, fake: &FakeProcess, args: &[&str]) -> Output {
    let out = super::in_home(home)
        .args(["--base-url", &fake.base_url, "--api-key", &key()])
        .args(args)
        .output()
        .unwrap();
    super::Run { out }.ok().out
}

/// Sets `conversation.json`'s `settings` to `settings` (`null` removes it).
fn set_saved(home: &Path, settings: Value) {
    let file = home.join("c.pixloom/conversation.json");
    let mut conv: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    conv["settings"] = settings;
    std::fs::write(&file, serde_json::to_vec_pretty(&conv).unwrap()).unwrap();
}

fn saved(home: &Path) -> Value {
    let file = home.join("c.pixloom/conversation.json");
    let conv: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    conv["settings"].clone()
}

/// The gateway path of the last request, and what the newest assistant
/// turn records it was asked with: (path, "size · model · endpoint").
fn last_request(home: &Path, fake: &FakeProcess) -> (String, String) {
    let path = fake.requests().pop().unwrap()["path"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = home.join("c.pixloom/conversation.json");
    let conv: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let nodes = conv["nodes"].as_array().unwrap();
    let r = &nodes
        .iter()
        .rev()
        .find(|n| n["role"] == "assistant")
        .unwrap()["turn"]["request"];
    let asked = format!(
        "{} · {} · {}",
        r["size"].as_str().unwrap(),
        r["model"].as_str().unwrap(),
        r["endpoint"].as_str().unwrap()
    );
    (path, asked)
}

#[test]
fn send_uses_the_saved_choice_flags_beat_it_and_hostile_values_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let fake = FakeProcess::start(&[]);
    send(h, &fake, &["send", "c", "--prompt", "a fox"]);
    assert_eq!(saved(h), Value::Null, "nothing picked: nothing saved");

    // What the user picked in this conversation (as `s` / `m` save it).
    set_saved(
        h,
        serde_json::json!({"size": "2048x1152", "endpoint": "images"}),
    );
    send(h, &fake, &["send", "c", "--prompt", "at dusk"]);
    let (path, asked) = last_request(h, &fake);
    assert_eq!(
        path, "/v1/images/edits",
        "the saved endpoint (editing the last image)"
    );
    assert_eq!(
        asked, "2048x1152 · gpt-image-2-vip · images",
        "the model is the config's"
    );

    // A flag beats the saved choice for this run only.
    send(
        h,
        &fake,
        &["send", "c", "--prompt", "wider", "--size", "1280x720"],
    );
    let (path, asked) = last_request(h, &fake);
    assert_eq!(path, "/v1/images/edits");
    assert_eq!(asked, "1280x720 · gpt-image-2-vip · images");
    assert_eq!(
        saved(h),
        serde_json::json!({"size": "2048x1152", "endpoint": "images"}),
        "a flag is not saved as the conversation's choice"
    );

    // A hostile file: an unknown size and a disguised model are refused,
    // said on stderr, not sent, and not written back.
    set_saved(
        h,
        serde_json::json!({"size": "999x999", "model": "gpt\u{1b}[2J\u{202e}", "endpoint": "chat"}),
    );
    let out = send(h, &fake, &["send", "c", "--prompt", "again"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not one of the gateway's 30 sizes"), "{err}");
    assert!(err.contains("model name does not have"), "{err}");
    assert!(
        err.contains("using auto · gpt-image-2-vip · chat instead"),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{202e}'),
        "sanitised: {err:?}"
    );
    let (path, asked) = last_request(h, &fake);
    assert_eq!(
        path, "/v1/chat/completions",
        "the valid saved endpoint is kept"
    );
    assert_eq!(asked, "auto · gpt-image-2-vip · chat");
    assert_eq!(saved(h), serde_json::json!({"endpoint": "chat"}));
}
