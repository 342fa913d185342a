#include "agent/capture/x11/x11_cursor.h"

#include <algorithm>

namespace periscope::agent {

bool cursor_shape_from_image(const xcb_xfixes_get_cursor_image_reply_t& image, CursorShape* shape) {
    const uint32_t width = image.width;
    const uint32_t height = image.height;
    const auto count = static_cast<size_t>(width) * height;
    // A reply shorter than its geometry would be a broken server; treat it as no cursor.
    if (count == 0 ||
        static_cast<size_t>(xcb_xfixes_get_cursor_image_cursor_image_length(&image)) < count) {
        return false;
    }
    const uint32_t* argb = xcb_xfixes_get_cursor_image_cursor_image(&image);
    shape->width = width;
    shape->height = height;
    shape->hotspot_x = std::min<uint32_t>(image.xhot, width - 1);
    shape->hotspot_y = std::min<uint32_t>(image.yhot, height - 1);
    shape->format = protocol::Format::BGRA8;
    shape->premultiplied = true;
    shape->pixels.resize(count * 4);
    std::byte* out = shape->pixels.data();
    for (size_t i = 0; i < count; ++i) {
        const uint32_t v = argb[i];
        out[i * 4 + 0] = static_cast<std::byte>(v);
        out[i * 4 + 1] = static_cast<std::byte>(v >> 8);
        out[i * 4 + 2] = static_cast<std::byte>(v >> 16);
        out[i * 4 + 3] = static_cast<std::byte>(v >> 24);
    }
    return true;
}

void PointerSchedule::sampled(uint64_t now, bool moved) {
    if (moved) {
        m_last_motion_ns = now;
    }
    const bool resting = now - m_last_motion_ns >= POINTER_IDLE_AFTER_NS;
    m_next_ns = now + (resting ? POINTER_IDLE_INTERVAL_NS : POINTER_ACTIVE_INTERVAL_NS);
}

}  // namespace periscope::agent
