#!/usr/bin/env python3
"""Bytes on the wire: what pixloom writes to its terminal, per protocol.

Run by scripts/bytes (which builds the binary first). For each of
`--graphics kitty|iterm|sixel|blocks` (and `none`, the text alone, as the
baseline) it runs the real app on a pseudo-terminal it records, and counts
the bytes for four actions:

  one    open a conversation with one 60x20-cell thumbnail (the first screen)
  redraw a full redraw of a screen of thumbnails (a resize: every cell and
         picture sent again)
  jk     j/k moving the selection without scrolling (the larger of k and j)
  scroll a move that scrolls the transcript by a thumbnail

OUTSIDE tmux the pty is the app's own terminal. INSIDE tmux (3.5a) the pty
is the tmux CLIENT's terminal: the bytes tmux sends to the outer terminal,
which is what crosses an SSH link. tmux is told the client has sixel
(`terminal-features '*:sixel'`) and allows passthrough.

A measurement waits until the terminal has been quiet for QUIET seconds
(this is a measurement, not a test: a quiet period is what "done" means).
Prints a markdown table; exit status 1 if a run failed.
"""

import fcntl
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/debug/pixloom"
BIN = os.path.abspath(BIN)
COLS, ROWS = 200, 60
# The pixel size of a cell the pty reports (TIOCGWINSZ): 8x16, as xterm's
# 10-point DejaVu Sans Mono is near.
CELL = (8, 16)
QUIET = float(os.environ.get("BYTES_QUIET", "1.0"))
RUNS = int(os.environ.get("BYTES_RUNS", "3"))
PROTOCOLS = ["kitty", "iterm", "sixel", "blocks", "none"]
TMUX = os.environ.get("BYTES_TMUX", "/usr/bin/tmux")
# What a picture's data starts with, per protocol (tmux sends the same to
# its client: sixel re-encoded from its own grid, the others passed
# through). Half-blocks are cells.
MARKER = {
    "kitty": b"\x1b_G",
    "iterm": b"\x1b]1337;File=",
    "sixel": b"\x1bP",
    "blocks": "\u2580".encode(),
    "none": None,
}

# Replies a terminal gives at once to the queries the app and tmux send:
# primary device attributes (a VT220 with colour, no sixel: the protocol
# is forced or told), secondary (tmux asks), and the cursor position.
REPLIES = [
    (b"\x1b[c", b"\x1b[?62;22c"),
    (b"\x1b[0c", b"\x1b[?62;22c"),
    (b"\x1b[>c", b"\x1b[>41;379;0c"),
    (b"\x1b[>0c", b"\x1b[>41;379;0c"),
    (b"\x1b[6n", b"\x1b[1;1R"),
]


