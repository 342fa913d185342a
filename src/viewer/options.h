// periscope-viewer's options: the command line, and a TOML config file with the same keys
// (command line wins), through src/options (config file: periscope/viewer.toml in the XDG
// places). docs/viewer.md lists them all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "options/options.h"
#include "viewer/geometry.h"
#include "viewer/input/input_controller.h"
#include "viewer/input/spice_target.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer {

using options::Environment;
using options::OptionsError;

constexpr const char* DEFAULT_SHM = "/dev/shm/periscope";

struct ViewerOptions {
    std::string shm = DEFAULT_SHM;  // the region: a file (shm:PATH) as open_region() reads it
    std::string name;               // guest name for the title; empty: from the file name
    std::string renderer = "gl";
    ScaleMode scale = ScaleMode::Aspect;
    Filter filter = Filter::Linear;
    bool vsync = true;
    bool fullscreen = false;
    bool borderless = false;
    uint32_t width = 1280;  // initial window size
    uint32_t height = 720;
    bool fit_guest = false;  // size the window to the guest's resolution when it changes
    std::string escape_key = "ScrollLock";  // SDL key name
    bool overlay = false;                   // show the stats overlay from the start
    std::string screenshot;                 // PNG of what was last presented (tests, headless demo)
    uint64_t exit_after = 0;                // frames presented, then exit (0: run until closed)
    double exit_after_seconds = 0;
    std::string stats;  // JSON statistics written here at exit ("-" = stdout)
    std::string log = "info";

    // Input and clipboard through SPICE (docs/input.md)
    SpiceTarget spice;           // kind None: no input
    std::string spice_password;  // also PERISCOPE_SPICE_PASSWORD (main.cpp)
    std::string spice_ca_file;
    CaptureOn capture_on = CaptureOn::Click;
    bool clipboard_to_guest = true;
    bool clipboard_to_host = true;

    std::string config_file;  // the file that was read, empty if none
};

Result<ViewerOptions, OptionsError> parse_viewer_options(const std::vector<std::string>& args,
                                                         const Environment& environment,
                                                         std::string* message);
std::string viewer_help_text();

}  // namespace periscope::viewer
