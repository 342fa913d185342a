#include "core/code_strip.h"

namespace periscope {
namespace {

uint32_t check_of(uint64_t serial, uint64_t timestamp) {
    uint64_t h = serial * 0x9E3779B97F4A7C15ULL ^ timestamp * 0xC2B2AE3D27D4EB4FULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return static_cast<uint32_t>(h);
}

}  // namespace

std::array<bool, CODE_BITS> code_strip_bits(const CodeStripValue& value) {
    std::array<bool, CODE_BITS> bits{};
    const uint32_t check = check_of(value.serial, value.timestamp_ns);
    for (uint32_t i = 0; i < 64; ++i) {
        bits[i] = ((value.serial >> i) & 1) != 0;
        bits[64 + i] = ((value.timestamp_ns >> i) & 1) != 0;
    }
    for (uint32_t i = 0; i < 32; ++i) {
        bits[128 + i] = ((check >> i) & 1) != 0;
    }
    return bits;
}

BlockOrigin code_block_origin(uint32_t index, uint32_t width) {
    const uint32_t per_row = width / CODE_BLOCK;
    return BlockOrigin{index % per_row * CODE_BLOCK, index / per_row * CODE_BLOCK};
}

uint32_t code_strip_height(uint32_t width) {
    const uint32_t per_row = width / CODE_BLOCK;
    if (per_row == 0) {
        return 0;
    }
    return (CODE_BITS + per_row - 1) / per_row * CODE_BLOCK;
}

std::optional<CodeStripValue> decode_code_strip(
    const std::function<bool(uint32_t x, uint32_t y)>& is_white, uint32_t width, uint32_t height) {
    if (width < CODE_BLOCK || code_strip_height(width) > height) {
        return std::nullopt;
    }
    CodeStripValue value;
    uint32_t check = 0;
    for (uint32_t i = 0; i < CODE_BITS; ++i) {
        const BlockOrigin o = code_block_origin(i, width);
        const uint64_t bit = is_white(o.x + CODE_BLOCK / 2, o.y + CODE_BLOCK / 2) ? 1 : 0;
        if (i < 64) {
            value.serial |= bit << i;
        } else if (i < 128) {
            value.timestamp_ns |= bit << (i - 64);
        } else {
            check |= static_cast<uint32_t>(bit) << (i - 128);
        }
    }
    if (check != check_of(value.serial, value.timestamp_ns)) {
        return std::nullopt;
    }
    return value;
}

}  // namespace periscope
