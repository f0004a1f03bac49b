use std::path::Path;

use time::macros::datetime;

use super::*;
use pixloom_core::size::SizeSpec;
use pixloom_core::tree::{Endpoint, Outcome, Part, RequestParams, TurnError};

fn now() -> OffsetDateTime {
    datetime!(2026-11-23 12:00 UTC)
}

fn params() -> RequestParams {
    RequestParams {
        endpoint: Endpoint::Chat,
        model: "gpt-image-2-vip".into(),
        size: SizeSpec::Auto,
    }
}

/// A small tree: a prompt, one failed and one pending answer.
fn sample() -> Conversation {
    let mut c = Conversation::new("cats", now());
    let u = c
        .reply(
            vec![Part::Text {
                text: "a cat".into(),
            }],
            now(),
        )
        .unwrap();
    let ids = c.add_pending(u, &params(), 2, now()).unwrap();
    let err = TurnError {
        message: "HTTP 500".into(),
        http_status: Some(500),
        ..TurnError::default()
    };
    c.fail(ids[0], err, Outcome::default()).unwrap();
    c
}

#[test]
fn conversation_dir_names() {
    let cases = [
        ("foo", "foo.pixloom"),
        ("foo.pixloom", "foo.pixloom"),
        ("foo.pixloom/", "foo.pixloom"),
        ("foo.pixloom/conversation.json", "foo.pixloom"),
        ("a/b/foo", "a/b/foo.pixloom"),
        ("foo.v2", "foo.v2.pixloom"),
        ("conversation.json", "."),
        ("/tmp/x.pixloom/./", "/tmp/x.pixloom"),
    ];
    for (arg, want) in cases {
        assert_eq!(conversation_dir(arg), Path::new(want), "{arg}");
    }
    assert_eq!(conversation_dir(Path::new("..")), Path::new(".."));
}

#[test]
fn json_starts_with_format_and_round_trips() {
    let c = sample();
    let json = to_json(&c).unwrap();
    assert!(
        json.starts_with("{\n  \"format\": \"pixloom/1\",\n  \"title\": \"cats\""),
        "{json}"
    );
    assert!(json.ends_with("}\n"));
    let back = from_json(json.as_bytes(), Path::new("c.json")).unwrap();
    assert_eq!(back, c);
}

#[test]
fn later_minor_versions_and_unknown_fields_are_read() {
    let json = to_json(&sample()).unwrap();
    let newer = json.replace(
        "\"format\": \"pixloom/1\",",
        "\"format\": \"pixloom/1.4\", \"colour\": \"teal\",",
    );
    assert_eq!(
        from_json(newer.as_bytes(), Path::new("c")).unwrap(),
        sample()
    );
}

fn err_of(text: &str) -> ConvFileError {
    from_json(text.as_bytes(), Path::new("x.pixloom/conversation.json")).unwrap_err()
}

#[test]
fn each_kind_of_bad_file_has_its_own_error() {
    let good = to_json(&sample()).unwrap();
    assert!(matches!(err_of(""), ConvFileError::Empty { .. }));
    assert!(matches!(err_of(" \n"), ConvFileError::Empty { .. }));

    let cut = err_of(&good[..good.len() / 2]);
    assert!(matches!(cut, ConvFileError::Damaged { .. }), "{cut:?}");
    assert!(cut.to_string().contains("cut short"), "{cut}");

    let e = err_of("[1, 2]");
    assert!(e.to_string().contains("JSON array"), "{e}");
    assert!(matches!(e, ConvFileError::NotPixloom { .. }));
    assert!(matches!(
        err_of("{\"title\": \"x\"}"),
        ConvFileError::NotPixloom { .. }
    ));
    assert!(matches!(
        err_of("{\"format\": 1}"),
        ConvFileError::NotPixloom { .. }
    ));
    assert!(matches!(
        err_of("{\"format\": \"photoshop/3\"}"),
        ConvFileError::NotPixloom { .. }
    ));
    assert!(matches!(
        err_of("{\"format\": \"pixloom/0\"}"),
        ConvFileError::NotPixloom { .. }
    ));

    let e = err_of(&good.replace("pixloom/1", "pixloom/2"));
    assert_eq!(
        e.to_string(),
        "the saved conversation was written by a newer pixloom (pixloom/2); this version \
         reads pixloom/1: upgrade pixloom. The file was not changed — x.pixloom/conversation.json"
    );

    // A field of the wrong type: position and serde's words.
    let e = err_of(&good.replace("\"next_id\": 4", "\"next_id\": \"four\""));
    let ConvFileError::Damaged { line, detail, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*line, 5, "{e}");
    assert!(detail.contains("invalid type"), "{e}");

    let e = err_of(&good.replace("\"next_id\": 4", "\"next_id\": 2"));
    assert!(matches!(e, ConvFileError::Inconsistent { .. }), "{e:?}");
    assert!(e.to_string().contains("next_id"), "{e}");
}

#[test]
fn damaged_message_names_file_line_column_and_cause() {
    let good = to_json(&sample()).unwrap();
    let broken = good.replacen(",\n  \"title\"", "\n  \"title\"", 1);
    let e = err_of(&broken);
    assert_eq!(
        e.to_string(),
        "the saved conversation is damaged at line 3, column 3 (expected `,` or `}`); it was \
         not changed. Restore it from a backup, or open another conversation — \
         x.pixloom/conversation.json"
    );
}

