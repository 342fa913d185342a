// "ivshmem[:N|:#N|:SIZE][,cache=MODE]" (Windows guest): the ivshmem-plain device's shared memory
// through the virtio-win IVSHMEM driver (docs/windows-guest.md). Argument forms: ivshmem_spec.h.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "platform/region.h"

namespace periscope::platform {

class IvshmemRegion final : public Region {
  public:
    // Owns the device handle and the driver's mapping of the memory through it.
    IvshmemRegion(void* device, void* base, size_t size, std::string description);
    // Asks the driver to unmap (IOCTL_IVSHMEM_RELEASE_MMAP), then closes the device; closing alone
    // would unmap too, but saying so is cheap and shows up in the driver's trace.
    ~IvshmemRegion() override;
    IvshmemRegion(const IvshmemRegion&) = delete;
    IvshmemRegion& operator=(const IvshmemRegion&) = delete;

    std::span<std::byte> bytes() override { return {static_cast<std::byte*>(m_base), m_size}; }
    const std::string& description() const override { return m_description; }
    int fd() const override { return -1; }

  private:
    void* m_device;
    void* m_base;
    size_t m_size;
    std::string m_description;
};

Result<std::unique_ptr<IvshmemRegion>, RegionError> open_ivshmem_region(
    std::string_view argument, const RegionOptions& options, std::string* detail);

}  // namespace periscope::platform
