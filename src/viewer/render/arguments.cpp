#include "viewer/render/arguments.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include "core/log.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "render";

// Caller bugs could repeat every frame: say it a few times, then stop. Per thread, so that these
// functions share no state between threads.
thread_local RateLimitedLog g_reject_log;

Unexpected<RenderError> reject(const char* format, ...) __attribute__((format(printf, 1, 2)));
Unexpected<RenderError> reject(const char* format, ...) {
    if (g_reject_log.allow()) {
        char text[256];
        va_list args;
        va_start(args, format);
        std::vsnprintf(text, sizeof text, format, args);
        va_end(args);
        PERISCOPE_LOG_ERROR(MODULE, "%s", text);
    }
    return fail(RenderError::InvalidArgument);
}

size_t align_up(size_t n) {
    return (n + RECT_ALIGN - 1) / RECT_ALIGN * RECT_ALIGN;
}

}  // namespace

Result<FrameGeometry, RenderError> check_frame(protocol::Format format, uint32_t width,
                                               uint32_t height) {
    const uint32_t bpp = protocol::bytes_per_pixel(format);
    if (bpp == 0) {
        return reject("frame format %u is not a known format", static_cast<uint32_t>(format));
    }
    if (width == 0 || height == 0 || width > protocol::MAX_DIMENSION ||
        height > protocol::MAX_DIMENSION) {
        return reject("frame size %ux%u is outside 1..16384", width, height);
    }
    return FrameGeometry{format, width, height, bpp};
}

Result<void, RenderError> check_cursor(const CursorImage& cursor) {
    if (cursor.format != protocol::Format::BGRA8 && cursor.format != protocol::Format::RGBA8) {
        return reject("cursor format %u is not BGRA8 or RGBA8",
                      static_cast<uint32_t>(cursor.format));
    }
    if (cursor.width == 0 || cursor.height == 0 || cursor.width > protocol::MAX_CURSOR_MAX_DIM ||
        cursor.height > protocol::MAX_CURSOR_MAX_DIM) {
        return reject("cursor size %ux%u is outside 1..1024", cursor.width, cursor.height);
    }
    if (cursor.hotspot_x >= cursor.width || cursor.hotspot_y >= cursor.height) {
        return reject("cursor hotspot %u,%u lies outside the shape", cursor.hotspot_x,
                      cursor.hotspot_y);
    }
    if (cursor.pixels == nullptr) {
        return reject("cursor without pixels");
    }
    return {};
}

Result<void, RenderError> check_read(uint32_t width, uint32_t height,
                                     const std::vector<std::byte>* rgba) {
    if (width == 0 || height == 0 || width > protocol::MAX_DIMENSION ||
        height > protocol::MAX_DIMENSION) {
        return reject("read_pixels size %ux%u is outside 1..16384", width, height);
    }
    if (rgba == nullptr) {
        return reject("read_pixels without an output buffer");
    }
    return {};
}

Result<UploadPlan, RenderError> plan_upload(const FrameGeometry& frame, const std::byte* src,
                                            uint32_t stride, const protocol::DamageList& damage,
                                            uint32_t rows_from, uint32_t rows_to) {
    if (frame.bytes_per_pixel == 0) {
        return reject("upload before configure_frame");
    }
    if (src == nullptr) {
        return reject("upload without pixels");
    }
    if (uint64_t{stride} < uint64_t{frame.width} * frame.bytes_per_pixel) {
        return reject("upload stride %u is shorter than a row of %u pixels", stride, frame.width);
    }
    if (rows_from > rows_to || rows_to > frame.height) {
        return reject("upload rows [%u, %u) are not within the frame", rows_from, rows_to);
    }
    // Validate every rectangle, even ones outside this call's rows: a bad list is a bug whichever
    // rows it arrives with.
    for (const protocol::Rect& r : damage.rects()) {
        if (uint64_t{r.x} + r.width > frame.width || uint64_t{r.y} + r.height > frame.height) {
            return reject("damage rectangle at %u,%u reaches outside the frame", r.x, r.y);
        }
    }
    UploadPlan plan;
    auto add = [&](const protocol::Rect& r) {
        const uint32_t top = std::max(r.y, rows_from);
        const uint32_t bottom = std::min(r.y + r.height, rows_to);
        if (r.width == 0 || top >= bottom) {
            return;
        }
        UploadPiece& piece = plan.pieces[plan.count++];
        piece.rect = protocol::Rect{r.x, top, r.width, bottom - top};
        piece.offset = plan.total_bytes;
        plan.total_bytes +=
            align_up(size_t{r.width} * frame.bytes_per_pixel * size_t{bottom - top});
    };
    if (damage.is_full()) {
        add(protocol::Rect{0, 0, frame.width, frame.height});
    } else {
        for (const protocol::Rect& r : damage.rects()) {
            add(r);
        }
    }
    return plan;
}

void pack_upload(const UploadPlan& plan, const FrameGeometry& frame, const std::byte* src,
                 uint32_t stride, std::byte* dst, CopyKind kind) {
    if (kind == CopyKind::Auto) {
        kind = plan.total_bytes >= NT_THRESHOLD ? CopyKind::NonTemporal : CopyKind::Memcpy;
    }
    const size_t bpp = frame.bytes_per_pixel;
    for (uint32_t i = 0; i < plan.count; ++i) {
        const protocol::Rect& r = plan.pieces[i].rect;
        const size_t row_bytes = size_t{r.width} * bpp;
        const std::byte* from = src + size_t{r.y} * stride + size_t{r.x} * bpp;
        std::byte* to = dst + plan.pieces[i].offset;
        if (row_bytes == stride) {
            // Whole rows, no padding between them: one copy.
            copy_bytes(to, from, row_bytes * r.height, kind);
            continue;
        }
        for (uint32_t y = 0; y < r.height; ++y) {
            copy_bytes(to, from, row_bytes, kind);
            from += stride;
            to += row_bytes;
        }
    }
    if (kind == CopyKind::NonTemporal) {
        copy_fence();
    }
}

}  // namespace periscope::viewer
