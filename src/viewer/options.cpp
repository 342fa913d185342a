#include "viewer/options.h"

#include "core/format.h"

namespace periscope::viewer {
namespace {

constexpr const char* VERSION = "periscope-viewer 0.1.0 (protocol 1.0)";

std::string set_option(const std::string& key, const std::string& value, ViewerOptions* o) {
    if (key == "shm") {
        if (value.empty()) {
            return "wants a file, e.g. /dev/shm/periscope";
        }
        o->shm = value;
    } else if (key == "name") {
        o->name = value;
    } else if (key == "renderer") {
        bool known = false;
        for (const RendererBackend& b : renderer_backends()) {
            known = known || value == b.name;
        }
        if (!known) {
            return "wants gl or null";
        }
        o->renderer = value;
    } else if (key == "scale") {
        const auto mode = parse_scale_mode(value);
        if (!mode) {
            return "wants aspect, stretch, integer or no-upscale";
        }
        o->scale = *mode;
    } else if (key == "filter") {
        if (value != "linear" && value != "nearest") {
            return "wants linear or nearest";
        }
        o->filter = value == "linear" ? Filter::Linear : Filter::Nearest;
    } else if (key == "vsync" || key == "fullscreen" || key == "borderless" || key == "fit-guest" ||
               key == "overlay") {
        bool* target = key == "vsync"        ? &o->vsync
                       : key == "fullscreen" ? &o->fullscreen
                       : key == "borderless" ? &o->borderless
                       : key == "fit-guest"  ? &o->fit_guest
                                             : &o->overlay;
        if (!options::parse_bool(value, target)) {
            return "wants true or false";
        }
    } else if (key == "size") {
        if (!options::parse_resolution(value, &o->width, &o->height) || o->width > 16384 ||
            o->height > 16384) {
            return "wants WIDTHxHEIGHT, each 1..16384";
        }
    } else if (key == "escape-key") {
        if (value.empty()) {
            return "wants an SDL key name, e.g. ScrollLock, Right Ctrl, F12";
        }
        o->escape_key = value;
    } else if (key == "screenshot") {
        o->screenshot = value;
    } else if (key == "exit-after") {
        uint32_t n = 0;
        if (!options::parse_u32(value, &n)) {
            return "wants a number of frames (0: never)";
        }
        o->exit_after = n;
    } else if (key == "exit-after-seconds") {
        if (!options::parse_double(value, &o->exit_after_seconds) || o->exit_after_seconds < 0) {
            return "wants a number of seconds (0: never)";
        }
    } else if (key == "stats") {
        o->stats = value;
    } else if (key == "log") {
        if (value != "debug" && value != "info" && value != "warn" && value != "error") {
            return "wants debug, info, warn or error";
        }
        o->log = value;
    } else if (key == "spice") {
        std::string error;
        auto target = parse_spice_target(value, &error);
        if (!target) {
            return error.substr(error.find(": ") + 2);
        }
        o->spice = *target;
    } else if (key == "spice-password") {
        o->spice_password = value;
    } else if (key == "spice-ca-file") {
        o->spice_ca_file = value;
    } else if (key == "capture-on") {
        const auto mode = parse_capture_on(value);
        if (!mode) {
            return "wants click, focus or manual";
        }
        o->capture_on = *mode;
    } else if (key == "clipboard" || key == "clipboard-to-guest" || key == "clipboard-to-host") {
        bool on = true;
        if (!options::parse_bool(value, &on)) {
            return "wants true or false";
        }
        if (key != "clipboard-to-host") {
            o->clipboard_to_guest = on;
        }
        if (key != "clipboard-to-guest") {
            o->clipboard_to_host = on;
        }
    } else {
        return "is not an option";
    }
    return {};
}

constexpr std::string_view NAMES[] = {"shm",
                                      "name",
                                      "renderer",
                                      "scale",
                                      "filter",
                                      "vsync",
                                      "no-vsync",
                                      "fullscreen",
                                      "borderless",
                                      "size",
                                      "fit-guest",
                                      "escape-key",
                                      "overlay",
                                      "screenshot",
                                      "exit-after",
                                      "exit-after-seconds",
                                      "stats",
                                      "log",
                                      "spice",
                                      "spice-password",
                                      "spice-ca-file",
                                      "capture-on",
                                      "clipboard",
                                      "no-clipboard",
                                      "clipboard-to-guest",
                                      "no-clipboard-to-guest",
                                      "clipboard-to-host",
                                      "no-clipboard-to-host"};
constexpr std::string_view SWITCHES[] = {
    "vsync",   "fullscreen", "borderless",         "fit-guest",
    "overlay", "clipboard",  "clipboard-to-guest", "clipboard-to-host"};

options::OptionSet option_set(ViewerOptions* o) {
    return options::OptionSet{"viewer",
                              VERSION,
                              viewer_help_text,
                              NAMES,
                              SWITCHES,
                              {},
                              [o](const std::string& key, const std::string& value) {
                                  return set_option(key, value, o);
                              }};
}

}  // namespace

Result<ViewerOptions, OptionsError> parse_viewer_options(const std::vector<std::string>& args,
                                                         const Environment& environment,
                                                         std::string* message) {
    ViewerOptions o;
    auto config = options::parse(args, environment, option_set(&o), message);
    if (!config) {
        return fail(config.error());
    }
    o.config_file = *config;
    return o;
}

std::string viewer_help_text() {
    return R"(usage: periscope-viewer [options]

Shows the display of a virtual machine that a Periscope agent inside it writes into shared
memory (ivshmem): on the host, the file QEMU maps as the guest's ivshmem device.

Where to read:
  --shm PATH              the shared memory file (default /dev/shm/periscope)
  --name TEXT             the guest's name in the window title (default: the file name)

Picture:
  --scale MODE            aspect (default: as large as fits, aspect ratio kept), stretch (fill
                          the window), integer (whole multiples only), no-upscale (never
                          larger than the guest's pixels)
  --filter F              linear (default) or nearest
  --no-vsync              present as soon as a frame is there (default: wait for vertical sync)
  --renderer NAME         gl (default: OpenGL 3.3) or null (draws nothing; tests)

Window:
  --size WxH              initial window size (default 1280x720)
  --fit-guest             size the window to the guest's resolution whenever it changes
  --fullscreen            start full screen
  --borderless            start without window decorations
  --overlay               show the statistics overlay from the start
  --escape-key NAME       the key that starts viewer key combinations (default ScrollLock;
                          an SDL key name such as "Right Ctrl" or F12); see "Keys" below

Input (keyboard, mouse, clipboard) through QEMU's SPICE server:
  --spice TARGET          where the SPICE server listens: unix:PATH (QEMU's
                          -spice unix=on,addr=PATH), HOST:PORT, spice+unix:///PATH or
                          spice://HOST?port=P&tls-port=T; none (default) = picture only
  --spice-password TEXT   the SPICE ticket (or set PERISCOPE_SPICE_PASSWORD, which ps cannot see)
  --spice-ca-file FILE    CA certificate for a TLS port (default: the system's)
  --capture-on WHEN       click (default: a click in the picture captures), focus, manual
                          (only the escape key captures)
  --no-clipboard          do not share the clipboard at all; or one direction only:
  --no-clipboard-to-guest, --no-clipboard-to-host

For tests and scripts:
  --screenshot FILE       write a PNG of what was last presented (rewritten at most every
                          100 ms while frames come, and at exit)
  --exit-after N          exit after presenting N frames
  --exit-after-seconds S  exit after S seconds
  --stats FILE            write statistics as JSON at exit ("-": standard output)

Other:
  --config FILE           read options from FILE (TOML) instead of the default places:
                          $XDG_CONFIG_HOME/periscope/viewer.toml (~/.config/...), then
                          $XDG_CONFIG_DIRS/periscope/viewer.toml (/etc/xdg/...)
  --log LEVEL             debug, info (default), warn or error
  -h, --help              this text
  --version               version

Every option can also be written --name=value, and negated switches as --no-NAME. The config
file uses the same names as keys (scale = "integer", vsync = false, size = "1920x1080").

Keys: the escape key alone turns input capture on and off (in capture, the mouse and keys
such as Alt-Tab go to the guest). Hold the escape key, then press:
  Q quit    F fullscreen    B borderless    O statistics overlay    H help
  S next scaling mode    N nearest/linear filter    R ask the agent for a full frame
  Insert    send the escape key itself to the guest

Exit status: 0 closed by the user or after --exit-after; 1 set-up failed (no display, no
OpenGL 3.3: the message says why); 2 usage or config error.
)";
}

}  // namespace periscope::viewer
