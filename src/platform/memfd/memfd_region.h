// "memfd:NAME": an anonymous shared file (memfd_create). Another process can map it through the
// fd (inherited across fork, passed over a socket, or reopened via /proc/PID/fd/N).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "platform/mapped_region.h"
#include "platform/region.h"

namespace periscope::platform {

class MemfdRegion final : public MappedRegion {
  public:
    // Takes ownership of `fd`: it stays open (close-on-exec) while the region lives, as fd().
    MemfdRegion(int fd, void* base, size_t size, std::string description);
};

// `name` only labels the memfd in /proc/PID/fd; empty means "periscope". Size is options.size.
Result<std::unique_ptr<MemfdRegion>, RegionError> open_memfd_region(std::string_view name,
                                                                    const RegionOptions& options,
                                                                    std::string* detail);

}  // namespace periscope::platform
