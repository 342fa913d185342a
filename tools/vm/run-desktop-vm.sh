#!/usr/bin/env bash
# Boots the desktop VM: the host's root over 9p (as run-guest.sh), Xorg with a test client and an
# xterm, spice-vdagent, periscope-agent on an ivshmem-plain BAR backed by --shm, SPICE on a unix
# socket for input, and a line-based control channel on a second unix socket
# (docs/design/vm-harness.md). QEMU runs in the foreground; the caller backgrounds this script.
#
# usage: run-desktop-vm.sh --shm FILE --spice SOCK --control SOCK --agent PATH
#          [--test-client PATH] [--shm-size BYTES] [--size WxH] [--accel auto|kvm|tcg]
#          [--log FILE] [--timeout S] [--memory MIB] [--initrd-dir DIR] [--agent-log LEVEL]
# Exit status: QEMU's (0 after the guest powered off), 124 after --timeout, 2 on usage or set-up
# errors. On SIGTERM/SIGINT/exit QEMU is stopped and the two sockets are removed; the shm file
# stays (the caller owns it).
set -euo pipefail

# Started with & from a script, bash ignores SIGINT, and a signal ignored on entry cannot be
# trapped: start again with it restored, so that SIGINT stops QEMU and cleans up as SIGTERM does.
sigign=$(sed -n 's/^SigIgn:\t//p' /proc/$$/status)
if [ $(( 0x$sigign & 2 )) -ne 0 ] && [ -z "${PERISCOPE_DESKTOP_VM_REEXEC:-}" ]; then
  PERISCOPE_DESKTOP_VM_REEXEC=1 exec env --default-signal=INT "$0" "$@"
fi

here="$(dirname "$(readlink -f "$0")")"
me=run-desktop-vm
usage() { sed -n '7,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "$me: $*" >&2; exit 2; }

shm="" spice="" control="" agent="" client="" shm_size="" size=1024x768 accel=auto log=""
timeout=0 memory=768 agent_log=info initrd_dir="${TMPDIR:-/tmp}/periscope-vm"
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || case "$1" in -h|--help) usage ;; *) die "$1 needs a value" ;; esac
  case "$1" in
    --shm) shm="$2" ;;
    --spice) spice="$2" ;;
    --control) control="$2" ;;
    --agent) agent="$2" ;;
    --test-client) client="$2" ;;
    --shm-size) shm_size="$2" ;;
    --size) size="$2" ;;
    --accel) accel="$2" ;;
    --log) log="$2" ;;
    --timeout) timeout="$2" ;;
    --memory) memory="$2" ;;
    --initrd-dir) initrd_dir="$2" ;;
    --agent-log) agent_log="$2" ;;
    *) die "unknown option $1 (--help)" ;;
  esac
  shift 2
done
[ -n "$shm" ] && [ -n "$spice" ] && [ -n "$control" ] && [ -n "$agent" ] ||
  die "--shm, --spice, --control and --agent are required (--help)"
[[ "$size" =~ ^([0-9]+)x([0-9]+)$ ]] || die "--size must be WxH, not $size"
width=${BASH_REMATCH[1]} height=${BASH_REMATCH[2]}
[[ "$timeout" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
case "$accel" in auto|kvm|tcg) ;; *) die "--accel must be auto, kvm or tcg" ;; esac
agent="$(readlink -f "$agent")"
[ -x "$agent" ] || die "agent $agent is not an executable (build periscope-agent)"
# The test client sits next to the agent in the same build tree unless told otherwise.
if [ -z "$client" ]; then
  client="$(dirname "$agent")/../../tools/vm/guest/periscope-test-client"
fi
if [ -x "$client" ]; then
  client="$(readlink -f "$client")"
else
  echo "$me: no test client at $client (build periscope-test-client): the guest runs without it" >&2
  client=""
