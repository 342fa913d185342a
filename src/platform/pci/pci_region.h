// "pci", "pci:0000:00:05.0", "pci:#N": the guest's view of an ivshmem-plain device, its BAR2
// mapped through sysfs. See docs/design/regions.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "platform/mapped_region.h"
#include "platform/region.h"

namespace periscope::platform {

constexpr const char* DEFAULT_SYSFS_PCI_ROOT = "/sys/bus/pci/devices";
// Points the scan at another tree, so tests can build a fake one.
constexpr const char* SYSFS_PCI_ROOT_ENV = "PERISCOPE_SYSFS_PCI_ROOT";
constexpr uint32_t IVSHMEM_VENDOR_ID = 0x1af4;  // Red Hat / Qumranet
constexpr uint32_t IVSHMEM_DEVICE_ID = 0x1110;  // ivshmem (plain and doorbell)

// $PERISCOPE_SYSFS_PCI_ROOT if set and non-empty, else /sys/bus/pci/devices.
std::string sysfs_pci_root();

struct PciScan {
    std::string root;
    std::vector<std::string> ivshmem;  // addresses of ivshmem devices, sorted
    std::vector<std::string> others;   // addresses of every other PCI device, sorted
    int error = 0;                     // errno if `root` could not be listed
};
PciScan scan_pci_devices(const std::string& root);

class PciRegion final : public MappedRegion {
  public:
    // Keeps a duplicate of `fd` (the open resource file) as fd().
    PciRegion(std::string address, std::string resource_path, bool write_combined, int fd,
              void* base, size_t size, std::string description);

    const std::string& address() const { return m_address; }
    // The sysfs file mapped: .../resource2_wc or .../resource2.
    const std::string& resource_path() const { return m_resource_path; }
    bool write_combined() const { return m_write_combined; }

  private:
    std::string m_address;
    std::string m_resource_path;
    bool m_write_combined;
};

// `selector`: "" for the first ivshmem device, an address ("0000:00:05.0" or "00:05.0"), or
// "#N" for the N-th (0-based) in address order.
Result<std::unique_ptr<PciRegion>, RegionError> open_pci_region(std::string_view selector,
                                                                const RegionOptions& options,
                                                                std::string* detail);

}  // namespace periscope::platform
