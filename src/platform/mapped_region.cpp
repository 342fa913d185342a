#include "platform/mapped_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/format.h"
#include "core/log.h"

namespace periscope::platform {

MappedRegion::MappedRegion(void* base, size_t mapped_length, size_t size, std::string description,
                           int owned_fd)
    : m_base(base),
      m_mapped_length(mapped_length),
      m_size(size),
      m_description(std::move(description)),
      m_fd(owned_fd) {}

MappedRegion::~MappedRegion() {
    if (munmap(m_base, m_mapped_length) != 0) {
        // Only a bug (a bad pointer or length) gets here; say so rather than leak silently.
        PERISCOPE_LOG_ERROR("region", "munmap of %s failed: %s", m_description.c_str(),
                            errno_text(errno).c_str());
    }
    if (m_fd >= 0) {
        close(m_fd);
    }
}

int duplicate_fd(int fd) {
    // A spare descriptor is a convenience (direct capture), not a requirement: -1 on failure.
    return fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
}

}  // namespace periscope::platform
