// The argument errors every back-end must reject with InvalidArgument (renderer.h, arguments.h),
// checked the same way for the null and the GL back-end.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "protocol/damage.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer::test {

// `r` must be fresh: the first check is an upload before any configure_frame.
inline void expect_rejects_bad_arguments(Renderer& r) {
    const RenderError BAD = RenderError::InvalidArgument;
    std::vector<std::byte> pixels(64 * 8, std::byte{0x40});
    protocol::DamageList full;
    full.set_full();

    auto upload_fails = [&](const std::byte* src, uint32_t stride,
                            const protocol::DamageList& damage, uint32_t from, uint32_t to) {
        auto result = r.upload(src, stride, damage, from, to);
        return !result && result.error() == BAD;
    };
    EXPECT_TRUE(upload_fails(pixels.data(), 64, full, 0, 8)) << "upload before configure_frame";

    for (const auto format : {protocol::Format::Invalid, static_cast<protocol::Format>(99)}) {
        auto result = r.configure_frame(format, 16, 8);
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error(), BAD);
    }
    for (const auto& [w, h] : {std::pair{0u, 8u}, {16u, 0u}, {16385u, 8u}, {16u, 16385u}}) {
        auto result = r.configure_frame(protocol::Format::BGRA8, w, h);
        ASSERT_FALSE(result) << w << "x" << h;
        EXPECT_EQ(result.error(), BAD);
    }

    ASSERT_TRUE(r.configure_frame(protocol::Format::BGRA8, 16, 8));
    EXPECT_TRUE(upload_fails(nullptr, 64, full, 0, 8)) << "no pixels";
    EXPECT_TRUE(upload_fails(pixels.data(), 63, full, 0, 8)) << "stride shorter than a row";
    EXPECT_TRUE(upload_fails(pixels.data(), 64, full, 5, 3)) << "rows backwards";
    EXPECT_TRUE(upload_fails(pixels.data(), 64, full, 0, 9)) << "rows past the height";
    for (const protocol::Rect& rect :
         {protocol::Rect{10, 0, 7, 1}, protocol::Rect{0, 7, 1, 2},
          protocol::Rect{0xFFFFFFF0u, 0, 0x20, 1}, protocol::Rect{0, 0xFFFFFFFFu, 1, 2}}) {
        protocol::DamageList damage;
        damage.add(rect);
        EXPECT_TRUE(upload_fails(pixels.data(), 64, damage, 0, 8))
            << "rect " << rect.x << "," << rect.y << " " << rect.width << "x" << rect.height;
    }
    // The edges themselves are fine, as are empty row ranges and empty damage.
    protocol::DamageList corner;
    corner.add(protocol::Rect{15, 7, 1, 1});
    EXPECT_TRUE(r.upload(pixels.data(), 64, corner, 0, 8));
    EXPECT_TRUE(r.upload(pixels.data(), 64, full, 3, 3));
    EXPECT_TRUE(r.upload(pixels.data(), 64, protocol::DamageList{}, 0, 8));
    EXPECT_TRUE(r.upload(pixels.data(), 64, full, 0, 8));

    std::vector<std::byte> shape(4 * 4 * 4, std::byte{0xFF});
    CursorImage good;
    good.width = 4;
    good.height = 4;
    good.hotspot_x = 3;
    good.hotspot_y = 3;
    good.pixels = shape.data();
    EXPECT_TRUE(r.set_cursor(good));
    auto cursor_fails = [&](CursorImage c, const char* why) {
        auto result = r.set_cursor(c);
        EXPECT_FALSE(result) << why;
        if (!result) {
            EXPECT_EQ(result.error(), BAD) << why;
        }
    };
    CursorImage c = good;
    c.format = protocol::Format::RGBA16F;
    cursor_fails(c, "16F cursor");
    c.format = protocol::Format::Invalid;
    cursor_fails(c, "no format");
    c = good;
    c.width = 0;
    cursor_fails(c, "zero width");
    c = good;
    c.height = 1025;
    cursor_fails(c, "too tall");
    c = good;
    c.hotspot_x = 4;
    cursor_fails(c, "hotspot outside");
    c = good;
    c.pixels = nullptr;
    cursor_fails(c, "no pixels");

    std::vector<std::byte> out;
    for (const auto& [w, h] : {std::pair{0u, 4u}, {4u, 0u}, {16385u, 4u}}) {
        auto result = r.read_pixels(w, h, &out);
        ASSERT_FALSE(result) << w << "x" << h;
        EXPECT_EQ(result.error(), BAD);
    }
    auto result = r.read_pixels(4, 4, nullptr);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), BAD);
}

}  // namespace periscope::viewer::test
