// Access to words the other party may write at any time. Every such access is an atomic load or
// store (std::atomic_ref), so the compiler neither merges, splits nor repeats it: a value read once
// is the value used (see the threat model in docs/design/shm-protocol.md §7).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace periscope::protocol {

template <class T>
T load(const T& word, std::memory_order order = std::memory_order_acquire) {
    static_assert(std::is_integral_v<T>);
    return std::atomic_ref<T>(const_cast<T&>(word)).load(order);
}

template <class T>
void store(T& word, T value, std::memory_order order = std::memory_order_release) {
    static_assert(std::is_integral_v<T>);
    std::atomic_ref<T>(word).store(value, order);
}

template <class T>
bool compare_exchange(T& word, T expected, T desired) {
    return std::atomic_ref<T>(word).compare_exchange_strong(expected, desired,
                                                            std::memory_order_seq_cst);
}

// Copies a struct out of shared memory with relaxed 64-bit word loads. T must be a multiple of 8
// bytes and 8-aligned (all wire structs are). Used for seqlocked records and validated headers.
template <class T>
T copy_out(const T& shared) {
    static_assert(sizeof(T) % 8 == 0 && alignof(T) >= 4 && std::is_trivially_copyable_v<T>);
    T local;
    const auto* src = reinterpret_cast<const uint64_t*>(&shared);
    uint64_t words[sizeof(T) / 8];
    for (size_t i = 0; i < sizeof(T) / 8; ++i) {
        words[i] = load(src[i], std::memory_order_relaxed);
    }
    std::memcpy(&local, words, sizeof(T));
    return local;
}

// Writes a struct into shared memory with relaxed 64-bit word stores (the seqlock writer side).
template <class T>
void copy_in(T& shared, const T& local) {
    static_assert(sizeof(T) % 8 == 0 && std::is_trivially_copyable_v<T>);
    uint64_t words[sizeof(T) / 8];
    std::memcpy(words, &local, sizeof(T));
    auto* dst = reinterpret_cast<uint64_t*>(&shared);
    for (size_t i = 0; i < sizeof(T) / 8; ++i) {
        store(dst[i], words[i], std::memory_order_relaxed);
    }
}

// Relaxed word-by-word copy of raw bytes (cursor shapes: small, seqlocked). n multiple of 8.
inline void copy_words_out(void* dst, const void* shared, size_t n) {
    const auto* src = static_cast<const uint64_t*>(shared);
    auto* out = static_cast<unsigned char*>(dst);
    for (size_t i = 0; i < n / 8; ++i) {
        const uint64_t w = load(src[i], std::memory_order_relaxed);
        std::memcpy(out + i * 8, &w, 8);
    }
}
inline void copy_words_in(void* shared, const void* src, size_t n) {
    auto* dst = static_cast<uint64_t*>(shared);
    const auto* in = static_cast<const unsigned char*>(src);
    for (size_t i = 0; i < n / 8; ++i) {
        uint64_t w;
        std::memcpy(&w, in + i * 8, 8);
        store(dst[i], w, std::memory_order_relaxed);
    }
}

}  // namespace periscope::protocol
