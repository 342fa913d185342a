// "mem:": page-aligned, zero-filled process-private memory. For tests and for running producer
// and consumer in one process; nothing else can see it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "platform/mapped_region.h"
#include "platform/region.h"

namespace periscope::platform {

class MemoryRegion final : public MappedRegion {
  public:
    using MappedRegion::MappedRegion;
};

// `argument` must be empty (the spec is "mem:" or "mem"); the size is options.size.
Result<std::unique_ptr<MemoryRegion>, RegionError> open_memory_region(std::string_view argument,
                                                                      const RegionOptions& options,
                                                                      std::string* detail);

}  // namespace periscope::platform
