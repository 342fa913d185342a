// The code strip: a frame serial and a capture timestamp written into a picture as black and white
// blocks, so that whoever sees the picture (a consumer, a screenshot of the viewer) can tell which
// frame it is and when it was captured, on the same clock, from the pixels alone.
//
// Layout: CODE_BITS blocks of CODE_BLOCK x CODE_BLOCK pixels from the top-left corner, left to
// right, wrapping at the picture's width. Bits 0-63 serial, 64-127 timestamp, 128-159 a check of
// both. Block on = white. Pure black and white survive every pixel format and 1:1 presentation.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

namespace periscope {

constexpr uint32_t CODE_BLOCK = 8;
constexpr uint32_t CODE_BITS = 160;

struct CodeStripValue {
    uint64_t serial = 0;
    uint64_t timestamp_ns = 0;
};

std::array<bool, CODE_BITS> code_strip_bits(const CodeStripValue& value);

// Top-left pixel of block `index` in a picture `width` pixels wide.
struct BlockOrigin {
    uint32_t x;
    uint32_t y;
};
BlockOrigin code_block_origin(uint32_t index, uint32_t width);

// Size of the area the strip covers in a picture `width` wide (full rows of blocks).
uint32_t code_strip_height(uint32_t width);

// Reads the strip back: `is_white(x, y)` says whether the pixel at (x, y) is white. Samples each
// block's centre. Empty if the picture is too small or the check does not match.
std::optional<CodeStripValue> decode_code_strip(
    const std::function<bool(uint32_t x, uint32_t y)>& is_white, uint32_t width, uint32_t height);

}  // namespace periscope
