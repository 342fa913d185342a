#include "agent/capture/x11/x11_visual.h"

#include <xcb/xproto.h>

#include <bit>

#include "core/format.h"

namespace periscope::agent {

protocol::Format format_for_visual(const X11VisualInfo& visual, std::string* detail) {
    auto refuse = [&](const std::string& why) {
        if (detail != nullptr) {
            *detail = format_text(
                "unsupported X visual (depth %u, %u bits per pixel, masks R %#x G %#x B %#x): %s",
                visual.depth, visual.bits_per_pixel, visual.red_mask, visual.green_mask,
                visual.blue_mask, why.c_str());
        }
        return protocol::Format::Invalid;
    };
    if (visual.visual_class != XCB_VISUAL_CLASS_TRUE_COLOR &&
        visual.visual_class != XCB_VISUAL_CLASS_DIRECT_COLOR) {
        return refuse("only TrueColor and DirectColor visuals are supported");
    }
    if (visual.bits_per_pixel != 32 || visual.scanline_pad % 32 != 0) {
        return refuse("only 32-bit pixels are supported");
    }
    // Both ends run on one machine, so the server's order is ours; a mismatch would need swapping.
    const bool native_lsb = std::endian::native == std::endian::little;
    if (visual.lsb_first != native_lsb) {
        return refuse("the server's image byte order differs from this machine's");
    }
    if (visual.depth == 24 || visual.depth == 32) {
        if (visual.red_mask == 0xff0000 && visual.green_mask == 0xff00 &&
            visual.blue_mask == 0xff) {
            return protocol::Format::BGRA8;
        }
        if (visual.red_mask == 0xff && visual.green_mask == 0xff00 &&
            visual.blue_mask == 0xff0000) {
            return protocol::Format::RGBA8;
        }
        return refuse("unexpected colour masks");
    }
    if (visual.depth == 30) {
        if (visual.red_mask == 0x3ff00000 && visual.green_mask == 0xffc00 &&
            visual.blue_mask == 0x3ff) {
            return protocol::Format::BGR10A2;
        }
        if (visual.red_mask == 0x3ff && visual.green_mask == 0xffc00 &&
            visual.blue_mask == 0x3ff00000) {
            return protocol::Format::RGB10A2;
        }
        return refuse("unexpected colour masks");
    }
    return refuse("only depths 24, 30 and 32 are supported");
}

}  // namespace periscope::agent
