// A mapped shared-memory region, and the explicit table of back-ends that open one.
// The only module besides back-end folders that includes OS headers (in its .cpp files).
//
// Specs understood by open_region():
//   shm:/dev/shm/NAME or /ABSOLUTE/PATH   a file, normally under /dev/shm (the host's ivshmem file)
//   memfd:NAME                            an anonymous memfd (tests; needs options.size)
//   mem:                                  process-private memory (tests; needs options.size)
//   pci  | pci:0000:00:05.0 | pci:#N      an ivshmem PCI device's BAR2 (inside a guest): the first,
//                                         the one at that address, or the N-th (0-based)
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace periscope::platform {

enum class RegionError {
    InvalidSpec,       // the spec names no back-end or is malformed
    NotFound,          // no such file or device
    PermissionDenied,  // open or mmap refused (EACCES/EPERM)
    NotRegularFile,    // a directory, socket, ...
    TooSmall,          // smaller than options.min_size, or empty
    MapFailed,         // mmap failed for another reason
    IoError,           // open/ftruncate/fstat failed for another reason
    Unsupported,       // back-end not available on this system
};
const char* to_string(RegionError error);

struct RegionOptions {
    bool create = false;          // shm: create the file if missing (mode 0660)
    uint64_t size = 0;            // shm: with create, size a new or empty file; memfd/mem: the size
    uint64_t min_size = 0;        // fail with TooSmall below this
    bool write_combining = true;  // pci: prefer resource2_wc
    // Failures are logged where they happen unless the caller reports them itself (a viewer that
    // retries every 500 ms logs each distinct problem once); `detail` carries the text either way.
    bool quiet = false;
};

class Region {
  public:
    virtual ~Region() = default;
    virtual std::span<std::byte> bytes() = 0;
    // e.g. "/dev/shm/periscope (64 MiB)" or "ivshmem 0000:00:05.0 BAR2 (64 MiB, write-combined)"
    virtual const std::string& description() const = 0;
    // A descriptor another process can map to reach the same memory (offset 0 = bytes()[0]), or
    // -1 (mem:, or dup failed). Owned by the region and valid while it lives; close-on-exec.
    // The agent lends it to the X server for direct capture (docs/design/agent.md).
    virtual int fd() const = 0;
};

// On failure `detail` (if given) receives a sentence for the user: what failed, errno text, and
// what to do about it (e.g. the chmod or the size to give QEMU).
Result<std::unique_ptr<Region>, RegionError> open_region(std::string_view spec,
                                                         const RegionOptions& options,
                                                         std::string* detail = nullptr);

struct RegionBackend {
    const char* prefix;       // "shm", "memfd", "mem", "pci"
    const char* description;  // one line for --help
    Result<std::unique_ptr<Region>, RegionError> (*open)(std::string_view argument,
                                                         const RegionOptions& options,
                                                         std::string* detail);
};
// The table, in the order --help lists it.
std::span<const RegionBackend> region_backends();

}  // namespace periscope::platform