class Pty:
    """A command on a new pty of COLS x ROWS, every byte it writes kept."""

    def __init__(self, argv, cwd, env, size=(COLS, ROWS)):
        self.master, slave = os.openpty()
        self.slave = slave
        self.resize(size)
        self.buf = bytearray()
        self.last = time.monotonic()
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["setsid", "--ctty", *argv],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def resize(self, size):
        cols, rows = size
        ws = struct.pack("HHHH", rows, cols, cols * CELL[0], rows * CELL[1])
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, ws)

    def _read(self):
        tail = b""
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.buf += data
                self.last = time.monotonic()
            scan = tail + data
            for query, reply in REPLIES:
                # Only queries that end in the new bytes.
                n = scan.count(query) - tail.count(query)
                for _ in range(n):
                    os.write(self.master, reply)
            tail = scan[-8:]

    def len(self):
        with self.lock:
            return len(self.buf)

    def settle(self, before=None, first=3.0, limit=60.0):
        """Waits for the first new byte after `before` (at most `first` s:
        an action may write nothing), then for QUIET s of silence (at most
        `limit` s)."""
        start = time.monotonic()
        if before is not None:
            while self.len() == before and time.monotonic() - start < first:
                time.sleep(0.01)
        while time.monotonic() - start < limit:
            with self.lock:
                quiet = time.monotonic() - max(self.last, start)
            if quiet >= QUIET:
                return
            time.sleep(0.02)
        raise RuntimeError("the terminal kept receiving bytes for %s s" % limit)

    def wait_soft(self, needle, count, limit=20.0):
        """Waits until `needle` occurs `count` times (pictures encoded off
        the loop come after the first screen); gives up quietly after
        `limit` s (inside tmux, a protocol may never get through)."""
        start = time.monotonic()
        while needle is not None and time.monotonic() - start < limit:
            with self.lock:
                if self.buf.count(needle) >= count:
                    return True
            time.sleep(0.05)
        return False

    def wait_for(self, pred, what, limit=60.0):
        start = time.monotonic()
        while time.monotonic() - start < limit:
            with self.lock:
                if pred(bytes(self.buf)):
                    return
            time.sleep(0.05)
        raise RuntimeError("timed out waiting for " + what)

    def bytes_for(self, action):
        before = self.len()
        action()
        # Every action measured writes something (a key moves the
        # highlight): up to 10 s for the first byte on a loaded machine.
        self.settle(before, first=10.0)
        return self.len() - before

    def send(self, data):
        os.write(self.master, data)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


def base_env(home):
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": os.path.join(home, "config"),
        "XDG_STATE_HOME": os.path.join(home, "state"),
        "XDG_CACHE_HOME": os.path.join(home, "cache"),
    }


