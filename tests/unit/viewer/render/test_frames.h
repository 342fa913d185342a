// Frames in every protocol format with the RGBA8 a viewer should show for each pixel, and checks
// of what a renderer read back. Shared by the renderer tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/format.h"
#include "protocol/layout.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer::test {

using Rgb = std::array<uint8_t, 3>;

// Half float from a float in [0, 1], rounded to nearest (values here never need more).
inline uint16_t to_half(float value) {
    if (value <= 0.0f) {
        return 0;
    }
    int exponent = 0;
    const float mantissa = std::frexp(value, &exponent);  // value = mantissa * 2^exponent
    // Normal halves: 1.m * 2^(e - 15) with 10 bits of m.
    const int biased = exponent - 1 + 15;
    if (biased <= 0) {
        return static_cast<uint16_t>(std::lround(value * 16777216.0f));  // subnormal: 2^-24 units
    }
    const auto bits = static_cast<uint32_t>(std::lround((mantissa * 2.0f - 1.0f) * 1024.0f));
    return static_cast<uint16_t>((static_cast<uint32_t>(biased) << 10) + bits);
}

inline float from_half(uint16_t h) {
    const int exponent = (h >> 10) & 0x1F;
    const int mantissa = h & 0x3FF;
    if (exponent == 0) {
        return std::ldexp(static_cast<float>(mantissa), -24);
    }
    return std::ldexp(1.0f + static_cast<float>(mantissa) / 1024.0f, exponent - 15);
}

inline uint8_t unorm8(double value) {
    return static_cast<uint8_t>(std::lround(std::clamp(value, 0.0, 1.0) * 255.0));
}

struct TestFrame {
    protocol::Format format = protocol::Format::BGRA8;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t stride = 0;
    std::vector<std::byte> bytes;
    std::vector<Rgb> expected;  // width * height, top row first
    Rgb at(uint32_t x, uint32_t y) const { return expected[size_t{y} * width + x]; }
};

// A deterministic pseudo-random picture; `seed` picks which. Rows are `padding` bytes longer than
// the pixels (padding filled with garbage a renderer must not show). Alpha is random: frames
// are opaque, whatever it says.
inline TestFrame make_frame(protocol::Format format, uint32_t width, uint32_t height, uint32_t seed,
                            uint32_t padding = 20) {
    TestFrame f;
    f.format = format;
    f.width = width;
    f.height = height;
    const uint32_t bpp = protocol::bytes_per_pixel(format);
    f.stride = width * bpp + padding;
    f.bytes.assign(size_t{f.stride} * height, std::byte{0xA5});
    f.expected.resize(size_t{width} * height);
    uint32_t state = seed * 2654435761u + 12345u;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    };
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            std::byte* p = f.bytes.data() + size_t{y} * f.stride + size_t{x} * bpp;
            Rgb& e = f.expected[size_t{y} * width + x];
            const uint32_t r = next();
            switch (format) {
                case protocol::Format::BGRA8:
                case protocol::Format::RGBA8: {
                    e = {static_cast<uint8_t>(r), static_cast<uint8_t>(r >> 8),
                         static_cast<uint8_t>(r >> 16)};
                    const bool bgra = format == protocol::Format::BGRA8;
                    p[0] = std::byte{bgra ? e[2] : e[0]};
                    p[1] = std::byte{e[1]};
                    p[2] = std::byte{bgra ? e[0] : e[2]};
                    p[3] = std::byte{static_cast<uint8_t>(r >> 24)};
                    break;
                }
                case protocol::Format::RGB10A2:
                case protocol::Format::BGR10A2: {
                    const uint32_t c[3] = {r & 0x3FF, (r >> 10) & 0x3FF, (r >> 20) & 0x3FF};
                    for (int i = 0; i < 3; ++i) {
                        e[static_cast<size_t>(i)] = unorm8(c[i] / 1023.0);
                    }
                    const bool bgr = format == protocol::Format::BGR10A2;
                    const uint32_t word = (bgr ? c[2] : c[0]) | c[1] << 10 |
                                          (bgr ? c[0] : c[2]) << 20 | (r >> 30) << 30;
                    std::memcpy(p, &word, 4);
                    break;
                }
                case protocol::Format::RGBA16F: {
                    uint16_t h[4];
                    for (int i = 0; i < 4; ++i) {
                        const uint32_t bits = i < 3 ? (r >> (i * 10)) & 0x3FF : r >> 30;
                        h[i] = to_half(static_cast<float>(bits) / 1023.0f);
                    }
                    for (int i = 0; i < 3; ++i) {
                        e[static_cast<size_t>(i)] = unorm8(from_half(h[i]));
                    }
                    std::memcpy(p, h, 8);
                    break;
                }
                case protocol::Format::Invalid:
                    break;
            }
        }
    }
    return f;
}

// An RGBA8 read-back, top row first.
struct Image {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<std::byte> rgba;
    Rgb at(int32_t x, int32_t y) const {
        const std::byte* p = rgba.data() + (size_t(y) * width + size_t(x)) * 4;
        return {std::to_integer<uint8_t>(p[0]), std::to_integer<uint8_t>(p[1]),
                std::to_integer<uint8_t>(p[2])};
    }
    uint8_t alpha(int32_t x, int32_t y) const {
        return std::to_integer<uint8_t>(rgba[(size_t(y) * width + size_t(x)) * 4 + 3]);
    }
};

inline std::string describe(Rgb c) {
    return format_text("(%u,%u,%u)", c[0], c[1], c[2]);
}

inline bool near(Rgb a, Rgb b, int tolerance) {
    for (size_t i = 0; i < 3; ++i) {
        if (std::abs(int{a[i]} - int{b[i]}) > tolerance) {
            return false;
        }
    }
    return true;
}

// Checks every window pixel against `want(x, y)`; reports the first few differences.
template <class Want>
::testing::AssertionResult image_matches(const Image& image, Want want, int tolerance = 0) {
    std::string report;
    uint32_t bad = 0;
    for (int32_t y = 0; y < static_cast<int32_t>(image.height); ++y) {
        for (int32_t x = 0; x < static_cast<int32_t>(image.width); ++x) {
            const Rgb expected = want(x, y);
            const Rgb got = image.at(x, y);
            if (!near(got, expected, tolerance)) {
                if (++bad <= 8) {
                    report += format_text("\n  at %d,%d: got %s, want %s", x, y,
                                          describe(got).c_str(), describe(expected).c_str());
                }
            }
        }
    }
    if (bad == 0) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << bad << " pixels differ (tolerance " << tolerance << ")" << report;
}

inline bool inside(int32_t x, int32_t y, int32_t left, int32_t top, int32_t width, int32_t height) {
    return x >= left && y >= top && x < left + width && y < top + height;
}

constexpr Rgb BLACK{0, 0, 0};

}  // namespace periscope::viewer::test
