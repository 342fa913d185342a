// DXGI Desktop Duplication frame metadata -> the protocol's damage, and the moves a CPU copy of
// the desktop must replay. Plain C++ (no Windows headers), unit-tested on Linux with byte-exact
// buffers in the layouts DXGI documents.
//
// What a frame's metadata says (dxgi1_2.h; "Desktop Duplication API", learn.microsoft.com):
//  - GetFrameMoveRects: DXGI_OUTDUPL_MOVE_RECT { POINT SourcePoint; RECT DestinationRect; }
//    (24 bytes: LONG x, y, left, top, right, bottom): the pixels of the destination rectangle's
//    size at SourcePoint were copied to DestinationRect, within the same image. Source and
//    destination always have the same size.
//  - GetFrameDirtyRects: RECT { LONG left, top, right, bottom } (16 bytes), non-overlapping areas
//    the system redrew.
//  - To rebuild the picture from the previous one: first every move, in order, then every dirty
//    rectangle (copied from the new desktop image).
//
// The back-end keeps no CPU copy that it would replay moves on: the acquired desktop image is
// always the whole current picture, so it copies the *destination* of every move from it like a
// dirty rectangle, and the order stops mattering. `moves` is there for a consumer of this code that
// keeps its own copy (and to keep the semantics in one tested place): apply_move() replays one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "protocol/damage.h"
#include "protocol/layout.h"

namespace periscope::agent::dxgi {

// RECT: 16 bytes, exclusive right/bottom.
struct DxgiRect {
    int32_t left = 0;
    int32_t top = 0;
    int32_t right = 0;
    int32_t bottom = 0;
};
static_assert(sizeof(DxgiRect) == 16);

// DXGI_OUTDUPL_MOVE_RECT: 24 bytes.
struct DxgiMoveRect {
    int32_t source_x = 0;
    int32_t source_y = 0;
    DxgiRect destination;
};
static_assert(sizeof(DxgiMoveRect) == 24);

// The records in a metadata buffer as GetFrame{Move,Dirty}Rects filled it (`bytes` = the size
// they reported). Trailing bytes short of a whole record are ignored. Reads by memcpy: the buffer
// need not be aligned.
std::vector<DxgiMoveRect> parse_move_rects(std::span<const std::byte> bytes);
std::vector<DxgiRect> parse_dirty_rects(std::span<const std::byte> bytes);

// A move whose source and destination both lie inside the frame.
struct MoveOp {
    uint32_t source_x = 0;
    uint32_t source_y = 0;
    protocol::Rect destination{};
};

struct FrameUpdate {
    // To replay on a copy of the previous picture, in this order: `moves` (DXGI's order), then
    // `copies` from the new desktop image. A move that does not lie wholly inside the frame is not
    // replayed: its destination (clipped) is among `copies` instead.
    std::vector<MoveOp> moves;
    std::vector<protocol::Rect> copies;
    // What changed: the destination of every move and every dirty rectangle, clipped.
    protocol::DamageList damage;
};

// A RECT clipped to a width x height frame; width 0 if nothing of it remains (or it is inverted).
protocol::Rect clip_rect(const DxgiRect& r, uint32_t width, uint32_t height);

FrameUpdate plan_frame_update(std::span<const DxgiMoveRect> moves, std::span<const DxgiRect> dirty,
                              uint32_t width, uint32_t height);

// Replays one move on an image of `bytes_per_pixel` pixels at `stride`, correct when source and
// destination overlap (a scroll by a few rows). The move must come from plan_frame_update() for
// this image's size.
void apply_move(std::byte* image, uint32_t stride, uint32_t bytes_per_pixel, const MoveOp& move);

}  // namespace periscope::agent::dxgi
