#include "core/code_strip.h"

#include <gtest/gtest.h>

#include <vector>

namespace periscope {
namespace {

// Paints the strip into a 1-bit picture and reads it back, at several widths.
TEST(CodeStrip, RoundTripAtAnyWidth) {
    for (uint32_t width : {64u, 100u, 640u, 1920u}) {
        const uint32_t height = code_strip_height(width) + 3;
        std::vector<bool> picture(size_t{width} * height, false);
        const CodeStripValue value{0x0123456789ABCDEFULL, 987654321012345ULL};
        const auto bits = code_strip_bits(value);
        for (uint32_t i = 0; i < CODE_BITS; ++i) {
            const BlockOrigin o = code_block_origin(i, width);
            for (uint32_t y = o.y; y < o.y + CODE_BLOCK; ++y) {
                for (uint32_t x = o.x; x < o.x + CODE_BLOCK; ++x) {
                    picture[size_t{y} * width + x] = bits[i];
                }
            }
        }
        auto read = [&](uint32_t x, uint32_t y) { return bool(picture[size_t{y} * width + x]); };
        auto decoded = decode_code_strip(read, width, height);
        ASSERT_TRUE(decoded) << width;
        EXPECT_EQ(decoded->serial, value.serial);
        EXPECT_EQ(decoded->timestamp_ns, value.timestamp_ns);
        // One flipped block fails the check instead of giving a wrong value.
        const BlockOrigin o = code_block_origin(5, width);
        picture[size_t{o.y + 4} * width + o.x + 4] = !picture[size_t{o.y + 4} * width + o.x + 4];
        EXPECT_FALSE(decode_code_strip(read, width, height)) << width;
    }
    EXPECT_FALSE(decode_code_strip([](uint32_t, uint32_t) { return false; }, 4, 100));
    EXPECT_FALSE(decode_code_strip([](uint32_t, uint32_t) { return false; }, 640, 8))
        << "too short for the strip";
}

}  // namespace
}  // namespace periscope
