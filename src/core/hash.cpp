#include "core/hash.h"

#include <cstring>

namespace periscope {
namespace {
constexpr uint64_t MUL = 0xBF58476D1CE4E5B9ULL;
inline uint64_t mix(uint64_t h, uint64_t word) {
    h ^= word * 0x94D049BB133111EBULL;
    h = (h << 27) | (h >> 37);
    return h * MUL;
}
}  // namespace

void Hash64::update(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        std::memcpy(&word, bytes + i, 8);
        m_state = mix(m_state, word);
    }
    if (i < size) {
        uint64_t word = 0;
        std::memcpy(&word, bytes + i, size - i);
        m_state = mix(m_state, word ^ 0xFFULL << 56);
    }
    m_length += size;
}

uint64_t Hash64::digest() const {
    uint64_t h = mix(m_state, m_length);
    h ^= h >> 31;
    // Zero means "no checksum" on the wire; never produce it.
    return h == 0 ? 1 : h;
}

uint64_t hash64(const void* data, size_t size) {
    Hash64 h;
    h.update(data, size);
    return h.digest();
}

}  // namespace periscope
