#include "platform/shm_file/shm_file_region.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "platform/region.h"
#include "test_util.h"

namespace periscope::platform {
namespace {

constexpr uint64_t MIB = 1024 * 1024;
constexpr uid_t NOBODY = 65534;

uint64_t file_size(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : UINT64_MAX;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class ShmFileRegionTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(m_dir.ok()); }
    std::string path(const std::string& name) const { return m_dir.file(name); }

    test::TempDir m_dir;
};

TEST_F(ShmFileRegionTest, CreatesAMissingFileWithMode0660AndTheRequestedSize) {
    const mode_t old_umask = umask(022);  // the mode must not depend on the caller's umask
    RegionOptions options;
    options.create = true;
    options.size = 2 * MIB;
    std::string detail;
    auto region = open_shm_file_region(path("new"), options, &detail);
    umask(old_umask);
    ASSERT_TRUE(region) << detail;
    EXPECT_TRUE((*region)->created());
    EXPECT_EQ((*region)->path(), path("new"));
    EXPECT_EQ((*region)->bytes().size(), 2 * MIB);
    EXPECT_EQ(file_size(path("new")), 2 * MIB);
    struct stat st {};
    ASSERT_EQ(stat(path("new").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    EXPECT_EQ((*region)->description(), path("new") + " (2 MiB)");
}

TEST_F(ShmFileRegionTest, OpensAnExistingFileAtItsOwnSize) {
    test::write_zero_file(path("existing"), 3 * MIB);
    std::string detail;
    auto region = open_shm_file_region(path("existing"), RegionOptions{}, &detail);
    ASSERT_TRUE(region) << detail;
    EXPECT_FALSE((*region)->created());
    EXPECT_EQ((*region)->bytes().size(), 3 * MIB);
}

TEST_F(ShmFileRegionTest, SizesAnEmptyExistingFileWhenCreating) {
    test::write_file(path("empty"), "");
    RegionOptions options;
    options.create = true;
    options.size = MIB;
    auto region = open_shm_file_region(path("empty"), options, nullptr);
    ASSERT_TRUE(region);
    EXPECT_FALSE((*region)->created());
    EXPECT_EQ(file_size(path("empty")), MIB);
}

TEST_F(ShmFileRegionTest, GrowsASmallerFileWhenCreating) {
    test::write_zero_file(path("small"), MIB);
    RegionOptions options;
    options.create = true;
    options.size = 4 * MIB;
    auto region = open_shm_file_region(path("small"), options, nullptr);
    ASSERT_TRUE(region);
    EXPECT_EQ((*region)->bytes().size(), 4 * MIB);
    EXPECT_EQ(file_size(path("small")), 4 * MIB);
}

TEST_F(ShmFileRegionTest, NeverShrinksALargerFile) {
    test::write_zero_file(path("large"), 8 * MIB);
    RegionOptions options;
    options.create = true;
    options.size = MIB;
    auto region = open_shm_file_region(path("large"), options, nullptr);
    ASSERT_TRUE(region);
    EXPECT_EQ((*region)->bytes().size(), 8 * MIB);
    EXPECT_EQ(file_size(path("large")), 8 * MIB);
}

TEST_F(ShmFileRegionTest, WithoutCreateASmallFileIsNotGrown) {
    test::write_zero_file(path("small"), MIB);
    RegionOptions options;
    options.size = 4 * MIB;
    auto region = open_shm_file_region(path("small"), options, nullptr);
    ASSERT_TRUE(region);
    EXPECT_EQ((*region)->bytes().size(), MIB);
    EXPECT_EQ(file_size(path("small")), MIB);
}

TEST_F(ShmFileRegionTest, TwoMappingsSeeEachOthersWrites) {
    RegionOptions options;
    options.create = true;
    options.size = MIB;
    auto first = open_region(path("shared"), options);
    auto second = open_region("shm:" + path("shared"), RegionOptions{});
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    auto a = (*first)->bytes();
    auto b = (*second)->bytes();
    ASSERT_NE(a.data(), b.data());
    std::memcpy(a.data() + 4096, "written via first", 18);
    EXPECT_EQ(std::memcmp(b.data() + 4096, "written via first", 18), 0);
    b[MIB - 1] = std::byte{0x42};
    EXPECT_EQ(a[MIB - 1], std::byte{0x42});
}

TEST_F(ShmFileRegionTest, FdMapsTheSameMemoryAndIsCloseOnExec) {
    RegionOptions options;
    options.create = true;
    options.size = MIB;
    auto region = open_region(path("lent"), options);
    ASSERT_TRUE(region);
    const int fd = (*region)->fd();
    ASSERT_GE(fd, 0);
    EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    struct stat st {};
    ASSERT_EQ(fstat(fd, &st), 0);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), MIB);
    // What a peer (the X server) maps through the descriptor is the region itself.
    void* peer = mmap(nullptr, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT_NE(peer, MAP_FAILED);
    std::memcpy(static_cast<char*>(peer) + 8192, "from the peer", 13);
    EXPECT_EQ(std::memcmp((*region)->bytes().data() + 8192, "from the peer", 13), 0);
    munmap(peer, MIB);
}

TEST_F(ShmFileRegionTest, WritesReachTheFileAfterTheRegionIsGone) {
    {
        RegionOptions options;
        options.create = true;
        options.size = 4096;
        auto region = open_region(path("persist"), options);
        ASSERT_TRUE(region);
        std::memcpy((*region)->bytes().data(), "kept", 4);
    }
    EXPECT_EQ(test::read_file(path("persist")).substr(0, 4), "kept");
}

TEST_F(ShmFileRegionTest, WorksUnderDevShm) {
    const std::string name = "periscope-test-shm-" + std::to_string(getpid());
    RegionOptions options;
    options.create = true;
    options.size = MIB;
    std::string detail;
    auto a = open_region("shm:/dev/shm/" + name, options, &detail);
    ASSERT_TRUE(a) << detail;
    auto b = open_region("/dev/shm/" + name, RegionOptions{}, &detail);
    ASSERT_TRUE(b) << detail;
    (*a)->bytes()[7] = std::byte{7};
    EXPECT_EQ((*b)->bytes()[7], std::byte{7});
    unlink(("/dev/shm/" + name).c_str());
}

TEST_F(ShmFileRegionTest, MissingFileIsNotFoundWithAQemuHint) {
    std::string detail;
    auto region = open_region(path("missing"), RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotFound);
    EXPECT_TRUE(contains(detail, path("missing"))) << detail;
    EXPECT_TRUE(contains(detail, std::strerror(ENOENT))) << detail;
    EXPECT_TRUE(contains(detail, "memory-backend-file,mem-path=")) << detail;
}

TEST_F(ShmFileRegionTest, MissingDirectoryWhenCreatingIsNotFound) {
    RegionOptions options;
    options.create = true;
    options.size = MIB;
    std::string detail;
    auto region = open_region(path("no-such-dir/file"), options, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotFound);
    EXPECT_TRUE(contains(detail, path("no-such-dir/file"))) << detail;
}

TEST_F(ShmFileRegionTest, DirectoryIsNotARegularFile) {
    std::string detail;
    auto region = open_region(m_dir.path(), RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotRegularFile);
    EXPECT_TRUE(contains(detail, m_dir.path())) << detail;
}

TEST_F(ShmFileRegionTest, CharacterDeviceIsNotARegularFile) {
    auto region = open_region("/dev/zero", RegionOptions{});
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotRegularFile);
}

TEST_F(ShmFileRegionTest, EmptyFileIsTooSmall) {
    test::write_file(path("empty"), "");
    RegionOptions options;
    options.min_size = 64 * MIB;
    std::string detail;
    auto region = open_region(path("empty"), options, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
    EXPECT_TRUE(contains(detail, path("empty"))) << detail;
    EXPECT_TRUE(contains(detail, "0 bytes (0.00 MiB)")) << detail;
    EXPECT_TRUE(contains(detail, "67108864 bytes (64.00 MiB)")) << detail;
    EXPECT_TRUE(contains(detail, "size=64M")) << detail;
    EXPECT_TRUE(contains(detail, "<shmem><size unit='M'>64</size>")) << detail;
}

TEST_F(ShmFileRegionTest, EmptyFileWithoutMinSizeIsTooSmall) {
    test::write_file(path("empty"), "");
    std::string detail;
    auto region = open_region(path("empty"), RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
    EXPECT_TRUE(contains(detail, "is empty (0 bytes, 0.00 MiB)")) << detail;
    EXPECT_TRUE(contains(detail, "memory-backend-file")) << detail;
}

TEST_F(ShmFileRegionTest, FileBelowMinSizeIsTooSmallAndSuggestsAPowerOfTwo) {
    test::write_zero_file(path("small"), MIB);
    RegionOptions options;
    options.min_size = 40 * MIB + 1;
    std::string detail;
    auto region = open_region(path("small"), options, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
    EXPECT_TRUE(contains(detail, "1048576 bytes (1.00 MiB)")) << detail;
    EXPECT_TRUE(contains(detail, "41943041 bytes")) << detail;
    EXPECT_TRUE(contains(detail, "size=64M")) << detail;
}

TEST_F(ShmFileRegionTest, FailedCreateLeavesNoFileBehind) {
    RegionOptions options;
    options.create = true;  // but no size: a new file would be empty
    std::string detail;
    auto region = open_region(path("never"), options, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
    EXPECT_TRUE(contains(detail, "needs a size")) << detail;
    EXPECT_FALSE(std::filesystem::exists(path("never")));
}

TEST_F(ShmFileRegionTest, PermissionDeniedNamesTheFileOwnerModeAndFix) {
    if (geteuid() != 0) {
        GTEST_SKIP() << "needs root to create a file another uid cannot open";
    }
    // mkdtemp made the directory 0700; let the unprivileged child reach the file itself.
    ASSERT_EQ(chmod(m_dir.path().c_str(), 0755), 0);
    const std::string file = path("private");
    test::write_zero_file(file, MIB);
    ASSERT_EQ(chmod(file.c_str(), 0600), 0);
    const auto child = test::run_in_child([&file](std::string* out) {
        if (setgroups(0, nullptr) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) {
            *out = std::string("cannot drop privileges: ") + std::strerror(errno);
            return 100;
        }
        auto region = open_region(file, RegionOptions{}, out);
        return region ? 101 : static_cast<int>(region.error());
    });
    ASSERT_EQ(child.exit_code, static_cast<int>(RegionError::PermissionDenied)) << child.message;
    EXPECT_TRUE(contains(child.message, file)) << child.message;
    EXPECT_TRUE(contains(child.message, std::strerror(EACCES))) << child.message;
    EXPECT_TRUE(contains(child.message, "owner uid 0 gid 0, mode 0600")) << child.message;
    EXPECT_TRUE(contains(child.message, "uid 65534")) << child.message;
    EXPECT_TRUE(contains(child.message, "sudo chown $USER " + file)) << child.message;
    EXPECT_TRUE(contains(child.message, "chmod 0660")) << child.message;
}

}  // namespace
}  // namespace periscope::platform
