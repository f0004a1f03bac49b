//! Which gateway URLs this installation received itself.
//!
//! A result's gateway URL is sent back instead of its bytes while it lives
//! (see [`pixloom_core::history::present_image`]). A conversation folder may
//! come from anyone, so a URL written in it proves nothing: a forged one
//! would make the model refine a picture the user does not see, and would
//! be a beacon. So each [`RemoteCopy`] this installation creates carries a
//! seal: an HMAC-SHA256, under a secret kept outside every folder
//! (`$XDG_STATE_HOME/pixloom/remote-key`, mode 0600), over the image's
//! sha256, the URL and its expiry. On load, a remote copy whose seal does
//! not verify is dropped and the local copy is sent instead.
//!
//! The same holds for an image's prepared upload copy (`upload`: a folder
//! could name any picture as the copy to send; sealed where it is made,
//! dropped on load unless the seal verifies, then made again from the
//! original) and for the record of a paid picture not stored yet
//! ([`Received`]: a link to fetch it from, a spare copy's path outside the
//! folder): sealed on every save, and on load its link and path are
//! dropped unless the seal verifies, so a received folder can make pixloom
//! neither fetch a URL nor read a file outside the folder.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use rand::Rng as _;
use sha2::Sha256;

use std::borrow::Cow;

use pixloom_core::tree::{Conversation, ImageRef, Part, Received, RemoteCopy};

/// The secret's length in bytes.
const KEY_BYTES: usize = 32;
/// Separates the fields sealed; bumped if what is sealed changes.
const DOMAIN: &[u8] = b"pixloom-remote-seal/1\0";
const RECEIVED_DOMAIN: &[u8] = b"pixloom-received-seal/1\0";
const UPLOAD_DOMAIN: &[u8] = b"pixloom-upload-seal/1\0";

/// The installation's sealing secret.
pub struct Provenance {
    key: [u8; KEY_BYTES],
}

impl std::fmt::Debug for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Provenance(..)")
    }
}

