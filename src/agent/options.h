// periscope-agent's options: the command line, and a TOML config file with the same keys
// (command line wins), through src/options (config file: periscope/agent.toml in the XDG places).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "options/options.h"
#include "protocol/layout.h"

namespace periscope::agent {

struct AgentOptions {
    std::string capture = "auto";  // auto, x11, dxgi, gdi, synthetic
    std::string display;           // X display; empty = $DISPLAY
    std::string shm;               // a file (host side, tests); empty = the ivshmem device
    std::string shm_file;          // the same, the path taken as it is (the Wine test)
    std::string device;            // which ivshmem device: PCI address/#N (Windows: #N or size)
    uint64_t shm_size = 0;         // with --shm/--shm-file: create/grow the file to this size
    double fps = 0;                // rate limit, 0 = none
    uint32_t buffers = 0;          // 0 = as many as fit (2..4)
    std::string log = "info";
    bool checksums = false;
    bool direct_capture = true;  // let the X server write into the region (if it can)
    // synthetic source
    uint32_t synthetic_width = 1920;
    uint32_t synthetic_height = 1080;
    double synthetic_fps = 60;
    protocol::Format synthetic_format = protocol::Format::BGRA8;
    bool synthetic_cursor = true;

    std::string config_file;  // the file that was read, empty if none
};

using options::Environment;
using options::OptionsError;

Result<AgentOptions, OptionsError> parse_agent_options(const std::vector<std::string>& args,
                                                       const Environment& environment,
                                                       std::string* message);

// Applies one TOML document to `options` (for tests and for parse_agent_options).
Result<void, OptionsError> apply_config(const std::string& toml_text, const std::string& name,
                                        AgentOptions* options, std::string* message);

std::string agent_help_text();

}  // namespace periscope::agent
