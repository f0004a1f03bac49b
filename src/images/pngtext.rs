//! Text chunks added to a PNG without touching its image data: the chunk
//! stream is copied as it is and the new chunks go in before the first
//! IDAT (where readers such as ComfyUI, InvokeAI and exiftool look), each
//! with its CRC. The pixels, and every chunk already there, stay byte for
//! byte.

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Why text could not be added: the bytes are not a PNG whose chunks can
/// be walked to an IDAT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a well-formed PNG ({0})")]
pub(crate) struct NotPng(&'static str);

/// `png` with one text chunk per `(keyword, text)` inserted before its
/// first IDAT: `tEXt` when the text is Latin-1 printable ASCII, else an
/// uncompressed `iTXt` (UTF-8). Keywords are 1–79 Latin-1 characters
/// (ours are constants); text is taken as given (sanitise it first).
pub(crate) fn with_text(png: &[u8], chunks: &[(&str, String)]) -> Result<Vec<u8>, NotPng> {
    let at = first_idat(png)?;
    let mut out =
        Vec::with_capacity(png.len() + chunks.iter().map(|(_, t)| t.len() + 64).sum::<usize>());
    out.extend_from_slice(&png[..at]);
    for (keyword, text) in chunks {
        if text.is_ascii() {
            push_chunk(
                &mut out,
                b"tEXt",
                &[keyword.as_bytes(), b"\0", text.as_bytes()],
            );
        } else {
            // Not compressed, no language tag, no translated keyword.
            push_chunk(
                &mut out,
                b"iTXt",
                &[keyword.as_bytes(), b"\0\0\0\0\0", text.as_bytes()],
            );
        }
    }
    out.extend_from_slice(&png[at..]);
    Ok(out)
}

/// The offset of the first IDAT chunk, after checking the signature and
/// that every chunk before it lies inside the bytes.
fn first_idat(png: &[u8]) -> Result<usize, NotPng> {
    if !png.starts_with(SIGNATURE) {
        return Err(NotPng("no PNG signature"));
    }
    let mut at = SIGNATURE.len();
    loop {
        let header = png.get(at..at + 8).ok_or(NotPng("cut short before IDAT"))?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = &header[4..8];
        if at == SIGNATURE.len() && kind != b"IHDR" {
            return Err(NotPng("IHDR is not first"));
        }
        if kind == b"IDAT" {
            return Ok(at);
        }
        if kind == b"IEND" {
            return Err(NotPng("no IDAT"));
        }
        let next = usize::try_from(len)
            .ok()
            .and_then(|l| at.checked_add(12)?.checked_add(l))
            .ok_or(NotPng("chunk length out of range"))?;
        if next > png.len() {
            return Err(NotPng("cut short before IDAT"));
        }
        at = next;
    }
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[&[u8]]) {
    let len: usize = data.iter().map(|d| d.len()).sum();
    // Callers cap their text far below 2 GiB.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    out.extend_from_slice(kind);
    for d in data {
        crc.update(d);
        out.extend_from_slice(d);
    }
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_png() -> Vec<u8> {
        crate::images::testimg::encoded(crate::images::ImageKind::Png, 7, 5)
    }

    #[test]
    fn text_reads_back_and_the_pixels_are_the_same() {
        let original = small_png();
        let chunks = [
            ("parameters", "a red fox in snow\nModel: m".to_owned()),
            (
                "pixloom",
                r#"{"prompt":"ein Fuchs im Schnee – bei Nacht ❄"}"#.to_owned(),
            ),
        ];
        let out = with_text(&original, &chunks).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&out));
        let mut reader = decoder.read_info().unwrap();
        let info = reader.info();
        let latin: Vec<_> = info
            .uncompressed_latin1_text
            .iter()
            .map(|t| (t.keyword.as_str(), t.text.as_str()))
            .collect();
        assert_eq!(latin, [("parameters", "a red fox in snow\nModel: m")]);
        assert_eq!(info.utf8_text.len(), 1);
        assert_eq!(info.utf8_text[0].keyword, "pixloom");
        assert_eq!(
            info.utf8_text[0].get_text().unwrap(),
            r#"{"prompt":"ein Fuchs im Schnee – bei Nacht ❄"}"#
        );
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut pixels).unwrap();
        let before = image::load_from_memory(&original).unwrap();
        let after = image::load_from_memory(&out).unwrap();
        assert_eq!(before.as_bytes(), after.as_bytes());
        // Only added: the original's bytes are all there, in order.
        let at = first_idat(&original).unwrap();
        assert_eq!(&out[..at], &original[..at]);
        assert!(out.ends_with(&original[at..]));
    }

    #[test]
    fn what_is_not_a_walkable_png_is_refused() {
        let png = small_png();
        let at = first_idat(&png).unwrap();
        let cases: &[(&str, Vec<u8>)] = &[
            ("empty", Vec::new()),
            ("a JPEG", b"\xff\xd8\xff\xe0rest".to_vec()),
            ("cut in the header", png[..20].to_vec()),
            ("cut before IDAT", png[..at].to_vec()),
            ("huge chunk length", {
                let mut p = png.clone();
                p[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
                p
            }),
        ];
        for (what, bytes) in cases {
            assert!(with_text(bytes, &[("k", "v".into())]).is_err(), "{what}");
        }
    }
}
