// Which protocol pixel format an X screen's root visual is, as ZPixmap images deliver it.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/layout.h"

namespace periscope::agent {

struct X11VisualInfo {
    uint8_t depth = 0;
    uint8_t bits_per_pixel = 0;  // of ZPixmap images at that depth
    uint8_t scanline_pad = 0;    // bits
    bool lsb_first = true;       // image byte order of the server
    uint32_t red_mask = 0;
    uint32_t green_mask = 0;
    uint32_t blue_mask = 0;
    uint8_t visual_class = 0;  // XCB_VISUAL_CLASS_*
};

// Format::Invalid with `detail` set when the visual is one we cannot pass through unconverted
// (the back-end copies bytes; it never converts pixels).
protocol::Format format_for_visual(const X11VisualInfo& visual, std::string* detail);

}  // namespace periscope::agent
