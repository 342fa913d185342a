// The pure half of the Windows IVSHMEM back-end: what "ivshmem:ARGUMENT" asks for and which of the
// devices found it picks. No OS headers, so it builds and is unit-tested on Linux too.
//
//   ivshmem                the first device (in SetupAPI's enumeration order)
//   ivshmem:N | ivshmem:#N the N-th device, from 0
//   ivshmem:SIZE           the device of that size (64M, 1G, 512MiB): with several devices, the
//                          size QEMU gave each one is the stable way to tell them apart
//   ...,cache=MODE         wc (write-combined, default), cached, uncached
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "platform/region.h"

namespace periscope::platform {

// The driver's cache modes; the values are what IOCTL_IVSHMEM_REQUEST_MMAP takes (virtio-win
// ivshmem/Public.h: IVSHMEM_CACHE_NONCACHED 0, _CACHED 1, _WRITECOMBINED 2).
enum class IvshmemCache : uint8_t { Uncached = 0, Cached = 1, WriteCombined = 2 };
const char* to_string(IvshmemCache cache);

struct IvshmemSpec {
    std::optional<uint32_t> index;  // pick by position
    std::optional<uint64_t> size;   // pick by size (bytes)
    std::optional<IvshmemCache> cache;
};

// InvalidSpec on failure; `message` then says what is wrong with the argument.
Result<IvshmemSpec, RegionError> parse_ivshmem_spec(std::string_view argument,
                                                    std::string* message);

// "64M", "64MiB", "1G", "512K" -> bytes; a unit is required (a bare number is an index).
std::optional<uint64_t> parse_ivshmem_size(std::string_view text);

// The index in `device_sizes` (enumeration order) that `spec` picks; NotFound with a sentence in
// `message` (listing the devices there are) otherwise.
Result<size_t, RegionError> choose_ivshmem_device(const IvshmemSpec& spec,
                                                  std::span<const uint64_t> device_sizes,
                                                  std::string* message);

}  // namespace periscope::platform
