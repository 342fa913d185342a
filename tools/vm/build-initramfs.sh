#!/usr/bin/env bash
# Builds a busybox initramfs that mounts the host's root over 9p and runs periscope.script=PATH.
# usage: build-initramfs.sh OUT_DIR   (prints OUT_DIR/initrd.gz; reuses it while it is current)
set -euo pipefail

out="${1:?usage: build-initramfs.sh OUT_DIR}"
self="$(readlink -f "$0")"
kernel="$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1 || true)"
[ -n "$kernel" ] || { echo "build-initramfs: no kernel in /boot (install linux-image-amd64)" >&2; exit 2; }
kver="${kernel#/boot/vmlinuz-}"
busybox="$(command -v busybox || true)"
[ -n "$busybox" ] || { echo "build-initramfs: busybox not found (install busybox-static)" >&2; exit 2; }
mkdir -p "$out"
initrd="$out/initrd.gz"
if [ -f "$initrd" ] && [ "$initrd" -nt "$self" ] && [ "$initrd" -nt "$kernel" ]; then
  echo "$initrd"
  exit 0
fi

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"/{bin,dev,proc,sys,newroot,mods}
cp "$busybox" "$staging/bin/busybox"
# Load order matters: each module after the ones it depends on.
modules=(fs/netfs/netfs fs/fscache/fscache net/9p/9pnet fs/9p/9p drivers/virtio/virtio_ring
         drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
         drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/9p/9pnet_virtio
         fs/overlayfs/overlay
         # the desktop VM: input event devices, the virtio tablet, virtio-serial ports
         # (spice-vdagent, the control channel), uinput (spice-vdagentd opens it)
         drivers/input/evdev drivers/virtio/virtio_input drivers/char/virtio_console
         drivers/input/misc/uinput)
: > "$staging/mods/order"
for m in "${modules[@]}"; do
  src="/lib/modules/$kver/kernel/$m.ko"
  if [ -f "$src" ]; then
    cp "$src" "$staging/mods/"
    basename "$src" >> "$staging/mods/order"
  elif [ -f "$src.xz" ]; then
    xz -dc "$src.xz" > "$staging/mods/$(basename "$src")"
    basename "$src" >> "$staging/mods/order"
  fi  # else built into the kernel
done

cat > "$staging/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod "/mods/$m" || echo "init: insmod $m failed"; done
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /newroot; then
  echo "init: cannot mount the host root over 9p"; poweroff -f
fi
# /tmp: writable, yet showing the host's /tmp (a build tree may live there): an overlay with the
# host's /tmp read-only below and a tmpfs on top. Plain tmpfs if overlayfs refuses.
mkdir -p /rw && mount -t tmpfs rw /rw && mkdir -p /rw/upper /rw/work /rw/lower
if mount --bind /newroot/tmp /rw/lower 2>/dev/null &&
   mount -t overlay overlay -o lowerdir=/rw/lower,upperdir=/rw/upper,workdir=/rw/work /newroot/tmp; then
  :
else
  echo "init: overlay on /tmp failed; the host's /tmp is hidden in the guest"
  mount -t tmpfs tmp /newroot/tmp
fi
mount -t tmpfs run /newroot/run
mount -t proc proc /newroot/proc; mount -t sysfs sys /newroot/sys; mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/shm /newroot/dev/pts
mount -t tmpfs shm /newroot/dev/shm; mount -t devpts devpts /newroot/dev/pts
script=$(sed -n 's/.*periscope\.script=\([^ ]*\).*/\1/p' /proc/cmdline)
echo "init: guest up, running ${script:-nothing}"
if [ -n "$script" ]; then
  chroot /newroot /bin/sh "$script"
  echo "init: script exited with status $?"
fi
poweroff -f
INIT
chmod +x "$staging/init"
(cd "$staging" && find . | cpio -o -H newc --quiet | gzip -1 > "$initrd.tmp")
mv "$initrd.tmp" "$initrd"
echo "$initrd"
