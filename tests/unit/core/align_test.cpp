#include "core/align.h"

#include <gtest/gtest.h>

namespace periscope {
namespace {

TEST(Align, UpAndCheck) {
    EXPECT_EQ(align_up(0, 4096), 0u);
    EXPECT_EQ(align_up(1, 4096), 4096u);
    EXPECT_EQ(align_up(4096, 4096), 4096u);
    EXPECT_TRUE(is_aligned(8192, 4096));
    EXPECT_FALSE(is_aligned(8193, 4096));
}

TEST(Align, CheckedArithmetic) {
    EXPECT_FALSE(checked_add(UINT64_MAX, 1).has_value());
    EXPECT_EQ(*checked_add(2, 3), 5u);
    EXPECT_FALSE(checked_mul(UINT64_MAX / 2 + 1, 2).has_value());
    EXPECT_EQ(*checked_mul(0, UINT64_MAX), 0u);
}

TEST(Align, RangeWithin) {
    EXPECT_TRUE(range_within(0, 10, 10));
    EXPECT_FALSE(range_within(1, 10, 10));
    EXPECT_FALSE(range_within(11, 0, 10));
    EXPECT_FALSE(range_within(UINT64_MAX, 2, 10));  // no wrap-around
    EXPECT_FALSE(range_within(5, UINT64_MAX, 10));
}

TEST(Align, NextPowerOfTwo) {
    EXPECT_EQ(next_power_of_two(1), 1u);
    EXPECT_EQ(next_power_of_two(17133568), 32u * 1024 * 1024);
    EXPECT_EQ(next_power_of_two(32u * 1024 * 1024), 32u * 1024 * 1024);
}

}  // namespace
}  // namespace periscope
