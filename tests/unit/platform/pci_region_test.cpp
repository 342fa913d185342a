// The PCI back-end against a fake sysfs tree (PERISCOPE_SYSFS_PCI_ROOT): the selection and
// mapping logic is the same; only the files are regular files instead of BARs.
#include "platform/pci/pci_region.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "platform/region.h"
#include "test_util.h"

namespace periscope::platform {
namespace {

constexpr uint64_t MIB = 1024 * 1024;
// Sorted order: 04.0 (ivshmem, has resource2_wc), 05.0 (ivshmem), then non-ivshmem devices.
constexpr const char* WC_DEVICE = "0000:00:04.0";
constexpr const char* PLAIN_DEVICE = "0000:00:05.0";
constexpr const char* HOST_BRIDGE = "0000:00:00.0";
constexpr const char* VIRTIO_NET = "0000:00:03.0";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class PciRegionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(m_dir.ok());
        m_root = m_dir.file("devices");
        ASSERT_EQ(mkdir(m_root.c_str(), 0755), 0);
        m_env.emplace(SYSFS_PCI_ROOT_ENV, m_root);
    }

    std::string add_device(const std::string& address, const char* vendor, const char* device) {
        const std::string dir = m_root + "/" + address;
        EXPECT_EQ(mkdir(dir.c_str(), 0755), 0);
        test::write_file(dir + "/vendor", std::string(vendor) + "\n");
        test::write_file(dir + "/device", std::string(device) + "\n");
        return dir;
    }

    void add_fake_tree() {
        add_device(HOST_BRIDGE, "0x8086", "0x1237");
        add_device(VIRTIO_NET, "0x1af4", "0x1000");  // same vendor, another device
        const std::string plain = add_device(PLAIN_DEVICE, "0x1af4", "0x1110");
        test::write_zero_file(plain + "/resource2", MIB);
        const std::string wc = add_device(WC_DEVICE, "0x1AF4", "0x1110");
        test::write_zero_file(wc + "/resource2", 2 * MIB);
        test::write_zero_file(wc + "/resource2_wc", 2 * MIB);
        // A directory that is no device at all must be ignored.
        ASSERT_EQ(mkdir((m_root + "/not-a-device").c_str(), 0755), 0);
    }

    std::string file_of(const char* address, const char* name) const {
        return m_root + "/" + address + "/" + name;
    }

    test::TempDir m_dir;
    std::string m_root;
    std::optional<test::ScopedEnv> m_env;
};

TEST_F(PciRegionTest, RootComesFromTheEnvironment) {
    EXPECT_EQ(sysfs_pci_root(), m_root);
    m_env.reset();
    if (std::getenv(SYSFS_PCI_ROOT_ENV) == nullptr) {
        EXPECT_EQ(sysfs_pci_root(), DEFAULT_SYSFS_PCI_ROOT);
    }
}

TEST_F(PciRegionTest, ScanFindsIvshmemDevicesSorted) {
    add_fake_tree();
    const PciScan scan = scan_pci_devices(m_root);
    EXPECT_EQ(scan.error, 0);
    EXPECT_EQ(scan.ivshmem, (std::vector<std::string>{WC_DEVICE, PLAIN_DEVICE}));
    EXPECT_EQ(scan.others, (std::vector<std::string>{HOST_BRIDGE, VIRTIO_NET}));
}

TEST_F(PciRegionTest, PciPicksTheFirstDeviceAndPrefersWriteCombining) {
    add_fake_tree();
    for (const char* spec : {"pci", "pci:"}) {
        std::string detail;
        auto region = open_region(spec, RegionOptions{}, &detail);
        ASSERT_TRUE(region) << spec << ": " << detail;
        EXPECT_EQ((*region)->bytes().size(), 2 * MIB);
        EXPECT_EQ((*region)->description(), "ivshmem 0000:00:04.0 BAR2 (2 MiB, write-combined)");
    }
    auto region = open_pci_region("", RegionOptions{}, nullptr);
    ASSERT_TRUE(region);
    EXPECT_EQ((*region)->address(), WC_DEVICE);
    EXPECT_TRUE((*region)->write_combined());
    EXPECT_EQ((*region)->resource_path(), file_of(WC_DEVICE, "resource2_wc"));
}

TEST_F(PciRegionTest, WriteCombiningCanBeTurnedOff) {
    add_fake_tree();
    RegionOptions options;
    options.write_combining = false;
    auto region = open_pci_region("", options, nullptr);
    ASSERT_TRUE(region);
    EXPECT_FALSE((*region)->write_combined());
    EXPECT_EQ((*region)->resource_path(), file_of(WC_DEVICE, "resource2"));
    EXPECT_EQ((*region)->description(), "ivshmem 0000:00:04.0 BAR2 (2 MiB, uncached)");
}

TEST_F(PciRegionTest, SelectsByAddress) {
    add_fake_tree();
    for (const char* spec : {"pci:0000:00:05.0", "pci:00:05.0", "pci:0000:00:05.0"}) {
        std::string detail;
        auto region = open_region(spec, RegionOptions{}, &detail);
        ASSERT_TRUE(region) << spec << ": " << detail;
        EXPECT_EQ((*region)->description(), "ivshmem 0000:00:05.0 BAR2 (1 MiB, uncached)");
    }
}

