// Pointer shapes in the byte layouts GetFramePointerShape documents -> premultiplied BGRA.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "agent/capture/dxgi/dxgi_pointer.h"

namespace periscope::agent::dxgi {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) {
        out.push_back(static_cast<std::byte>(v));
    }
    return out;
}

struct Bgra {
    int b, g, r, a;
    friend bool operator==(const Bgra&, const Bgra&) = default;
};

Bgra pixel(const CursorShape& s, uint32_t x, uint32_t y) {
    const std::byte* p = s.pixels.data() + (size_t{y} * s.width + x) * 4;
    return Bgra{std::to_integer<int>(p[0]), std::to_integer<int>(p[1]), std::to_integer<int>(p[2]),
                std::to_integer<int>(p[3])};
}

constexpr Bgra BLACK{0, 0, 0, 255};
constexpr Bgra WHITE{255, 255, 255, 255};
constexpr Bgra CLEAR{0, 0, 0, 0};

TEST(DxgiPointerShape, InfoHasTheDocumentedLayout) {
    // UINT Type, Width, Height, Pitch; POINT HotSpot { LONG x, y }.
    const auto raw =
        bytes({2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0});
    PointerShapeInfo info;
    std::memcpy(&info, raw.data(), sizeof info);
    EXPECT_EQ(info.type, POINTER_SHAPE_COLOR);
    EXPECT_EQ(info.width, 3u);
    EXPECT_EQ(info.height, 4u);
    EXPECT_EQ(info.pitch, 12u);
    EXPECT_EQ(info.hotspot_x, 1);
    EXPECT_EQ(info.hotspot_y, 2);
}

TEST(DxgiPointerShape, MonochromeTruthTable) {
    // 4 x 2 cursor: height 4 in the info (AND rows, then XOR rows), pitch 4 (DWORD-padded rows,
    // padding bytes 0xEE must not matter). Row 0 pixels: (AND,XOR) = 00, 01, 10, 11.
    // Row 1: all transparent except pixel 0 black.
    // AND row 0: 0b0011'0000 = 0x30; AND row 1: 0b0111'0000 = 0x70.
    // XOR row 0: 0b0101'0000 = 0x50; XOR row 1: 0.
    const auto buffer = bytes({0x30, 0xEE, 0xEE, 0xEE,  //
                               0x70, 0xEE, 0xEE, 0xEE,  //
                               0x50, 0xEE, 0xEE, 0xEE,  //
                               0x00, 0xEE, 0xEE, 0xEE});
    PointerShapeInfo info{POINTER_SHAPE_MONOCHROME, 4, 4, 4, 0, 0};
    CursorShape shape;
    ASSERT_TRUE(convert_pointer_shape(info, buffer, 256, &shape));
    EXPECT_EQ(shape.width, 4u);
    EXPECT_EQ(shape.height, 2u);  // half the buffer's rows
    EXPECT_TRUE(shape.premultiplied);
    EXPECT_EQ(shape.format, protocol::Format::BGRA8);
    ASSERT_EQ(shape.pixels.size(), 4u * 2 * 4);
    EXPECT_EQ(pixel(shape, 0, 0), BLACK);  // AND 0 XOR 0
    EXPECT_EQ(pixel(shape, 1, 0), WHITE);  // AND 0 XOR 1
    // AND 1 XOR 0 is transparent, but it touches the inverted pixel: the outline makes it white.
    EXPECT_EQ(pixel(shape, 2, 0), WHITE);
    EXPECT_EQ(pixel(shape, 3, 0), BLACK);  // AND 1 XOR 1: inverted -> black
    EXPECT_EQ(pixel(shape, 0, 1), BLACK);  // AND 0 XOR 0
    EXPECT_EQ(pixel(shape, 1, 1), CLEAR);  // transparent, not next to the inverted pixel
    EXPECT_EQ(pixel(shape, 2, 1), WHITE);  // diagonal neighbour of the inverted pixel
    EXPECT_EQ(pixel(shape, 3, 1), WHITE);  // below it
}

TEST(DxgiPointerShape, MonochromeTransparentStaysTransparentWithoutInversion) {
    // 8 x 1: AND 0xF0 (left half transparent), XOR 0x0F (right half white).
    const auto buffer = bytes({0xF0, 0x0F});
    PointerShapeInfo info{POINTER_SHAPE_MONOCHROME, 8, 2, 1, 7, 0};
    CursorShape shape;
    ASSERT_TRUE(convert_pointer_shape(info, buffer, 256, &shape));
    for (uint32_t x = 0; x < 4; ++x) {
        EXPECT_EQ(pixel(shape, x, 0), CLEAR) << x;
    }
    for (uint32_t x = 4; x < 8; ++x) {
        EXPECT_EQ(pixel(shape, x, 0), WHITE) << x;
    }
    EXPECT_EQ(shape.hotspot_x, 7u);
}

