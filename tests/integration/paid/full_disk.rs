//! A real full disk (root): the picture is held until there is space, and a
//! send that cannot store it keeps a copy and prints its link.

use super::*;

/// Room for the conversation file's saves, none for a 1280x720 picture.
const ROOM: u64 = 32 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_at_result_time_holds_the_picture_until_space_is_back() {
    if !may_mount("a_full_disk_at_result_time_holds_the_picture_until_space_is_back") {
        return;
    }
    let disk = SmallDisk::mount("512k");
    let gw = fake().await;
    let dir = disk.path().join("full.pixloom");
    let mut s = Tui::open(&dir, &gw.base_url());
    let filler = fill_leaving(disk.path(), ROOM);
    let id = s.send("a lighthouse").await;
    assert_eq!(gw.billed(), 1);
    assert_eq!(
        s.app.conv.node(id).unwrap().status(),
        Some(Status::Unstored)
    );
    assert!(
        s.status().contains("No space left on device"),
        "{}",
        s.status()
    );
    assert_saved_unstored(&dir, id);
    let held = s.app.unstored_bytes[&id].len() as u64;
    assert!(
        held > ROOM,
        "the picture ({held} B) must not fit in {ROOM} B"
    );

    fs::remove_file(filler).unwrap();
    s.act(&[Action::StoreResult]);
    s.until("the picture to be stored", |a| a.conv.unstored().is_empty())
        .await;
    assert_stored(&dir, id);
}

/// `pixloom send` against a fake gateway process, its temp dir `tmp`; its
/// state directory (ledger, installation key) under `home`, never the
/// developer's own.
fn send(fake: &common::FakeProcess, home: &Path, dir: &Path, tmp: &Path, prompt: &str) -> Command {
    let mut c = common::bin();
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("TMPDIR", tmp)
        .args(["--base-url", &fake.base_url, "--api-key", &common::key()])
        .arg("send")
        .arg(dir)
        .args(["--prompt", prompt, "--size", "1280x720"])
        .stdin(Stdio::null());
    c
}

#[test]
fn send_with_room_for_the_file_but_not_the_picture_keeps_a_copy_and_the_link() {
    if !may_mount("send_with_room_for_the_file_but_not_the_picture_keeps_a_copy_and_the_link") {
        return;
    }
    let disk = SmallDisk::mount("512k");
    let home = tempfile::tempdir().unwrap(); // and the temp dir: not full
    let dir = disk.path().join("full.pixloom");
    let fake = common::FakeProcess::start(&[]);
    common::succeeds(
        "the first send",
        &mut send(&fake, home.path(), &dir, home.path(), "a lighthouse"),
    );
    let filler = fill_leaving(disk.path(), ROOM);

    let out = send(
        &fake,
        home.path(),
        &dir,
        home.path(),
        "the lighthouse at night",
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("pixloom send said:\n{stderr}");
    assert!(!out.status.success());
    assert_eq!(fake.billed(), 2);
    let id: NodeId = "n4".parse().unwrap();
    assert_saved_unstored(&dir, id);
    let conv = saved(&dir);
    let turn = conv.node(id).unwrap().turn.clone().unwrap();
    let rid = turn.request_id.unwrap();
    let r = turn.received.unwrap();
    let copy = PathBuf::from(r.spare_copy.clone().unwrap());
    assert!(copy.starts_with(home.path()), "{copy:?}");
    assert_eq!(
        pixloom_core::hex::sha256(&fs::read(&copy).unwrap()),
        r.sha256.clone().unwrap()
    );
    for needle in [
        format!("n4: the picture arrived and was billed (request id {rid})"),
        format!("n4: a copy is at {}", copy.display()),
        format!("curl -fo n4.png '{}'", r.url.unwrap()),
        "No space left on device".to_owned(),
        "free some space, then open the conversation".to_owned(),
    ] {
        assert!(stderr.contains(&needle), "{needle:?} not in: {stderr}");
    }

    // Space back: the app stores it from the spare copy, no download. The
    // app runs as the user would, in tmux, with the send's state directory:
    // only the installation that wrote the record of an unstored picture
    // trusts its link and spare copy (docs/security.md).
    fs::remove_file(filler).unwrap();
    let mut env = common::term::clean_env(home.path());
    env.push(("PIXLOOM_BASE_URL".into(), fake.base_url.clone()));
    env.push(("PIXLOOM_API_KEY".into(), common::key()));
    let t = common::term::Tmux::start_app(home.path(), &[&dir.display().to_string()], &env);
    let step = Duration::from_secs(30);
    t.wait_text("press S", step);
    t.keys(&["S"]);
    t.wait_text("n4's picture is stored", step);
    t.quit_app();
    drop(t);
    assert_stored(&dir, id);
    assert_eq!(fake.billed(), 2);
}

#[test]
fn send_with_a_completely_full_disk_prints_the_link_and_request_id() {
    if !may_mount("send_with_a_completely_full_disk_prints_the_link_and_request_id") {
        return;
    }
    let disk = SmallDisk::mount("512k");
    let home = tempfile::tempdir().unwrap();
    let dir = disk.path().join("full.pixloom");
    let fake = common::FakeProcess::start(&[]);
    common::succeeds(
        "the first send",
        &mut send(&fake, home.path(), &dir, disk.path(), "a lighthouse"),
    );
    let before = fake.requests().len();

    // The fake holds its answer until released; once it has the request
    // (saved as pending before it went out), the disk is filled to the
    // last byte, then the answer comes.
    let child = send(
        &fake,
        home.path(),
        &dir,
        disk.path(),
        "at night [fake:hold]",
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.requests().len() == before {
        assert!(
            Instant::now() < deadline,
            "the request never reached the fake"
        );
        std::thread::yield_now();
    }
    let _filler = fill(disk.path());
    fake.release();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("pixloom send said:\n{stderr}");
    assert!(!out.status.success());
    assert_eq!(fake.billed(), 2);
    let rid = fake.requests().last().unwrap()["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for needle in [
        format!("n4: the picture arrived and was billed (request id {rid})"),
        format!("curl -fo n4.png '{}/", fake.base_url),
        "conversation.json could not record this either".to_owned(),
        "retrying it would bill again".to_owned(),
        "No space left on device".to_owned(),
    ] {
        assert!(stderr.contains(&needle), "{needle:?} not in: {stderr}");
    }
    assert!(!stderr.contains("a copy is at"), "the temp dir is full too");
    // The file is the version saved before the request went out.
    let conv = saved(&dir);
    assert_eq!(
        conv.node("n4".parse().unwrap()).unwrap().status(),
        Some(Status::Pending)
    );
}