fi
# The guest sees the host's root file system at the same paths, so these must not be on a
# file system the 9p export cannot show (they are not, unless under /dev/shm or /run).
case "$agent$client" in /dev/shm/*|/run/*) die "the agent and test client must not be under /dev/shm or /run (the guest has its own)" ;; esac

# --- what the guest needs from the host -----------------------------------------------------------
need() {  # need FILE-OR-COMMAND PACKAGE
  if [[ "$1" == /* ]]; then [ -e "$1" ]; else command -v "$1" > /dev/null; fi ||
    die "$1 not found (install $2)"
}
need qemu-system-x86_64 qemu-system-x86
need busybox busybox-static
need /usr/lib/xorg/Xorg xserver-xorg-core
need /usr/lib/xorg/modules/drivers/dummy_drv.so xserver-xorg-video-dummy
need /usr/lib/xorg/modules/input/libinput_drv.so xserver-xorg-input-libinput
need xterm xterm
need xdpyinfo x11-utils
need xclip xclip
need spice-vdagentd spice-vdagent
need base64 coreutils
ls /boot/vmlinuz-* > /dev/null 2>&1 || die "no kernel in /boot (install linux-image-amd64)"
kernel="$(ls -1 /boot/vmlinuz-* | sort -V | tail -1)"

# --- the shared memory file ------------------------------------------------------------------------
# docs/design/shm-protocol.md §8: control area + two cursor shape slots + 2 BGRA8 frames, rounded
# up to a power of two (QEMU's ivshmem wants one).
align4k() { echo $(( ($1 + 4095) / 4096 * 4096 )); }
required=$(( $(align4k $((4096 + 16 * 576 + 8 * 64 + 16 * 256 + 64 + 2 * 64))) +
             2 * $(align4k $((256 * 256 * 4))) + 2 * $(align4k $((width * 4 * height))) ))
pow2=$((1 << 20))
while [ $pow2 -lt "$required" ]; do pow2=$((pow2 * 2)); done
if [ -n "$shm_size" ]; then
  case "$shm_size" in *[kK]) shm_size=$(( ${shm_size%?} << 10 )) ;; *[mM]) shm_size=$(( ${shm_size%?} << 20 )) ;;
                      *[gG]) shm_size=$(( ${shm_size%?} << 30 )) ;; esac
  [[ "$shm_size" =~ ^[0-9]+$ ]] && [ $((shm_size & (shm_size - 1))) -eq 0 ] && [ "$shm_size" -ge $((1 << 20)) ] ||
    die "--shm-size must be a power of two of at least 1 MiB (QEMU's ivshmem), not $shm_size"
  [ "$shm_size" -ge "$required" ] ||
    echo "$me: warning: --shm-size $shm_size is below the $required bytes ${size} needs; the agent will say so" >&2
  truncate -s "$shm_size" "$shm" || die "cannot size $shm"
elif [ ! -e "$shm" ] || [ "$(stat -c %s "$shm")" -lt "$required" ] ||
     [ $(( $(stat -c %s "$shm") & ($(stat -c %s "$shm") - 1) )) -ne 0 ]; then
  truncate -s "$pow2" "$shm" || die "cannot create $shm"
fi
shm_bytes=$(stat -c %s "$shm")

# --- sockets: ours to create and to remove ----------------------------------------------------------
for sock in "$spice" "$control"; do
  if [ -S "$sock" ]; then
    echo "$me: removing the stale socket $sock" >&2
    rm -f "$sock"
  elif [ -e "$sock" ]; then
    die "$sock exists and is not a socket"
  fi
  mkdir -p "$(dirname "$sock")"
done
[ "$(readlink -f "$spice")" != "$(readlink -f "$control")" ] || die "--spice and --control must differ"

# --- accelerator -----------------------------------------------------------------------------------
# /dev/kvm may exist while nested KVM hangs or fails: boot the kernel with no root file system
# under KVM, which panics and (with -no-reboot) exits within a second or two when KVM works.
# The verdict is kept for the host's boot, since a failing probe costs its whole time limit.
probe_kvm() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || { why="no read/write access to /dev/kvm"; return 1; }
  local cache="$initrd_dir/kvm-probe" key
  key="$(cat /proc/sys/kernel/random/boot_id) $(stat -c %Y "$(command -v qemu-system-x86_64)")"
  if [ -f "$cache" ] && [ "$(head -1 "$cache")" = "$key" ]; then
    why="$(tail -1 "$cache") (cached for this boot in $cache)"
    [[ "$why" == works* ]]
    return
  fi
  local started=$SECONDS status=0
  timeout -s KILL 8 qemu-system-x86_64 -accel kvm -cpu host -m 128 -smp 1 -display none -nodefaults \
    -no-reboot -serial none -kernel "$kernel" -append "panic=-1 root=/dev/periscope-kvm-probe" \
    > /dev/null 2>&1 || status=$?
  if [ $status -eq 0 ]; then
    why="works: a probe VM booted and exited in $((SECONDS - started)) s"
  elif [ $status -eq 137 ]; then
    why="a probe VM under KVM did not finish within 8 s (nested KVM hangs)"
  else
    why="a probe VM under KVM failed (status $status)"
  fi
  mkdir -p "$initrd_dir" && printf '%s\n%s\n' "$key" "$why" > "$cache"
  [[ "$why" == works* ]]
}
why=""
case "$accel" in
  tcg) why="asked for (--accel tcg)" ;;
  kvm) why="asked for (--accel kvm)" ;;
  auto) if probe_kvm; then accel=kvm; else accel=tcg; fi ;;
esac
if [ "$accel" = kvm ]; then
  accel_args=(-accel kvm -cpu host -smp 2)
  echo "$me: KVM: $why" >&2
else
  accel_args=(-accel tcg -smp 1)
  echo "$me: TCG (software emulation): ${why:-no KVM}" >&2
fi

initrd="$("$here/build-initramfs.sh" "$initrd_dir")"
if [ -n "$log" ]; then
  serial=(-chardev "file,id=serial0,path=$log" -serial chardev:serial0)
else
  serial=(-chardev "file,id=serial0,path=/dev/stderr,append=on" -serial chardev:serial0)
fi
append="console=ttyS0 panic=-1 quiet periscope.script=$here/guest/desktop-session.sh"
append+=" periscope.size=$size periscope.agent=$agent periscope.agent_log=$agent_log"
[ -z "$client" ] || append+=" periscope.client=$client"
echo "$me: $kernel, ${size}, ivshmem-plain on $shm ($((shm_bytes >> 20)) MiB), SPICE on $spice, control on $control" >&2

qemu="" sockets_made=()
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$qemu" ] && kill -0 "$qemu" 2>/dev/null; then
    kill -TERM "$qemu" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$qemu" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$qemu" 2>/dev/null || true
    wait "$qemu" 2>/dev/null || true
  fi
  # Only the sockets this QEMU made: a later run may have put its own at the same path.
  for made in "${sockets_made[@]}"; do
    if [ -S "${made#* }" ] && [ "$(stat -c %i "${made#* }")" = "${made%% *}" ]; then
      rm -f "${made#* }"
    fi
  done
}
trap cleanup EXIT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT

# The VGA is never looked at (the picture comes from shared memory), but SPICE needs one display
# for client mouse mode, and scales client positions to that display's size before they reach the
# tablet: its mode must be the X screen's, or clicks land elsewhere. The guest loads bochs-drm,
# which takes the EDID's preferred mode (xres x yres).
vgamem=16
while [ $((vgamem << 20)) -lt $((width * height * 4 * 2)) ]; do vgamem=$((vgamem * 2)); done
# agent-mouse=off: with the guest agent connected, SPICE would otherwise send the mouse through
# spice-vdagent (uinput) instead of the tablet; the tablet is what the tests exercise, and it
# keeps client (absolute) mouse mode whether the agent runs or not.
qemu-system-x86_64 "${accel_args[@]}" -m "$memory" -display none -no-reboot -nodefaults \
  -vga none -device "VGA,edid=on,xres=$width,yres=$height,vgamem_mb=$vgamem" \
  "${serial[@]}" \
  -kernel "$kernel" -initrd "$initrd" -append "$append" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -object "memory-backend-file,id=periscope,share=on,mem-path=$shm,size=$shm_bytes" \
  -device ivshmem-plain,memdev=periscope \
  -spice "unix=on,addr=$spice,disable-ticketing=on,agent-mouse=off" \
  -device virtio-tablet-pci \
  -device virtio-serial-pci \
  -chardev spicevmc,id=vdagent,name=vdagent \
  -device virtserialport,chardev=vdagent,name=com.redhat.spice.0 \
  -chardev "socket,id=control,path=$control,server=on,wait=off" \
  -device virtserialport,chardev=control,name=org.periscope.control &
qemu=$!
# QEMU makes both sockets before the guest starts; remember which files they are.
for _ in $(seq 1 100); do
  [ -S "$spice" ] && [ -S "$control" ] && break
  kill -0 "$qemu" 2>/dev/null || break
  sleep 0.05
done
for sock in "$spice" "$control"; do
  [ -S "$sock" ] && sockets_made+=("$(stat -c %i "$sock") $sock")
done

status=0
if [ "$timeout" -gt 0 ]; then
  deadline=$((SECONDS + timeout))
  while kill -0 "$qemu" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do sleep 0.2; done
  if kill -0 "$qemu" 2>/dev/null; then
    echo "$me: guest still running after ${timeout}s: stopped" >&2
    cleanup
    exit 124
  fi
fi
# wait returns early when a trapped signal arrives; the trap then cleans up and exits.
wait "$qemu" || status=$?
qemu=""
cleanup
exit $status
