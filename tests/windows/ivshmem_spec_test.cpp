// The pure half of the Windows IVSHMEM back-end: "ivshmem:ARGUMENT" and the choice of device.
#include "platform/ivshmem/ivshmem_spec.h"

#include <gtest/gtest.h>

#include <vector>

namespace periscope::platform {
namespace {

constexpr uint64_t MIB = 1024 * 1024;

IvshmemSpec parse_ok(std::string_view argument) {
    std::string message;
    auto spec = parse_ivshmem_spec(argument, &message);
    EXPECT_TRUE(spec) << argument << ": " << message;
    return spec ? *spec : IvshmemSpec{};
}

TEST(IvshmemSpec, EmptyMeansTheFirstWithTheDefaultCache) {
    const IvshmemSpec spec = parse_ok("");
    EXPECT_FALSE(spec.index);
    EXPECT_FALSE(spec.size);
    EXPECT_FALSE(spec.cache);
}

TEST(IvshmemSpec, IndexWithOrWithoutHash) {
    EXPECT_EQ(parse_ok("2").index, 2u);
    EXPECT_EQ(parse_ok("#1").index, 1u);
    EXPECT_FALSE(parse_ok("#1").size);
}

TEST(IvshmemSpec, SizeNeedsAUnit) {
    EXPECT_EQ(parse_ok("64M").size, 64 * MIB);
    EXPECT_EQ(parse_ok("64MiB").size, 64 * MIB);
    EXPECT_EQ(parse_ok("1G").size, 1024 * MIB);
    EXPECT_EQ(parse_ok("512k").size, 512 * 1024u);
    EXPECT_FALSE(parse_ivshmem_size("64"));
    EXPECT_FALSE(parse_ivshmem_size("0M"));
    EXPECT_FALSE(parse_ivshmem_size("64X"));
    EXPECT_FALSE(parse_ivshmem_size("M"));
}

TEST(IvshmemSpec, CacheModes) {
    EXPECT_EQ(parse_ok(",cache=wc").cache, IvshmemCache::WriteCombined);
    EXPECT_EQ(parse_ok("#1,cache=cached").cache, IvshmemCache::Cached);
    const IvshmemSpec spec = parse_ok("64M,cache=uncached");
    EXPECT_EQ(spec.cache, IvshmemCache::Uncached);
    EXPECT_EQ(spec.size, 64 * MIB);
    // The values the driver's IOCTL takes (virtio-win ivshmem/Public.h IVSHMEM_CACHE_*).
    EXPECT_EQ(static_cast<int>(IvshmemCache::Uncached), 0);
    EXPECT_EQ(static_cast<int>(IvshmemCache::Cached), 1);
    EXPECT_EQ(static_cast<int>(IvshmemCache::WriteCombined), 2);
}

TEST(IvshmemSpec, RejectsWhatItDoesNotKnow) {
    for (const char* bad : {"#", "#64M", "abc", "-1", ",cache=fast", ",mode=wc", "1,"}) {
        std::string message;
        auto spec = parse_ivshmem_spec(bad, &message);
        ASSERT_FALSE(spec) << bad;
        EXPECT_EQ(spec.error(), RegionError::InvalidSpec) << bad;
        EXPECT_FALSE(message.empty()) << bad;
    }
}

TEST(IvshmemChoice, FirstByIndexAndBySize) {
    const std::vector<uint64_t> sizes{32 * MIB, 256 * MIB, 64 * MIB};
    std::string message;
    EXPECT_EQ(*choose_ivshmem_device(IvshmemSpec{}, sizes, &message), 0u);
    EXPECT_EQ(*choose_ivshmem_device(parse_ok("#2"), sizes, &message), 2u);
    EXPECT_EQ(*choose_ivshmem_device(parse_ok("256M"), sizes, &message), 1u);
}

TEST(IvshmemChoice, SaysWhatThereIs) {
    const std::vector<uint64_t> sizes{32 * MIB, 64 * MIB};
    std::string message;
    auto missing = choose_ivshmem_device(parse_ok("#5"), sizes, &message);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), RegionError::NotFound);
    EXPECT_NE(message.find("#0: 32 MiB, #1: 64 MiB"), std::string::npos) << message;

    auto no_size = choose_ivshmem_device(parse_ok("128M"), sizes, &message);
    ASSERT_FALSE(no_size);
    EXPECT_NE(message.find("no IVSHMEM device has 128 MiB"), std::string::npos) << message;

    auto none = choose_ivshmem_device(IvshmemSpec{}, {}, &message);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error(), RegionError::NotFound);
}

TEST(IvshmemChoice, TwoOfTheSameSizeNeedAnIndex) {
    const std::vector<uint64_t> sizes{64 * MIB, 64 * MIB};
    std::string message;
    auto chosen = choose_ivshmem_device(parse_ok("64M"), sizes, &message);
    ASSERT_FALSE(chosen);
    EXPECT_NE(message.find("by index"), std::string::npos) << message;
}

}  // namespace
}  // namespace periscope::platform
