// Deterministic test images: every pixel a function of (x, y, frame), so a reader can check any
// region of any frame without the source.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace periscope::test {

inline uint32_t pattern_pixel(uint32_t x, uint32_t y, uint64_t frame) {
    uint32_t v = x * 0x9E3779B1u ^ y * 0x85EBCA77u ^ static_cast<uint32_t>(frame) * 0xC2B2AE3Du;
    v ^= v >> 15;
    return v | 0xFF000000u;
}

// mt19937's result type is wider than 32 bits on LP64; tests want uint32_t without casts.
inline uint32_t next_u32(std::mt19937& rng) {
    return static_cast<uint32_t>(rng());
}

struct Image {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t bpp = 4;
    std::vector<std::byte> pixels;
    uint32_t stride() const { return width * bpp; }
};

inline Image make_image(uint32_t width, uint32_t height, uint64_t frame, uint32_t bpp = 4) {
    Image image{width, height, bpp, std::vector<std::byte>(size_t{width} * height * bpp)};
    for (uint32_t y = 0; y < height; ++y) {
        for (uint32_t x = 0; x < width; ++x) {
            for (uint32_t k = 0; k < bpp; k += 4) {
                const uint32_t p = pattern_pixel(x + k, y, frame);
                std::memcpy(image.pixels.data() + (size_t{y} * width + x) * bpp + k, &p, 4);
            }
        }
    }
    return image;
}

// Repaints a rectangle of `image` with frame `frame`'s pattern.
inline void paint(Image& image, uint32_t x0, uint32_t y0, uint32_t w, uint32_t h, uint64_t frame) {
    for (uint32_t y = y0; y < y0 + h; ++y) {
        for (uint32_t x = x0; x < x0 + w; ++x) {
            for (uint32_t k = 0; k < image.bpp; k += 4) {
                const uint32_t p = pattern_pixel(x + k, y, frame);
                std::memcpy(image.pixels.data() + (size_t{y} * image.width + x) * image.bpp + k, &p,
                            4);
            }
        }
    }
}

}  // namespace periscope::test
