// The picture periscope-test-client draws inside the desktop VM, as a pure function, so a host test
// can compute the pixel it expects at any point of the window and compare it with what arrived
// through shared memory. Header-only, no X11: include it from host tests.
//
// Window: at (WINDOW_X, WINDOW_Y) on the root window, WINDOW_WIDTH x WINDOW_HEIGHT, no border.
// Pixel at window coordinates (x, y), 0 <= x < 512, 0 <= y < 384, as 8-bit channels:
//
//   red   = x mod 256
//   green = y mod 256
//   blue  = 0x80 * (x div 256) + 0x40 * (y div 256) + (0x3F if (x div 16 + y div 16) is odd else 0)
//
// Red and green give x and y modulo 256, the two high bits of blue give the 256-pixel halves, so
// every pixel of the window is unique and its colour says where it is (a host test can find an
// offset or a scaled copy from a single pixel). The low bits of blue form a 16-pixel checkerboard
// that makes the window easy to see. Every value is an exact 8-bit channel: the pattern survives
// a 24-bit (BGRA8) framebuffer bit-for-bit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace periscope::vm {

constexpr int WINDOW_X = 64;
constexpr int WINDOW_Y = 64;
constexpr int WINDOW_WIDTH = 512;
constexpr int WINDOW_HEIGHT = 384;

struct Rgb {
    uint8_t r;
    uint8_t g;
    uint8_t b;
    friend constexpr bool operator==(const Rgb&, const Rgb&) = default;
};

// The colour at window coordinates (x, y); only meaningful inside the window.
constexpr Rgb test_pattern_pixel(int x, int y) {
    const int checker = ((x / 16 + y / 16) & 1) != 0 ? 0x3F : 0x00;
    return Rgb{static_cast<uint8_t>(x & 0xFF), static_cast<uint8_t>(y & 0xFF),
               static_cast<uint8_t>(0x80 * ((x >> 8) & 1) + 0x40 * ((y >> 8) & 1) + checker)};
}

// The same colour as a BGRA8 pixel word read little-endian from the frame (0xAARRGGBB, alpha
// ignored: compare with the mask 0x00FFFFFF).
constexpr uint32_t test_pattern_xrgb(int x, int y) {
    const Rgb c = test_pattern_pixel(x, y);
    return (uint32_t{c.r} << 16) | (uint32_t{c.g} << 8) | uint32_t{c.b};
}

// How many pixels of the test window differ in an RGBA8 image (rows top-down, 4 bytes a pixel,
// `width` pixels a row) that shows the window's top-left corner at (origin_x, origin_y). The
// caller makes sure the image covers the whole window.
inline size_t pattern_mismatches(const std::byte* rgba, uint32_t width, int origin_x,
                                 int origin_y) {
    size_t wrong = 0;
    for (int y = 0; y < WINDOW_HEIGHT; ++y) {
        for (int x = 0; x < WINDOW_WIDTH; ++x) {
            const std::byte* p = rgba + (size_t(origin_y + y) * width + size_t(origin_x + x)) * 4;
            const Rgb want = test_pattern_pixel(x, y);
            if (std::to_integer<uint8_t>(p[0]) != want.r ||
                std::to_integer<uint8_t>(p[1]) != want.g ||
                std::to_integer<uint8_t>(p[2]) != want.b) {
                ++wrong;
            }
        }
    }
    return wrong;
}

static_assert(test_pattern_pixel(17, 16) == Rgb{17, 16, 0x00});
static_assert(test_pattern_pixel(0, 0) == Rgb{0, 0, 0});
static_assert(test_pattern_pixel(16, 0) == Rgb{16, 0, 0x3F});
static_assert(test_pattern_pixel(511, 383) == Rgb{255, 127, 0xC0});
static_assert(test_pattern_xrgb(300, 5) == 0x2C0580);

}  // namespace periscope::vm