TEST(DxgiPointerShape, ColorIsPremultiplied) {
    // 2 x 1, pitch 8: B, G, R, A per pixel.
    const auto buffer = bytes({0x10, 0x20, 0xFF, 0xFF,    // opaque
                               0xFF, 0x80, 0x00, 0x80});  // half transparent
    PointerShapeInfo info{POINTER_SHAPE_COLOR, 2, 1, 8, 1, 0};
    CursorShape shape;
    ASSERT_TRUE(convert_pointer_shape(info, buffer, 256, &shape));
    EXPECT_EQ(pixel(shape, 0, 0), (Bgra{0x10, 0x20, 0xFF, 0xFF}));
    EXPECT_EQ(pixel(shape, 1, 0), (Bgra{0x80, 0x40, 0x00, 0x80}));
    EXPECT_EQ(shape.hotspot_x, 1u);
    EXPECT_EQ(shape.hotspot_y, 0u);
}

TEST(DxgiPointerShape, ColorHonoursPitch) {
    // 1 x 2 with pitch 8: the second 4 bytes of each row are padding.
    const auto buffer = bytes({1, 2, 3, 255, 9, 9, 9, 9,  //
                               4, 5, 6, 255});            // last row may end at its last pixel
    PointerShapeInfo info{POINTER_SHAPE_COLOR, 1, 2, 8, 0, 0};
    CursorShape shape;
    ASSERT_TRUE(convert_pointer_shape(info, buffer, 256, &shape));
    EXPECT_EQ(pixel(shape, 0, 0), (Bgra{1, 2, 3, 255}));
    EXPECT_EQ(pixel(shape, 0, 1), (Bgra{4, 5, 6, 255}));
}

TEST(DxgiPointerShape, MaskedColor) {
    // 4 x 1: mask 0 -> colour opaque; mask 0xFF with RGB 0 -> transparent; mask 0xFF with white ->
    // inverted (black, outlined); the pixel after it is transparent -> white outline.
    const auto buffer = bytes({0x11, 0x22, 0x33, 0x00,  //
                               0x00, 0x00, 0x00, 0xFF,  //
                               0xFF, 0xFF, 0xFF, 0xFF,  //
                               0x00, 0x00, 0x00, 0xFF});
    PointerShapeInfo info{POINTER_SHAPE_MASKED_COLOR, 4, 1, 16, 0, 0};
    CursorShape shape;
    ASSERT_TRUE(convert_pointer_shape(info, buffer, 256, &shape));
    EXPECT_EQ(pixel(shape, 0, 0), (Bgra{0x11, 0x22, 0x33, 0xFF}));
    EXPECT_EQ(pixel(shape, 1, 0), WHITE);  // outline of the inverted pixel next to it
    EXPECT_EQ(pixel(shape, 2, 0), BLACK);
    EXPECT_EQ(pixel(shape, 3, 0), WHITE);
}

TEST(DxgiPointerShape, MaskedColorXorWithZeroFarFromInversionIsTransparent) {
    const auto buffer = bytes({0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF});
    PointerShapeInfo info{POINTER_SHAPE_MASKED_COLOR, 2, 1, 8, 0, 0};
    CursorShape shape;
    ASSERT_TRUE(convert_pointer_shape(info, buffer, 256, &shape));
    EXPECT_EQ(pixel(shape, 0, 0), CLEAR);
    EXPECT_EQ(pixel(shape, 1, 0), CLEAR);
}

