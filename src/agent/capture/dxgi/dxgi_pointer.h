// DXGI Desktop Duplication pointer shapes -> the protocol's cursor image. Plain C++ (no Windows
// headers) so it is unit-tested on Linux with byte-exact buffers in the layout DXGI documents.
//
// What GetFramePointerShape hands over (dxgi1_2.h, DXGI_OUTDUPL_POINTER_SHAPE_INFO / _TYPE):
//  - MONOCHROME (1): a 1 bpp AND mask followed by a 1 bpp XOR mask of the same size; `height`
//    counts the rows of both, so the cursor is height / 2 rows tall. Rows are `pitch` bytes, top
//    row first; the most significant bit of a byte is its leftmost pixel.
//      AND 0 XOR 0: black   AND 0 XOR 1: white   AND 1 XOR 0: transparent   AND 1 XOR 1: invert
//  - COLOR (2): 32 bpp ARGB words (bytes B, G, R, A), `pitch` bytes a row, alpha per pixel.
//  - MASKED_COLOR (4): 32 bpp, the alpha byte is a mask: 0 = the RGB value replaces the screen
//    pixel, 0xFF = the RGB value is XORed with the screen pixel.
//
// The protocol has no XOR blending: a consumer draws the cursor with ordinary alpha blending. So a
// pixel that XORs with the screen is drawn as what it looks like on most screens:
//  - XOR with 0 (monochrome AND 1 XOR 0, masked-colour alpha 0xFF with RGB 0) leaves the screen
//    as it is: transparent;
//  - any other XOR (the inverting I-beam and its relatives) becomes opaque black, and every
//    transparent pixel touching it (8 neighbours) opaque white. The outline keeps a caret that
//    Windows would draw inverted visible on dark and on light backgrounds alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "agent/capture/capture_backend.h"
#include "core/result.h"

namespace periscope::agent::dxgi {

// DXGI_OUTDUPL_POINTER_SHAPE_TYPE values.
constexpr uint32_t POINTER_SHAPE_MONOCHROME = 0x1;
constexpr uint32_t POINTER_SHAPE_COLOR = 0x2;
constexpr uint32_t POINTER_SHAPE_MASKED_COLOR = 0x4;

// DXGI_OUTDUPL_POINTER_SHAPE_INFO, field by field (UINT Type, Width, Height, Pitch; POINT HotSpot
// of two LONGs): 24 bytes. The back-end static_asserts that the Windows struct has this layout.
struct PointerShapeInfo {
    uint32_t type = 0;
    uint32_t width = 0;   // pixels
    uint32_t height = 0;  // rows in the buffer (twice the cursor's height for MONOCHROME)
    uint32_t pitch = 0;   // bytes per row
    int32_t hotspot_x = 0;
    int32_t hotspot_y = 0;
};
static_assert(sizeof(PointerShapeInfo) == 24);

enum class PointerShapeError {
    UnknownType,     // not one of the three documented types
    Empty,           // width or height 0 (or a monochrome shape of one row)
    BadPitch,        // pitch shorter than a row of `width` pixels
    BufferTooSmall,  // the rows do not fit the buffer GetFramePointerShape filled
};
const char* to_string(PointerShapeError error);

// Converts a shape into `out`: premultiplied BGRA8, tightly packed. A shape larger than
// `max_dim` in either direction is cropped to max_dim x max_dim around its hotspot (the part the
// user points with); the hotspot is moved accordingly and clamped into the image. `buffer` is the
// bytes GetFramePointerShape wrote (pPointerShapeBufferSizeRequired of them); nothing outside it
// is read, whatever `info` says.
Result<void, PointerShapeError> convert_pointer_shape(const PointerShapeInfo& info,
                                                      std::span<const std::byte> buffer,
                                                      uint32_t max_dim, CursorShape* out);

// Where the hotspot is, from DXGI's pointer position (the shape's top-left corner relative to the
// output, DXGI_OUTDUPL_POINTER_POSITION) and the shape's hotspot as DXGI reported it (before any
// cropping: the position refers to the uncropped shape).
inline CursorPosition hotspot_position(int32_t left, int32_t top, const PointerShapeInfo& info,
                                       bool visible) {
    return CursorPosition{left + info.hotspot_x, top + info.hotspot_y, visible};
}

}  // namespace periscope::agent::dxgi
