// The explicit table of capture back-ends, in the order auto-selection tries them.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "agent/capture/capture_backend.h"
#include "core/result.h"

namespace periscope::agent {

// Everything a back-end may need to open; each uses the fields that concern it.
struct CaptureOptions {
    std::string display;    // x11: X display name; empty = $DISPLAY
    uint32_t width = 1920;  // synthetic: picture size
    uint32_t height = 1080;
    double fps = 60;  // synthetic: frames per second it animates at
    protocol::Format format = protocol::Format::BGRA8;  // synthetic: pixel format
    bool cursor = true;                                 // synthetic: a moving cursor
};

using OpenBackend = Result<std::unique_ptr<CaptureBackend>, CaptureError> (*)(
    const CaptureOptions& options, std::string* detail);

struct CaptureBackendEntry {
    const char* name;         // what --capture takes
    const char* description;  // one line for --help
    bool auto_select;         // tried by --capture auto
    OpenBackend open;
};

std::span<const CaptureBackendEntry> capture_backends();

// `name` is a table entry or "auto" (the auto_select entries in order, first that opens).
// On failure `detail` says what was tried and why each failed.
Result<std::unique_ptr<CaptureBackend>, CaptureError> open_capture(std::string_view name,
                                                                   const CaptureOptions& options,
                                                                   std::string* detail);

}  // namespace periscope::agent
