//! Save a copy (`O`): where the copy goes, never over an existing file,
//! and with its recipe written into a PNG (`images::Recipe`). The stored
//! original is only read.
//!
//! - A folder (an existing one, or a name ending in `/`) gets the suggested
//!   name inside it, never the store's sha256 name.
//! - An existing file is never replaced: the copy takes the first free
//!   `NAME (2).EXT`, `NAME (3).EXT`, … and the notice says so (as a browser
//!   saving a download does), so nothing is lost and no question blocks.

use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::images::{Recipe, VerifiedImage};

/// The most `(N)` suffixes tried before giving up.
const MAX_SUFFIX: u32 = 999;

/// What the user asked for: `dest` as typed, the suggested file name for
/// a folder, and the recipe to write into a PNG.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CopyRequest<'a> {
    pub(crate) dest: &'a str,
    pub(crate) name: &'a str,
    pub recipe: &'a Recipe,
}

/// Where a copy goes: into `dest` under `name` when `dest` is a folder (or
/// ends in `/`), else `dest` itself.
pub(crate) fn save_target(dest: &Path, typed: &str, name: &str) -> PathBuf {
    if typed.ends_with('/') || dest.is_dir() {
        dest.join(name)
    } else {
        dest.to_path_buf()
    }
}

/// `path`, then `stem (2).ext`, `stem (3).ext`, …
fn candidates(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    std::iter::once(path.to_path_buf())
        .chain((2..=MAX_SUFFIX).map(move |n| path.with_file_name(format!("{stem} ({n}){ext}"))))
}

/// Writes `bytes` to the first free name from `path`, creating it (never
/// opening an existing file) and syncing it. A half-written file is
/// removed.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    for candidate in candidates(path) {
        let mut out = match std::fs::File::create_new(&candidate) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            other => other?,
        };
        let written = out.write_all(bytes).and_then(|()| out.sync_all());
        if let Err(e) = written {
            let _ = std::fs::remove_file(&candidate);
            return Err(e);
        }
        return Ok(candidate);
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("it and {MAX_SUFFIX} numbered copies exist"),
    ))
}

/// Saves `bytes` (a stored original) as `req` asks. The notice names the
/// file written, says when the name was taken, and when the recipe could
/// not go in (a JPEG or WebP is copied exactly).
pub(crate) fn save(bytes: &[u8], req: CopyRequest<'_>, dest: &Path) -> Result<String, String> {
    let target = save_target(dest, req.dest, req.name);
    let (data, without) = match req.recipe.written_into(bytes) {
        Ok(with) => (std::borrow::Cow::Owned(with), None),
        Err(why) => (std::borrow::Cow::Borrowed(bytes), Some(why)),
    };
    let written = write_new(&target, &data).map_err(|e| {
        crate::errline::with_path(format!("could not save a copy ({e})"), target.display())
    })?;
    let mut note = format!("saved {}", written.display());
    if written != target {
        note.push_str(&format!(
            " ({} exists, so the copy took the next free name)",
            target
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ));
    }
    match without {
        None => note.push_str(" with its prompt and settings inside"),
        Some(why) => note.push_str(&format!(" ({why})")),
    }
    Ok(note)
}

/// Reads the verified original and saves it. Blocking.
pub(super) fn save_verified(
    mut image: VerifiedImage,
    req: CopyRequest<'_>,
    dest: &Path,
) -> Result<String, String> {
    let mut bytes = Vec::new();
    (&mut image.file)
        .take(image.len)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            crate::errline::with_path(
                format!("could not read the image ({e})"),
                image.path.display(),
            )
        })?;
    save(&bytes, req, dest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::ImageKind;
    use crate::images::testimg::encoded;

    fn recipe() -> Recipe {
        Recipe(vec![("parameters", "a red fox\nModel: m".to_owned())])
    }

    fn save_in(dir: &Path, typed: &str, bytes: &[u8]) -> Result<String, String> {
        let req = CopyRequest {
            dest: typed,
            name: "n5-7x5.png",
            recipe: &recipe(),
        };
        save(bytes, req, &dir.join(typed))
    }

    fn text_of(path: &Path) -> Vec<(String, String)> {
        let file = std::fs::File::open(path).unwrap();
        let reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .unwrap();
        reader
            .info()
            .uncompressed_latin1_text
            .iter()
            .map(|t| (t.keyword.clone(), t.text.clone()))
            .collect()
    }

    #[test]
    fn a_folder_gets_the_suggested_name_and_nothing_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("pics")).unwrap();
        std::fs::write(d.join("taken.png"), b"mine").unwrap();
        let png = encoded(ImageKind::Png, 7, 5);
        // (typed, file written, a piece of the notice)
        let cases = [
            (
                "pics",
                "pics/n5-7x5.png",
                "with its prompt and settings inside",
            ),
            ("pics/", "pics/n5-7x5 (2).png", "n5-7x5.png exists"),
            ("pics", "pics/n5-7x5 (3).png", "next free name"),
            ("fox.png", "fox.png", "saved"),
            ("taken.png", "taken (2).png", "taken.png exists"),
            ("new/", "", "could not save a copy"),
        ];
        for (typed, written, note) in cases {
            let result = save_in(d, typed, &png);
            let shown = result.clone().unwrap_or_else(|e| e);
            assert!(shown.contains(note), "{typed}: {shown}");
            if written.is_empty() {
                assert!(result.is_err(), "{typed}");
                continue;
            }
            let path = d.join(written).display().to_string();
            assert!(
                shown.starts_with(&format!("saved {path}")),
                "{typed}: {shown}"
            );
            assert_eq!(
                text_of(&d.join(written)),
                [("parameters".to_owned(), "a red fox\nModel: m".to_owned())],
                "{typed}"
            );
        }
        assert_eq!(
            std::fs::read(d.join("taken.png")).unwrap(),
            b"mine",
            "never overwritten"
        );
        let leftovers = std::fs::read_dir(d.join("pics")).unwrap().count();
        assert_eq!(leftovers, 3, "one file per save");
    }

    #[test]
    fn a_jpeg_is_copied_exactly_and_the_notice_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let jpeg = encoded(ImageKind::Jpeg, 7, 5);
        let note = save_in(dir.path(), "x.jpg", &jpeg).unwrap();
        assert!(note.contains("a JPEG is copied as it is"), "{note}");
        assert_eq!(std::fs::read(dir.path().join("x.jpg")).unwrap(), jpeg);
    }
}

