// Bulk copies into shared memory. The non-temporal variant bypasses the cache: for a frame that is
// larger than the last-level cache and read by another party (another process or the host side of
// a VM), filling our cache with it only evicts useful lines.
#pragma once

#include <cstddef>

namespace periscope {

enum class CopyKind { Memcpy, NonTemporal, Auto };

// Copies `size` bytes. NonTemporal falls back to memcpy where the CPU lacks SSE2 stores.
// Auto chooses NonTemporal for copies of at least NT_THRESHOLD bytes.
void copy_bytes(void* dst, const void* src, size_t size, CopyKind kind);

constexpr size_t NT_THRESHOLD = size_t{256} * 1024;

// Stores are weakly ordered after a non-temporal copy: publish only after this fence.
void copy_fence();

const char* to_string(CopyKind kind);

}  // namespace periscope
