//! What a terminal answered to the graphics probe, parsed: the replies
//! may come in any chunking, with keys typed meanwhile and unknown
//! sequences among them (see [`super::detect`] for what is asked).

/// What the terminal answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Replies {
    /// Primary device attributes' parameters (`CSI ? 62;4;22 c` → `[62, 4, 22]`).
    pub(crate) da1: Option<Vec<u16>>,
    /// The kitty graphics query was answered OK.
    pub(crate) kitty: bool,
    /// XTVERSION: `kitty(0.35.2)`, `XTerm(388)`, `WezTerm 20240203…`, `tmux 3.4`…
    pub(crate) version: Option<String>,
    /// Cell size in pixels (width, height) from `CSI 6 ; h ; w t`.
    pub cell_px: Option<(u16, u16)>,
    /// Text area size in pixels (width, height) from `CSI 4 ; h ; w t`.
    pub(crate) window_px: Option<(u16, u16)>,
    /// The background colour, from `OSC 11 ; rgb:RRRR/GGGG/BBBB`.
    pub(crate) background: Option<[u8; 3]>,
}

impl Replies {
    /// DA parameter 4 (after the device class) means sixel graphics.
    pub(crate) fn sixel(&self) -> bool {
        self.da1
            .as_ref()
            .is_some_and(|p| p.iter().skip(1).any(|&v| v == 4))
    }

    pub(crate) fn version_starts(&self, names: &[&str]) -> bool {
        self.version.as_deref().is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            names.iter().any(|n| v.starts_with(n))
        })
    }
}

/// Parses whatever the terminal sent back (replies may come in any
/// chunking; unknown sequences and stray bytes are skipped).
pub(crate) fn parse_replies(bytes: &[u8]) -> Replies {
    let mut r = Replies::default();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != 0x1b || i + 1 >= bytes.len() {
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            b'[' => {
                let start = i + 2;
                let mut j = start;
                while j < bytes.len() && !(0x40..=0x7e).contains(&bytes[j]) {
                    j += 1;
                }
                if j >= bytes.len() {
                    break;
                }
                let params = &bytes[start..j];
                match bytes[j] {
                    b'c' if params.first() == Some(&b'?') => {
                        r.da1 = Some(numbers(&params[1..]));
                    }
                    b't' => match numbers(params)[..] {
                        [6, h, w] if h > 0 && w > 0 => r.cell_px = Some((w, h)),
                        [4, h, w] if h > 0 && w > 0 => r.window_px = Some((w, h)),
                        _ => {}
                    },
                    _ => {}
                }
                i = j + 1;
            }
            kind @ (b'_' | b'P' | b']') => {
                let start = i + 2;
                let (body, next) = string_body(bytes, start);
                match kind {
                    b'_' => {
                        if let Some(rest) = body.strip_prefix(b"G") {
                            let mut parts = rest.splitn(2, |&b| b == b';');
                            let keys = parts.next().unwrap_or_default();
                            let msg = parts.next().unwrap_or_default();
                            if keys.split(|&b| b == b',').any(|k| k == b"i=31")
                                && msg.starts_with(b"OK")
                            {
                                r.kitty = true;
                            }
                        }
                    }
                    b'P' => {
                        if let Some(v) = body.strip_prefix(b">|") {
                            r.version = Some(String::from_utf8_lossy(v).into_owned());
                        }
                    }
                    b']' => {
                        if let Some(v) = body.strip_prefix(b"11;rgb:") {
                            r.background = parse_rgb(v);
                        }
                    }
                    _ => {}
                }
                i = next;
            }
            _ => i += 2,
        }
    }
    r
}

/// `ffff/8080/0000` (1 to 4 hex digits a channel) → `[255, 128, 0]`.
fn parse_rgb(v: &[u8]) -> Option<[u8; 3]> {
    let text = std::str::from_utf8(v).ok()?;
    let mut out = [0u8; 3];
    let mut parts = text.split('/');
    for slot in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 4 {
            return None;
        }
        let v = u32::from_str_radix(p, 16).ok()?;
        let max = (1u32 << (4 * p.len())) - 1;
        *slot = u8::try_from(v * 255 / max).ok()?;
    }
    Some(out)
}

/// `62;4;22` → `[62, 4, 22]` (empty or non-numeric parts are skipped).
fn numbers(params: &[u8]) -> Vec<u16> {
    params
        .split(|&b| b == b';')
        .filter_map(|p| std::str::from_utf8(p).ok()?.parse().ok())
        .collect()
}

/// The body of a string sequence starting at `start`, ended by ST
/// (`ESC \`) or BEL, and the index after its end.
fn string_body(bytes: &[u8], start: usize) -> (&[u8], usize) {
    let mut j = start;
    while j < bytes.len() {
        if bytes[j] == 0x07 {
            return (&bytes[start..j], j + 1);
        }
        if bytes[j] == 0x1b && bytes.get(j + 1) == Some(&b'\\') {
            return (&bytes[start..j], j + 2);
        }
        j += 1;
    }
    (&bytes[start.min(bytes.len())..], bytes.len())
}