impl Provenance {
    /// This installation's secret, read once per process from the state
    /// directory (created on first use). When it cannot be read or made, a
    /// secret for this process alone: its URLs are trusted until it exits,
    /// and no folder's URL is trusted after (safe, only slower).
    pub fn installation() -> &'static Provenance {
        static KEY: OnceLock<Provenance> = OnceLock::new();
        KEY.get_or_init(|| {
            let loaded = key_path().and_then(|p| match load_or_create(&p) {
                Ok(key) => Some(key),
                Err(e) => {
                    tracing::warn!("remote URL seals: {}: {e}", p.display());
                    None
                }
            });
            Provenance {
                key: loaded.unwrap_or_else(random_key),
            }
        })
    }

    /// A provenance with a given secret (tests: two installations).
    #[cfg(test)]
    pub(crate) fn with_key(key: [u8; KEY_BYTES]) -> Provenance {
        Provenance { key }
    }

    fn mac_of(&self, fields: &[&[u8]]) -> Hmac<Sha256> {
        // `new_from_slice` takes keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        for field in fields {
            // Length-prefixed, so no two field lists seal the same bytes.
            mac.update(&(field.len() as u64).to_le_bytes());
            mac.update(field);
        }
        mac
    }

    /// The seal over `fields`, as hex.
    fn seal(&self, fields: &[&[u8]]) -> String {
        pixloom_core::hex::lower(&self.mac_of(fields).finalize().into_bytes())
    }

    /// Whether `seal` is this installation's over `fields` (compared in
    /// constant time); no seal, or one that is not hex, is not.
    fn verifies(&self, fields: &[&[u8]], seal: Option<&str>) -> bool {
        seal.and_then(pixloom_core::hex::parse)
            .is_some_and(|tag| self.mac_of(fields).verify_slice(&tag).is_ok())
    }

    /// A remote copy of the image `image_sha256`, sealed as received here.
    pub fn remote(
        &self,
        image_sha256: &str,
        url: String,
        expires_at: time::OffsetDateTime,
    ) -> RemoteCopy {
        let mut remote = RemoteCopy {
            url,
            expires_at,
            seal: None,
        };
        let expiry = expiry_text(remote.expires_at);
        remote.seal = Some(self.seal(&remote_fields(image_sha256, &remote, &expiry)));
        remote
    }

    /// Whether `remote`, recorded for image `image_sha256`, was received by
    /// this installation.
    pub(crate) fn vouches_for(&self, image_sha256: &str, remote: &RemoteCopy) -> bool {
        let expiry = expiry_text(remote.expires_at);
        self.verifies(
            &remote_fields(image_sha256, remote, &expiry),
            remote.seal.as_deref(),
        )
    }

    /// The seal saying this installation prepared the upload copy
    /// `upload_sha256` from the image `original_sha256`.
    pub(crate) fn upload_seal(&self, original_sha256: &str, upload_sha256: &str) -> String {
        self.seal(&[
            UPLOAD_DOMAIN,
            original_sha256.as_bytes(),
            upload_sha256.as_bytes(),
        ])
    }

    fn vouches_for_upload(&self, image: &ImageRef) -> bool {
        image.upload.as_ref().is_some_and(|upload| {
            let fields = [
                UPLOAD_DOMAIN,
                image.original.sha256.as_bytes(),
                upload.sha256.as_bytes(),
            ];
            self.verifies(&fields, image.upload_seal.as_deref())
        })
    }

    /// Whether this installation wrote `r` as it is.
    pub(crate) fn vouches_for_received(&self, r: &Received) -> bool {
        let expiry = r.expires_at.map(expiry_text);
        self.verifies(&received_fields(r, expiry.as_deref()), r.seal.as_deref())
    }

    /// `conv` as it is saved: every [`Received`] record sealed (they are
    /// in memory only when this process made them or they verified on
    /// load). Borrowed as is when there is none, the usual case.
    pub(crate) fn sealed<'a>(&self, conv: &'a Conversation) -> Cow<'a, Conversation> {
        let has_received = conv
            .nodes
            .values()
            .any(|n| n.turn.as_ref().is_some_and(|t| t.received.is_some()));
        if !has_received {
            return Cow::Borrowed(conv);
        }
        let mut conv = conv.clone();
        for turn in conv.nodes.values_mut().filter_map(|n| n.turn.as_mut()) {
            if let Some(r) = turn.received.as_mut() {
                let expiry = r.expires_at.map(expiry_text);
                r.seal = Some(self.seal(&received_fields(r, expiry.as_deref())));
            }
        }
        Cow::Owned(conv)
    }

    /// Drops every link in `conv` this installation did not record: remote
    /// copies (the local copy is sent instead), upload copies (made again
    /// from the original), and the link and spare copy of an unstored
    /// picture's record. Returns how many were dropped.
    pub(crate) fn drop_foreign_links(&self, conv: &mut Conversation) -> usize {
        let mut dropped = 0;
        for node in conv.nodes.values_mut() {
            if let Some(r) = node.turn.as_mut().and_then(|t| t.received.as_mut())
                && !self.vouches_for_received(r)
                && (r.url.is_some() || r.spare_copy.is_some())
            {
                r.url = None;
                r.spare_copy = None;
                dropped += 1;
            }
            for part in &mut node.parts {
                let Part::Image { image } = part else {
                    continue;
                };
                if image.upload.is_some() && !self.vouches_for_upload(image) {
                    // Prepared again from the original when next sent.
                    image.upload = None;
                    image.upload_seal = None;
                    dropped += 1;
                }
                let foreign = image
                    .remote
                    .as_ref()
                    .is_some_and(|r| !self.vouches_for(&image.original.sha256, r));
                if foreign {
                    image.remote = None;
                    dropped += 1;
                }
            }
        }
        dropped
    }
}

