// The GDI back-end's damage: two pictures compared row by row.
#include "agent/capture/gdi/gdi_diff.h"

#include <gtest/gtest.h>

#include <vector>

namespace periscope::agent::gdi {
namespace {

constexpr uint32_t W = 64;
constexpr uint32_t H = 48;
constexpr uint32_t STRIDE = W * 4;

void set_pixel(std::vector<std::byte>* picture, uint32_t x, uint32_t y, uint8_t value) {
    (*picture)[size_t{y} * STRIDE + size_t{x} * 4] = std::byte{value};
}

TEST(GdiDiff, EqualPicturesGiveNoDamage) {
    std::vector<std::byte> previous(size_t{STRIDE} * H, std::byte{7});
    const std::vector<std::byte> current = previous;
    protocol::DamageList damage;
    EXPECT_FALSE(pictures_differ(previous.data(), current.data(), W, H, STRIDE));
    EXPECT_EQ(diff_and_update(previous.data(), current.data(), W, H, STRIDE, &damage), 0u);
    EXPECT_TRUE(damage.empty());
}

TEST(GdiDiff, ARunOfRowsBecomesOneRectSpanningTheChangedColumns) {
    std::vector<std::byte> previous(size_t{STRIDE} * H);
    std::vector<std::byte> current = previous;
    set_pixel(&current, 10, 5, 1);
    set_pixel(&current, 20, 6, 1);
    set_pixel(&current, 15, 7, 1);
    set_pixel(&current, 63, 40, 1);  // a second run, at the right edge
    protocol::DamageList damage;
    EXPECT_TRUE(pictures_differ(previous.data(), current.data(), W, H, STRIDE));
    EXPECT_EQ(diff_and_update(previous.data(), current.data(), W, H, STRIDE, &damage), 4u);
    ASSERT_EQ(damage.rects().size(), 2u);
    EXPECT_EQ(damage.rects()[0], (protocol::Rect{10, 5, 11, 3}));
    EXPECT_EQ(damage.rects()[1], (protocol::Rect{63, 40, 1, 1}));
    // `previous` now is `current`: the next comparison finds nothing.
    EXPECT_EQ(previous, current);
}

TEST(GdiDiff, TheLastRowClosesItsRun) {
    std::vector<std::byte> previous(size_t{STRIDE} * H);
    std::vector<std::byte> current = previous;
    set_pixel(&current, 0, H - 2, 9);
    set_pixel(&current, 3, H - 1, 9);
    protocol::DamageList damage;
    diff_and_update(previous.data(), current.data(), W, H, STRIDE, &damage);
    ASSERT_EQ(damage.rects().size(), 1u);
    EXPECT_EQ(damage.rects()[0], (protocol::Rect{0, H - 2, 4, 2}));
}

}  // namespace
}  // namespace periscope::agent::gdi