TEST(DxgiPointerShape, RejectsWhatDoesNotFit) {
    CursorShape shape;
    const auto four = bytes({0, 0, 0, 0});
    // Unknown type.
    auto r = convert_pointer_shape(PointerShapeInfo{3, 1, 1, 4, 0, 0}, four, 256, &shape);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), PointerShapeError::UnknownType);
    // Empty, and a monochrome shape of one buffer row (no XOR half).
    r = convert_pointer_shape(PointerShapeInfo{POINTER_SHAPE_COLOR, 0, 1, 4, 0, 0}, four, 256,
                              &shape);
    EXPECT_EQ(r.error(), PointerShapeError::Empty);
    r = convert_pointer_shape(PointerShapeInfo{POINTER_SHAPE_MONOCHROME, 8, 1, 1, 0, 0}, four, 256,
                              &shape);
    EXPECT_EQ(r.error(), PointerShapeError::Empty);
    // Pitch shorter than a row.
    r = convert_pointer_shape(PointerShapeInfo{POINTER_SHAPE_COLOR, 2, 1, 4, 0, 0}, four, 256,
                              &shape);
    EXPECT_EQ(r.error(), PointerShapeError::BadPitch);
    r = convert_pointer_shape(PointerShapeInfo{POINTER_SHAPE_MONOCHROME, 9, 2, 1, 0, 0}, four, 256,
                              &shape);
    EXPECT_EQ(r.error(), PointerShapeError::BadPitch);
    // Rows beyond the buffer: 1 x 2 colour needs 8 bytes, 16 x 4 monochrome needs 8.
    r = convert_pointer_shape(PointerShapeInfo{POINTER_SHAPE_COLOR, 1, 2, 4, 0, 0}, four, 256,
                              &shape);
    EXPECT_EQ(r.error(), PointerShapeError::BufferTooSmall);
    r = convert_pointer_shape(PointerShapeInfo{POINTER_SHAPE_MONOCHROME, 16, 4, 2, 0, 0}, four, 256,
                              &shape);
    EXPECT_EQ(r.error(), PointerShapeError::BufferTooSmall);
    // Sizes whose products overflow 32 bits are still caught.
    r = convert_pointer_shape(
        PointerShapeInfo{POINTER_SHAPE_COLOR, 0x1000'0000, 0x4000'0000, 0xFFFF'FFFF, 0, 0}, four,
        256, &shape);
    EXPECT_EQ(r.error(), PointerShapeError::BufferTooSmall);
}

TEST(DxgiPointerShape, LargeShapeIsCroppedAroundItsHotspot) {
    // 300 x 300 colour, hotspot at the centre; pixel value encodes its coordinates.
    constexpr uint32_t N = 300;
    std::vector<std::byte> buffer(size_t{N} * N * 4);
    for (uint32_t y = 0; y < N; ++y) {
        for (uint32_t x = 0; x < N; ++x) {
            std::byte* p = buffer.data() + (size_t{y} * N + x) * 4;
            p[0] = static_cast<std::byte>(x & 0xFF);
            p[1] = static_cast<std::byte>(y & 0xFF);
            p[2] = std::byte{0};
            p[3] = std::byte{0xFF};
        }
    }
    CursorShape shape;
    ASSERT_TRUE(convert_pointer_shape(PointerShapeInfo{POINTER_SHAPE_COLOR, N, N, N * 4, 290, 150},
                                      buffer, 256, &shape));
    EXPECT_EQ(shape.width, 256u);
    EXPECT_EQ(shape.height, 256u);
    // x: hotspot 290 >= 256 -> window [44, 300); y: hotspot 150 < 256 -> window [0, 256).
    EXPECT_EQ(shape.hotspot_x, 290u - 44);
    EXPECT_EQ(shape.hotspot_y, 150u);
    EXPECT_EQ(pixel(shape, 0, 0).b, 44);
    EXPECT_EQ(pixel(shape, shape.hotspot_x, shape.hotspot_y).b, 290 & 0xFF);
    EXPECT_EQ(pixel(shape, shape.hotspot_x, shape.hotspot_y).g, 150);
}

TEST(DxgiPointerShape, HotspotOutsideTheShapeIsClamped) {
    const auto buffer = bytes({0, 0, 0, 255, 0, 0, 0, 255});
    CursorShape shape;
    ASSERT_TRUE(convert_pointer_shape(PointerShapeInfo{POINTER_SHAPE_COLOR, 2, 1, 8, -5, 7}, buffer,
                                      256, &shape));
    EXPECT_EQ(shape.hotspot_x, 0u);
    EXPECT_EQ(shape.hotspot_y, 0u);
}

TEST(DxgiPointerShape, HotspotPositionAddsTheHotspotToTheTopLeft) {
    const PointerShapeInfo info{POINTER_SHAPE_COLOR, 32, 32, 128, 4, 6};
    const CursorPosition p = hotspot_position(100, 200, info, true);
    EXPECT_EQ(p.x, 104);
    EXPECT_EQ(p.y, 206);
    EXPECT_TRUE(p.visible);
}

}  // namespace
}  // namespace periscope::agent::dxgi
