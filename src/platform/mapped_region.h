// A Region backed by an mmap()ed range it owns; the back-ends' common base. Internal to
// src/platform (back-end headers derive from it so tests can reach their specifics).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "platform/region.h"

namespace periscope::platform {

class MappedRegion : public Region {
  public:
    // Takes ownership of the mapping [base, base + mapped_length); bytes() exposes the first
    // `size` bytes of it (mapped_length is size rounded up to whole pages for anonymous memory),
    // and of `owned_fd` (the mapped file or device, closed on destruction; -1 if none).
    MappedRegion(void* base, size_t mapped_length, size_t size, std::string description,
                 int owned_fd = -1);
    ~MappedRegion() override;
    MappedRegion(const MappedRegion&) = delete;
    MappedRegion& operator=(const MappedRegion&) = delete;

    std::span<std::byte> bytes() override { return {static_cast<std::byte*>(m_base), m_size}; }
    const std::string& description() const override { return m_description; }
    int fd() const override { return m_fd; }

  private:
    void* m_base;
    size_t m_mapped_length;
    size_t m_size;
    std::string m_description;
    int m_fd;
};

// A close-on-exec duplicate of `fd` for a region to own, or -1 if that fails (EMFILE).
int duplicate_fd(int fd);

}  // namespace periscope::platform
