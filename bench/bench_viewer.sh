#!/usr/bin/env bash
# ./x bench viewer, part 2: frame age from the agent's capture to the viewer's buffer swap, with
# the synthetic agent at 60 frames a second on this machine (same clock), at 1080p and 4K, on a
# private Xvfb with Mesa llvmpipe. The viewer's own statistics (--stats) give p50/p99 and drops.
#
# usage: bench_viewer.sh BUILD_DIR [SECONDS]
set -euo pipefail
build="$1"
seconds="${2:-10}"
agent="$build/src/agent/periscope-agent"
viewer="$build/src/viewer/periscope-viewer"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f /dev/shm/periscope-bench-viewer-$$
}
trap cleanup EXIT INT TERM
for n in $(seq 150 199); do
  [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { display=":$n"; break; }
done
Xvfb "$display" -screen 0 3840x2160x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do DISPLAY="$display" xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done

echo "viewer frame age (synthetic agent at 60 fps -> periscope-viewer, Xvfb + llvmpipe, ${seconds} s each)"
for size in 1920x1080 3840x2160; do
  shm=/dev/shm/periscope-bench-viewer-$$
  rm -f "$shm"
  "$agent" --capture synthetic --synthetic-size "$size" --synthetic-fps 60 --no-synthetic-cursor \
    --shm "$shm" --shm-size 160M --log warn &
  apid=$!
  sleep 0.5
  stats=$(DISPLAY="$display" "$viewer" --shm "$shm" --size "$size" --scale no-upscale \
    --exit-after-seconds "$seconds" --stats - --log warn 2>/dev/null | tail -1)
  kill "$apid"; wait "$apid" 2>/dev/null || true
  echo "  $size: $stats"
done
