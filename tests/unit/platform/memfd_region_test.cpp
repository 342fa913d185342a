#include "platform/memfd/memfd_region.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "platform/region.h"
#include "test_util.h"

namespace periscope::platform {
namespace {

constexpr uint64_t MIB = 1024 * 1024;
constexpr uint64_t PAGE = 4096;

std::unique_ptr<MemfdRegion> open_memfd(uint64_t size, const char* name = "test") {
    RegionOptions options;
    options.size = size;
    auto region = open_memfd_region(name, options, nullptr);
    return region ? std::move(region).value() : nullptr;
}

TEST(MemfdRegion, HasTheRequestedSizeZeroFilledAndPageAligned) {
    auto region = open_memfd(2 * MIB);
    ASSERT_NE(region, nullptr);
    auto bytes = region->bytes();
    EXPECT_EQ(bytes.size(), 2 * MIB);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(bytes.data()) % PAGE, 0u);
    EXPECT_TRUE(
        std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; }));
    EXPECT_EQ(region->description(), "memfd:test (2 MiB)");
}

TEST(MemfdRegion, ExposesAnOpenCloseOnExecFdOfTheRightSize) {
    auto region = open_memfd(MIB);
    ASSERT_NE(region, nullptr);
    struct stat st {};
    ASSERT_EQ(fstat(region->fd(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), MIB);
    EXPECT_NE(fcntl(region->fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(MemfdRegion, CannotBeShrunkUnderTheMapping) {
    auto region = open_memfd(MIB);
    ASSERT_NE(region, nullptr);
    EXPECT_NE(ftruncate(region->fd(), 0), 0);
}

TEST(MemfdRegion, ChildMappingTheInheritedFdSeesAndMakesWrites) {
    auto region = open_memfd(MIB);
    ASSERT_NE(region, nullptr);
    auto bytes = region->bytes();
    std::memcpy(bytes.data(), "from parent", 12);
    const int fd = region->fd();
    const auto child = test::run_in_child([fd](std::string* out) {
        void* base = mmap(nullptr, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED) {
            *out = std::strerror(errno);
            return 2;
        }
        auto* data = static_cast<char*>(base);
        if (std::memcmp(data, "from parent", 12) != 0) {
            return 3;
        }
        std::memcpy(data + MIB - 16, "from child", 11);
        munmap(base, MIB);
        return 0;
    });
    ASSERT_EQ(child.exit_code, 0) << child.message;
    EXPECT_EQ(std::memcmp(bytes.data() + MIB - 16, "from child", 11), 0);
}

TEST(MemfdRegion, ChildCanReopenItThroughProcSelfFdAsAnShmRegion) {
    auto region = open_memfd(MIB, "proc");
    ASSERT_NE(region, nullptr);
    auto bytes = region->bytes();
    bytes[100] = std::byte{0x5a};
    const std::string spec = "/proc/self/fd/" + std::to_string(region->fd());
    const auto child = test::run_in_child([&spec](std::string* out) {
        auto other = open_region(spec, RegionOptions{}, out);
        if (!other) {
            return 2;
        }
        auto view = (*other)->bytes();
        if (view.size() != MIB || view[100] != std::byte{0x5a}) {
            return 3;
        }
        view[200] = std::byte{0xa5};
        return 0;
    });
    ASSERT_EQ(child.exit_code, 0) << child.message;
    EXPECT_EQ(bytes[200], std::byte{0xa5});
}

TEST(MemfdRegion, NeedsASize) {
    std::string detail;
    auto region = open_region("memfd:nosize", RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
    EXPECT_NE(detail.find("memfd:nosize"), std::string::npos);
}

TEST(MemfdRegion, EmptyNameGetsADefault) {
    RegionOptions options;
    options.size = PAGE;
    auto region = open_region("memfd:", options);
    ASSERT_TRUE(region);
    EXPECT_EQ((*region)->description(), "memfd:periscope (4 KiB)");
}

TEST(MemfdRegion, RefusesNamesWithASlash) {
    RegionOptions options;
    options.size = PAGE;
    auto region = open_region("memfd:a/b", options);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::InvalidSpec);
}

}  // namespace
}  // namespace periscope::platform
