//! Printing after the draw: only the placements that changed, each from
//! its small cached picture (never the original).

use std::collections::HashMap;
use std::io::{self, Write};

use ratatui::layout::Rect;

use super::detect::Detected;
use super::{GraphicsBackend, Placed, Route, Shown, kitty, plan, tmux};

/// The cell size viuer's sixel printer assumes.
pub(crate) const VIUER_SIXEL_CELL: (u16, u16) = (6, 12);

/// Kitty images kept in the terminal before the least recently shown go.
const KITTY_KEEP: usize = 48;

/// Remembers what is on screen between frames and prints the difference.
#[derive(Debug)]
pub(crate) struct Presenter {
    backend: GraphicsBackend,
    route: Route,
    /// Picture sequences wrapped for tmux's passthrough.
    through: bool,
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
            route: d.route,
            through: d.passthrough,
            shown: Vec::new(),
            screen: None,
            kitty_images: HashMap::new(),
            kitty_placements: HashMap::new(),
            next_id: 1,
            frame: 0,
            bytes: 0,
        }
    }

    /// How pictures reach the screen.
    pub(crate) fn route(&self) -> Route {
        self.route
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
        if self.route == Route::Placeholders {
            return self.send_pictures(now, full, out);
        }
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
                    kitty::delete_image(&mut w, *id, self.through)?;
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
                GraphicsBackend::Iterm | GraphicsBackend::Sixel => {
                    encoded(p, self.through, &mut w)?;
                }
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
                kitty::transmit(w, id, &p.pixels.png, None, self.through)?;
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

    /// Unicode placeholders: the cells are text the frame already wrote;
    /// what is left is to send each picture shown for the first time (or
    /// again after a resize or clear, which kitty may have dropped it
    /// with) with its virtual placement. Nothing is blanked, skipped or
    /// placed; moving a picture costs no picture bytes.
    fn send_pictures(
        &mut self,
        now: &[Placed],
        full: bool,
        out: &mut impl Write,
    ) -> io::Result<()> {
        if full {
            self.kitty_images.clear();
        }
        self.shown = now.iter().map(|p| p.shown).collect();
        let mut w = Counting { inner: out, n: 0 };
        let frame = self.frame;
        let mut sent = 0;
        for p in now {
            if let Some((_, used)) = self.kitty_images.get_mut(&p.shown.id) {
                *used = frame;
                continue;
            }
            let id = super::placeholder::image_id(p.shown.id);
            let (cw, ch) = p.pixels.cell_px;
            let cells = (
                u16::try_from(p.pixels.image.width() / u32::from(cw.max(1))).unwrap_or(u16::MAX),
                u16::try_from(p.pixels.image.height() / u32::from(ch.max(1))).unwrap_or(u16::MAX),
            );
            kitty::transmit(&mut w, id, &p.pixels.png, Some(cells), self.through)?;
            self.kitty_images.insert(p.shown.id, (id, frame));
            sent += 1;
        }
        self.evict_kitty(&mut w)?;
        if w.n > 0 {
            w.flush()?;
            self.bytes += w.n;
            tracing::debug!(bytes = w.n, sent, "pictures sent for placeholders");
        }
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
            kitty::delete_image(w, id, self.through)?;
            self.kitty_images.remove(&key);
        }
        Ok(())
    }
}

/// A sixel or iTerm2 picture, as encoded off the UI loop
/// ([`super::sixel`]): the same text wherever the picture is, so moving it
/// only costs the bytes. Both are made here rather than by viuer's
/// printers: viuer's sixel printer assumes 6×12-pixel cells and queries
/// the terminal, and its iTerm2 printer encodes a PNG while printing (and
/// its environment check fails over SSH); their encoders (icy_sixel, PNG
/// and base64) are used directly, off the loop.
fn encoded(p: &Placed, through: bool, w: &mut impl Write) -> io::Result<()> {
    let a = p.shown.area;
    match &p.encoded {
        Some(data) => {
            write!(w, "\x1b[{};{}H", a.y + 1, a.x + 1)?;
            tmux::write_seq(w, data.as_bytes(), through)
        }
        // Not encoded yet: `to_print` keeps such a placement out.
        None => Ok(()),
    }
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

#[cfg(test)]
mod tests;
