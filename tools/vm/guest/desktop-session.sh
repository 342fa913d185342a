#!/bin/bash
# The desktop VM's session, run as root in the chroot of the host's root file system (see
# tools/vm/build-initramfs.sh and docs/design/vm-harness.md): Xorg (dummy video, libinput on the
# kernel's evdev devices), the test client, an xterm, spice-vdagentd + spice-vdagent, the
# periscope-agent on the ivshmem BAR, then the control loop on the virtio-serial port
# org.periscope.control. Output goes to the serial console (run-desktop-vm.sh --log).
#
# Kernel command line: periscope.size=WxH periscope.agent=PATH [periscope.client=PATH]
# [periscope.agent_log=LEVEL]
[ -n "${BASH_VERSION:-}" ] || exec /bin/bash "$0" "$@"  # the init starts us with /bin/sh
set -uo pipefail  # no -e: the control loop must survive a failing command

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp/home LANG=C.UTF-8 DISPLAY=:0
# GTK (spice-vdagent) would look for the accessibility bus on a D-Bus session that is not there.
export NO_AT_BRIDGE=1 GDK_BACKEND=x11
work=/tmp/periscope-desktop
events_file=/tmp/test-client.log

started=$(cut -d' ' -f1 /proc/uptime)
say() { echo "desktop [$(cut -d' ' -f1 /proc/uptime)s]: $*"; }
die() {
  say "FATAL: $*"
  exit 1
}

param() { sed -n "s/.*periscope\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
size=$(param size)
agent=$(param agent)
client=$(param client)
agent_log=$(param agent_log)
[[ "$size" =~ ^([0-9]+)x([0-9]+)$ ]] || die "periscope.size=WxH missing from the kernel command line"
width=${BASH_REMATCH[1]} height=${BASH_REMATCH[2]}

# --- writable places the root file system (read-only 9p) does not give ---------------------------
mkdir -p "$work" "$HOME"
for dir in /var/log /var/lib/xkb /var/tmp /var/lib/dbus; do
  [ -d "$dir" ] && mount -t tmpfs tmpfs "$dir"
done
mkdir -p /run/udev/data /run/spice-vdagentd /run/dbus /tmp/.X11-unix /tmp/.ICE-unix /dev/virtio-ports
chmod 1777 /tmp/.X11-unix /tmp/.ICE-unix

# --- virtio-serial ports: the names udev would give them ------------------------------------------
for port in /sys/class/virtio-ports/*; do
  [ -e "$port/name" ] || continue
  name=$(cat "$port/name")
  [ -n "$name" ] && ln -sf "../${port##*/}" "/dev/virtio-ports/$name"
done
control=/dev/virtio-ports/org.periscope.control
[ -e "$control" ] || die "no virtio-serial port org.periscope.control ($(ls /sys/class/virtio-ports 2>&1))"

# --- the VGA's mode: the SPICE display (and so the tablet's scale) must match the X screen ----------
# bochs-drm sets the EDID's preferred mode, which the runner made WxH. The modules come from the
# host's /lib/modules: the guest runs the same Debian kernel.
modprobe bochs || say "modprobe bochs failed: SPICE mouse positions will be scaled wrongly"
for _ in $(seq 1 50); do [ -e /sys/class/graphics/fb0/virtual_size ] && break; sleep 0.1; done
say "VGA framebuffer: $(cat /sys/class/graphics/fb0/virtual_size 2>/dev/null || echo none)"

# --- input devices -------------------------------------------------------------------------------
# No udevd: libinput still asks libudev whether a device is an initialised input device and what
# kind, and libudev answers from /run/udev/data. Write the entries udev's input_id would.
keyboard="" tablet=""
for dev in /sys/class/input/event*; do
  [ -e "$dev/device/name" ] || continue
  name=$(cat "$dev/device/name")
  node=/dev/input/${dev##*/}
  majmin=$(cat "$dev/dev")
  case "$name" in
    *"AT Translated Set 2 keyboard"*) keyboard=$node
      printf 'I:1\nE:ID_INPUT=1\nE:ID_INPUT_KEY=1\nE:ID_INPUT_KEYBOARD=1\n' > "/run/udev/data/c$majmin" ;;
    *Tablet*) tablet=$node
      printf 'I:1\nE:ID_INPUT=1\nE:ID_INPUT_MOUSE=1\n' > "/run/udev/data/c$majmin" ;;
  esac
  say "input $node: $name"
done
[ -n "$keyboard" ] || die "no PS/2 keyboard event device (is evdev loaded?)"
[ -n "$tablet" ] || die "no tablet event device (virtio-tablet-pci and virtio_input loaded?)"