/// A time as sealed: RFC 3339, as the file stores it.
fn expiry_text(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// What a remote copy's seal covers.
fn remote_fields<'a>(image_sha256: &'a str, r: &'a RemoteCopy, expiry: &'a str) -> [&'a [u8]; 4] {
    [
        DOMAIN,
        image_sha256.as_bytes(),
        r.url.as_bytes(),
        expiry.as_bytes(),
    ]
}

/// What an unstored picture's record lets pixloom do, which its seal
/// covers: fetch its link, read its spare copy, expect its hash.
fn received_fields<'a>(r: &'a Received, expiry: Option<&'a str>) -> [&'a [u8]; 5] {
    // Absent and empty must differ: a marker no field can hold.
    fn field(v: Option<&str>) -> &[u8] {
        v.map_or(b"\0none", str::as_bytes)
    }
    [
        RECEIVED_DOMAIN,
        field(r.url.as_deref()),
        field(expiry),
        field(r.sha256.as_deref()),
        field(r.spare_copy.as_deref()),
    ]
}

fn random_key() -> [u8; KEY_BYTES] {
    let mut key = [0; KEY_BYTES];
    rand::rand_core::UnwrapErr(rand::rngs::SysRng).fill_bytes(&mut key);
    key
}

/// `$XDG_STATE_HOME/pixloom/remote-key`, else `~/.local/state/…`.
fn key_path() -> Option<PathBuf> {
    Some(crate::logging::state_dir()?.join("remote-key"))
}

