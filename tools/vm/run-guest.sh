#!/usr/bin/env bash
# Boots the test guest: ivshmem-plain backed by a /dev/shm file, the host root over 9p, a script.
# usage: run-guest.sh --shm FILE --script FILE --log FILE [--timeout SECONDS] [--initrd-dir DIR]
# Exit status: QEMU's, or 124 if the guest did not power off in time (QEMU is then killed).
set -euo pipefail

here="$(dirname "$(readlink -f "$0")")"
shm="" script="" log="" timeout=180 initrd_dir="${TMPDIR:-/tmp}/periscope-vm"
while [ $# -gt 0 ]; do
  case "$1" in
    --shm) shm="$2"; shift 2 ;;
    --script) script="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --initrd-dir) initrd_dir="$2"; shift 2 ;;
    *) echo "run-guest: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$shm" ] && [ -n "$script" ] && [ -n "$log" ] || { echo "run-guest: --shm, --script and --log are required" >&2; exit 2; }
[ -f "$shm" ] || { echo "run-guest: $shm does not exist" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "run-guest: qemu-system-x86_64 not found (install qemu-system-x86)" >&2; exit 2; }

size=$(stat -c %s "$shm")
initrd="$("$here/build-initramfs.sh" "$initrd_dir")"
kernel="$(ls -1 /boot/vmlinuz-* | sort -V | tail -1)"
echo "run-guest: $kernel, TCG (software emulation), ivshmem-plain on $shm ($((size >> 20)) MiB)" >&2

qemu-system-x86_64 -accel tcg -m 512 -smp 1 -display none -no-reboot -nodefaults \
  -serial "file:$log" \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet periscope.script=$script" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -object "memory-backend-file,id=periscope,share=on,mem-path=$shm,size=$size" \
  -device ivshmem-plain,memdev=periscope &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
for _ in $(seq 1 $((timeout * 10))); do
  if ! kill -0 $qemu 2>/dev/null; then
    wait $qemu
    exit $?
  fi
  sleep 0.1
done
echo "run-guest: guest still running after ${timeout}s: killed" >&2
kill $qemu 2>/dev/null || true
wait $qemu 2>/dev/null || true
exit 124
