//! The kitty graphics protocol, with what viuer lacks: image ids (send a
//! thumbnail once, place it again by id after a scroll: tens of bytes,
//! not the image), placements of a part of an image (a thumbnail half
//! scrolled out), deletion by id, PNG instead of raw RGBA, no cursor
//! movement (`C=1`, so no newline and no scroll) and no replies (`q=2`,
//! which would otherwise arrive as keys). viuer's kitty printer also reads
//! the terminal on every print in its local mode, racing the key reader.

use std::io::{self, Write};

use base64::Engine as _;

use super::Shown;
use super::tmux::write_seq;

/// Base64 bytes per chunk (the protocol's limit).
const CHUNK: usize = 4096;

/// Sends `png` as image `id`: without displaying it, or (`cells`) with a
/// virtual placement of that many columns and rows, which Unicode
/// placeholders show ([`super::placeholder`]). `through`: each chunk
/// wrapped for tmux's passthrough.
pub(crate) fn transmit(
    out: &mut impl Write,
    id: u32,
    png: &[u8],
    cells: Option<(u16, u16)>,
    through: bool,
) -> io::Result<()> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(png);
    let bytes = b64.as_bytes();
    let mut chunks = bytes.chunks(CHUNK).peekable();
    let mut first = true;
    let mut seq = Vec::with_capacity(CHUNK + 64);
    while let Some(chunk) = chunks.next() {
        let more = u8::from(chunks.peek().is_some());
        seq.clear();
        if first {
            match cells {
                Some((c, r)) => write!(
                    seq,
                    "\x1b_Ga=T,U=1,f=100,t=d,i={id},c={c},r={r},q=2,m={more};"
                )?,
                None => write!(seq, "\x1b_Ga=t,f=100,t=d,i={id},q=2,m={more};")?,
            }
            first = false;
        } else {
            write!(seq, "\x1b_Gm={more};")?;
        }
        seq.extend_from_slice(chunk);
        seq.extend_from_slice(b"\x1b\\");
        write_seq(out, &seq, through)?;
    }
    Ok(())
}

/// Places rows `first_row..` of image `id` (made at `cell_px` per cell)
/// in `shown.area`, as placement `pid`, without moving the cursor.
pub(crate) fn place(
    out: &mut impl Write,
    id: u32,
    pid: u32,
    shown: &Shown,
    cell_px: (u16, u16),
) -> io::Result<()> {
    let a = shown.area;
    let (cw, ch) = (u32::from(cell_px.0), u32::from(cell_px.1));
    write!(
        out,
        "\x1b[{};{}H\x1b_Ga=p,i={id},p={pid},x=0,y={},w={},h={},c={},r={},C=1,q=2\x1b\\",
        a.y + 1,
        a.x + 1,
        u32::from(shown.first_row) * ch,
        u32::from(a.width) * cw,
        u32::from(a.height) * ch,
        a.width,
        a.height,
    )
}

/// Deletes one placement, keeping the image for later placements.
pub(crate) fn delete_placement(out: &mut impl Write, id: u32, pid: u32) -> io::Result<()> {
    write!(out, "\x1b_Ga=d,d=i,i={id},p={pid},q=2\x1b\\")
}

/// Deletes an image and frees its data in the terminal.
pub(crate) fn delete_image(out: &mut impl Write, id: u32, through: bool) -> io::Result<()> {
    write_seq(
        out,
        format!("\x1b_Ga=d,d=I,i={id},q=2\x1b\\").as_bytes(),
        through,
    )
}

/// Deletes every placement on screen (images stay for re-placement).
pub(crate) fn delete_all_placements(out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"\x1b_Ga=d,d=a,q=2\x1b\\")
}
