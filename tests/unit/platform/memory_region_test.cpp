#include "platform/memory/memory_region.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "platform/region.h"

namespace periscope::platform {
namespace {

constexpr uint64_t PAGE = 4096;

bool all_zero(std::span<const std::byte> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

TEST(MemoryRegion, HasTheRequestedSizeZeroFilledAndPageAligned) {
    for (uint64_t size : {uint64_t{1}, PAGE, PAGE + 1, uint64_t{3} * 1024 * 1024}) {
        RegionOptions options;
        options.size = size;
        auto region = open_memory_region("", options, nullptr);
        ASSERT_TRUE(region) << size;
        auto bytes = (*region)->bytes();
        EXPECT_EQ(bytes.size(), size);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(bytes.data()) % PAGE, 0u);
        EXPECT_TRUE(all_zero(bytes));
        EXPECT_EQ((*region)->fd(), -1);  // private memory: nothing to lend
        bytes.front() = std::byte{1};
        bytes.back() = std::byte{2};
        EXPECT_EQ(bytes.back(), std::byte{2});
    }
}

TEST(MemoryRegion, DescriptionStatesTheSize) {
    RegionOptions options;
    options.size = 64 * 1024 * 1024;
    auto region = open_region("mem:", options);
    ASSERT_TRUE(region);
    EXPECT_EQ((*region)->description(), "private memory (64 MiB)");
}

TEST(MemoryRegion, NeedsASize) {
    std::string detail;
    auto region = open_region("mem:", RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
    EXPECT_NE(detail.find("size"), std::string::npos);
}

TEST(MemoryRegion, RefusesLessThanMinSize) {
    RegionOptions options;
    options.size = PAGE;
    options.min_size = 2 * PAGE;
    std::string detail;
    auto region = open_region("mem:", options, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
    EXPECT_NE(detail.find("8192 bytes"), std::string::npos) << detail;
}

TEST(MemoryRegion, ImpossibleSizeFailsCleanly) {
    RegionOptions options;
    options.size = UINT64_MAX - 10;
    auto region = open_region("mem:", options);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::MapFailed);
}

}  // namespace
}  // namespace periscope::platform
