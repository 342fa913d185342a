#include "core/copy.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace periscope {
namespace {

#if defined(__x86_64__)
__attribute__((target("avx"))) void copy_nt_avx(unsigned char* dst, const unsigned char* src,
                                                size_t size) {
    // Head: reach 32-byte destination alignment with ordinary stores.
    const size_t head = (32 - (reinterpret_cast<uintptr_t>(dst) & 31)) & 31;
    const size_t lead = head < size ? head : size;
    std::memcpy(dst, src, lead);
    dst += lead;
    src += lead;
    size -= lead;
    while (size >= 128) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 32));
        const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 64));
        const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 96));
        _mm256_stream_si256(reinterpret_cast<__m256i*>(dst), a);
        _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + 32), b);
        _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + 64), c);
        _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + 96), d);
        src += 128;
        dst += 128;
        size -= 128;
    }
    std::memcpy(dst, src, size);
}

void copy_nt_sse2(unsigned char* dst, const unsigned char* src, size_t size) {
    const size_t head = (16 - (reinterpret_cast<uintptr_t>(dst) & 15)) & 15;
    const size_t lead = head < size ? head : size;
    std::memcpy(dst, src, lead);
    dst += lead;
    src += lead;
    size -= lead;
    while (size >= 64) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16));
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 32));
        const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 48));
        _mm_stream_si128(reinterpret_cast<__m128i*>(dst), a);
        _mm_stream_si128(reinterpret_cast<__m128i*>(dst + 16), b);
        _mm_stream_si128(reinterpret_cast<__m128i*>(dst + 32), c);
        _mm_stream_si128(reinterpret_cast<__m128i*>(dst + 48), d);
        src += 64;
        dst += 64;
        size -= 64;
    }
    std::memcpy(dst, src, size);
}

bool has_avx() {
    static const bool avx = __builtin_cpu_supports("avx");
    return avx;
}
#endif

void copy_nt(void* dst, const void* src, size_t size) {
#if defined(__x86_64__)
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    if (has_avx()) {
        copy_nt_avx(d, s, size);
    } else {
        copy_nt_sse2(d, s, size);
    }
#else
    std::memcpy(dst, src, size);
#endif
}

}  // namespace

void copy_bytes(void* dst, const void* src, size_t size, CopyKind kind) {
    switch (kind) {
        case CopyKind::Memcpy:
            std::memcpy(dst, src, size);
            return;
        case CopyKind::NonTemporal:
            copy_nt(dst, src, size);
            return;
        case CopyKind::Auto:
            if (size >= NT_THRESHOLD) {
                copy_nt(dst, src, size);
            } else {
                std::memcpy(dst, src, size);
            }
            return;
    }
}

void copy_fence() {
#if defined(__x86_64__)
    _mm_sfence();
#endif
}

const char* to_string(CopyKind kind) {
    switch (kind) {
        case CopyKind::Memcpy:
            return "memcpy";
        case CopyKind::NonTemporal:
            return "non-temporal";
        case CopyKind::Auto:
            return "auto";
    }
    return "?";
}

}  // namespace periscope
