#!/usr/bin/env bash
# ./x demo: boots the demo VM (tools/vm/run-desktop-vm.sh: QEMU with ivshmem and SPICE, Xorg, an
# xterm, the test picture, spice-vdagent and periscope-agent in the guest) and opens
# periscope-viewer on its desktop, ready to type into. With a display ($DISPLAY that answers) the
# window stays until you close it; without one, a private Xvfb runs the viewer, the demo types a
# line into the guest's xterm and prints where the screenshots are. On the way out the guest is
# powered off, and QEMU, the sockets and the shared memory file are gone.
#
# usage: vm-demo.sh BUILD_DIR [SECONDS]   (SECONDS: how long the headless demo runs, default 20)
set -euo pipefail
build="$1"
seconds="${2:-20}"
repo="$(dirname "$(readlink -f "$0")")/../.."
agent="$build/src/agent/periscope-agent"
viewer="$build/src/viewer/periscope-viewer"
client="$build/tools/vm/guest/periscope-test-client"
for f in "$agent" "$viewer" "$client"; do
  [ -x "$f" ] || { echo "periscope demo: $f is missing (./x build release)" >&2; exit 1; }
done
shm="/dev/shm/periscope-demo-$$"
work="$(mktemp -d /tmp/periscope-demo.XXXXXX)"
out="${PERISCOPE_DEMO_DIR:-/tmp}/periscope-demo-$$"
mkdir -p "$out"
vm="" viewer_pid="" xvfb=""
cleanup() {
  [ -n "$viewer_pid" ] && kill "$viewer_pid" 2>/dev/null || true
  if [ -n "$vm" ] && kill -0 "$vm" 2>/dev/null; then
    # A clean power-off first (the guest stops its agent); the runner kills QEMU otherwise.
    python3 - "$work/control.sock" <<'PY' 2>/dev/null || true
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(b"poweroff\n"); s.recv(64)
PY
    for _ in $(seq 100); do kill -0 "$vm" 2>/dev/null || break; sleep 0.1; done
    kill "$vm" 2>/dev/null || true
  fi
  [ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work" "$shm"
}
trap cleanup EXIT INT TERM

echo "periscope demo: booting the demo VM (QEMU; the first boot builds its initramfs)"
"$repo/tools/vm/run-desktop-vm.sh" --shm "$shm" --spice "$work/spice.sock" \
  --control "$work/control.sock" --agent "$agent" --test-client "$client" --size 1024x768 \
  --log "$out/serial.log" 2> "$out/vm.log" &
vm=$!
# The guest says "ready WxH" on the control channel once X, the agent and the picture are up.
if ! python3 - "$work/control.sock" <<'PY'; then
import socket, sys, time
path, deadline = sys.argv[1], time.time() + 240
while True:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); break
    except OSError:
        if time.time() > deadline: sys.exit("no control socket")
        time.sleep(0.2)
s.settimeout(max(1, deadline - time.time()))
line = s.makefile().readline().strip()
print("periscope demo: guest " + line)
sys.exit(0 if line.startswith("ready") else 1)
PY
  echo "periscope demo: the VM did not come up; its log: $out/vm.log, console: $out/serial.log" >&2
  tail -5 "$out/vm.log" >&2
  exit 1
fi
grep -m1 -E "accel|KVM|TCG" "$out/vm.log" | sed 's/^/periscope demo: /' || true

viewer_args=(--shm "$shm" --spice "unix:$work/spice.sock" --name "demo VM" --fit-guest)
if [ -n "${DISPLAY:-}" ] && xdpyinfo >/dev/null 2>&1; then
  echo "periscope demo: viewer on $DISPLAY. Click in the picture to type into the guest;"
  echo "  ScrollLock releases the keyboard and mouse, ScrollLock+Q quits (the VM is powered off)."
  "$viewer" "${viewer_args[@]}"
  exit 0
fi

for n in $(seq 140 199); do
  [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { display=":$n"; break; }
done
Xvfb "$display" -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
for _ in $(seq 100); do DISPLAY="$display" xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done
echo "periscope demo: no display; the viewer runs on a private Xvfb ($display) for ${seconds} s"
DISPLAY="$display" LP_NUM_THREADS="${LP_NUM_THREADS:-}" "$viewer" "${viewer_args[@]}" \
  --screenshot "$out/viewer.png" --stats "$out/stats.json" --exit-after-seconds "$seconds" \
  --log warn &
viewer_pid=$!
# Type a line into the guest's xterm through the viewer window, as a user would.
sleep 4
if command -v xdotool >/dev/null; then
  win=$(DISPLAY="$display" xdotool search --name Periscope | head -1 || true)
  if [ -n "$win" ]; then
    # The pointer over the guest's xterm first: the guest's keyboard focus follows its pointer.
    DISPLAY="$display" xdotool windowfocus --sync "$win" mousemove --window "$win" 300 600 || true
    sleep 1
    DISPLAY="$display" xdotool type --delay 60 \
      "echo typed on the host, run in the guest: \$(uname -r)" || true
    DISPLAY="$display" xdotool key Return || true
  fi
fi
cp "$out/viewer.png" "$out/viewer-typed.png" 2>/dev/null || true
wait "$viewer_pid" || true
viewer_pid=""
echo "periscope demo: screenshot of what the viewer presented: $out/viewer.png"
echo "periscope demo: viewer statistics: $out/stats.json; VM console: $out/serial.log"
