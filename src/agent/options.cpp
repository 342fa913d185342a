#include "agent/options.h"

#include "core/format.h"

namespace periscope::agent {
namespace {

constexpr const char* VERSION = "periscope-agent 0.1.0 (protocol 1.0)";

// One option's value, from either source; returns an error sentence or empty.
std::string set_option(const std::string& key, const std::string& value, AgentOptions* o) {
    if (key == "capture") {
        o->capture = value;
    } else if (key == "display") {
        o->display = value;
    } else if (key == "shm") {
        o->shm = value;
    } else if (key == "shm-file") {
        o->shm_file = value;
    } else if (key == "device") {
        o->device = value;
    } else if (key == "shm-size") {
        if (!options::parse_size(value, &o->shm_size)) {
            return "wants a size such as 64M or 67108864";
        }
    } else if (key == "fps") {
        if (!options::parse_double(value, &o->fps) || o->fps < 0 || o->fps > 1000) {
            return "wants a number from 0 (no limit) to 1000";
        }
    } else if (key == "buffers") {
        if (!options::parse_u32(value, &o->buffers) || o->buffers > protocol::MAX_BUFFERS ||
            o->buffers == 1) {
            return "wants 0 (automatic) or 2..8";
        }
    } else if (key == "log") {
        if (value != "debug" && value != "info" && value != "warn" && value != "error") {
            return "wants debug, info, warn or error";
        }
        o->log = value;
    } else if (key == "synthetic-size") {
        if (!options::parse_resolution(value, &o->synthetic_width, &o->synthetic_height)) {
            return "wants WIDTHxHEIGHT";
        }
    } else if (key == "synthetic-fps") {
        if (!options::parse_double(value, &o->synthetic_fps) || o->synthetic_fps <= 0 ||
            o->synthetic_fps > 1000) {
            return "wants a number above 0, at most 1000";
        }
    } else if (key == "synthetic-format") {
        o->synthetic_format = protocol::parse_format(value.c_str());
        if (o->synthetic_format == protocol::Format::Invalid) {
            return "wants BGRA8, RGBA8, RGB10A2, BGR10A2 or RGBA16F";
        }
    } else if (key == "synthetic-cursor") {
        if (value != "true" && value != "false") {
            return "wants true or false";
        }
        o->synthetic_cursor = value == "true";
    } else if (key == "direct-capture") {
        if (value != "true" && value != "false") {
            return "wants true or false";
        }
        o->direct_capture = value == "true";
    } else if (key == "checksums") {
        if (value != "true" && value != "false") {
            return "wants true or false";
        }
        o->checksums = value == "true";
    } else {
        return "is not an option";
    }
    return {};
}

constexpr std::string_view NAMES[] = {"capture",
                                      "display",
                                      "shm",
                                      "shm-file",
                                      "device",
                                      "shm-size",
                                      "fps",
                                      "buffers",
                                      "log",
                                      "synthetic-size",
                                      "synthetic-fps",
                                      "synthetic-format",
                                      "synthetic-cursor",
                                      "no-synthetic-cursor",
                                      "checksums",
                                      "direct-capture",
                                      "no-direct-capture"};
constexpr std::string_view SWITCHES[] = {"synthetic-cursor", "checksums", "direct-capture"};
constexpr std::pair<std::string_view, std::string_view> TABLES[] = {{"synthetic", "synthetic-"}};

options::OptionSet option_set(AgentOptions* o) {
    return options::OptionSet{"agent",
                              VERSION,
                              agent_help_text,
                              NAMES,
                              SWITCHES,
                              TABLES,
                              [o](const std::string& key, const std::string& value) {
                                  return set_option(key, value, o);
                              }};
}

}  // namespace

Result<void, OptionsError> apply_config(const std::string& toml_text, const std::string& name,
                                        AgentOptions* options, std::string* message) {
    return options::apply_config(toml_text, name, option_set(options), message);
}

Result<AgentOptions, OptionsError> parse_agent_options(const std::vector<std::string>& args,
                                                       const Environment& environment,
                                                       std::string* message) {
    AgentOptions o;
    auto config = options::parse(args, environment, option_set(&o), message);
    if (!config) {
        return fail(config.error());
    }
    o.config_file = *config;
    if (!o.shm.empty() && !o.shm_file.empty()) {
        *message = "--shm and --shm-file exclude each other: one region";
        return fail(OptionsError::Usage);
    }
    if (o.shm_size != 0 && o.shm.empty() && o.shm_file.empty()) {
        *message =
            "--shm-size goes with --shm or --shm-file (the ivshmem device has the size QEMU "
            "gave it)";
        return fail(OptionsError::Usage);
    }
    if (!o.device.empty() && (!o.shm.empty() || !o.shm_file.empty())) {
        *message = "--device and --shm/--shm-file exclude each other: one region";
        return fail(OptionsError::Usage);
    }
    return o;
}

std::string agent_help_text() {
    // One text for both systems: a Windows user reads the Linux lines too, so every line says
    // which system it is about where they differ.
    return R"(usage: periscope-agent [options]
       periscope-agent.exe service install|uninstall|status|run   (Windows: docs/windows-guest.md)

Captures this machine's display and writes it, with the cursor, into the shared memory region
a Periscope viewer on the host reads. Inside a VM the region is the ivshmem PCI device: on Linux
found by its vendor/device id (1af4:1110), on Windows through the virtio-win IVSHMEM driver. On a
host (tests, demos) it is a file under /dev/shm.

Capture:
  --capture NAME          auto (default: Linux x11 if a display opens; Windows dxgi - Desktop
                          Duplication - then gdi), x11, dxgi, gdi, or synthetic (an animated
                          test picture; never chosen by auto)
  --display NAME          X display for x11 (default: $DISPLAY)
  --fps N                 at most N frames per second (default 0: as fast as the screen changes)
  --no-direct-capture     copy frames into the region instead of letting the X server write
                          them there itself (direct capture: on where the server can map the
                          region, i.e. MIT-SHM 1.2 and a region with a file descriptor)

Where to write:
  --shm PATH              a file instead of the ivshmem device, e.g. /dev/shm/periscope (a bare
                          NAME means /dev/shm/NAME); on Windows any file path (under Wine,
                          Z:\dev\shm\NAME is the Linux host's /dev/shm/NAME)
  --shm-file PATH         the same, PATH taken as it is (never NAME -> /dev/shm/NAME)
  --shm-size SIZE         with --shm/--shm-file: create the file, or grow it, to SIZE (e.g. 32M)
  --device ADDR|#N|SIZE   which ivshmem device (default: the first). Linux: PCI address
                          (0000:00:05.0) or index (#1). Windows: index (#1) or the size QEMU gave
                          it (64M), optionally followed by ,cache=wc|cached|uncached (default wc)
  --buffers N             frame buffers in the region: 0 = as many as fit, 2..4 (default 0)

Synthetic source (--capture synthetic):
  --synthetic-size WxH    picture size (default 1920x1080)
  --synthetic-fps N       frames per second it animates at (default 60)
  --synthetic-format F    BGRA8 (default), RGBA8, RGB10A2, BGR10A2 or RGBA16F
  --no-synthetic-cursor   no moving cursor

Other:
  --config FILE           read options from FILE (TOML) instead of the default places:
                          Linux $XDG_CONFIG_HOME/periscope/agent.toml (~/.config/...), then
                          $XDG_CONFIG_DIRS/periscope/agent.toml (/etc/xdg/...); Windows
                          %APPDATA%\periscope\agent.toml, then %ProgramData%\periscope\agent.toml
  --checksums             store a checksum of every frame (tests; costs CPU; implies
                          --no-direct-capture)
  --log LEVEL             debug, info (default), warn or error
  -h, --help              this text
  --version               version

Every option can also be written --name=value. The config file uses the same names as keys
(capture = "x11", shm-size = "32M", fps = 60), the synthetic ones in a [synthetic] table
without the prefix (size = "1280x720", cursor = false). The command line wins over the file.

Exit status: 0 stopped by SIGINT/SIGTERM (Windows: Ctrl+C, Ctrl+Break, console closed) - the
session is marked stopped for the viewer; 1 set-up failed (no region, no capture source: the
message says why); 2 usage or config error; 3 the capture source went away (e.g. the X server
exited) - a supervisor restarts the agent.
)";
}

}  // namespace periscope::agent
