#!/usr/bin/env python3
"""Runs every figure of docs/performance.md and prints one table: figure,
pixloom, the reference tool measured in the same run, the ratio, the
target. Called by scripts/bench after it built everything and wrote the
inputs; see that script for the set-up.

Usage: scripts/bench.py INPUTS_DIR   (BENCH_RUNS=N runs per reference, default 7)
"""

import json
import os
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import fcntl
import termios

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
PIXLOOM = os.path.join(TARGET, "release", "pixloom")
RUNS = int(os.environ.get("BENCH_RUNS", "7"))

rows = []  # (figure, pixloom, reference, ratio, target, met)
notes = []


def fmt_ms(s):
    return f"{s * 1e3:.1f} ms" if s >= 0.001 else f"{s * 1e6:.0f} µs"


def fmt_mb(b):
    return f"{b / 1e6:.0f} MB"


def row(figure, ours, ours_text, ref=None, ref_text="—", target_text="", met=None):
    """`ours` and `ref` are numbers of the same unit (lower is better)."""
    ratio = f"{ref / ours:.1f}× better" if ref and ours else "—"
    mark = "" if met is None else ("yes" if met else "NO")
    rows.append((figure, ours_text, ref_text, ratio, target_text, mark))


def criterion_median(name):
    """Median time in seconds of a criterion benchmark (group/name)."""
    path = os.path.join(TARGET, "criterion", name, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e9


def run_once(cmd, stdout=subprocess.DEVNULL, shell=False):
    """Wall seconds and peak RSS (bytes) of one whole process."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL, shell=shell)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} exited with {p.returncode}")
    return wall, usage.ru_maxrss * 1024


def is_imagemagick():
    """Some machines have a `convert` that only stands in for ImageMagick's."""
    out = subprocess.run(["convert", "-version"], capture_output=True, text=True).stdout
    return "ImageMagick" in out


def reference(name, cmd, tool, shell=False):
    """Median wall and median peak RSS over RUNS runs, or None (noted)."""
    if shutil.which(tool) is None or (tool == "convert" and not is_imagemagick()):
        notes.append(f"{name}: skipped, `{tool}` is not installed")
        return None
    try:
        runs = [run_once(cmd, shell=shell) for _ in range(RUNS)]
    except (RuntimeError, OSError) as e:
        notes.append(f"{name}: skipped, it failed: {e}")
        return None
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def figures_binary_output():
    """FIGURE lines from `cargo bench --bench figures` (run by scripts/bench)."""
    out = {}
    with open(os.path.join(TARGET, "bench-figures.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "FIGURE":
                out[parts[1]] = float(parts[2])
    return out


def first_frame(conv_dir, cols=200, lines=60):
    """Whole process in a pty: seconds from start to the first frame, and
    the peak RSS once the thumbnails on screen are drawn."""
    master, slave = os.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", lines, cols, 0, 0))
    home = tempfile.mkdtemp(prefix="pixloom-bench-")
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=f"{home}/cache",
               XDG_STATE_HOME=f"{home}/state", XDG_CONFIG_HOME=f"{home}/config",
               TERM="xterm-256color", COLORTERM="truecolor")
    for k in ("PIXLOOM_API_KEY", "APIYI_API_KEY", "OPENAI_API_KEY", "TMUX"):
        env.pop(k, None)
    start = time.perf_counter()
    p = subprocess.Popen([PIXLOOM, "--graphics", "blocks", conv_dir], stdin=slave,
                         stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    out = b""
    first = None
    deadline = start + 20
    # The first frame carries the tree's title; thumbnails come as ▀ cells.
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                out += os.read(master, 1 << 16)
            except OSError:
                break
        if first is None and b"lighthouse" in out:
            first = time.perf_counter() - start
        if first is not None and out.count("▀".encode()) > 500:
            break
    with open(f"/proc/{p.pid}/status") as f:
        hwm = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) * 1024
    os.write(master, b"q")
    try:
        # Keep reading: an app blocked on a full pty cannot see the `q`.
        end = time.perf_counter() + 10
        while p.poll() is None and time.perf_counter() < end:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 1 << 16)
                except OSError:
                    break
        p.wait(timeout=1)
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
        shutil.rmtree(home, ignore_errors=True)
    return first, hwm


def pty_bytes():
    """Bytes per j/k and per idle second, from tests/integration/tui_pty.rs."""
    env = dict(os.environ, PIXLOOM_RELEASE_BIN=PIXLOOM)
    out = subprocess.run(
        ["cargo", "test", "--release", "--test", "integration", "tui_pty::bytes_per", "--", "--nocapture"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("bytes: "))
    moves = [int(v) for v in re.search(r"selection moves ([^;]+);", line).group(1)
             .replace("j=", " ").replace("k=", " ").split()]
    idle = int(re.search(r"idle 1 s (\d+);", line).group(1))
    return moves, idle


def main():
    inputs = sys.argv[1]
    figs = figures_binary_output()
    png = os.path.join(inputs, "result-4k.png")
    response = os.path.join(inputs, "result-4k-b64.json")
    photo = os.path.join(inputs, "photo-24mp.jpg")
    big = os.path.join(inputs, "big.pixloom")
    scratch = tempfile.mkdtemp(prefix="pixloom-bench-out-")

    # 1. The 17 MB b64_json result: parsed, decoded, written.
    ours = criterion_median("result/b64_json_4k_to_disk")
    py = reference("python3 json+base64",
                   ["python3", "-c", "import json,base64,sys;d=json.load(open(sys.argv[1]));"
                    "open(sys.argv[2],'wb').write(base64.b64decode(d['data'][0]['b64_json']))",
                    response, f"{scratch}/py.png"], "python3")
    jq = reference("jq+base64",
                   f"jq -r '.data[0].b64_json' {response} | base64 -d > {scratch}/jq.png",
                   "jq", shell=True)
    size = figs["result_response_bytes"]
    label = f"{size / 1e6:.0f} MB b64_json 3840×2160 result → file"
    row(label + " (vs python3 json+base64)", ours, fmt_ms(ours),
        py and py[0], py and fmt_ms(py[0]) or "skipped", "≤ 25 ms", ours <= 0.025)
    if jq:
        row(label + " (vs jq + base64 -d)", ours, fmt_ms(ours), jq[0], fmt_ms(jq[0]),
            "≤ 25 ms", ours <= 0.025)
    plain = criterion_median("result/b64_json_4k_to_file_no_fsync")
    row("  the same without fsync, as the references write", plain, fmt_ms(plain),
        py and py[0], py and f"python3 {fmt_ms(py[0])}" or "—", "≤ 25 ms", plain <= 0.025)
    extra = figs["result_peak_extra_bytes"]
    row("  peak extra memory for it (× response size)", extra,
        f"{fmt_mb(extra)} = {figs['result_peak_extra_ratio']:.2f}×",
        py and py[1], py and f"python3 peak RSS {fmt_mb(py[1])}" or "—",
        "≤ 2.5×", figs["result_peak_extra_ratio"] <= 2.5)

    # 2. The same result to a 60×20 half-block thumbnail.
    ours = criterion_median("thumbnail/half_block_60x20_first")
    viu = reference("viu", ["viu", "-b", "-w", "60", "-h", "20", png], "viu")
    chafa = reference("chafa", ["chafa", "--size=60x20", "--format=symbols",
                                "--symbols=vhalf", "--animate=off", png], "chafa")
    for name, ref in (("viu -b -w 60 -h 20", viu), ("chafa --symbols=vhalf", chafa)):
        row(f"4K PNG → 60×20 half-block thumbnail, first time (vs {name})", ours, fmt_ms(ours),
            ref and ref[0], ref and fmt_ms(ref[0]) or "skipped", "≤ 50 ms", ours <= 0.050)
    mem = criterion_median("thumbnail/half_block_60x20_memory_cache")
    disk = criterion_median("thumbnail/half_block_60x20_disk_cache")
    row("  again, cached in memory (same run)", mem, fmt_ms(mem), None, "—", "≤ 1 ms", mem <= 0.001)
    row("  again, from the disk cache (next run)", disk, fmt_ms(disk), None, "—", "≤ 1 ms",
        disk <= 0.001)

    # 3. A 24 MP camera JPEG to a ≤ 1.5 MB data URL.
    ours = criterion_median("reference/jpeg_24mp_to_data_url")
    im = reference("ImageMagick convert",
                   ["convert", photo, "-resize", "2048x2048>", "-quality", "85",
                    f"{scratch}/im.jpg"], "convert")
    mb = os.path.getsize(photo) / 1e6
    row(f"6000×4000 {mb:.0f} MB JPEG → ≤ 1.5 MB data URL (vs convert -resize)", ours,
        fmt_ms(ours), im and im[0], im and fmt_ms(im[0]) or "skipped", "≤ 150 ms",
        ours <= 0.150)
    peak = figs["reference_peak_extra_bytes"]
    row("  peak memory for it", peak, fmt_mb(peak), im and im[1],
        im and f"convert peak RSS {fmt_mb(im[1])}" or "—", "≤ 150 MB", peak <= 150e6)

    # 4. Open 1000 turns / 200 4K images to the first frame.
    ours = criterion_median("conversation/open_1000_turns_to_first_frame")
    row("open 1000 turns, 200 4K images → first frame (in process)", ours, fmt_ms(ours),
        None, "—", "≤ 150 ms", ours <= 0.150)
    runs = [first_frame(big) for _ in range(5)]
    whole = statistics.median(r[0] for r in runs if r[0] is not None)
    hwm = max(r[1] for r in runs)
    row("  the same, whole process in a 200×60 pty", whole, fmt_ms(whole), None, "—",
        "≤ 150 ms", whole <= 0.150)
    row("  peak RSS, thumbnails on screen drawn (worst of 5)", hwm, fmt_mb(hwm), None, "—",
        "≤ 100 MB", hwm <= 100e6)

    # 5. One frame of it.
    ours = criterion_median("conversation/frame_200x60")
    row("render one 200×60 frame of it (tree + transcript + thumbnails)", ours, fmt_ms(ours),
        None, "—", "≤ 2 ms", ours <= 0.002)

    # 6. Bytes to the terminal.
    moves, idle = pty_bytes()
    worst = max(moves)
    row("bytes written per j/k, half-block thumbnails on screen (worst)", worst,
        f"{worst} B (all: {' '.join(map(str, moves))})", None, "—", "≤ 2 KB", worst <= 2048)
    row("bytes written per idle second", idle, f"{idle} B", None, "—", "0", idle == 0)

    # 7. Eight variants at 2 s latency.
    wall = figs["variants_8_at_2s_wall"] / 1e3
    frame = figs["variants_8_at_2s_slowest_frame"] / 1e3
    row("8 variants, fake gateway at 2 s latency: all back (wall)", wall, fmt_ms(wall), None,
        "—", "≤ 2.6 s", wall <= 2.6)
    row("  slowest frame meanwhile", frame, fmt_ms(frame), None, "—", "≤ 16 ms",
        frame <= 0.016)

    shutil.rmtree(scratch, ignore_errors=True)
    header = ("figure", "pixloom", "reference (same run)", "ratio", "target", "met")
    table = [header, tuple("---" for _ in header)] + rows
    text = "\n".join("| " + " | ".join(str(c) for c in r) + " |" for r in table)
    print(text)
    for n in notes:
        print(f"note: {n}")
    with open(os.path.join(TARGET, "bench-table.md"), "w") as f:
        f.write(text + "\n" + "".join(f"\nnote: {n}" for n in notes) + "\n")
    return 0 if all(r[5] != "NO" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
