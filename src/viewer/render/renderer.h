// The contract between the viewer's loop and a rendering back-end. Design: docs/design/viewer.md.
//
// Threads and ownership:
//  - One thread, the viewer's main thread, calls every method, with the back-end's GL context
//    current (the caller made it). Back-ends need no locks.
//  - Pointers passed in (frame rows, cursor pixels) are only read during the call. Frame rows point
//    into the shared region: live memory a guest may change at any time. A back-end copies what
//    it needs and never reads outside [src, src + rows * stride) for the rows it was given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "protocol/damage.h"
#include "protocol/layout.h"

namespace periscope::viewer {

enum class RenderError {
    Unavailable,      // the back-end cannot run here (no GL 3.3, missing extension)
    ShaderFailed,     // a shader did not compile or link (a driver problem; logged with its log)
    OutOfMemory,      // the driver could not allocate a texture or buffer
    InvalidArgument,  // a bad format, size or rectangle (a caller bug)
};
const char* to_string(RenderError error);

enum class Filter { Nearest, Linear };

// A rectangle in window pixels, origin at the top left.
struct WindowRect {
    int32_t x = 0;
    int32_t y = 0;
    uint32_t width = 0;
    uint32_t height = 0;
};

struct CursorImage {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t hotspot_x = 0;
    uint32_t hotspot_y = 0;
    protocol::Format format = protocol::Format::BGRA8;  // BGRA8 or RGBA8
    bool premultiplied = false;
    const std::byte* pixels = nullptr;  // height rows of width * 4 bytes, tightly packed
};

struct DrawParams {
    uint32_t window_width = 0;  // drawable size in pixels
    uint32_t window_height = 0;
    WindowRect viewport;  // where the frame goes (geometry.h); may extend past the window
    Filter filter = Filter::Linear;
    bool draw_frame = true;  // false: black (no frame yet, or the texture is incomplete)
    bool cursor_visible = false;
    int32_t cursor_x = 0;  // hotspot position in frame pixels
    int32_t cursor_y = 0;
};

class Renderer {
  public:
    virtual ~Renderer() = default;
    virtual const char* name() const = 0;
    // One line for the log: e.g. "OpenGL 4.5 (Core Profile) Mesa 22.3.6 on llvmpipe".
    virtual std::string describe() const = 0;

    // (Re)allocates the frame texture for this geometry; the frame is black until uploaded.
    virtual Result<void, RenderError> configure_frame(protocol::Format format, uint32_t width,
                                                      uint32_t height) = 0;
    // Copies rows [rows_from, rows_to) of the frame at `src` (row y at src + y * stride),
    // restricted to `damage` (whole rows if damage.is_full()), into the frame texture. Called
    // repeatedly for one frame as its rows arrive, with increasing row ranges.
    virtual Result<void, RenderError> upload(const std::byte* src, uint32_t stride,
                                             const protocol::DamageList& damage, uint32_t rows_from,
                                             uint32_t rows_to) = 0;
    virtual Result<void, RenderError> set_cursor(const CursorImage& cursor) = 0;
    // Clears to black, draws the frame into params.viewport, then the cursor. Does not swap.
    virtual void draw(const DrawParams& params) = 0;
    // The back buffer (after draw, before swap) as RGBA8, top row first, width * 4 per row.
    virtual Result<void, RenderError> read_pixels(uint32_t width, uint32_t height,
                                                  std::vector<std::byte>* rgba) = 0;
};

struct RendererBackend {
    const char* name;         // "gl", "null"
    const char* description;  // one line for --help
    // Needs the caller's GL context current (the null back-end needs none).
    Result<std::unique_ptr<Renderer>, RenderError> (*create)(std::string* detail);
};
// The table, in the order --help lists it; the first is the default.
std::span<const RendererBackend> renderer_backends();
Result<std::unique_ptr<Renderer>, RenderError> create_renderer(const std::string& name,
                                                               std::string* detail);

}  // namespace periscope::viewer