# --- Xorg: dummy video at WxH, libinput on the two devices ---------------------------------------
# A mode with short blanking; the dummy driver only checks it against the monitor ranges and its
# 300 MHz clock limit, so lower the refresh for very large sizes. The vertical sync starts 4 lines
# below the picture, not 3: Xorg takes the exact CVT reduced-blanking timings for a reduced-blanking
# mode and refuses it ("monitor doesn't support reduced blanking").
htotal=$((width + 160)) vtotal=$((height + 30))
refresh=60
while [ $((htotal * vtotal * refresh)) -gt 300000000 ] && [ $refresh -gt 10 ]; do refresh=$((refresh - 5)); done
clock_khz=$((htotal * vtotal * refresh / 1000))
modeline="\"${width}x${height}\" $((clock_khz / 1000)).$(printf %03d $((clock_khz % 1000))) $width $((width + 48)) $((width + 80)) $htotal $height $((height + 4)) $((height + 10)) $vtotal +hsync -vsync"
cat > "$work/xorg.conf" <<EOF
# GLX would load Mesa's software renderer: 2.5 s under TCG, for nothing anyone here uses.
Section "Module"
  Disable "glx"
EndSection
Section "ServerFlags"
  Option "AutoAddDevices" "false"
  Option "AutoEnableDevices" "false"
  Option "AutoAddGPU" "false"
  Option "AutoBindGPU" "false"
  Option "DontVTSwitch" "true"
  Option "BlankTime" "0"
  Option "StandbyTime" "0"
  Option "SuspendTime" "0"
  Option "OffTime" "0"
EndSection
Section "InputDevice"
  Identifier "keyboard"
  Driver "libinput"
  Option "Device" "$keyboard"
  Option "XkbRules" "evdev"
  Option "XkbModel" "pc105"
  Option "XkbLayout" "us"
EndSection
Section "InputDevice"
  Identifier "tablet"
  Driver "libinput"
  Option "Device" "$tablet"
  # SPICE's position reaches the tablet scaled by QEMU to 0..32767 with truncation, and libinput
  # and the server truncate again: a click sent at x lands at x-1 about half the time. Half a pixel
  # of offset makes every step round to the pixel the client meant.
  Option "TransformationMatrix" "1 0 $(awk -v w="$width" 'BEGIN{printf "%.9f", 0.5 / w}') 0 1 $(awk -v h="$height" 'BEGIN{printf "%.9f", 0.5 / h}') 0 0 1"
EndSection
Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam $(( (width * height * 4 * 2 + 1023) / 1024 + 4096 ))
EndSection
Section "Monitor"
  Identifier "monitor"
  HorizSync 5.0-1000.0
  VertRefresh 5.0-200.0
  Modeline $modeline
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "monitor"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Modes "${width}x${height}"
    Virtual $width $height
  EndSubSection
EndSection
Section "ServerLayout"
  Identifier "layout"
  Screen "screen"
  InputDevice "keyboard" "CoreKeyboard"
  InputDevice "tablet" "CorePointer"
EndSection
EOF

pids=()
stop_all() {
  [ -n "${agent_pid:-}" ] && kill -TERM "$agent_pid" 2>/dev/null
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
}
trap stop_all EXIT

say "starting Xorg ${width}x${height}"
/usr/lib/xorg/Xorg :0 -config "$work/xorg.conf" -logfile "$work/Xorg.0.log" -nolisten tcp \
  -noreset -novtswitch -sharevts vt1 > "$work/Xorg.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do
  xdpyinfo > /dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/Xorg.out"; grep -E '\(EE\)' "$work/Xorg.0.log"; die "Xorg exited"; }
  sleep 0.1
done
xdpyinfo > /dev/null 2>&1 || die "Xorg did not answer within 60 s"
say "Xorg up: $(xdpyinfo | sed -n 's/^ *dimensions: *//p')"
grep -E '\(EE\)|libinput: .*(added|not tagged|never initialized)|Adding input device' "$work/Xorg.0.log" | sed 's/^/desktop: Xorg: /'

# --- X clients -----------------------------------------------------------------------------------
: > "$events_file"
if [ -n "$client" ] && [ -x "$client" ]; then
  "$client" --log "$events_file" > "$work/test-client.out" 2>&1 &
  pids+=($!)
else
  say "no test client (periscope.client=${client:-unset}): events stay empty"
fi
# Below the test client's window (64,64 512x384), so neither covers the other.
xterm -geometry 80x20+8+460 -fa Monospace -fs 10 > "$work/xterm.out" 2>&1 &
pids+=($!)

