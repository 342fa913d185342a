// A fast non-cryptographic 64-bit hash for frame checksums (tests and --verify): detects torn or
// corrupted frames, not adversaries.
#pragma once

#include <cstddef>
#include <cstdint>

namespace periscope {

class Hash64 {
  public:
    void update(const void* data, size_t size);
    uint64_t digest() const;

  private:
    uint64_t m_state = 0x9E3779B97F4A7C15ULL;
    uint64_t m_length = 0;
};

uint64_t hash64(const void* data, size_t size);

}  // namespace periscope
