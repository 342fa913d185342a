#include "platform/shm_file/shm_file_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "platform/error_detail.h"

namespace periscope::platform {
namespace {

constexpr mode_t CREATE_MODE = 0660;

Unexpected<RegionError> open_failed(const std::string& path, const RegionOptions& options,
                                    int error, std::string* detail) {
    switch (error) {
        case ENOENT:
            if (options.create) {
                return report(RegionError::NotFound,
                              format_text("cannot create %s: %s (does its directory exist?)",
                                          path.c_str(), errno_text(error).c_str()),
                              detail);
            }
            return report(RegionError::NotFound,
                          format_text("cannot open %s: %s; is QEMU running with -object "
                                      "memory-backend-file,mem-path=%s,share=on,...?",
                                      path.c_str(), errno_text(error).c_str(), path.c_str()),
                          detail);
        case EACCES:
        case EPERM:
            return report(RegionError::PermissionDenied, permission_text("open", path, error, ""),
                          detail);
        case EISDIR:
        case ENXIO:  // a socket
            return report(RegionError::NotRegularFile,
                          format_text("cannot open %s: %s; it must be a regular file (the "
                                      "mem-path= QEMU was given)",
                                      path.c_str(), errno_text(error).c_str()),
                          detail);
        default:
            return report(
                RegionError::IoError,
                format_text("cannot open %s: %s", path.c_str(), errno_text(error).c_str()), detail);
    }
}

struct OpenedFile {
    int fd = -1;
    bool created = false;
};

Result<OpenedFile, RegionError> open_file(const std::string& path, const RegionOptions& options,
                                          std::string* detail) {
    if (options.create) {
        // Exclusive create first, then a plain open of an existing file: with O_CREAT on an
        // existing file in a sticky directory such as /dev/shm, fs.protected_regular refuses
        // files owned by someone else (QEMU's) even when their mode allows us in.
        const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, CREATE_MODE);
        if (fd >= 0) {
            // The umask would otherwise strip the group write bit a group-shared file needs.
            (void)fchmod(fd, CREATE_MODE);
            return OpenedFile{fd, true};
        }
        if (errno != EEXIST) {
            return open_failed(path, options, errno, detail);
        }
    }
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return open_failed(path, options, errno, detail);
    }
    return OpenedFile{fd, false};
}

// Everything after open(), so that the one caller closes the fd on every path.
Result<std::unique_ptr<ShmFileRegion>, RegionError> map_file(const std::string& path,
                                                             const OpenedFile& file,
                                                             const RegionOptions& options,
                                                             std::string* detail) {
    struct stat st {};
    if (fstat(file.fd, &st) != 0) {
        const int error = errno;
        return report(RegionError::IoError,
                      format_text("cannot stat %s: %s", path.c_str(), errno_text(error).c_str()),
                      detail);
    }
    if (!S_ISREG(st.st_mode)) {
        return report(RegionError::NotRegularFile,
                      format_text("%s is not a regular file (mode %06o); give the path of the "
                                  "file QEMU was given as mem-path=",
                                  path.c_str(), static_cast<unsigned>(st.st_mode)),
                      detail);
    }
    auto size = static_cast<uint64_t>(st.st_size);
    // Grow only: shrinking a file QEMU has mapped would make the guest's accesses fault.
    if (options.create && size < options.size) {
        if (options.size > static_cast<uint64_t>(INT64_MAX)) {
            return report(RegionError::IoError,
                          format_text("cannot size %s to %llu bytes: too large", path.c_str(),
                                      static_cast<unsigned long long>(options.size)),
                          detail);
        }
        if (ftruncate(file.fd, static_cast<off_t>(options.size)) != 0) {
            const int error = errno;
            if (error == EACCES || error == EPERM) {
                return report(RegionError::PermissionDenied,
                              permission_text("resize", path, error, ""), detail);
            }
            return report(
                RegionError::IoError,
                format_text("cannot size %s from %llu to %s: %s", path.c_str(),
                            static_cast<unsigned long long>(size),
                            format_bytes_and_mib(options.size).c_str(), errno_text(error).c_str()),
                detail);
        }
        size = options.size;
    }
    if (size == 0 && options.create && options.size == 0) {
        return report(RegionError::TooSmall,
                      format_text("%s is empty and cannot be sized: creating needs a size "
                                  "(options.size is 0)",
                                  path.c_str()),
                      detail);
    }
    if (size == 0 || size < options.min_size) {
        return report(RegionError::TooSmall,
                      too_small_text(path, size, std::max<uint64_t>(options.min_size, 1), true),
                      detail);
    }
    if (size > SIZE_MAX) {
        return report(RegionError::MapFailed,
                      format_text("cannot map %s: %s does not fit the address space", path.c_str(),
                                  format_bytes_and_mib(size).c_str()),
                      detail);
    }
    const auto length = static_cast<size_t>(size);
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, file.fd, 0);
    if (base == MAP_FAILED) {
        const int error = errno;
        if (error == EACCES || error == EPERM) {
            return report(RegionError::PermissionDenied,
                          permission_text("map", path, error,
                                          "a sealed memfd or a read-only mount refuses "
                                          "shared writable mappings"),
                          detail);
        }
        return report(RegionError::MapFailed,
                      format_text("cannot map %s (%s): %s", path.c_str(),
                                  format_bytes_and_mib(size).c_str(), errno_text(error).c_str()),
                      detail);
    }
    return std::make_unique<ShmFileRegion>(
        path, file.created, file.fd, base, length,
        format_text("%s (%s)", path.c_str(), format_size(size).c_str()));
}

}  // namespace

ShmFileRegion::ShmFileRegion(std::string path, bool created, int fd, void* base, size_t size,
                             std::string description)
    : MappedRegion(base, size, size, std::move(description), duplicate_fd(fd)),
      m_path(std::move(path)),
      m_created(created) {}

std::string shm_file_path(std::string_view argument) {
    if (argument.find('/') == std::string_view::npos) {
        return std::string(SHM_DIRECTORY) + "/" + std::string(argument);
    }
    return std::string(argument);
}

Result<std::unique_ptr<ShmFileRegion>, RegionError> open_shm_file_region(
    std::string_view argument, const RegionOptions& options, std::string* detail) {
    if (argument.empty()) {
        return report(RegionError::InvalidSpec,
                      "'shm:' needs a file: shm:/dev/shm/NAME, shm:NAME or /ABSOLUTE/PATH", detail);
    }
    const std::string path = shm_file_path(argument);
    auto file = open_file(path, options, detail);
    if (!file) {
        return fail(file.error());
    }
    auto region = map_file(path, *file, options, detail);
    // The mapping keeps the file alive; the region holds its own duplicate of the descriptor.
    close(file->fd);
    if (!region && file->created) {
        // Leave nothing behind that a later open would mistake for QEMU's file.
        unlink(path.c_str());
    }
    return region;
}

}  // namespace periscope::platform
