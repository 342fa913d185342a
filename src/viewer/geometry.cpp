#include "viewer/geometry.h"

#include <algorithm>
#include <cmath>

namespace periscope::viewer {

const char* to_string(ScaleMode mode) {
    switch (mode) {
        case ScaleMode::Aspect:
            return "aspect";
        case ScaleMode::Stretch:
            return "stretch";
        case ScaleMode::Integer:
            return "integer";
        case ScaleMode::NoUpscale:
            return "no-upscale";
    }
    return "unknown";
}

std::optional<ScaleMode> parse_scale_mode(std::string_view text) {
    for (ScaleMode m :
         {ScaleMode::Aspect, ScaleMode::Stretch, ScaleMode::Integer, ScaleMode::NoUpscale}) {
        if (text == to_string(m)) {
            return m;
        }
    }
    return std::nullopt;
}

ScaleMode next_scale_mode(ScaleMode mode) {
    switch (mode) {
        case ScaleMode::Aspect:
            return ScaleMode::Integer;
        case ScaleMode::Integer:
            return ScaleMode::NoUpscale;
        case ScaleMode::NoUpscale:
            return ScaleMode::Stretch;
        case ScaleMode::Stretch:
            return ScaleMode::Aspect;
    }
    return ScaleMode::Aspect;
}

WindowRect fit_frame(uint32_t frame_width, uint32_t frame_height, uint32_t window_width,
                     uint32_t window_height, ScaleMode mode) {
    if (frame_width == 0 || frame_height == 0 || window_width == 0 || window_height == 0) {
        return WindowRect{};
    }
    if (mode == ScaleMode::Stretch) {
        return WindowRect{0, 0, window_width, window_height};
    }
    // Integer arithmetic throughout: the same sizes always give the same pixels.
    const uint64_t fw = frame_width;
    const uint64_t fh = frame_height;
    uint64_t w = 0;
    uint64_t h = 0;
    const uint64_t whole = std::min(window_width / fw, window_height / fh);
    if (mode == ScaleMode::Integer && whole >= 1) {
        w = fw * whole;
        h = fh * whole;
    } else if (mode == ScaleMode::NoUpscale && whole >= 1) {
        w = fw;
        h = fh;
    } else if (uint64_t{window_width} * fh <= uint64_t{window_height} * fw) {
        // Width-bound: full window width, height by the ratio (rounded to nearest).
        w = window_width;
        h = std::max<uint64_t>(1, (uint64_t{window_width} * fh + fw / 2) / fw);
    } else {
        h = window_height;
        w = std::max<uint64_t>(1, (uint64_t{window_height} * fw + fh / 2) / fh);
    }
    w = std::min<uint64_t>(w, window_width);
    h = std::min<uint64_t>(h, window_height);
    return WindowRect{static_cast<int32_t>((window_width - w) / 2),
                      static_cast<int32_t>((window_height - h) / 2), static_cast<uint32_t>(w),
                      static_cast<uint32_t>(h)};
}

PointD frame_to_window(const WindowRect& viewport, uint32_t frame_width, uint32_t frame_height,
                       PointD frame) {
    if (frame_width == 0 || frame_height == 0) {
        return PointD{static_cast<double>(viewport.x), static_cast<double>(viewport.y)};
    }
    return PointD{viewport.x + frame.x * viewport.width / frame_width,
                  viewport.y + frame.y * viewport.height / frame_height};
}

std::optional<PointD> window_to_frame(const WindowRect& viewport, uint32_t frame_width,
                                      uint32_t frame_height, PointD window, bool clamp) {
    if (viewport.width == 0 || viewport.height == 0 || frame_width == 0 || frame_height == 0) {
        return std::nullopt;
    }
    PointD f{(window.x - viewport.x) * frame_width / viewport.width,
             (window.y - viewport.y) * frame_height / viewport.height};
    const bool inside = f.x >= 0 && f.y >= 0 && f.x < frame_width && f.y < frame_height;
    if (!inside && !clamp) {
        return std::nullopt;
    }
    // Clamped to the last pixel's centre side of the edge so that floor() stays in the frame.
    f.x = std::clamp(f.x, 0.0, std::nextafter(static_cast<double>(frame_width), 0.0));
    f.y = std::clamp(f.y, 0.0, std::nextafter(static_cast<double>(frame_height), 0.0));
    return f;
}

}  // namespace periscope::viewer
