//! What can go wrong with an image, said so a user can act on it.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::kind::ImageKind;

/// What an image error is about: shown as its name, and decides the advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A local file, by the path the user gave.
    File(String),
    /// A link the user gave.
    Url(String),
    /// An image the gateway returned.
    Result,
    /// Bytes of unknown provenance (the bare functions).
    Data,
}

impl Subject {
    /// The second sentence of most messages: what to do.
    pub fn advice(&self) -> &'static str {
        match self {
            Subject::Result => "Retry the turn",
            _ => "Attach a PNG, JPEG or WebP file",
        }
    }
}

impl Subject {
    /// What the message calls it: `the file`, `the link`, …
    pub(crate) fn noun(&self) -> &'static str {
        match self {
            Subject::File(_) => "the file",
            Subject::Url(_) => "the link",
            Subject::Result => "the gateway's image",
            Subject::Data => "the image data",
        }
    }

    /// The end of the message: ` — PATH` (or link) when there is one,
    /// else the full stop.
    pub(crate) fn tail(&self) -> String {
        match self {
            Subject::File(p) => tail(p),
            Subject::Url(u) => tail(short(u)),
            Subject::Result | Subject::Data => ".".to_owned(),
        }
    }
}

/// The end of a message about a file (`errline`'s shape).
fn tail(path: impl fmt::Display) -> String {
    crate::errline::tail(path)
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::File(p) => f.write_str(p),
            Subject::Url(u) => f.write_str(&short(u)),
            Subject::Result => f.write_str("the gateway's image"),
            Subject::Data => f.write_str("the image data"),
        }
    }
}

