// The monotonic clock every module uses; nanoseconds since an unspecified epoch.
#pragma once

#include <chrono>
#include <cstdint>

namespace periscope {

#if defined(_WIN32)
// QueryPerformanceCounter (clock.cpp): kept out of line so windows.h stays out of every header.
uint64_t monotonic_ns();
#else
inline uint64_t monotonic_ns() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}
#endif

constexpr uint64_t NS_PER_MS = 1000000;
constexpr uint64_t NS_PER_US = 1000;

// Tells the CPU we are in a spin loop (frees pipeline resources for the sibling hyperthread).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

}  // namespace periscope
