#!/usr/bin/env bash
# Smoke test of the desktop VM: boots it, then checks the control channel (ready, ping, events,
# clipboard), SPICE (client mouse mode, guest agent, a click and keys reaching the test client,
# the clipboard both ways), the agent's session in the shm file, agent-stop/agent-start, and that
# poweroff leaves no QEMU and no sockets behind.
# usage: smoke-desktop-vm.sh [--build DIR (default build/dev)] [--accel auto|kvm|tcg] [--size WxH]
#        [--keep DIR (keep logs there)]
set -euo pipefail

here="$(dirname "$(readlink -f "$0")")"
repo="$(readlink -f "$here/../..")"
build="$repo/build/dev" accel=tcg size=1024x768 keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --accel) accel="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "smoke: unknown option $1" >&2; exit 2 ;;
  esac
done
agent="$build/src/agent/periscope-agent"
shm_tool="$build/tools/shm/periscope-shm"
for f in "$agent" "$shm_tool" "$build/tools/vm/guest/periscope-test-client"; do
  [ -x "$f" ] || { echo "smoke: $f missing: cmake --build $build --target periscope-agent periscope-shm periscope-test-client" >&2; exit 2; }
done
pkg-config --exists spice-client-glib-2.0 ||
  { echo "smoke: spice-client-glib-2.0 not found (install libspice-client-glib-2.0-dev)" >&2; exit 2; }

work="$(mktemp -d /tmp/periscope-smoke.XXXXXX)"
shm="/dev/shm/periscope-smoke-$$"
runner=""
finish() {
  if [ -n "$runner" ] && kill -0 "$runner" 2>/dev/null; then
    kill -TERM "$runner" 2>/dev/null || true
    wait "$runner" 2>/dev/null || true
  fi
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp -r "$work"/. "$keep"/; fi
  rm -rf "$work" "$shm"
}
trap finish EXIT

echo "smoke: building the probe" >&2
g++ -std=c++20 -O1 -Wall -Wextra -Werror -o "$work/periscope-vm-probe" "$here/vm_probe.cpp" \
  $(pkg-config --cflags spice-client-glib-2.0 | sed 's/-I/-isystem /g') \
  $(pkg-config --libs spice-client-glib-2.0)
probe="$work/periscope-vm-probe"

failures=0
ok() { echo "[smoke] ok   $*"; }
fail() { echo "[smoke] FAIL $*"; failures=$((failures + 1)); }

started=$SECONDS
"$here/run-desktop-vm.sh" --shm "$shm" --spice "$work/spice.sock" --control "$work/control.sock" \
  --agent "$agent" --size "$size" --accel "$accel" --log "$work/serial.log" --timeout 400 \
  --initrd-dir "${TMPDIR:-/tmp}/periscope-vm" 2> "$work/runner.log" &
runner=$!

if "$probe" --control "$work/control.sock" --spice "$work/spice.sock" --timeout 120 smoke \
     2> "$work/probe.log"; then
  ok "probe (boot to ready: see its first line)"
else
  fail "probe (log: $work/probe.log)"
fi

shm_state() { "$shm_tool" "$@" "$shm" 2>&1 || true; }
state="$(shm_state)"
grep -q '^producer *running' <<< "$state" && grep -q '^heartbeat.*alive' <<< "$state" &&
  ok "the agent's session is live in $shm ($(sed -n 's/^session *//p' <<< "$state"))" ||
  fail "no live agent session in $shm: $state"
session_before="$(sed -n 's/^session *//p' <<< "$state")"

ctl() { "$probe" --control "$work/control.sock" --timeout 30 send "$@" | tail -n +2; }
[ "$(ctl agent-stop)" = ok ] && grep -q '^producer *stopped' <<< "$(shm_state --no-wait)" &&
  ok "agent-stop: the session says stopped" || fail "agent-stop: $(shm_state --no-wait | sed -n '/^producer/p')"
[ "$(ctl agent-start)" = ok ] || fail "agent-start did not answer ok"
for _ in $(seq 1 60); do
  state="$(shm_state --no-wait)"
  grep -q '^producer *running' <<< "$state" &&
    [ "$(sed -n 's/^session *//p' <<< "$state")" != "$session_before" ] && break
  sleep 0.5
done
grep -q '^producer *running' <<< "$state" && ok "agent-start: a new session is running" ||
  fail "agent-start: $(sed -n '/^producer/p' <<< "$state")"
[ "$(ctl agent-kill)" = ok ] && ok "agent-kill" || fail "agent-kill"

ctl poweroff > /dev/null || true
status=0
for _ in $(seq 1 300); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$runner" 2>/dev/null; then
  fail "the VM did not power off within 30 s"
else
  wait "$runner" || status=$?
  runner=""
  [ $status -eq 0 ] && ok "poweroff: QEMU exited 0" || fail "poweroff: the runner exited $status"
  [ ! -e "$work/spice.sock" ] && [ ! -e "$work/control.sock" ] && ok "sockets removed" ||
    fail "sockets left behind"
  pgrep -f "mem-path=$shm," > /dev/null && fail "a QEMU for $shm still runs" || ok "no QEMU left"
fi
echo "[smoke] whole run: $((SECONDS - started)) s; runner: $(grep -E 'TCG|KVM' "$work/runner.log" | head -1)"
[ $failures -eq 0 ] || { echo "[smoke] $failures failure(s); serial console: $work/serial.log (use --keep DIR)"; exit 1; }
echo "[smoke] all passed"
