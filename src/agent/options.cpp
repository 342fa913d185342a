#include "agent/options.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/format.h"

// Header-only and without exceptions: parse errors come back as values.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace periscope::agent {
namespace {

constexpr const char* VERSION = "periscope-agent 0.1.0 (protocol 1.0)";

bool parse_double(const std::string& text, double* out) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

bool parse_u32(const std::string& text, uint32_t* out) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v > UINT32_MAX || text[0] == '-') {
        return false;
    }
    *out = static_cast<uint32_t>(v);
    return true;
}

bool parse_resolution(const std::string& text, uint32_t* w, uint32_t* h) {
    const auto x = text.find('x');
    return x != std::string::npos && parse_u32(text.substr(0, x), w) &&
           parse_u32(text.substr(x + 1), h) && *w > 0 && *h > 0;
}

// One option's value, from either source; returns an error sentence or empty.
std::string set_option(const std::string& key, const std::string& value, AgentOptions* o) {
    if (key == "capture") {
        o->capture = value;
    } else if (key == "display") {
        o->display = value;
    } else if (key == "shm") {
        o->shm = value;
    } else if (key == "device") {
        o->device = value;
    } else if (key == "shm-size") {
        if (!parse_size(value, &o->shm_size)) {
            return "wants a size such as 64M or 67108864";
        }
    } else if (key == "fps") {
        if (!parse_double(value, &o->fps) || o->fps < 0 || o->fps > 1000) {
            return "wants a number from 0 (no limit) to 1000";
        }
    } else if (key == "buffers") {
        if (!parse_u32(value, &o->buffers) || o->buffers > protocol::MAX_BUFFERS ||
            o->buffers == 1) {
            return "wants 0 (automatic) or 2..8";
        }
    } else if (key == "log") {
        if (value != "debug" && value != "info" && value != "warn" && value != "error") {
            return "wants debug, info, warn or error";
        }
        o->log = value;
    } else if (key == "synthetic-size") {
        if (!parse_resolution(value, &o->synthetic_width, &o->synthetic_height)) {
            return "wants WIDTHxHEIGHT";
        }
    } else if (key == "synthetic-fps") {
        if (!parse_double(value, &o->synthetic_fps) || o->synthetic_fps <= 0 ||
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

bool known_option(const std::string& key) {
    for (const char* name :
         {"capture", "display", "shm", "device", "shm-size", "fps", "buffers", "log",
          "synthetic-size", "synthetic-fps", "synthetic-format", "synthetic-cursor",
          "no-synthetic-cursor", "checksums", "direct-capture", "no-direct-capture"}) {
        if (key == name) {
            return true;
        }
    }
    return false;
}

// Flags that take no value on the command line.
bool is_switch(const std::string& key) {
    return key == "no-synthetic-cursor" || key == "no-direct-capture" || key == "checksums" ||
           key == "direct-capture";
}

std::string node_text(const toml::node& node) {
    // value_exact: no conversions between TOML types (value<bool> would accept an integer).
    if (auto s = node.value_exact<std::string>()) {
        return *s;
    }
    if (auto b = node.value_exact<bool>()) {
        return *b ? "true" : "false";
    }
    if (auto i = node.value_exact<int64_t>()) {
        return std::to_string(*i);
    }
    if (auto d = node.value_exact<double>()) {
        return format_text("%.17g", *d);
    }
    return "\x01";  // not a scalar: every setter rejects it
}

bool read_file(const std::string& path, std::string* text) {
    std::ifstream in(path);
    if (!in) {
        return false;
    }
    std::stringstream s;
    s << in.rdbuf();
    *text = s.str();
    return true;
}

std::vector<std::string> config_candidates(const Environment& env) {
    std::vector<std::string> paths;
    if (!env.xdg_config_home.empty()) {
        paths.push_back(env.xdg_config_home + "/periscope/agent.toml");
    } else if (!env.home.empty()) {
        paths.push_back(env.home + "/.config/periscope/agent.toml");
    }
    std::string dirs = env.xdg_config_dirs.empty() ? "/etc/xdg" : env.xdg_config_dirs;
    std::stringstream s(dirs);
    std::string dir;
    while (std::getline(s, dir, ':')) {
        if (!dir.empty()) {
            paths.push_back(dir + "/periscope/agent.toml");
        }
    }
    return paths;
}

}  // namespace

Environment Environment::from_process() {
    Environment env;
    // Read once at start-up, before any thread exists.
    if (const char* v = std::getenv("XDG_CONFIG_HOME")) {  // NOLINT(concurrency-mt-unsafe)
        env.xdg_config_home = v;
    }
    if (const char* v = std::getenv("XDG_CONFIG_DIRS")) {  // NOLINT(concurrency-mt-unsafe)
        env.xdg_config_dirs = v;
    }
    if (const char* v = std::getenv("HOME")) {  // NOLINT(concurrency-mt-unsafe)
        env.home = v;
    }
    return env;
}

bool parse_size(const std::string& text, uint64_t* bytes) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        ++digits;
    }
    if (digits == 0 || digits > 12) {  // keeps value << 30 in range
        return false;
    }
    uint64_t value = std::stoull(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    if (unit.empty()) {
    } else if (unit == "K" || unit == "KiB") {
        value <<= 10;
    } else if (unit == "M" || unit == "MiB") {
        value <<= 20;
    } else if (unit == "G" || unit == "GiB") {
        value <<= 30;
    } else {
        return false;
    }
    *bytes = value;
    return true;
}

Result<void, OptionsError> apply_config(const std::string& toml_text, const std::string& name,
                                        AgentOptions* options, std::string* message) {
    toml::parse_result parsed = toml::parse(toml_text, name);
    if (!parsed) {
        const auto& error = parsed.error();
        *message =
            format_text("%s:%u:%u: %s", name.c_str(), error.source().begin.line,
                        error.source().begin.column, std::string(error.description()).c_str());
        return fail(OptionsError::Config);
    }
    const toml::table& table = parsed.table();
    for (const auto& [key, node] : table) {
        const std::string k(key.str());
        if (k == "synthetic" && node.is_table()) {
            for (const auto& [sub_key, sub_node] : *node.as_table()) {
                const std::string full = "synthetic-" + std::string(sub_key.str());
                const std::string why = set_option(full, node_text(sub_node), options);
                if (!why.empty()) {
                    *message = format_text("%s: [synthetic] %s %s", name.c_str(),
                                           std::string(sub_key.str()).c_str(), why.c_str());
                    return fail(OptionsError::Config);
                }
            }
            continue;
        }
        const std::string why = set_option(k, node_text(node), options);
        if (!why.empty()) {
            *message = format_text("%s: %s %s", name.c_str(), k.c_str(), why.c_str());
            return fail(OptionsError::Config);
        }
    }
    return {};
}

Result<AgentOptions, OptionsError> parse_agent_options(const std::vector<std::string>& args,
                                                       const Environment& environment,
                                                       std::string* message) {
    // First pass: --help, --version and --config, which decide what happens before the rest.
    std::string config_path;
    bool explicit_config = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-h" || args[i] == "--help") {
            *message = agent_help_text();
            return fail(OptionsError::Help);
        }
        if (args[i] == "--version") {
            *message = VERSION;
            return fail(OptionsError::Version);
        }
        if (args[i] == "--config") {
            if (i + 1 >= args.size()) {
                *message = "--config needs a file";
                return fail(OptionsError::Usage);
            }
            config_path = args[++i];
            explicit_config = true;
        }
    }
    AgentOptions options;
    if (!explicit_config) {
        for (const std::string& candidate : config_candidates(environment)) {
            std::ifstream probe(candidate);
            if (probe) {
                config_path = candidate;
                break;
            }
        }
    }
    if (!config_path.empty()) {
        std::string text;
        if (!read_file(config_path, &text)) {
            *message = format_text("cannot read the config file %s", config_path.c_str());
            return fail(OptionsError::Config);
        }
        if (auto applied = apply_config(text, config_path, &options, message); !applied) {
            return fail(applied.error());
        }
        options.config_file = config_path;
    }
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--config") {
            ++i;
            continue;
        }
        if (arg.rfind("--", 0) != 0) {
            *message = format_text("unexpected argument '%s' (see --help)", arg.c_str());
            return fail(OptionsError::Usage);
        }
        std::string key = arg.substr(2);
        std::string value;
        if (const auto bare = key.substr(0, key.find('=')); !known_option(bare)) {
            *message = format_text("unknown option --%s (see --help)", bare.c_str());
            return fail(OptionsError::Usage);
        }
        if (const auto eq = key.find('='); eq != std::string::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
        } else if (key == "no-synthetic-cursor" || key == "no-direct-capture") {
            key = key.substr(3);
            value = "false";
        } else if (is_switch(key)) {
            value = "true";
        } else {
            if (i + 1 >= args.size()) {
                *message = format_text("--%s needs a value (see --help)", key.c_str());
                return fail(OptionsError::Usage);
            }
            value = args[++i];
        }
        const std::string why = set_option(key, value, &options);
        if (!why.empty()) {
            *message =
                why == "is not an option"
                    ? format_text("unknown option --%s (see --help)", key.c_str())
                    : format_text("--%s %s (got '%s')", key.c_str(), why.c_str(), value.c_str());
            return fail(OptionsError::Usage);
        }
    }
    if (options.shm_size != 0 && options.shm.empty()) {
        *message = "--shm-size goes with --shm (the PCI device has the size QEMU gave it)";
        return fail(OptionsError::Usage);
    }
    if (!options.device.empty() && !options.shm.empty()) {
        *message = "--device and --shm exclude each other: one region";
        return fail(OptionsError::Usage);
    }
    return options;
}

