// "shm:PATH" (or a spec starting with '/'): a file shared with QEMU's memory-backend-file,
// normally under /dev/shm; the host side of ivshmem.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "platform/mapped_region.h"
#include "platform/region.h"

namespace periscope::platform {

constexpr const char* SHM_DIRECTORY = "/dev/shm";

class ShmFileRegion final : public MappedRegion {
  public:
    // Keeps a duplicate of `fd` as fd().
    ShmFileRegion(std::string path, bool created, int fd, void* base, size_t size,
                  std::string description);

    const std::string& path() const { return m_path; }
    // True if this open created the file (options.create and it was missing).
    bool created() const { return m_created; }

  private:
    std::string m_path;
    bool m_created;
};

// A bare NAME (no '/') means /dev/shm/NAME, the way QEMU and libvirt name their files.
std::string shm_file_path(std::string_view argument);

Result<std::unique_ptr<ShmFileRegion>, RegionError> open_shm_file_region(
    std::string_view argument, const RegionOptions& options, std::string* detail);

}  // namespace periscope::platform
