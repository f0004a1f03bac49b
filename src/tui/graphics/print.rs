//! Printing after the draw: only the placements that changed, each from
//! its small cached picture (never the original).

use std::collections::HashMap;
use std::io::{self, Write};

use base64::Engine as _;
use image::DynamicImage;
use ratatui::layout::Rect;

use super::detect::Detected;
use super::{GraphicsBackend, Placed, Shown, kitty, plan};

/// The cell size viuer's sixel printer assumes.
pub(crate) const VIUER_SIXEL_CELL: (u16, u16) = (6, 12);

/// Kitty images kept in the terminal before the least recently shown go.
const KITTY_KEEP: usize = 48;

/// Remembers what is on screen between frames and prints the difference.
#[derive(Debug)]
pub(crate) struct Presenter {
    backend: GraphicsBackend,
    shown: Vec<Shown>,
    screen: Option<Rect>,
    /// Kitty: content id → (image id, last frame it was shown).
    kitty_images: HashMap<u64, (u32, u64)>,
    /// Kitty: on-screen placement → placement id.
    kitty_placements: HashMap<Shown, u32>,
    next_id: u32,
    frame: u64,
    /// Bytes of image sequences written by this module (viuer's own
    /// writes for sixel are counted by their length when known).
    pub bytes: u64,
}

impl Presenter {
    pub(crate) fn new(d: &Detected) -> Presenter {
        Presenter {
            backend: d.backend,
            shown: Vec::new(),
            screen: None,
            kitty_images: HashMap::new(),
            kitty_placements: HashMap::new(),
            next_id: 1,
            frame: 0,
            bytes: 0,
        }
    }

    /// Forget what is on screen (after `terminal.clear()` or a resize):
    /// the next present prints everything and sends every picture again.
    pub(crate) fn invalidate(&mut self) {
        self.screen = None;
    }

    /// After `terminal.draw` (whose frame marked `now` skipped): deletes
    /// kitty placements that went, prints the new or moved ones.
    pub(crate) fn present(
        &mut self,
        now: &[Placed],
        screen: Rect,
        out: &mut impl Write,
    ) -> io::Result<()> {
        self.frame += 1;
        let full = self.screen != Some(screen);
        self.screen = Some(screen);
        let shown: Vec<Shown> = now.iter().map(|p| p.shown).collect();
        let todo = plan(&self.shown, &shown, full);
        self.shown = shown;
        if todo.remove.is_empty() && todo.print.is_empty() {
            return Ok(());
        }
        let mut w = Counting { inner: out, n: 0 };
        // Save and restore the cursor: ratatui believes it is where it left it.
        w.write_all(b"\x1b7")?;
        if self.backend == GraphicsBackend::Kitty {
            if full {
                // A clear or a resize may have dropped the images (kitty
                // 0.26 does; Konsole keeps them): free what is left and
                // send again what is shown, never just place by an id the
                // terminal may have forgotten.
                kitty::delete_all_placements(&mut w)?;
                for (id, _) in self.kitty_images.values() {
                    kitty::delete_image(&mut w, *id)?;
                }
                self.kitty_images.clear();
                self.kitty_placements.clear();
            }
            for s in &todo.remove {
                if let (Some(pid), Some((id, _))) = (
                    self.kitty_placements.remove(s),
                    self.kitty_images.get(&s.id),
                ) {
                    kitty::delete_placement(&mut w, *id, pid)?;
                }
            }
        }
        for s in &todo.print {
            let Some(p) = now.iter().find(|p| p.shown == *s) else {
                continue;
            };
            // Nothing old (text of an earlier layout, a picture's edge)
            // shows around or, should the terminal drop the picture,
            // instead of it.
            blank(&mut w, s.area)?;
            match self.backend {
                GraphicsBackend::Kitty => self.kitty(p, &mut w)?,
                GraphicsBackend::Iterm => iterm(p, &mut w)?,
                GraphicsBackend::Sixel => sixel(p, &mut w)?,
                GraphicsBackend::Blocks | GraphicsBackend::None => {}
            }
        }
        if self.backend == GraphicsBackend::Kitty {
            self.evict_kitty(&mut w)?;
        }
        w.write_all(b"\x1b8")?;
        w.flush()?;
        self.bytes += w.n;
        tracing::debug!(
            bytes = w.n,
            printed = todo.print.len(),
            removed = todo.remove.len(),
            "thumbnails presented"
        );
        Ok(())
    }