TEST_F(PciRegionTest, SelectsByIndex) {
    add_fake_tree();
    auto first = open_pci_region("#0", RegionOptions{}, nullptr);
    auto second = open_pci_region("#1", RegionOptions{}, nullptr);
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_EQ((*first)->address(), WC_DEVICE);
    EXPECT_EQ((*second)->address(), PLAIN_DEVICE);
    EXPECT_EQ((*second)->bytes().size(), MIB);
}

TEST_F(PciRegionTest, IndexPastTheEndIsNotFound) {
    add_fake_tree();
    std::string detail;
    auto region = open_region("pci:#2", RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotFound);
    EXPECT_TRUE(contains(detail, WC_DEVICE)) << detail;
    EXPECT_TRUE(contains(detail, PLAIN_DEVICE)) << detail;
}

TEST_F(PciRegionTest, AddressOfAnotherDeviceIsNotFound) {
    add_fake_tree();
    std::string detail;
    auto region = open_region("pci:0000:00:03.0", RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotFound);
    EXPECT_TRUE(contains(detail, "not an ivshmem device")) << detail;
    auto absent = open_region("pci:0000:00:1f.7", RegionOptions{}, &detail);
    ASSERT_FALSE(absent);
    EXPECT_EQ(absent.error(), RegionError::NotFound);
    EXPECT_TRUE(contains(detail, "does not exist")) << detail;
}

TEST_F(PciRegionTest, WritesThroughTheMappingLandInTheResourceFile) {
    add_fake_tree();
    {
        auto region = open_region("pci:#1", RegionOptions{}, nullptr);
        ASSERT_TRUE(region);
        EXPECT_GE((*region)->fd(), 0);  // the resource file, for direct capture
        auto bytes = (*region)->bytes();
        std::memcpy(bytes.data(), "guest wrote this", 16);
        std::memcpy(bytes.data() + MIB - 4, "end!", 4);
    }
    const std::string content = test::read_file(file_of(PLAIN_DEVICE, "resource2"));
    ASSERT_EQ(content.size(), MIB);
    EXPECT_EQ(content.substr(0, 16), "guest wrote this");
    EXPECT_EQ(content.substr(MIB - 4), "end!");
}

TEST_F(PciRegionTest, EmptyTreeIsNotFoundAndSaysHowToAddADevice) {
    add_device(HOST_BRIDGE, "0x8086", "0x1237");
    std::string detail;
    auto region = open_region("pci", RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotFound);
    EXPECT_TRUE(contains(detail, "-device ivshmem-plain,memdev=")) << detail;
    EXPECT_TRUE(contains(detail, m_root)) << detail;
    EXPECT_TRUE(contains(detail, HOST_BRIDGE)) << detail;
}

TEST_F(PciRegionTest, MissingRootIsNotFound) {
    m_env.emplace(SYSFS_PCI_ROOT_ENV, m_dir.file("nowhere"));
    std::string detail;
    auto region = open_region("pci", RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotFound);
    EXPECT_TRUE(contains(detail, m_dir.file("nowhere"))) << detail;
    EXPECT_TRUE(contains(detail, std::strerror(ENOENT))) << detail;
}

TEST_F(PciRegionTest, DeviceWithoutBar2IsNotFound) {
    add_device(PLAIN_DEVICE, "0x1af4", "0x1110");
    std::string detail;
    auto region = open_region("pci", RegionOptions{}, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::NotFound);
    EXPECT_TRUE(contains(detail, file_of(PLAIN_DEVICE, "resource2"))) << detail;
}

TEST_F(PciRegionTest, SizeComesFromTheResourceFileWhenTheFileReportsNone) {
    const std::string dir = add_device(PLAIN_DEVICE, "0x1af4", "0x1110");
    test::write_file(dir + "/resource2", "");
    test::write_file(dir + "/resource",
                     "0x00000000fea00000 0x00000000fea000ff 0x0000000000040200\n"
                     "0x00000000febd1000 0x00000000febd1fff 0x0000000000040200\n"
                     "0x0000000800000000 0x00000008000fffff 0x000000000014220c\n"
                     "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
    auto region = open_pci_region("", RegionOptions{}, nullptr);
    ASSERT_TRUE(region);
    // Only the size is checked: the fake file is empty, so touching the pages would SIGBUS.
    EXPECT_EQ((*region)->bytes().size(), MIB);
}

TEST_F(PciRegionTest, BarBelowMinSizeIsTooSmall) {
    add_fake_tree();
    RegionOptions options;
    options.min_size = 32 * MIB;
    std::string detail;
    auto region = open_region("pci:#1", options, &detail);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
    EXPECT_TRUE(contains(detail, "1048576 bytes (1.00 MiB)")) << detail;
    EXPECT_TRUE(contains(detail, "33554432 bytes (32.00 MiB)")) << detail;
    EXPECT_TRUE(contains(detail, "size=32M")) << detail;
}

TEST_F(PciRegionTest, UnsetBarIsTooSmall) {
    const std::string dir = add_device(PLAIN_DEVICE, "0x1af4", "0x1110");
    test::write_file(dir + "/resource2", "");
    test::write_file(dir + "/resource", std::string(3, '\n'));
    auto region = open_region("pci", RegionOptions{}, nullptr);
    ASSERT_FALSE(region);
    EXPECT_EQ(region.error(), RegionError::TooSmall);
}

}  // namespace
}  // namespace periscope::platform