def make_conversations(home):
    """`one`: a single turn; `fox`: three, on one path (every picture
    1280x848, so 60x20 cells at 8x16-pixel cells and 20 rows)."""
    key = "sk-bytes-" + "0" * 24
    fake = subprocess.Popen(
        [BIN, "fake-gateway", "--api-key", key, "--port", "0", "--latency", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        line = fake.stdout.readline().decode()
        url = line.strip().rsplit(" ", 1)[-1]
        env = base_env(home)
        env.update({"PIXLOOM_BASE_URL": url, "PIXLOOM_API_KEY": key})
        sends = [("one", "a red fox in snow")] + [
            ("fox", p) for p in ["a red fox in snow", "make it dusk", "add a moon"]
        ]
        for conv, prompt in sends:
            subprocess.run(
                [BIN, "send", conv, "--prompt", prompt, "--size", "1280x848"],
                cwd=home,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
            )
    finally:
        fake.kill()
        fake.wait()


class Place:
    """Where the app runs: on the recorded pty itself, or in tmux whose
    client is on it."""

    def __init__(self, name, home, n):
        self.name = name
        self.home = home
        self.n = n

    def start(self, proto, conv):
        app = [BIN, "--graphics", proto, conv]
        env = base_env(self.home)
        env["PIXLOOM_DEMO_LATENCY"] = "0"
        if self.name == "outside":
            return Pty(app, self.home, env)
        conf = os.path.join(self.home, "tmux.conf")
        with open(conf, "w") as f:
            f.write(
                "set -s escape-time 10\n"
                "set -g status off\n"
                "set -g allow-passthrough on\n"
                "set -as terminal-features '*:sixel'\n"
            )
        self.sock = "writer-bytes-%d-%d" % (os.getpid(), self.n)
        self.n += 1
        # The pane's own TERM and TMUX are tmux's: only the rest is passed.
        pane_env = ["%s=%s" % kv for kv in env.items() if kv[0] != "TERM"]
        inner = " ".join("'%s'" % a for a in ["env", *pane_env, *app])
        return Pty(
            [TMUX, "-L", self.sock, "-f", conf, "new-session", "-c", self.home, inner],
            self.home,
            env,
        )

    def stop(self, pty):
        if self.name == "tmux":
            # The app ends on the hang-up; the next run waits for it (the
            # conversation's lock is held until it has).
            pids = subprocess.run(
                [TMUX, "-L", self.sock, "list-panes", "-a", "-F", "#{pane_pid}"],
                capture_output=True,
                text=True,
            ).stdout.split()
            subprocess.run([TMUX, "-L", self.sock, "kill-server"], stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while any(os.path.exists("/proc/" + p) for p in pids):
                if time.monotonic() > deadline:
                    raise RuntimeError("the app in tmux did not end after the hang-up")
                time.sleep(0.05)
        pty.stop()


def measure(place, proto):
    """The four figures for one protocol in one place."""
    row = {}
    # One thumbnail: the whole first screen of a one-picture conversation.
    pty = place.start(proto, "one")
    try:
        # One word: inside tmux, blanks between words may be cursor moves.
        pty.wait_for(lambda b: b"snow" in b, "the first screen")
        pty.wait_soft(MARKER[proto], 1)
        pty.settle()
        row["one"] = pty.len()
    finally:
        place.stop(pty)
    pty = place.start(proto, "fox")
    try:
        pty.wait_for(lambda b: b"moon" in b, "the first screen")
        pty.wait_soft(MARKER[proto], 2)
        pty.settle()
        # A full redraw: a resize (one column narrower; every cell and
        # picture is sent again), measured on the way back to full width.
        pty.bytes_for(lambda: pty.resize((COLS - 1, ROWS)))
        row["redraw"] = pty.bytes_for(lambda: pty.resize((COLS, ROWS)))
        # n6 is selected; k and j move among the turns on screen.
        row["jk"] = max(pty.bytes_for(lambda: pty.send(b"k")), pty.bytes_for(lambda: pty.send(b"j")))
        # g: to the first turn, scrolling the transcript up by the pictures
        # above; G back down.
        row["scroll"] = max(pty.bytes_for(lambda: pty.send(b"g")), pty.bytes_for(lambda: pty.send(b"G")))
    finally:
        place.stop(pty)
    return row


def main():
    if not os.path.isfile(BIN):
        sys.exit("no binary at %s (scripts/bytes builds it)" % BIN)
    home = tempfile.mkdtemp(prefix="pixloom-bytes-")
    failed = False
    try:
        make_conversations(home)
        tmux_version = subprocess.run([TMUX, "-V"], capture_output=True, text=True).stdout.strip()
        places = [Place("outside", home, 0), Place("tmux", home, 0)]
        results = {}
        for place in places:
            for proto in PROTOCOLS:
                try:
                    # tmux sends its client the difference of its own grid
                    # at its own pace, so what it sends varies a little
                    # with timing: the median of RUNS runs there.
                    runs = [measure(place, proto) for _ in range(RUNS if place.name == "tmux" else 1)]
                    results[(place.name, proto)] = {
                        k: sorted(r[k] for r in runs)[len(runs) // 2] for k in runs[0]
                    }
                except Exception as e:  # noqa: BLE001 - reported in the table
                    failed = True
                    results[(place.name, proto)] = {"error": str(e)}
                print("measured %s %s: %s" % (place.name, proto, results[(place.name, proto)]), file=sys.stderr)
        print(
            "Terminal %dx%d cells of %dx%d px; thumbnails 60x20 cells (1280x848 pictures); "
            "inside: %s, status line off, the client's pty recorded (median of %d runs)."
            % (COLS, ROWS, CELL[0], CELL[1], tmux_version, RUNS)
        )
        print()
        print("| protocol | place | one thumbnail (first screen) | full redraw (resize) | j/k (no scroll) | scroll (g/G) |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for place in places:
            for proto in PROTOCOLS:
                r = results[(place.name, proto)]
                where = "outside tmux" if place.name == "outside" else "inside tmux"
                if "error" in r:
                    print("| %s | %s | failed: %s | | | |" % (proto, where, r["error"]))
                    continue
                print(
                    "| %s | %s | %s | %s | %s | %s |"
                    % (proto, where, *("{:,}".format(r[k]) for k in ["one", "redraw", "jk", "scroll"]))
                )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