    fn kitty(&mut self, p: &Placed, w: &mut impl Write) -> io::Result<()> {
        let frame = self.frame;
        let id = match self.kitty_images.get_mut(&p.shown.id) {
            Some((id, used)) => {
                *used = frame;
                *id
            }
            None => {
                let id = self.next_id;
                self.next_id = self.next_id.checked_add(1).unwrap_or(1);
                kitty::transmit(w, id, &p.pixels.png)?;
                self.kitty_images.insert(p.shown.id, (id, frame));
                id
            }
        };
        let pid = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        kitty::place(w, id, pid, &p.shown, p.pixels.cell_px)?;
        self.kitty_placements.insert(p.shown, pid);
        Ok(())
    }

    /// Frees the terminal's copy of images not on screen, oldest first,
    /// beyond [`KITTY_KEEP`].
    fn evict_kitty(&mut self, w: &mut impl Write) -> io::Result<()> {
        while self.kitty_images.len() > KITTY_KEEP {
            let on_screen: Vec<u64> = self.shown.iter().map(|s| s.id).collect();
            let oldest = self
                .kitty_images
                .iter()
                .filter(|(k, _)| !on_screen.contains(k))
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, (id, _))| (*k, *id));
            let Some((key, id)) = oldest else {
                break;
            };
            kitty::delete_image(w, id)?;
            self.kitty_images.remove(&key);
        }
        Ok(())
    }
}

/// A sixel picture, as encoded off the UI loop ([`super::sixel`]): the
/// same text wherever the picture is, so moving it only costs the bytes.
/// The pictures are made at the real cell size; viuer's own sixel
/// printer assumes 6×12 pixels a cell and would query the terminal, so
/// its encoder (icy_sixel) is used directly, for every cell size.
fn sixel(p: &Placed, w: &mut impl Write) -> io::Result<()> {
    let a = p.shown.area;
    match &p.sixel {
        Some(data) => write!(w, "\x1b[{};{}H{data}", a.y + 1, a.x + 1),
        // Not encoded yet: `to_print` keeps such a placement out.
        None => Ok(()),
    }
}

/// viuer's settings for printing exactly over `a` with iTerm2's protocol
/// (the others turned off: viuer's own choice would probe the terminal).
fn viuer_config(a: Rect) -> viuer::Config {
    viuer::Config {
        x: a.x,
        y: i16::try_from(a.y).unwrap_or(i16::MAX),
        width: Some(u32::from(a.width)),
        height: Some(u32::from(a.height)),
        absolute_offset: true,
        restore_cursor: false,
        use_kitty: false,
        use_iterm: true,
        use_sixel: false,
        ..viuer::Config::default()
    }
}

/// iTerm2's inline image (OSC 1337) stretched over the area. viuer's
/// printer is used when its environment check agrees; over SSH that check
/// fails though the terminal is iTerm2, so the sequence is written here.
fn iterm(p: &Placed, w: &mut impl Write) -> io::Result<()> {
    let a = p.shown.area;
    let whole = p.shown.first_row == 0
        && u32::from(a.width) * u32::from(p.pixels.cell_px.0) == p.pixels.image.width()
        && u32::from(a.height) * u32::from(p.pixels.cell_px.1) == p.pixels.image.height();
    if viuer::is_iterm_supported() {
        w.flush()?;
        let config = viuer_config(a);
        return viuer::print(&crop(p), &config)
            .map(|_| ())
            .map_err(|e| io::Error::other(e.to_string()));
    }
    let cropped;
    let png: &[u8] = if whole {
        &p.pixels.png
    } else {
        let mut buf = Vec::new();
        crop(p)
            .write_to(&mut io::Cursor::new(&mut buf), image::ImageFormat::Png)
            .map_err(|e| io::Error::other(e.to_string()))?;
        cropped = buf;
        &cropped
    };
    write!(
        w,
        "\x1b[{};{}H\x1b]1337;File=inline=1;size={};width={};height={};preserveAspectRatio=0;doNotMoveCursor=1:{}\x07",
        a.y + 1,
        a.x + 1,
        png.len(),
        a.width,
        a.height,
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// The part of the picture a placement shows.
fn crop(p: &Placed) -> DynamicImage {
    let a = p.shown.area;
    super::sixel::crop(&p.pixels, p.shown.first_row, a.width, a.height)
}

/// Spaces over the area, so no old picture or text shows around a picture
/// that does not fill its cells exactly.
fn blank(w: &mut impl Write, a: Rect) -> io::Result<()> {
    let spaces = " ".repeat(usize::from(a.width));
    w.write_all(b"\x1b[0m")?;
    for y in a.top()..a.bottom() {
        write!(w, "\x1b[{};{}H{spaces}", y + 1, a.x + 1)?;
    }
    Ok(())
}

/// Counts the bytes written through it.
struct Counting<'a, W: Write> {
    inner: &'a mut W,
    n: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