/// Long links (signed URLs) are cut so a message stays one or two lines.
fn short(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn mp(w: u32, h: u32) -> String {
    format!("{:.0}", f64::from(w) * f64::from(h) / 1_000_000.0)
}

fn looks(what: &Option<&'static str>) -> String {
    what.map(|w| format!(" (looks like {w})"))
        .unwrap_or_default()
}

/// Every failure of the image edge. `Display` is one or two sentences: what
/// happened, naming the file, link or blob, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error(
        "the file does not exist. Check the path (dragging the file into the terminal pastes it){}",
        tail(path)
    )]
    NotFound { path: String },
    #[error(
        "that is a folder, not an image. Attach a PNG, JPEG or WebP file from inside it{}",
        tail(path)
    )]
    IsDirectory { path: String },
    #[error(
        "that is not a regular file (a device or a pipe?). Attach a PNG, JPEG or WebP file{}",
        tail(path)
    )]
    NotAFile { path: String },
    #[error(
        "cannot read the file ({source}). Check that it is readable{}",
        tail(path)
    )]
    Unreadable {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{} is {}; pixloom reads images up to {}. Attach a smaller copy{}", subject.noun(), mb(*size), mb(*limit), subject.tail())]
    TooLarge {
        subject: Subject,
        size: u64,
        limit: u64,
    },
    #[error("{} is empty (0 bytes). {}{}", subject.noun(), subject.advice(), subject.tail())]
    Empty { subject: Subject },
    #[error("{} is not an image{}. {}{}", subject.noun(), looks(looks_like), subject.advice(), subject.tail())]
    NotAnImage {
        subject: Subject,
        looks_like: Option<&'static str>,
    },
    /// An image, but in a format pixloom does not read (SVG, HEIC, AVIF…).
    #[error("{} is {format}, which pixloom cannot read. {}{}", subject.noun(), fix.trim_end_matches('.'), subject.tail())]
    Unsupported {
        subject: Subject,
        format: &'static str,
        fix: &'static str,
    },
    #[error("{} is {width}×{height} pixels ({} megapixels); pixloom reads at most 100 megapixels. Scale it down and try again{}", subject.noun(), mp(*width, *height), subject.tail())]
    TooManyPixels {
        subject: Subject,
        width: u32,
        height: u32,
    },
    /// A GIF, BMP or TIFF whose header claims far more pixels than its
    /// bytes could hold ([`super::MAX_PIXELS_PER_BYTE`]).
    #[error(
        "{} says it is {width}×{height} pixels but is only {bytes} bytes, far too small to hold that: it is damaged, or made to use up memory. Open it in an image viewer and export it as PNG or JPEG{}", subject.noun(), subject.tail()
    )]
    TooSmallForItsSize {
        subject: Subject,
        width: u32,
        height: u32,
        bytes: u64,
    },
    #[error("{} ({width}×{height}) would need {} of memory to decode, more than pixloom allows. Save it as an 8-bit JPEG or PNG and try again{}", subject.noun(), mb(*needed), subject.tail())]
    TooMuchMemory {
        subject: Subject,
        width: u32,
        height: u32,
        needed: u64,
    },
    #[error("{} is damaged or cut short ({detail}). {}{}", subject.noun(), if matches!(subject, Subject::Result) { "Retry the turn" } else { "Download or export it again" }, subject.tail())]
    Damaged { subject: Subject, detail: String },
    #[error("the gateway returned a {} image; pixloom expects PNG, JPEG or WebP. Retry the turn.", kind.name())]
    WrongResultFormat { kind: ImageKind },
    #[error(
        "the link cannot be attached: {reason}. Use an http:// or https:// link, or a file path{}",
        tail(short(url))
    )]
    BadUrl { url: String, reason: String },
    #[error(
        "the link answered HTTP {status}. Check that it opens in a browser{}",
        tail(short(url))
    )]
    Http { url: String, status: u16 },
    #[error(
        "downloading failed: {detail}. Check the link and your connection{}",
        tail(short(url))
    )]
    Download { url: String, detail: String },
    #[error("the link sends more than {}; pixloom stops there. Save the image, shrink it and attach the file{}", mb(*cap), tail(short(url)))]
    DownloadTooLarge { url: String, cap: u64 },
    #[error("an image is missing from the conversation folder. Restore the folder from a backup, or delete the turns that use it{}", tail(path.display()))]
    MissingBlob { path: PathBuf },
    #[error("an image is damaged ({actual} bytes, {expected} expected). Restore the folder from a backup, or delete the turns that use it{}", tail(path.display()))]
    DamagedBlob {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    /// A name in `images/` that is a link, FIFO, device or folder: never
    /// followed or read.
    #[error("an image is {what}, not a regular file; pixloom does not follow links or read special files in a conversation folder, so it was not read. Restore the folder from a backup, or delete the turns that use it{}", tail(path.display()))]
    NotAStoredFile { path: PathBuf, what: &'static str },
    /// The bytes do not hash to the name: changed, or a file planted under
    /// another image's name.
    #[error("an image does not hold the picture its name says (its bytes do not match the sha256 in its name): it was changed or replaced, so pixloom will not show, send or export it. Restore the folder from a backup, or delete the turns that use it{}", tail(path.display()))]
    WrongContent { path: PathBuf },
    #[error("an image claims to be {} bytes, more than any image pixloom stores ({}); it was not read. Restore the folder from a backup, or delete the turns that use it{}", size, cap, tail(path.display()))]
    BlobTooLarge { path: PathBuf, size: u64, cap: u64 },
    /// `images/` itself is a link or not a folder.
    #[error("the images folder is {what}, not a folder; pixloom keeps a conversation's images in a real folder inside it and does not follow links there, so nothing was read or written through it. Replace it with a real folder (a copy of what it points to), or open another conversation{}", tail(path.display()))]
    StoreNotAFolder { path: PathBuf, what: &'static str },
    #[error(
        "the conversation names an image {name:?}, which is not a valid image file name. The file was edited by hand: fix or remove that entry."
    )]
    BadBlobName { name: String },
    /// `source` names the file (`durable`'s shape: reason — path).
    #[error("{}", crate::errline::line(source, "Check free disk space and the folder's permissions.", path.display()))]
    Store {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "could not convert {} for upload ({detail}). Convert it to JPEG yourself and attach that{}", subject.noun(), subject.tail()
    )]
    Encode { subject: Subject, detail: String },
}

impl ImageError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_subject_and_say_what_to_do() {
        let e = ImageError::NotAnImage {
            subject: Subject::File("~/x.pdf".into()),
            looks_like: Some("a PDF document"),
        };
        assert_eq!(
            e.to_string(),
            "the file is not an image (looks like a PDF document). Attach a PNG, JPEG or WebP file — ~/x.pdf"
        );
        let e = ImageError::Empty {
            subject: Subject::Result,
        };
        assert_eq!(
            e.to_string(),
            "the gateway's image is empty (0 bytes). Retry the turn."
        );
        let e = ImageError::TooManyPixels {
            subject: Subject::Data,
            width: 100_000,
            height: 100_000,
        };
        assert!(e.to_string().contains("10000 megapixels"), "{e}");
    }

    #[test]
    fn long_urls_are_cut() {
        let url = format!("https://x.test/{}", "a".repeat(500));
        let e = ImageError::Http { url, status: 404 };
        let s = e.to_string();
        assert!(s.len() < 250 && s.contains('…') && s.contains("404"), "{s}");
    }
}