#[test]
fn creatable_allows_only_leftovers_of_an_interrupted_create() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("a.pixloom");
    check_creatable(&dir).unwrap();
    fs::create_dir_all(dir.join(IMAGES_DIR)).unwrap();
    fs::write(dir.join(LOCK_FILE), b"").unwrap();
    fs::write(dir.join(".tmp-x"), b"").unwrap();
    check_creatable(&dir).unwrap();
    fs::write(dir.join("notes.txt"), b"mine").unwrap();
    assert!(matches!(
        check_creatable(&dir),
        Err(ConvFileError::FolderNotEmpty { .. })
    ));
    fs::write(dir.join(CONVERSATION_FILE), b"{}").unwrap();
    assert!(matches!(
        check_creatable(&dir),
        Err(ConvFileError::AlreadyExists { .. })
    ));
}

#[test]
fn lock_names_the_holder() {
    let d = tempfile::tempdir().unwrap();
    let _held = take_lock(d.path()).unwrap();
    let e = take_lock(d.path()).unwrap_err();
    let want = format!("(pid {})", std::process::id());
    assert!(e.to_string().contains(&want), "{e}");
    assert!(
        e.to_string().contains("is open in another pixloom process"),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with(&format!("; close it first — {}", d.path().display())),
        "{e}"
    );
}

/// The example in docs/file-format.md is a real file: it loads, and saving
/// it gives back the same text (so the documented field order is right).
#[test]
fn documented_example_is_exact() {
    let doc = include_str!("../../docs/file-format.md");
    let start = doc.find("```json\n").unwrap() + "```json\n".len();
    let example = &doc[start..start + doc[start..].find("```").unwrap()];
    let conv = from_json(example.as_bytes(), Path::new("example")).unwrap();
    assert_eq!(to_json(&conv).unwrap(), example);
}

#[test]
fn a_conversation_too_large_to_read_back_is_not_written() {
    let c = sample();
    let path = Path::new("x.pixloom/conversation.json");
    let len = to_json(&c).unwrap().len() as u64;
    assert_eq!(encode(&c, path, len).unwrap(), to_json(&c).unwrap());
    let e = encode(&c, path, len - 1).unwrap_err();
    let ConvFileError::Save { source, .. } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(source.kind(), io::ErrorKind::FileTooLarge);
    let msg = e.to_string();
    assert!(msg.starts_with("the conversation would be"), "{msg}");
    assert!(
        msg.ends_with(
            "The previous version is intact. Delete some branches, then save again — \
             x.pixloom/conversation.json"
        ),
        "{msg}"
    );
}

#[test]
fn a_failed_save_says_what_to_do_about_its_cause() {
    let save = |source: io::Error| {
        ConvFileError::Save {
            path: "c/conversation.json".into(),
            source,
        }
        .to_string()
    };
    let full = save(io::Error::from_raw_os_error(28)); // ENOSPC, as the kernel says it
    assert!(full.contains("The previous version is intact"), "{full}");
    assert!(full.contains("The disk is full: free some space"), "{full}");
    assert!(full.contains("to a disk with room"), "{full}");
    let denied = save(io::Error::from(io::ErrorKind::PermissionDenied));
    assert!(denied.contains("Fix the folder's permissions"), "{denied}");
    assert!(!denied.contains("disk is full"), "{denied}");
}

#[test]
fn a_utf8_byte_order_mark_is_accepted() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(to_json(&sample()).unwrap().as_bytes());
    assert_eq!(from_json(&bytes, Path::new("c")).unwrap(), sample());
}

/// The title rule, as a table: (title saved, chosen by the user, folder
/// it is opened from) → the title shown. A copied folder is called by its
/// own name unless the user titled the conversation; files written before
/// `titled` existed (no such field) follow their folder.
#[test]
fn a_conversation_is_called_by_its_folder_unless_the_user_titled_it() {
    let cases = [
        // An untitled conversation copied from fox.pixloom.
        ("fox", None, "cat.pixloom", "cat"),
        ("fox", Some(false), "cat.pixloom", "cat"),
        ("fox", None, "fox.pixloom", "fox"),
        // A title the user chose travels with the folder.
        ("Fox at dusk", Some(true), "cat.pixloom", "Fox at dusk"),
    ];
    for (saved, titled, folder, shown) in cases {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(folder);
        std::fs::create_dir_all(dir.join(IMAGES_DIR)).unwrap();
        let mut file: serde_json::Value =
            serde_json::from_str(&to_json(&Conversation::new(saved, now())).unwrap()).unwrap();
        if let Some(t) = titled {
            file["titled"] = t.into();
        }
        std::fs::write(dir.join(CONVERSATION_FILE), file.to_string()).unwrap();
        let case = format!("{saved:?} titled {titled:?} in {folder}");
        assert_eq!(read_only(&dir).unwrap().0.title, shown, "read-only: {case}");
        let (folder, loaded) = ConvFolder::open(&dir).unwrap();
        assert_eq!(loaded.conv.title, shown, "open: {case}");
        // Saving keeps the choice: an untitled one stays untitled.
        folder.save(&loaded.conv).unwrap();
        drop(folder);
        let again = read_only(&dir).unwrap().0;
        assert_eq!(again.titled, titled == Some(true), "saved: {case}");
    }
    // A new conversation is named after its folder, `.` by its real name.
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("owl.pixloom");
    let (_f, loaded) = ConvFolder::open_or_create(&dir, now()).unwrap();
    assert_eq!(
        (loaded.conv.title.as_str(), loaded.conv.titled),
        ("owl", false)
    );
    assert_eq!(folder_title(&dir.join(".")), "owl");
}