/// From the tree to the file: the copy of a stored result carries the
/// recipe of its path (not its siblings'), sanitised; the original in
/// `images/` stays byte-identical and the copy decodes to the same pixels.
#[cfg(test)]
mod recipe_tests {
    use sha2::Digest as _;

    use super::*;
    use crate::images::{ImageKind, ImageStore, testimg::encoded};
    use crate::tui::fixtures::{branched_conv, n};

    #[test]
    fn a_saved_copy_explains_itself_and_the_original_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path().join("images")).unwrap();
        let png = encoded(ImageKind::Png, 32, 18);
        let blob = store.keep_result(&png).unwrap();
        let mut conv = branched_conv();
        // n5's image is the stored one; its prompt (n4) carries controls.
        let node = conv.nodes.get_mut(&n(5)).unwrap();
        node.parts = vec![pixloom_core::tree::Part::Image {
            image: crate::tui::fixtures::image(&blob.sha256, 32, 18),
        }];
        conv.nodes.get_mut(&n(4)).unwrap().parts =
            crate::tui::fixtures::text("make it dusk\x1b[2J\u{202e}, ✨ snow");
        let before = sha2::Sha256::digest(std::fs::read(store.path(&blob)).unwrap());
        let recipe = crate::images::recipe(&conv, n(5));
        let req = CopyRequest {
            dest: "copy.png",
            name: "n5.png",
            recipe: &recipe,
        };
        let out = dir.path().join("copy.png");
        save_verified(store.open_verified(&blob).unwrap(), req, &out).unwrap();
        let after = sha2::Sha256::digest(std::fs::read(store.path(&blob)).unwrap());
        assert_eq!(before, after, "the original is byte-identical");
        let copy = std::fs::read(&out).unwrap();
        assert_eq!(
            image::load_from_memory(&copy).unwrap().as_bytes(),
            image::load_from_memory(&png).unwrap().as_bytes()
        );
        let reader = png::Decoder::new(std::io::Cursor::new(&copy))
            .read_info()
            .unwrap();
        let info = reader.info();
        let latin = |k: &str| {
            info.uncompressed_latin1_text
                .iter()
                .find(|t| t.keyword == k)
                .map(|t| t.text.clone())
        };
        let utf8 = |k: &str| {
            info.utf8_text
                .iter()
                .find(|t| t.keyword == k)
                .map(|t| t.get_text().unwrap())
        };
        let parameters = utf8("parameters").unwrap();
        assert!(
            parameters.starts_with("make it dusk[2J, ✨ snow\n"),
            "{parameters}"
        );
        for piece in [
            "Model: ",
            "Size: 32x18",
            "Node: n5",
            "Request id: req_0123456789abcdef",
            "Conversation: fox",
        ] {
            assert!(parameters.contains(piece), "{piece} in {parameters}");
        }
        assert!(latin("Software").unwrap().starts_with("pixloom "));
        let json: serde_json::Value = serde_json::from_str(&utf8("pixloom").unwrap()).unwrap();
        assert_eq!(json["node"], "n5");
        assert_eq!(json["request_id"], "req_0123456789abcdef");
        let path: Vec<&str> = json["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["node"].as_str().unwrap())
            .collect();
        assert_eq!(path, ["n1", "n2", "n4", "n5"], "the path, no sibling");
        assert_eq!(
            json["path"][0]["prompt"],
            "a red fox in snow, golden hour, telephoto"
        );
        assert!(!utf8("pixloom").unwrap().contains('\x1b'));
    }

    #[test]
    fn long_prompts_and_paths_are_capped() {
        let mut conv = branched_conv();
        conv.nodes.get_mut(&n(4)).unwrap().parts = crate::tui::fixtures::text(&"fox ".repeat(5000));
        let recipe = crate::images::recipe(&conv, n(5));
        let description = &recipe
            .0
            .iter()
            .find(|(k, _)| *k == "Description")
            .unwrap()
            .1;
        assert_eq!(
            description.chars().count(),
            crate::images::MAX_PROMPT_CHARS + 1,
            "cut, with …"
        );
    }
}
