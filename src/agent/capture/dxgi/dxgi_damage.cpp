#include "agent/capture/dxgi/dxgi_damage.h"

#include <algorithm>
#include <cstring>

namespace periscope::agent::dxgi {
namespace {

template <class T>
std::vector<T> parse_records(std::span<const std::byte> bytes) {
    std::vector<T> records(bytes.size() / sizeof(T));
    if (!records.empty()) {
        std::memcpy(records.data(), bytes.data(), records.size() * sizeof(T));
    }
    return records;
}

}  // namespace

std::vector<DxgiMoveRect> parse_move_rects(std::span<const std::byte> bytes) {
    return parse_records<DxgiMoveRect>(bytes);
}

std::vector<DxgiRect> parse_dirty_rects(std::span<const std::byte> bytes) {
    return parse_records<DxgiRect>(bytes);
}

protocol::Rect clip_rect(const DxgiRect& r, uint32_t width, uint32_t height) {
    const int64_t left = std::clamp<int64_t>(r.left, 0, width);
    const int64_t top = std::clamp<int64_t>(r.top, 0, height);
    const int64_t right = std::clamp<int64_t>(r.right, 0, width);
    const int64_t bottom = std::clamp<int64_t>(r.bottom, 0, height);
    if (right <= left || bottom <= top) {
        return protocol::Rect{0, 0, 0, 0};
    }
    return protocol::Rect{static_cast<uint32_t>(left), static_cast<uint32_t>(top),
                          static_cast<uint32_t>(right - left), static_cast<uint32_t>(bottom - top)};
}

FrameUpdate plan_frame_update(std::span<const DxgiMoveRect> moves, std::span<const DxgiRect> dirty,
                              uint32_t width, uint32_t height) {
    FrameUpdate update;
    for (const DxgiMoveRect& m : moves) {
        const protocol::Rect dst = clip_rect(m.destination, width, height);
        if (dst.width == 0) {
            continue;
        }
        update.damage.add(dst);
        // Replayable only if nothing was clipped and the source rectangle is inside the frame too.
        const int64_t w = int64_t{m.destination.right} - m.destination.left;
        const int64_t h = int64_t{m.destination.bottom} - m.destination.top;
        const bool whole = int64_t{dst.x} == m.destination.left &&
                           int64_t{dst.y} == m.destination.top && dst.width == w && dst.height == h;
        const bool source_inside = m.source_x >= 0 && m.source_y >= 0 &&
                                   int64_t{m.source_x} + w <= width &&
                                   int64_t{m.source_y} + h <= height;
        if (whole && source_inside) {
            update.moves.push_back(
                MoveOp{static_cast<uint32_t>(m.source_x), static_cast<uint32_t>(m.source_y), dst});
        } else {
            update.copies.push_back(dst);
        }
    }
    for (const DxgiRect& d : dirty) {
        const protocol::Rect r = clip_rect(d, width, height);
        if (r.width == 0) {
            continue;
        }
        update.copies.push_back(r);
        update.damage.add(r);
    }
    return update;
}

void apply_move(std::byte* image, uint32_t stride, uint32_t bytes_per_pixel, const MoveOp& move) {
    const protocol::Rect& d = move.destination;
    const size_t row_bytes = size_t{d.width} * bytes_per_pixel;
    auto row = [&](uint32_t x, uint32_t y) {
        return image + size_t{y} * stride + size_t{x} * bytes_per_pixel;
    };
    // Moving down: bottom row first, so no source row is overwritten before it is read. Within a
    // row memmove handles a horizontal overlap.
    if (move.source_y < d.y) {
        for (uint32_t i = d.height; i-- > 0;) {
            std::memmove(row(d.x, d.y + i), row(move.source_x, move.source_y + i), row_bytes);
        }
    } else {
        for (uint32_t i = 0; i < d.height; ++i) {
            std::memmove(row(d.x, d.y + i), row(move.source_x, move.source_y + i), row_bytes);
        }
    }
}

}  // namespace periscope::agent::dxgi