std::string agent_help_text() {
    return R"(usage: periscope-agent [options]

Captures this machine's display and writes it, with the cursor, into the shared memory region
a Periscope viewer on the host reads. Inside a VM the region is the ivshmem PCI device, found by
its vendor/device id (1af4:1110); on a host (tests, demos) a file under /dev/shm.

Capture:
  --capture NAME          auto (default: x11 if a display opens), x11, or synthetic (an
                          animated test picture; never chosen by auto)
  --display NAME          X display for x11 (default: $DISPLAY)
  --fps N                 at most N frames per second (default 0: as fast as the screen changes)
  --no-direct-capture     copy frames into the region instead of letting the X server write
                          them there itself (direct capture: on where the server can map the
                          region, i.e. MIT-SHM 1.2 and a region with a file descriptor)

Where to write:
  --shm PATH              a file, e.g. /dev/shm/periscope (default: the ivshmem PCI device)
  --shm-size SIZE         with --shm: create the file, or grow it, to SIZE (e.g. 32M)
  --device ADDR|#N        which ivshmem device: PCI address (0000:00:05.0) or index (#1)
  --buffers N             frame buffers in the region: 0 = as many as fit, 2..4 (default 0)

Synthetic source (--capture synthetic):
  --synthetic-size WxH    picture size (default 1920x1080)
  --synthetic-fps N       frames per second it animates at (default 60)
  --synthetic-format F    BGRA8 (default), RGBA8, RGB10A2, BGR10A2 or RGBA16F
  --no-synthetic-cursor   no moving cursor

Other:
  --config FILE           read options from FILE (TOML) instead of the default places:
                          $XDG_CONFIG_HOME/periscope/agent.toml (~/.config/...), then
                          $XDG_CONFIG_DIRS/periscope/agent.toml (/etc/xdg/...)
  --checksums             store a checksum of every frame (tests; costs CPU; implies
                          --no-direct-capture)
  --log LEVEL             debug, info (default), warn or error
  -h, --help              this text
  --version               version

Every option can also be written --name=value. The config file uses the same names as keys
(capture = "x11", shm-size = "32M", fps = 60), the synthetic ones in a [synthetic] table
without the prefix (size = "1280x720", cursor = false). The command line wins over the file.

Exit status: 0 stopped by SIGINT/SIGTERM (the session is marked stopped for the viewer);
1 set-up failed (no region, no capture source: the message says why); 2 usage or config error;
3 the capture source went away (e.g. the X server exited) - a supervisor restarts the agent.
)";
}

}  // namespace periscope::agent
