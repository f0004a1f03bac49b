#![allow(clippy::unwrap_used)]

use std::sync::mpsc;
use std::time::Instant;

use super::*;

/// A terminal that takes bytes only when the test lets it: every write
/// waits for a permit, then keeps the bytes.
struct Gated {
    permits: mpsc::Receiver<Result<(), ()>>,
    got: Arc<Mutex<Vec<u8>>>,
}

impl Write for Gated {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.permits.recv() {
            Ok(Ok(())) => {
                self.got.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            _ => Err(io::Error::other("the terminal is gone")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type Gate = (
    Arc<Writer>,
    mpsc::Sender<Result<(), ()>>,
    Arc<Mutex<Vec<u8>>>,
);

fn gated() -> Gate {
    let (tx, permits) = mpsc::channel();
    let got = Arc::new(Mutex::new(Vec::new()));
    let writer = Writer::spawn(Gated {
        permits,
        got: Arc::clone(&got),
    })
    .unwrap();
    (writer, tx, got)
}

#[test]
fn nothing_leaves_before_flush_and_handles_keep_their_order() {
    let (writer, gate, got) = gated();
    let mut frame = Output::new(&writer);
    let mut pictures = Output::new(&writer);
    frame.write_all(b"cells ").unwrap();
    pictures.write_all(b"sixel ").unwrap();
    assert!(!writer.busy_or_wake(), "unflushed bytes are not in flight");
    frame.flush().unwrap();
    pictures.flush().unwrap();
    assert!(writer.busy_or_wake());
    for _ in 0..2 {
        gate.send(Ok(())).unwrap();
    }
    assert!(writer.drain(Duration::from_secs(10)));
    assert_eq!(got.lock().unwrap().as_slice(), b"cells sixel ");
    assert_eq!(writer.written(), 12);
}

/// The writer blocks in the terminal's write, not the caller: flushing a
/// big picture returns at once, the writer says it is busy, and it wakes
/// the loop once (and only once) when all went out.
#[test]
fn a_stalled_terminal_blocks_no_caller_and_wakes_when_drained() {
    let (writer, gate, got) = gated();
    let (woke_tx, woke) = mpsc::channel();
    writer.on_drained(Some(Box::new(move || woke_tx.send(()).unwrap())));
    let mut out = Output::new(&writer);
    let started = Instant::now();
    out.write_all(&vec![b'#'; 75_000]).unwrap();
    out.flush().unwrap();
    out.write_all(b"more").unwrap();
    out.flush().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "flush waited for the terminal"
    );
    assert!(writer.busy_or_wake(), "bytes are in flight");
    assert!(
        !writer.drain(Duration::from_millis(50)),
        "drained with the terminal stalled"
    );
    assert!(woke.try_recv().is_err(), "woken before the bytes went out");
    // The terminal takes what the writer holds (one write per chunk).
    while writer.busy_or_wake() {
        gate.send(Ok(())).unwrap();
        let _ = writer.drain(Duration::from_millis(200));
    }
    woke.recv_timeout(Duration::from_secs(10))
        .expect("woken once all went out");
    assert_eq!(got.lock().unwrap().len(), 75_004);
    assert!(woke.try_recv().is_err(), "woken twice");
    // Idle: not busy, and no wake asked for.
    assert!(!writer.busy_or_wake());
}

/// A terminal that is gone (a write fails): queued and later bytes are
/// dropped and waiting ends at once instead of hanging quit.
#[test]
fn a_dead_terminal_ends_the_wait_at_once() {
    let (writer, gate, got) = gated();
    let mut out = Output::new(&writer);
    out.write_all(b"frame").unwrap();
    out.flush().unwrap();
    gate.send(Err(())).unwrap();
    assert!(writer.drain(Duration::from_secs(10)));
    let started = Instant::now();
    assert!(writer.finish(b"\x1b[?1049l", Duration::from_secs(10)));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!writer.busy_or_wake());
    assert!(got.lock().unwrap().is_empty());
}

/// Leaving waits for what is queued, then gives up after its bound on a
/// terminal that takes nothing.
#[test]
fn leaving_a_stalled_terminal_is_bounded() {
    let (writer, _gate, _got) = gated();
    let started = Instant::now();
    assert!(!writer.finish(b"\x1b[?1049l", Duration::from_millis(100)));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(100), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

/// Polls `cond` until it holds (at most 30 s).
fn until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

#[test]
fn a_fatal_stop_waits_for_the_write_under_way_then_nothing_is_written() {
    let (writer, permits, got) = gated();
    writer.push(b"frame");
    until("the write to start", || {
        writer.in_write.load(Ordering::SeqCst)
    });
    let (w, g) = (Arc::clone(&writer), Arc::clone(&got));
    let stopper = std::thread::spawn(move || {
        w.stop_for_fatal(Duration::from_secs(30));
        g.lock().unwrap().clone()
    });
    until("the stop to be asked", || {
        writer.fatal.load(Ordering::SeqCst)
    });
    permits.send(Ok(())).unwrap();
    let at_return = stopper.join().unwrap();
    assert_eq!(at_return, b"frame", "returned before the write ended");
    writer.push(b"after the restore");
    let _ = permits.send(Ok(()));
    assert!(writer.drain(Duration::from_secs(30)));
    assert_eq!(*got.lock().unwrap(), b"frame", "written after the stop");
}
