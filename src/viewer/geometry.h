// Where the guest's frame goes in the viewer's window, for each scaling mode, and the mapping of
// positions both ways (the cursor now, mouse input later). Pure functions, no SDL or GL.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "viewer/render/renderer.h"

namespace periscope::viewer {

enum class ScaleMode {
    Aspect,     // the largest size that fits and keeps the aspect ratio (default)
    Stretch,    // fill the window, aspect ratio ignored
    Integer,    // the largest whole multiple that fits (1x, 2x, ...); below 1x like Aspect
    NoUpscale,  // like Aspect, but never larger than 1x
};
const char* to_string(ScaleMode mode);
std::optional<ScaleMode> parse_scale_mode(std::string_view text);  // "aspect", "stretch", ...
ScaleMode next_scale_mode(ScaleMode mode);                         // for the cycle key

// The frame's rectangle in the window (centred; may be smaller than the window, never larger
// except that Stretch fills it exactly). Empty if either size is 0.
WindowRect fit_frame(uint32_t frame_width, uint32_t frame_height, uint32_t window_width,
                     uint32_t window_height, ScaleMode mode);

struct PointD {
    double x = 0;
    double y = 0;
};
// Frame pixel position -> window position through `viewport` (inverse of window_to_frame).
PointD frame_to_window(const WindowRect& viewport, uint32_t frame_width, uint32_t frame_height,
                       PointD frame);
// Window position -> frame pixel position; nullopt outside the viewport (`clamp` = false) or
// clamped to the frame's edges (`clamp` = true). Null viewport: nullopt.
std::optional<PointD> window_to_frame(const WindowRect& viewport, uint32_t frame_width,
                                      uint32_t frame_height, PointD window, bool clamp);

}  // namespace periscope::viewer