# --- clipboard agent: spice-vdagentd (system part) + spice-vdagent (X session part) -------------
if [ -e /dev/virtio-ports/com.redhat.spice.0 ]; then
  # -X: no systemd-logind/ConsoleKit to ask which session is active; -x: stay in the foreground
  # so we can stop it. uinput is only used for the agent mouse, which the runner disables.
  spice-vdagentd -x -X > "$work/spice-vdagentd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do [ -S /run/spice-vdagentd/spice-vdagent-sock ] && break; sleep 0.1; done
  spice-vdagent -x > "$work/spice-vdagent.log" 2>&1 &
  pids+=($!)
else
  say "no com.redhat.spice.0 port: no clipboard agent"
fi

# --- periscope-agent on the ivshmem BAR ----------------------------------------------------------
agent_pid=""
agent_running() { [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; }
start_agent() {
  agent_running && return 0
  "$agent" --capture x11 --display :0 --log "${agent_log:-info}" >> /tmp/periscope-agent.log 2>&1 &
  agent_pid=$!
}
# Waits up to 5 s for the agent to exit (bash reaps it), then kills it.
wait_agent_exit() {
  for _ in $(seq 1 50); do agent_running || return 0; sleep 0.1; done
  kill -KILL "$agent_pid" 2>/dev/null
  sleep 0.1
}
if [ -n "$agent" ] && [ -x "$agent" ]; then
  start_agent
else
  say "no agent (periscope.agent=${agent:-unset})"
fi

# Everything is up once the agent published its session (or gave up) and the client mapped.
for _ in $(seq 1 300); do
  { [ -z "$client" ] || grep -q mapped "$work/test-client.out" 2>/dev/null; } &&
    { [ -z "$agent_pid" ] || grep -q -E 'publishing|error' /tmp/periscope-agent.log 2>/dev/null ||
      ! agent_running; } && break
  sleep 0.1
done
sed 's/^/desktop: agent: /' /tmp/periscope-agent.log
say "ready ${width}x${height} (session up in $(awk -v a="$started" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN{printf "%.1f", b-a}') s)"

# --- control loop ----------------------------------------------------------------------------------
events_seen=0
reply() { printf '%s\n' "$*" >&3; }
handle() {
  local command=${1%% *} argument=""
  [[ "$1" == *" "* ]] && argument=${1#* }
  case "$command" in
    ping) reply pong ;;
    status) reply "ready ${width}x${height}" ;;
    events)
      local total
      total=$(wc -l < "$events_file")
      if [ "$total" -gt "$events_seen" ]; then
        sed -n "$((events_seen + 1)),${total}p" "$events_file" | sed 's/^/event /' >&3
      fi
      events_seen=$total
      reply end ;;
    agent-kill) agent_running && kill -KILL "$agent_pid"; wait_agent_exit; reply ok ;;
    agent-stop) agent_running && kill -TERM "$agent_pid"; wait_agent_exit; reply ok ;;
    agent-start) start_agent; reply ok ;;
    clipboard-set)
      if ! printf '%s' "$argument" | base64 -d > "$work/clipboard-in" 2>/dev/null; then
        reply "error clipboard-set: bad base64"
        return
      fi
      # xclip stays in the background to serve the selection: it must not hold the port open.
      xclip -selection clipboard -t UTF8_STRING -i "$work/clipboard-in" 3>&- 2>>"$work/xclip.log"
      reply ok ;;
    clipboard-get)
      # The owner may be spice-vdagent asking the SPICE client: do not wait for ever.
      reply "clipboard $(timeout 5 xclip -selection clipboard -t UTF8_STRING -o 3>&- 2>/dev/null | base64 -w0)" ;;
    logs)
      # For a failing test: every log of the session onto the serial console (run-desktop-vm.sh
      # --log), where the host can read it.
      for f in "$work"/*.log "$work"/*.out /tmp/periscope-agent.log; do
        [ -f "$f" ] && sed "s|^|log ${f##*/}: |" "$f"
      done
      reply ok ;;
    poweroff) reply ok; say "poweroff requested"; exit 0 ;;
    "") ;;
    *) reply "error unknown command: $command" ;;
  esac
}

exec 3<> "$control" || die "cannot open $control"
announced=false pending=""
while true; do
  # read -t: a line, a timeout (status > 128: the host is connected and quiet), or end of file
  # (the host is not connected: the port reads as hung up).
  if IFS= read -r -t 1 line <&3; then
    $announced || { reply "ready ${width}x${height}"; announced=true; }
    handle "$pending$line"
    pending=""
  elif [ $? -gt 128 ]; then
    pending+=$line  # a partial line before the timeout: the rest follows
    $announced || { reply "ready ${width}x${height}"; announced=true; }
  else
    announced=false pending=""
    sleep 0.2
  fi
done
