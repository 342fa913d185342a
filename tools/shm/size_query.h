// periscope-shm --size WxH[:FORMAT][:BUFFERS]: the region size a resolution needs
// (docs/design/shm-protocol.md §8) and the QEMU and libvirt settings that provide it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "protocol/layout.h"

namespace periscope::tools {

constexpr uint32_t DEFAULT_SIZE_BUFFERS = 2;

struct SizeQuery {
    uint32_t width = 0;
    uint32_t height = 0;
    protocol::Format format = protocol::Format::BGRA8;
    uint32_t buffers = DEFAULT_SIZE_BUFFERS;
};

enum class SizeQueryError { Syntax, Dimension, Format, Buffers };

// Parses "1920x1080", "1920x1080:RGBA16F", "1920x1080:3" or "1920x1080:RGBA16F:3". On failure
// `why` (if given) receives a sentence for the user.
Result<SizeQuery, SizeQueryError> parse_size_query(std::string_view text,
                                                   std::string* why = nullptr);

struct SizeReport {
    SizeQuery query;
    uint64_t frame_bytes = 0;  // one buffer, page-rounded
    uint64_t required = 0;     // protocol::required_region_size
    uint64_t ivshmem = 0;      // protocol::recommended_ivshmem_size, a power of two
    std::string mem_path;      // the file QEMU shares
    std::string libvirt_name;  // <shmem name=...>; empty if mem_path is not /dev/shm/NAME
    std::string qemu;          // the QEMU arguments, shell-quoted where needed
    std::string libvirt;       // the libvirt <shmem> element, or empty (see libvirt_name)
};

// `region_spec` (may be empty: /dev/shm/periscope) names the file the snippets share, when it
// is a shm file spec; other specs fall back to the default.
SizeReport compute_size(const SizeQuery& query, std::string_view region_spec);

std::string render_size_text(const SizeReport& report);
std::string render_size_json(const SizeReport& report);

}  // namespace periscope::tools
