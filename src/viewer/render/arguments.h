// Argument rules every rendering back-end applies, in one place so that the null back-end (used by
// the loop's tests) rejects exactly what the GL back-end rejects, and the arithmetic of an upload
// (which bytes of the shared frame are read, where they go) can be tested without a GPU.
// Pure functions; any thread. A rejected argument is a caller bug: it is logged here (rate-limited)
// and returned as RenderError::InvalidArgument.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/copy.h"
#include "core/result.h"
#include "protocol/damage.h"
#include "protocol/layout.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer {

struct FrameGeometry {
    protocol::Format format = protocol::Format::Invalid;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t bytes_per_pixel = 0;
};

Result<FrameGeometry, RenderError> check_frame(protocol::Format format, uint32_t width,
                                               uint32_t height);
Result<void, RenderError> check_cursor(const CursorImage& cursor);
Result<void, RenderError> check_read(uint32_t width, uint32_t height,
                                     const std::vector<std::byte>* rgba);

// Where the rows of one upload call go: each damage rectangle cut to [rows_from, rows_to), packed
// one after another (rows tight, each rectangle starting on a RECT_ALIGN boundary).
struct UploadPiece {
    protocol::Rect rect;  // in frame pixels
    size_t offset = 0;    // in the packed buffer
};
struct UploadPlan {
    std::array<UploadPiece, protocol::MAX_DAMAGE_RECTS> pieces{};
    uint32_t count = 0;
    size_t total_bytes = 0;  // packed size, including alignment padding
};
constexpr size_t RECT_ALIGN = 64;

// Checks an upload against the configured frame (frame.format Invalid: not configured) and plans
// it. Rejects: no frame, null src, stride < width * bpp, rows_from > rows_to, rows_to > height,
// a damage rectangle that reaches outside the frame. Rows outside every rectangle (or an empty
// range) plan nothing.
Result<UploadPlan, RenderError> plan_upload(const FrameGeometry& frame, const std::byte* src,
                                            uint32_t stride, const protocol::DamageList& damage,
                                            uint32_t rows_from, uint32_t rows_to);

// Copies the planned pieces from the frame at `src` into `dst` (plan.total_bytes long). Reads only
// the pixels of the planned rectangles: `src` may be live shared memory. Auto streams past the
// cache (non-temporal stores) when the whole upload is at least NT_THRESHOLD bytes.
void pack_upload(const UploadPlan& plan, const FrameGeometry& frame, const std::byte* src,
                 uint32_t stride, std::byte* dst, CopyKind kind);

}  // namespace periscope::viewer
