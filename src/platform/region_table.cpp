#include <array>
#include <string>
#include <utility>

#include "platform/error_detail.h"
#include "platform/region.h"
#if defined(_WIN32)
#include "platform/file_mapping/file_mapping_region.h"
#include "platform/ivshmem/ivshmem_region.h"
#else
#include "platform/memfd/memfd_region.h"
#include "platform/memory/memory_region.h"
#include "platform/pci/pci_region.h"
#include "platform/shm_file/shm_file_region.h"
#endif

namespace periscope::platform {
namespace {

// Adapts a back-end's typed open function to the table's type-erased signature.
template <auto OPEN>
Result<std::unique_ptr<Region>, RegionError> open_erased(std::string_view argument,
                                                         const RegionOptions& options,
                                                         std::string* detail) {
    auto region = OPEN(argument, options, detail);
    if (!region) {
        return fail(region.error());
    }
    return std::unique_ptr<Region>(std::move(region).value());
}

// An explicit table rather than self-registration: static-library objects nobody references are
// dropped by the linker, and the order of static initialisers is unspecified.
#if defined(_WIN32)
constexpr std::array<RegionBackend, 2> BACKENDS{{
    {"ivshmem",
     "ivshmem, ivshmem:#N or ivshmem:SIZE (e.g. 64M), optionally ,cache=wc|cached|uncached: an "
     "ivshmem device through the virtio-win IVSHMEM driver, the first, the N-th from 0, or the "
     "one of that size (guest side)",
     &open_erased<open_ivshmem_region>},
    {"file", "file:PATH: an existing file mapped shared (tests; under Wine Z:\\dev\\shm\\NAME)",
     &open_erased<open_file_mapping_region>},
}};
#else
constexpr std::array<RegionBackend, 4> BACKENDS{{
    {"shm", "shm:/dev/shm/NAME, shm:NAME or /PATH: a file shared with QEMU (host side)",
     &open_erased<open_shm_file_region>},
    {"memfd", "memfd:NAME: an anonymous shared memfd (tests; needs a size)",
     &open_erased<open_memfd_region>},
    {"mem", "mem: process-private memory (tests; needs a size)", &open_erased<open_memory_region>},
    {"pci",
     "pci, pci:0000:00:05.0 or pci:#N: an ivshmem-plain device's BAR2, the first, the one at "
     "that address, or the N-th from 0 (guest side)",
     &open_erased<open_pci_region>},
}};
#endif

std::string valid_forms() {
    std::string text;
    for (const RegionBackend& backend : BACKENDS) {
        text += format_text("%s%s", text.empty() ? "" : "; ", backend.description);
    }
    return text;
}

}  // namespace

const char* to_string(RegionError error) {
    switch (error) {
        case RegionError::InvalidSpec:
            return "invalid region spec";
        case RegionError::NotFound:
            return "region not found";
        case RegionError::PermissionDenied:
            return "permission denied";
        case RegionError::NotRegularFile:
            return "not a regular file";
        case RegionError::TooSmall:
            return "region too small";
        case RegionError::MapFailed:
            return "mmap failed";
        case RegionError::IoError:
            return "I/O error";
        case RegionError::Unsupported:
            return "not supported on this system";
    }
    return "unknown region error";
}

std::span<const RegionBackend> region_backends() {
    return BACKENDS;
}

Result<std::unique_ptr<Region>, RegionError> open_region(std::string_view spec,
                                                         const RegionOptions& options,
                                                         std::string* detail) {
    const QuietReports quiet(options.quiet);
#if !defined(_WIN32)
    if (!spec.empty() && spec.front() == '/') {
        return open_erased<open_shm_file_region>(spec, options, detail);
    }
#endif
    const size_t colon = spec.find(':');
    const std::string_view prefix = spec.substr(0, colon);
    const std::string_view argument =
        colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
    for (const RegionBackend& backend : BACKENDS) {
        if (prefix == backend.prefix) {
            return backend.open(argument, options, detail);
        }
    }
    return report(RegionError::InvalidSpec,
                  format_text("unknown region spec '%.*s'; valid forms: %s",
                              static_cast<int>(spec.size()), spec.data(), valid_forms().c_str()),
                  detail);
}

}  // namespace periscope::platform
