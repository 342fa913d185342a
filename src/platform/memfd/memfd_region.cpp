#include "platform/memfd/memfd_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "platform/error_detail.h"

namespace periscope::platform {
namespace {

constexpr const char* DEFAULT_NAME = "periscope";
constexpr size_t MAX_NAME_LENGTH = 249;  // memfd_create: 249 bytes plus the "memfd:" prefix

}  // namespace

MemfdRegion::MemfdRegion(int fd, void* base, size_t size, std::string description)
    : MappedRegion(base, size, size, std::move(description), fd) {}

Result<std::unique_ptr<MemfdRegion>, RegionError> open_memfd_region(std::string_view name,
                                                                    const RegionOptions& options,
                                                                    std::string* detail) {
    const std::string label = name.empty() ? std::string(DEFAULT_NAME) : std::string(name);
    if (label.size() > MAX_NAME_LENGTH || label.find('/') != std::string::npos) {
        return report(RegionError::InvalidSpec,
                      format_text("'memfd:%s': the name must be at most %zu bytes without '/'",
                                  label.c_str(), MAX_NAME_LENGTH),
                      detail);
    }
    if (options.size == 0) {
        return report(RegionError::TooSmall,
                      format_text("memfd:%s needs a size (options.size is 0)", label.c_str()),
                      detail);
    }
    if (options.size < options.min_size) {
        return report(RegionError::TooSmall,
                      too_small_text("memfd:" + label, options.size, options.min_size, false),
                      detail);
    }
    if (options.size > static_cast<uint64_t>(INT64_MAX) || options.size > SIZE_MAX) {
        return report(RegionError::MapFailed,
                      format_text("memfd:%s: %llu bytes do not fit a file or the address space",
                                  label.c_str(), static_cast<unsigned long long>(options.size)),
                      detail);
    }
    // Sealable so that we can forbid shrinking: a peer truncating the file would turn our
    // accesses past its new end into SIGBUS.
    const int fd = memfd_create(label.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        const int error = errno;
        const RegionError code =
            (error == ENOSYS || error == EINVAL) ? RegionError::Unsupported : RegionError::IoError;
        return report(code,
                      format_text("memfd_create(\"%s\") failed: %s", label.c_str(),
                                  errno_text(error).c_str()),
                      detail);
    }
    if (ftruncate(fd, static_cast<off_t>(options.size)) != 0) {
        const int error = errno;
        close(fd);
        return report(
            RegionError::IoError,
            format_text("cannot size memfd:%s to %s: %s", label.c_str(),
                        format_bytes_and_mib(options.size).c_str(), errno_text(error).c_str()),
            detail);
    }
    // Best effort: the region works without the seal, it only loses the SIGBUS protection.
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
    const auto size = static_cast<size_t>(options.size);
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        const int error = errno;
        close(fd);
        return report(
            RegionError::MapFailed,
            format_text("cannot map memfd:%s (%s): %s", label.c_str(),
                        format_bytes_and_mib(options.size).c_str(), errno_text(error).c_str()),
            detail);
    }
    return std::make_unique<MemfdRegion>(
        fd, base, size,
        format_text("memfd:%s (%s)", label.c_str(), format_size(options.size).c_str()));
}

}  // namespace periscope::platform
