// The back-end table and spec dispatch of open_region().
#include "platform/region.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <string>

#include "test_util.h"

namespace periscope::platform {
namespace {

constexpr uint64_t MIB = 1024 * 1024;

TEST(RegionTable, ListsTheFourBackendsInHelpOrder) {
    const auto backends = region_backends();
    ASSERT_EQ(backends.size(), 4u);
    EXPECT_STREQ(backends[0].prefix, "shm");
    EXPECT_STREQ(backends[1].prefix, "memfd");
    EXPECT_STREQ(backends[2].prefix, "mem");
    EXPECT_STREQ(backends[3].prefix, "pci");
    for (const RegionBackend& backend : backends) {
        EXPECT_NE(backend.open, nullptr);
        EXPECT_NE(std::string(backend.description).find(backend.prefix), std::string::npos);
    }
}

TEST(RegionTable, EveryErrorHasADistinctName) {
    std::set<std::string> names;
    for (RegionError error :
         {RegionError::InvalidSpec, RegionError::NotFound, RegionError::PermissionDenied,
          RegionError::NotRegularFile, RegionError::TooSmall, RegionError::MapFailed,
          RegionError::IoError, RegionError::Unsupported}) {
        names.insert(to_string(error));
    }
    EXPECT_EQ(names.size(), 8u);
}

TEST(RegionTable, DispatchesOnThePrefix) {
    RegionOptions options;
    options.size = MIB;
    auto mem = open_region("mem:", options);
    ASSERT_TRUE(mem);
    EXPECT_EQ((*mem)->bytes().size(), MIB);
    auto bare = open_region("mem", options);
    ASSERT_TRUE(bare);
    auto memfd = open_region("memfd:dispatch", options);
    ASSERT_TRUE(memfd);
    EXPECT_NE((*memfd)->description().find("memfd:dispatch"), std::string::npos);
}

TEST(RegionTable, LeadingSlashMeansShm) {
    test::TempDir dir;
    ASSERT_TRUE(dir.ok());
    test::write_zero_file(dir.file("region"), MIB);
    std::string detail;
    auto region = open_region(dir.file("region"), RegionOptions{}, &detail);
    ASSERT_TRUE(region) << detail;
    EXPECT_EQ((*region)->bytes().size(), MIB);
    EXPECT_EQ((*region)->description(), dir.file("region") + " (1 MiB)");
}

TEST(RegionTable, BareShmNameMeansDevShm) {
    const std::string name = "periscope-test-bare-" + std::to_string(getpid());
    RegionOptions options;
    options.create = true;
    options.size = MIB;
    std::string detail;
    auto region = open_region("shm:" + name, options, &detail);
    ASSERT_TRUE(region) << detail;
    EXPECT_EQ((*region)->description(), "/dev/shm/" + name + " (1 MiB)");
    unlink(("/dev/shm/" + name).c_str());
}

TEST(RegionTable, UnknownPrefixListsTheValidForms) {
    for (const char* spec : {"", "bogus", "bogus:thing", "SHM:/dev/shm/x", "file:/tmp/x"}) {
        std::string detail;
        auto region = open_region(spec, RegionOptions{}, &detail);
        ASSERT_FALSE(region) << spec;
        EXPECT_EQ(region.error(), RegionError::InvalidSpec) << spec;
        EXPECT_NE(detail.find(std::string("'") + spec + "'"), std::string::npos) << detail;
        for (const char* form :
             {"shm:/dev/shm/NAME", "/PATH", "memfd:NAME", "mem:", "pci:#N", "pci:0000:00:05.0"}) {
            EXPECT_NE(detail.find(form), std::string::npos) << form << " missing: " << detail;
        }
    }
}

TEST(RegionTable, MalformedArgumentsAreInvalidSpecs) {
    RegionOptions options;
    options.size = MIB;
    for (const char* spec : {"shm:", "mem:extra", "pci:#", "pci:#x", "pci:#-1", "pci:zz",
                             "pci:0000:00:05", "pci:0000:00:05.8", "pci:0000:0:05.0"}) {
        std::string detail;
        auto region = open_region(spec, options, &detail);
        ASSERT_FALSE(region) << spec;
        EXPECT_EQ(region.error(), RegionError::InvalidSpec) << spec << ": " << detail;
        EXPECT_NE(detail.find(spec), std::string::npos) << detail;
    }
}

TEST(RegionTable, DetailIsOptional) {
    auto region = open_region("nonsense", RegionOptions{});
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::InvalidSpec);
}

}  // namespace
}  // namespace periscope::platform