/// Reads the secret, or makes one (mode 0600, never through a link).
fn load_or_create(path: &Path) -> io::Result<[u8; KEY_BYTES]> {
    let open_existing = || {
        OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(path)
    };
    match open_existing() {
        Ok(file) => return read_key(file),
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let key = random_key();
    // Written whole to a private temporary file, then linked in place:
    // `hard_link` never replaces, so a racing process either wins (its key
    // is read) or finds nothing half-written.
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(crate::durable::TEMP_PREFIX)
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    tmp.write_all(pixloom_core::hex::lower(&key).as_bytes())?;
    tmp.as_file().sync_all()?;
    match fs::hard_link(tmp.path(), path) {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_key(open_existing()?),
        Err(e) => Err(e),
    }
}

fn read_key(file: fs::File) -> io::Result<[u8; KEY_BYTES]> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "not a pixloom remote key");
    if !file.metadata()?.is_file() {
        return Err(bad());
    }
    let mut text = String::new();
    file.take(2 * KEY_BYTES as u64 + 2)
        .read_to_string(&mut text)
        .map_err(|_| bad())?;
    let bytes = pixloom_core::hex::parse(text.trim()).ok_or_else(bad)?;
    bytes.try_into().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pixloom_core::testkit;

    #[test]
    fn a_seal_verifies_only_for_its_installation_image_url_and_expiry() {
        let here = Provenance::with_key([1; KEY_BYTES]);
        let there = Provenance::with_key([2; KEY_BYTES]);
        let sha = "ab".repeat(32);
        let expires = testkit::now();
        let r = here.remote(&sha, "https://cdn.test/a.png".into(), expires);
        assert!(here.vouches_for(&sha, &r));
        assert!(!there.vouches_for(&sha, &r), "another installation's seal");
        assert!(
            !here.vouches_for(&"cd".repeat(32), &r),
            "moved to another image"
        );
        let mut moved = r.clone();
        moved.url = "https://evil.test/beacon.png".into();
        assert!(!here.vouches_for(&sha, &moved), "another URL");
        let mut later = r.clone();
        later.expires_at += time::Duration::days(3650);
        assert!(!here.vouches_for(&sha, &later), "a longer life");
        let mut unsealed = r.clone();
        unsealed.seal = None;
        assert!(!here.vouches_for(&sha, &unsealed));
        unsealed.seal = Some("zz".into());
        assert!(!here.vouches_for(&sha, &unsealed));
    }

    #[test]
    fn foreign_remotes_are_dropped_and_own_ones_kept() {
        let here = Provenance::with_key([7; KEY_BYTES]);
        let mut conv = Conversation::new("t", testkit::now());
        let mut own = testkit::result("own", None);
        own.remote = Some(here.remote(
            &own.original.sha256,
            testkit::remote_url("own"),
            testkit::now() + time::Duration::hours(20),
        ));
        let forged = testkit::result("forged", Some(time::Duration::days(3650)));
        let user = conv
            .add_user(None, vec![Part::Text { text: "a".into() }], testkit::now())
            .unwrap();
        conv.add_user(
            Some(user),
            vec![
                Part::Image { image: own.clone() },
                Part::Image { image: forged },
            ],
            testkit::now(),
        )
        .unwrap();
        assert_eq!(here.drop_foreign_links(&mut conv), 1);
        let kept: Vec<_> = conv
            .nodes
            .values()
            .flat_map(|n| n.images())
            .filter_map(|i| i.remote.as_ref())
            .collect();
        assert_eq!(kept, vec![own.remote.as_ref().unwrap()]);
        assert_eq!(here.drop_foreign_links(&mut conv), 0);
    }

    #[test]
    fn an_unstored_pictures_record_is_trusted_only_as_this_installation_saved_it() {
        let here = Provenance::with_key([3; KEY_BYTES]);
        let there = Provenance::with_key([4; KEY_BYTES]);
        let mut conv = pixloom_core::testkit::build("reply a; pend n1 1");
        let record = Received {
            url: Some("https://gw.test/files/x.png".into()),
            expires_at: Some(testkit::now()),
            sha256: Some("ab".repeat(32)),
            spare_copy: Some("/tmp/x.png".into()),
            seal: None,
        };
        let n2 = pixloom_core::tree::NodeId(2);
        conv.note_received(n2, record.clone(), None).unwrap();
        let received = |c: &Conversation| {
            let t = c.node(n2).unwrap().turn.clone().unwrap();
            t.received.unwrap()
        };
        let saved = here.sealed(&conv).into_owned();
        assert!(here.vouches_for_received(&received(&saved)));
        assert!(!there.vouches_for_received(&received(&saved)));
        // As loaded here: kept whole.
        let mut loaded = saved.clone();
        assert_eq!(here.drop_foreign_links(&mut loaded), 0);
        assert_eq!(received(&loaded).url, record.url);
        // Each field edited, or loaded by another installation: the link
        // and the path go, the rest stays.
        let edits: [fn(&mut Received); 4] = [
            |r| r.url = Some("https://evil.test/beacon".into()),
            |r| r.spare_copy = Some("/home/u/.ssh/id_ed25519".into()),
            |r| r.sha256 = Some("cd".repeat(32)),
            |r| r.expires_at = None,
        ];
        for edit in edits {
            let mut forged = saved.clone();
            let t = forged.nodes.get_mut(&n2).unwrap().turn.as_mut().unwrap();
            edit(t.received.as_mut().unwrap());
            assert_eq!(here.drop_foreign_links(&mut forged), 1);
            let r = received(&forged);
            assert_eq!((r.url, r.spare_copy), (None, None));
        }
        let mut elsewhere = saved.clone();
        assert_eq!(there.drop_foreign_links(&mut elsewhere), 1);
        // Nothing to seal: the conversation is not copied.
        let plain = Conversation::new("t", testkit::now());
        assert!(matches!(here.sealed(&plain), Cow::Borrowed(_)));
    }

    #[test]
    fn the_secret_is_made_once_private_and_never_through_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/remote-key");
        let a = load_or_create(&path).unwrap();
        assert_eq!(load_or_create(&path).unwrap(), a);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let target = dir.path().join("target");
        fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link-key");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(load_or_create(&link).is_err());
        assert_eq!(fs::read(&target).unwrap(), b"keep");
    }
}
