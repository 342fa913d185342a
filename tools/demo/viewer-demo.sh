#!/usr/bin/env bash
# ./x demo: the synthetic agent's picture in periscope-viewer. With a display ($DISPLAY that
# answers) the window opens there until you close it; without one, a private Xvfb runs the viewer
# for a few seconds and the screenshot it wrote is printed. Everything it starts is stopped and
# the shared memory file removed on the way out.
#
# usage: viewer-demo.sh BUILD_DIR [SECONDS]
set -euo pipefail
build="$1"
seconds="${2:-5}"
agent="$build/src/agent/periscope-agent"
viewer="$build/src/viewer/periscope-viewer"
shm="/dev/shm/periscope-demo-$$"
out="${PERISCOPE_DEMO_DIR:-/tmp}/periscope-demo-$$"
mkdir -p "$out"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$shm"
}
trap cleanup EXIT INT TERM

"$agent" --capture synthetic --synthetic-size 1280x720 --synthetic-fps 60 \
  --shm "$shm" --shm-size 32M --log warn &
pids+=($!)

if [ -n "${DISPLAY:-}" ] && xdpyinfo >/dev/null 2>&1; then
  echo "periscope demo: viewer on $DISPLAY (close the window, or ScrollLock+Q, to end)"
  "$viewer" --shm "$shm" --name demo --size 1280x720 --overlay
  exit 0
fi

# No display: a private X server, a screenshot, statistics.
for n in $(seq 140 199); do
  [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { display=":$n"; break; }
done
Xvfb "$display" -screen 0 1280x720x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  DISPLAY="$display" xdpyinfo >/dev/null 2>&1 && break
  sleep 0.05
done
echo "periscope demo: no display; running the viewer on a private Xvfb ($display) for ${seconds} s"
DISPLAY="$display" "$viewer" --shm "$shm" --name demo --size 1280x720 --overlay \
  --exit-after-seconds "$seconds" --screenshot "$out/viewer.png" --stats "$out/stats.json" \
  --log warn
echo "periscope demo: screenshot of what the viewer presented: $out/viewer.png"
echo "periscope demo: viewer statistics: $out/stats.json"
cat "$out/stats.json"
