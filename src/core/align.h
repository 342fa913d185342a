// Overflow-checked size arithmetic for layouts computed from untrusted numbers.
#pragma once

#include <cstdint>
#include <optional>

namespace periscope {

constexpr uint64_t PAGE_SIZE = 4096;
constexpr uint64_t CACHE_LINE = 64;

constexpr uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) / alignment * alignment;
}

constexpr bool is_aligned(uint64_t value, uint64_t alignment) {
    return value % alignment == 0;
}

constexpr std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
    if (a > UINT64_MAX - b) {
        return std::nullopt;
    }
    return a + b;
}

constexpr std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
    if (a != 0 && b > UINT64_MAX / a) {
        return std::nullopt;
    }
    return a * b;
}

// True if [offset, offset + length) lies inside [0, size).
constexpr bool range_within(uint64_t offset, uint64_t length, uint64_t size) {
    return offset <= size && length <= size - offset;
}

constexpr uint64_t next_power_of_two(uint64_t value) {
    uint64_t p = 1;
    while (p < value && p != 0) {
        p <<= 1;
    }
    return p;
}

}  // namespace periscope
