// Direct capture for the X11 back-end: the X server writes frames straight into the shared
// region's buffers (docs/design/agent.md, "Direct capture").
#include <xcb/shm.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "agent/capture/x11/x11_capture.h"
#include "agent/capture/x11/x11_reply.h"
#include "core/clock.h"
#include "core/format.h"

namespace periscope::agent {
namespace {

constexpr const char* MODULE = "x11";
// Bytes per in-place request: small enough that a consumer sees the top of a frame early, large
// enough that the per-request cost stays small. Each request costs ~10 us (the server's request
// handling and one wake-up of ours per reply): measured on Xvfb, 512 KiB strips made a full frame
// 25-30% slower than one request, 4 MiB strips 3-8% (2 strips at 1080p, 8 at 4K).
constexpr uint64_t STRIP_BYTES = uint64_t{4} * 1024 * 1024;

}  // namespace

bool X11Capture::use_region(const SharedRegion& region, std::string* why) {
    if (m_lent) {
        return true;
    }
    if (!m_shm_fd) {
        *why = "the X server does not speak MIT-SHM 1.2 (descriptor passing)";
        return false;
    }
    if (region.fd < 0 || region.base == nullptr) {
        *why = "the region has no descriptor the X server could map";
        return false;
    }
    if (region.size > UINT32_MAX) {
        *why = "the region is larger than 4 GiB and ShmGetImage offsets are 32-bit";
        return false;
    }
    auto lent = X11ShmSegment::lend(m_connection, region.fd, region.base,
                                    static_cast<size_t>(region.size), why);
    if (!lent) {
        return false;
    }
    m_lent = std::move(*lent);
    m_lent_base = region.base;
    m_lent_size = region.size;
    // Our own segment shrinks to the scratch area: the frames now live in the region.
    std::string detail;
    if (auto r = allocate_image(&detail); !r) {
        m_lent.reset();
        std::string again;
        if (auto back = allocate_image(&again); !back) {
            m_geometry_pending = true;  // poll() keeps asking for reconfigure() until one works
        }
        *why = "re-allocating the scratch segment: " + detail;
        return false;
    }
    m_need_full = true;
    return true;
}

bool X11Capture::plan_direct(const protocol::FrameTarget& target) {
    const uint32_t bpp = protocol::bytes_per_pixel(m_format);
    const uint64_t frame_bytes = uint64_t{m_stride} * m_height;
    if (target.data < m_lent_base || target.stride != m_stride ||
        static_cast<uint64_t>(target.data - m_lent_base) + frame_bytes > m_lent_size) {
        return false;
    }
    const auto buffer = static_cast<uint64_t>(target.data - m_lent_base);
    m_pieces.clear();
    auto in_place = [&](uint32_t y, uint32_t height) {
        const uint32_t rows_per_strip =
            static_cast<uint32_t>(std::max<uint64_t>(1, STRIP_BYTES / m_stride));
        for (uint32_t top = y; top < y + height; top += rows_per_strip) {
            const uint32_t rows = std::min(rows_per_strip, y + height - top);
            // < 4 GiB: use_region() checked the region's size.
            const auto offset = static_cast<uint32_t>(buffer + uint64_t{top} * m_stride);
            m_pieces.push_back(DirectPiece{protocol::Rect{0, top, m_width, rows}, offset, false});
        }
    };
    size_t scratch_used = 0;
    for (const protocol::Rect& r : target.to_copy.rects()) {
        const uint64_t bytes = protocol::area(r) * bpp;
        if (r.x == 0 && r.width == m_width) {
            in_place(r.y, r.height);
        } else if (bytes <= m_scratch_bytes - scratch_used) {
            m_pieces.push_back(
                DirectPiece{r, static_cast<uint32_t>(m_scratch_offset + scratch_used), true});
            scratch_used += bytes;
        } else {
            in_place(r.y, r.height);  // widened to whole rows: lands in place
        }
    }
    // By top row: after piece i is written, every later piece starts at or below the top of
    // piece i + 1, so the rows above that are final.
    std::stable_sort(
        m_pieces.begin(), m_pieces.end(),
        [](const DirectPiece& a, const DirectPiece& b) { return a.rect.y < b.rect.y; });
    return true;
}

Result<void, CaptureError> X11Capture::fetch_direct(const protocol::FrameTarget& target,
                                                    FrameSink& sink, uint64_t* bytes_read) {
    const uint32_t bpp = protocol::bytes_per_pixel(m_format);
    m_cookies.clear();
    for (const DirectPiece& p : m_pieces) {
        m_cookies.push_back(xcb_shm_get_image(
            m_connection, m_root, static_cast<int16_t>(p.rect.x), static_cast<int16_t>(p.rect.y),
            static_cast<uint16_t>(p.rect.width), static_cast<uint16_t>(p.rect.height), ~0u,
            XCB_IMAGE_FORMAT_Z_PIXMAP, p.scratch ? m_shm->id() : m_lent->id(), p.offset));
        *bytes_read += protocol::area(p.rect) * bpp;
    }
    xcb_flush(m_connection);  // the server starts on all of them while we wait for the first
    // Every reply is collected, even after a failure, so none is left behind in XCB.
    bool failed = false;
    for (size_t i = 0; i < m_pieces.size(); ++i) {
        const DirectPiece& p = m_pieces[i];
        xcb_generic_error_t* raw_error = nullptr;
        XcbReply<xcb_shm_get_image_reply_t> reply(
            xcb_shm_get_image_reply(m_connection, m_cookies[i], &raw_error));
        XcbReply<xcb_generic_error_t> error(raw_error);
        if (!reply) {
            if (!failed && !lost("grab") && m_error_log.allow()) {
                PERISCOPE_LOG_ERROR(MODULE, "ShmGetImage of %ux%u at %u,%u failed (X error %u)",
                                    p.rect.width, p.rect.height, p.rect.x, p.rect.y,
                                    error ? error->error_code : 0);
            }
            failed = true;
        }
        if (failed) {
            continue;
        }
        if (p.scratch) {
            const size_t row_bytes = size_t{p.rect.width} * bpp;
            const std::byte* src = m_shm->data() + p.offset;
            std::byte* dst =
                target.data + size_t{p.rect.y} * target.stride + size_t{p.rect.x} * bpp;
            for (uint32_t row = 0; row < p.rect.height; ++row) {
                std::memcpy(dst, src, row_bytes);
                src += row_bytes;
                dst += target.stride;
            }
        }
        sink.rows_done(i + 1 < m_pieces.size() ? m_pieces[i + 1].rect.y : m_height);
    }
    if (failed) {
        return fail(lost("grab") ? CaptureError::ConnectionLost : CaptureError::Failed);
    }
    return {};
}

Result<DirectGrab, CaptureError> X11Capture::grab_into(bool full, FrameSink& sink) {
    if (lost("grab")) {
        return fail(CaptureError::ConnectionLost);
    }
    if (!m_shm || !m_lent) {
        return fail(CaptureError::Failed);  // a reconfigure() is due, or no region was lent
    }
    auto damage = take_damage(full || m_need_full);
    if (!damage) {
        m_need_full = true;  // the subtract may have happened: its damage is gone
        return fail(damage.error());
    }
    DirectGrab grab;
    grab.desc = protocol::FrameDesc{m_format, m_width, m_height, monotonic_ns()};
    auto target = sink.begin(grab.desc, *damage);
    if (!target) {
        // NoBuffer: the producer keeps the damage for the next post. Anything else (a re-layout
        // for a larger frame, a bug): start again from a full frame.
        grab.error = target.error();
        if (target.error() != protocol::Error::NoBuffer) {
            m_need_full = true;
        }
        return grab;
    }
    grab.posted = true;
    if (!plan_direct(*target)) {
        PERISCOPE_LOG_ERROR(MODULE,
                            "the producer's buffer (stride %u) is not inside the lent region "
                            "(%llu bytes) with stride %u: frame not captured",
                            target->stride, static_cast<unsigned long long>(m_lent_size), m_stride);
        m_need_full = true;
        return fail(CaptureError::Failed);
    }
    if (auto r = fetch_direct(*target, sink, &grab.bytes_read); !r) {
        m_need_full = true;  // the buffer holds a mix of old and new rows: repaint all next time
        return fail(r.error());
    }
    m_need_full = false;
    return grab;
}

}  // namespace periscope::agent
