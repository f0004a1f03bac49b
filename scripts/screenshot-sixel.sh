#!/usr/bin/env bash
# Sixel screenshot check: runs pixloom in `xterm -ti vt340` (sixel) under
# Xvfb on a conversation with one generated image, takes a screenshot and
# checks that the thumbnail is a real picture, not text or half-blocks.
#
#   scripts/screenshot-sixel.sh [OUT.png]      (default target/screenshot-sixel.png)
#
# Env: PIXLOOM_BIN (default target/release/pixloom, built if missing),
#      GRAPHICS (default auto: the sixel must be DETECTED from xterm's
#      device attributes; `sixel` forces it), KEEP=1 keeps the work dir.
# Needs: apt-get install xvfb xterm xdotool x11-apps imagemagick python3-pil
# Heavy (an X server): not run in CI.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/screenshot-sixel.png}
bin=${PIXLOOM_BIN:-$root/target/release/pixloom}
graphics=${GRAPHICS:-auto}
for tool in Xvfb xterm xdotool xwd xdpyinfo convert; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: apt-get install xvfb xterm xdotool x11-apps imagemagick python3-pil" >&2
    exit 2
  }
done
py=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import PIL' 2>/dev/null; then py=$p; break; fi
done
[[ -n $py ]] || { echo "missing python3 with PIL: apt-get install python3-pil" >&2; exit 2; }
if [[ ! -x $bin ]]; then
  (cd "$root" && cargo build --release)
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ ${KEEP:-0} == 1 ]] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

export HOME=$work/home XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache XDG_CONFIG_HOME=$work/config
mkdir -p "$HOME"
export PIXLOOM_DEMO_LATENCY=0
cd "$work"
# A tiny conversation: one prompt, one image from the built-in fake gateway.
"$bin" --demo send shot --prompt 'a red fox in the snow at dusk' >/dev/null

display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1000x700x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
export DISPLAY=$display
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

# vt340 answers DA with ";4" (sixel); 256 colour registers instead of the
# vt340's 16; the bitmap "fixed" font (6x13 cells).
# No COLORTERM / TERM_PROGRAM: like an SSH session, the replies decide.
xterm -ti vt340 -geometry 120x40+0+0 \
  -xrm 'XTerm*numColorRegisters: 256' -xrm 'XTerm*sixelScrolling: true' \
  -e env -u COLORTERM -u TERM_PROGRAM TERM=xterm-256color \
  "$bin" --demo --log-level "${LOG_LEVEL:-info}" --graphics "$graphics" shot &
pids+=($!)

shot() { xwd -root -silent | convert xwd:- "png:$1"; }

# The check: the thumbnail is the region where 6x13 cells hold many
# colours each (text and half-blocks hold at most two per cell).
cat >"$work/check.py" <<'EOF'
import sys
from PIL import Image
img = Image.open(sys.argv[1]).convert("RGB")
cw, ch = 6, 13
W, H = img.size
rich = []
for cy in range(H // ch):
    for cx in range(W // cw):
        box = img.crop((cx * cw, cy * ch, (cx + 1) * cw, (cy + 1) * ch))
        n = len(set(box.getdata()))
        if n > 4:
            rich.append((cx, cy, n))
if not rich:
    print("no picture: 0 cells with more than 4 colours")
    sys.exit(1)
x0 = min(c[0] for c in rich) * cw; x1 = (max(c[0] for c in rich) + 1) * cw
y0 = min(c[1] for c in rich) * ch; y1 = (max(c[1] for c in rich) + 1) * ch
region = img.crop((x0, y0, x1, y1))
colours = len(set(region.getdata()))
print(f"picture cells: {len(rich)}; region {x0},{y0}-{x1},{y1} ({x1-x0}x{y1-y0} px); "
      f"distinct colours in region: {colours}")
region.save(sys.argv[2])
sys.exit(0 if len(rich) >= 60 and colours >= 64 else 1)
EOF

# Wait for the app to draw the thumbnail (decoding runs off the UI task).
ok=1
for _ in $(seq 60); do
  sleep 0.5
  shot "$work/now.png"
  if "$py" "$work/check.py" "$work/now.png" "$work/region.png" >/dev/null; then ok=0; break; fi
done
# Keys: select the image turn (j/k) and back, then let it settle: the
# picture must survive ratatui's redraws.
xdotool search --class xterm windowactivate --sync 2>/dev/null || true
xdotool type --delay 150 'kj'
sleep 1
mkdir -p "$(dirname "$out")"
shot "$out"
set +e
"$py" "$work/check.py" "$out" "${out%.png}-region.png"
ok=$?
set -e
grep -m1 "graphics detected" "$XDG_STATE_HOME/pixloom/pixloom.log" | sed 's/.*graphics detected/graphics detected/' | cut -c1-400 || true
grep "thumbnails presented" "$XDG_STATE_HOME/pixloom/pixloom.log" | sed 's/.*thumbnails presented/presented/' | head -5 || true
echo "screenshot: $out  (thumbnail region: ${out%.png}-region.png)"
xdotool type 'q' || true
exit $ok
