#include "platform/memory/memory_region.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/align.h"
#include "platform/error_detail.h"

namespace periscope::platform {

Result<std::unique_ptr<MemoryRegion>, RegionError> open_memory_region(std::string_view argument,
                                                                      const RegionOptions& options,
                                                                      std::string* detail) {
    if (!argument.empty()) {
        return report(RegionError::InvalidSpec,
                      format_text("'mem:%.*s': the mem back-end takes no argument (use 'mem:')",
                                  static_cast<int>(argument.size()), argument.data()),
                      detail);
    }
    if (options.size == 0) {
        return report(RegionError::TooSmall, "mem: needs a size (options.size is 0)", detail);
    }
    if (options.size < options.min_size) {
        return report(RegionError::TooSmall,
                      too_small_text("mem: region", options.size, options.min_size, false), detail);
    }
    if (options.size > SIZE_MAX - PAGE_SIZE) {
        return report(RegionError::MapFailed,
                      format_text("mem: %llu bytes do not fit the address space",
                                  static_cast<unsigned long long>(options.size)),
                      detail);
    }
    const auto size = static_cast<size_t>(options.size);
    const auto length = static_cast<size_t>(align_up(options.size, PAGE_SIZE));
    // Anonymous mmap rather than aligned_alloc: the kernel hands out zeroed pages lazily, so a
    // large test region costs nothing until it is touched.
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        const int error = errno;
        return report(
            RegionError::MapFailed,
            format_text("mem: cannot map %s of private memory: %s",
                        format_bytes_and_mib(options.size).c_str(), errno_text(error).c_str()),
            detail);
    }
    return std::make_unique<MemoryRegion>(
        base, length, size, format_text("private memory (%s)", format_size(options.size).c_str()));
}

}  // namespace periscope::platform
