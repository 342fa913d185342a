// `periscope doctor`: checks a host's set-up for the viewer and says what to fix. Each check is
// one finding: a level, what was found, and (unless all is well) the fix. The checks only read:
// the shm file is mapped the way the viewer maps it, but no consumer slot is taken and nothing is
// written, and the SPICE probe closes the connection after the first handshake step.
//
// The set-up being checked is described in docs/setup.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "size_query.h"
#include "viewer/input/spice_target.h"

namespace periscope::doctor {

constexpr const char* DEFAULT_SHM = "/dev/shm/periscope";
constexpr uint32_t DEFAULT_HEARTBEAT_WAIT_MS = 1500;
constexpr uint32_t DEFAULT_SPICE_TIMEOUT_MS = 2000;

enum class Level {
    Ok,
    Warn,  // works, but something is worth a look
    Fail,  // the viewer will not work as set up: `fix` says what to do
    Skip,  // not checked, and the finding says why
};
// "ok", "warn", "FAIL", "skip": the first word of each output line.
const char* to_string(Level level);

struct Finding {
    Level level = Level::Ok;
    std::string check;  // stable id for scripts: "shm-file", "shm-size", "shm-access", ...
    std::string what;   // what was found, one sentence
    std::string fix;    // what to do; empty when there is nothing to do
};

struct DoctorOptions {
    std::string shm_path = DEFAULT_SHM;
    tools::SizeQuery resolution{1920, 1080, protocol::Format::BGRA8, tools::DEFAULT_SIZE_BUFFERS};
    viewer::SpiceTarget spice;  // Kind::None: the SPICE check is skipped
    uint32_t heartbeat_wait_ms = DEFAULT_HEARTBEAT_WAIT_MS;
    uint32_t spice_timeout_ms = DEFAULT_SPICE_TIMEOUT_MS;
    // The viewer's display environment, passed in rather than read here so tests can vary it.
    std::string display;          // $DISPLAY
    std::string wayland_display;  // $WAYLAND_DISPLAY
};

// Runs every check, in the order they are printed.
std::vector<Finding> run_checks(const DoctorOptions& options);

// 1 if any finding is Fail, else 0.
int exit_status(const std::vector<Finding>& findings);

// One line per finding: "ok    what" or "FAIL  what — fix", then a summary line.
std::string render_text(const std::vector<Finding>& findings);
// {"tool", "exit_code", "checks": [{"check", "level", "what", "fix"}]}; `fix` is null when empty.
std::string render_json(const std::vector<Finding>& findings);

}  // namespace periscope::doctor
