#include "protocol/damage.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "support/pattern.h"

namespace periscope::protocol {
namespace {

using periscope::test::next_u32;

bool covered(const DamageList& d, uint32_t x, uint32_t y) {
    if (d.is_full()) {
        return true;
    }
    for (const Rect& r : d.rects()) {
        if (x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height) {
            return true;
        }
    }
    return false;
}

TEST(Damage, EmptyRectsIgnoredOverlapsMerged) {
    DamageList d;
    d.add(Rect{0, 0, 0, 5});
    EXPECT_TRUE(d.empty());
    d.add(Rect{0, 0, 10, 10});
    d.add(Rect{5, 5, 10, 10});
    ASSERT_EQ(d.rects().size(), 1u);
    EXPECT_EQ(d.rects()[0], (Rect{0, 0, 15, 15}));
    d.add(Rect{1, 1, 2, 2});  // contained
    EXPECT_EQ(d.rects().size(), 1u);
    d.add(Rect{100, 100, 1, 1});
    EXPECT_EQ(d.rects().size(), 2u);
}

TEST(Damage, FullAbsorbsEverything) {
    DamageList d;
    d.add(Rect{1, 1, 1, 1});
    d.set_full();
    d.add(Rect{5, 5, 5, 5});
    EXPECT_TRUE(d.is_full());
    DamageList e;
    e.add(d);
    EXPECT_TRUE(e.is_full());
    e.clear();
    EXPECT_TRUE(e.empty());
}

// Whatever is added, the list stays bounded and covers every pixel that was added (superset).
TEST(Damage, BoundedSupersetUnderRandomInput) {
    std::mt19937 rng(1234);
    for (int round = 0; round < 50; ++round) {
        DamageList d;
        std::vector<Rect> added;
        const int n = 1 + static_cast<int>(next_u32(rng) % 200);
        for (int i = 0; i < n; ++i) {
            const Rect r{next_u32(rng) % 200, next_u32(rng) % 200, 1 + next_u32(rng) % 20,
                         1 + next_u32(rng) % 20};
            d.add(r);
            added.push_back(r);
        }
        ASSERT_LE(d.rects().size(), MAX_DAMAGE_RECTS);
        for (const Rect& r : added) {
            for (uint32_t y = r.y; y < r.y + r.height; ++y) {
                for (uint32_t x = r.x; x < r.x + r.width; ++x) {
                    ASSERT_TRUE(covered(d, x, y)) << x << "," << y;
                }
            }
        }
        // Rects in the list do not overlap each other (so no byte is copied twice).
        const auto rects = d.rects();
        for (size_t i = 0; i < rects.size(); ++i) {
            for (size_t j = i + 1; j < rects.size(); ++j) {
                ASSERT_FALSE(intersects(rects[i], rects[j]));
            }
        }
    }
}

TEST(Damage, SortByTopAndClip) {
    DamageList d;
    d.add(Rect{0, 50, 1, 1});
    d.add(Rect{0, 10, 1, 1});
    d.add(Rect{0, 30, 1, 1});
    d.sort_by_top();
    EXPECT_EQ(d.rects()[0].y, 10u);
    EXPECT_EQ(d.rects()[2].y, 50u);
    EXPECT_EQ(clip(Rect{90, 90, 20, 20}, 100, 100), (Rect{90, 90, 10, 10}));
    EXPECT_EQ(clip(Rect{100, 0, 5, 5}, 100, 100).width, 0u);
}

}  // namespace
}  // namespace periscope::protocol
