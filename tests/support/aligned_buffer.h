// Page-aligned, zeroed process memory standing in for a mapping in protocol unit tests (the
// protocol needs only bytes; the platform tests map real files).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <span>

namespace periscope::test {

class AlignedBuffer {
  public:
    explicit AlignedBuffer(size_t size)
        : m_size(size), m_data(static_cast<std::byte*>(std::aligned_alloc(4096, round(size)))) {
        std::memset(m_data, 0, round(size));
    }
    ~AlignedBuffer() { std::free(m_data); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    std::span<std::byte> span() { return {m_data, m_size}; }
    std::byte* data() { return m_data; }
    size_t size() const { return m_size; }

  private:
    static size_t round(size_t n) { return (n + 4095) / 4096 * 4096; }
    size_t m_size;
    std::byte* m_data;
};

}  // namespace periscope::test
