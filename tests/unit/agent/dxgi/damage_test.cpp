// Move and dirty rectangles in the byte layouts GetFrameMoveRects / GetFrameDirtyRects fill.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "agent/capture/dxgi/dxgi_damage.h"

namespace periscope::agent::dxgi {
namespace {

using protocol::Rect;

// Little-endian LONGs, as the metadata buffer holds them.
std::vector<std::byte> longs(std::initializer_list<int32_t> values) {
    std::vector<std::byte> out(values.size() * 4);
    size_t i = 0;
    for (int32_t v : values) {
        const auto u = static_cast<uint32_t>(v);
        for (int b = 0; b < 4; ++b) {
            out[i++] = static_cast<std::byte>((u >> (8 * b)) & 0xFF);
        }
    }
    return out;
}

TEST(DxgiDamage, ParsesTheDocumentedLayouts) {
    // DXGI_OUTDUPL_MOVE_RECT { POINT SourcePoint; RECT DestinationRect; } x 2, then 5 stray bytes.
    auto move_bytes = longs({10, 20, 30, 40, 130, 140, -1, 0, 0, 0, 5, 5});
    move_bytes.resize(move_bytes.size() + 5, std::byte{0x7F});
    const auto moves = parse_move_rects(move_bytes);
    ASSERT_EQ(moves.size(), 2u);
    EXPECT_EQ(moves[0].source_x, 10);
    EXPECT_EQ(moves[0].source_y, 20);
    EXPECT_EQ(moves[0].destination.left, 30);
    EXPECT_EQ(moves[0].destination.top, 40);
    EXPECT_EQ(moves[0].destination.right, 130);
    EXPECT_EQ(moves[0].destination.bottom, 140);
    EXPECT_EQ(moves[1].source_x, -1);

    // RECT { left, top, right, bottom }; unaligned start must not matter.
    std::vector<std::byte> dirty_bytes(1);
    const auto r = longs({1, 2, 3, 4});
    dirty_bytes.insert(dirty_bytes.end(), r.begin(), r.end());
    const auto dirty = parse_dirty_rects(std::span(dirty_bytes).subspan(1));
    ASSERT_EQ(dirty.size(), 1u);
    EXPECT_EQ(dirty[0].left, 1);
    EXPECT_EQ(dirty[0].bottom, 4);
    EXPECT_TRUE(parse_dirty_rects({}).empty());
}

TEST(DxgiDamage, ClipsToTheFrame) {
    EXPECT_EQ(clip_rect(DxgiRect{-10, -10, 20, 30}, 100, 50), (Rect{0, 0, 20, 30}));
    EXPECT_EQ(clip_rect(DxgiRect{90, 40, 200, 200}, 100, 50), (Rect{90, 40, 10, 10}));
    EXPECT_EQ(clip_rect(DxgiRect{100, 0, 120, 10}, 100, 50).width, 0u);  // right of the frame
    EXPECT_EQ(clip_rect(DxgiRect{50, 20, 40, 30}, 100, 50).width, 0u);   // inverted
    EXPECT_EQ(clip_rect(DxgiRect{INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX}, 100, 50),
              (Rect{0, 0, 100, 50}));
}

TEST(DxgiDamage, MovesThenDirtyWithDamageOfBoth) {
    // A window scrolled up by 10 rows (source y 110 -> destination y 100, 200 x 50), and the
    // newly exposed strip at its bottom is dirty.
    const std::vector<DxgiMoveRect> moves{{100, 110, {100, 100, 300, 150}}};
    const std::vector<DxgiRect> dirty{{100, 150, 300, 160}};
    const FrameUpdate u = plan_frame_update(moves, dirty, 1920, 1080);
    ASSERT_EQ(u.moves.size(), 1u);
    EXPECT_EQ(u.moves[0].source_x, 100u);
    EXPECT_EQ(u.moves[0].source_y, 110u);
    EXPECT_EQ(u.moves[0].destination, (Rect{100, 100, 200, 50}));
    ASSERT_EQ(u.copies.size(), 1u);
    EXPECT_EQ(u.copies[0], (Rect{100, 150, 200, 10}));
    // Damage covers the destination and the dirty strip (they touch: merged or not, the union).
    uint64_t covered = 0;
    for (const Rect& r : u.damage.rects()) {
        EXPECT_TRUE(protocol::contains(Rect{100, 100, 200, 60}, r));
        covered += protocol::area(r);
    }
    EXPECT_GE(covered, 200u * 60);
    // The source area that was not overwritten is not damage: it still shows what it showed.
}

TEST(DxgiDamage, MoveReachingOutsideTheFrameBecomesACopy) {
    const std::vector<DxgiMoveRect> moves{
        {-20, 0, {0, 0, 50, 50}},   // source left of the frame
        {0, 0, {80, 0, 130, 50}},   // destination clipped at the right edge
        {0, 70, {0, 0, 50, 50}},    // source below the frame (70 + 50 > 100)
        {0, 0, {10, 10, 10, 40}}};  // empty destination: ignored
    const FrameUpdate u = plan_frame_update(moves, {}, 100, 100);
    EXPECT_TRUE(u.moves.empty());
    ASSERT_EQ(u.copies.size(), 3u);
    EXPECT_EQ(u.copies[0], (Rect{0, 0, 50, 50}));
    EXPECT_EQ(u.copies[1], (Rect{80, 0, 20, 50}));
    EXPECT_EQ(u.copies[2], (Rect{0, 0, 50, 50}));
    EXPECT_FALSE(u.damage.empty());
}

TEST(DxgiDamage, NothingChangedIsNoDamage) {
    const FrameUpdate u = plan_frame_update({}, {}, 100, 100);
    EXPECT_TRUE(u.damage.empty());
    EXPECT_TRUE(u.moves.empty());
    EXPECT_TRUE(u.copies.empty());
}

// An image whose pixels (1 byte each) hold distinct values.
struct Image {
    uint32_t width, height;
    std::vector<std::byte> pixels;
    Image(uint32_t w, uint32_t h) : width(w), height(h), pixels(size_t{w} * h) {
        for (size_t i = 0; i < pixels.size(); ++i) {
            pixels[i] = static_cast<std::byte>((i * 7 + i / w) & 0xFF);
        }
    }
    std::byte at(uint32_t x, uint32_t y) const { return pixels[size_t{y} * width + x]; }
};

// The move done the obvious way, from an untouched copy.
void expect_move(const Image& before, const Image& after, const MoveOp& m) {
    for (uint32_t y = 0; y < after.height; ++y) {
        for (uint32_t x = 0; x < after.width; ++x) {
            const Rect& d = m.destination;
            const bool inside = x >= d.x && x < d.x + d.width && y >= d.y && y < d.y + d.height;
            const std::byte want = inside
                                       ? before.at(m.source_x + (x - d.x), m.source_y + (y - d.y))
                                       : before.at(x, y);
            ASSERT_EQ(after.at(x, y), want) << x << "," << y;
        }
    }
}

TEST(DxgiDamage, ApplyMoveHandlesOverlapInEveryDirection) {
    const MoveOp cases[] = {
        {10, 12, Rect{10, 10, 30, 20}},  // scroll up by 2 rows (overlapping)
        {10, 10, Rect{10, 12, 30, 20}},  // scroll down by 2 rows
        {12, 10, Rect{10, 10, 30, 20}},  // left by 2 columns
        {10, 10, Rect{12, 10, 30, 20}},  // right by 2 columns
        {0, 0, Rect{20, 25, 10, 10}},    // disjoint
    };
    for (const MoveOp& m : cases) {
        const Image before(64, 48);
        Image after = before;
        apply_move(after.pixels.data(), after.width, 1, m);
        expect_move(before, after, m);
    }
}

TEST(DxgiDamage, ApplyMoveWithFourBytePixelsAndPaddedStride) {
    // 8 x 4 pixels of 4 bytes, stride 40 (8 bytes of padding a row), move row 0 to row 2.
    std::vector<std::byte> image(40 * 4);
    for (size_t i = 0; i < image.size(); ++i) {
        image[i] = static_cast<std::byte>(i);
    }
    const auto before = image;
    apply_move(image.data(), 40, 4, MoveOp{0, 0, Rect{0, 2, 8, 1}});
    EXPECT_EQ(std::memcmp(image.data() + 80, before.data(), 32), 0);
    EXPECT_EQ(std::memcmp(image.data() + 112, before.data() + 112, 8), 0);  // padding untouched
    EXPECT_EQ(std::memcmp(image.data(), before.data(), 80), 0);
}

}  // namespace
}  // namespace periscope::agent::dxgi
