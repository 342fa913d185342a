#include "core/clock.h"

#if defined(_WIN32)
#include <windows.h>

namespace periscope {

uint64_t monotonic_ns() {
    // QueryPerformanceCounter is the monotonic clock Windows documents for intervals; its
    // frequency is fixed at boot, so it is read once.
    static const uint64_t frequency = [] {
        LARGE_INTEGER value;
        QueryPerformanceFrequency(&value);
        return static_cast<uint64_t>(value.QuadPart);
    }();
    LARGE_INTEGER counter;
    QueryPerformanceCounter(&counter);
    const auto ticks = static_cast<uint64_t>(counter.QuadPart);
    // Whole seconds and the remainder apart: ticks * 1e9 would overflow after ~30 minutes at 10
    // MHz.
    return ticks / frequency * 1000000000ULL + ticks % frequency * 1000000000ULL / frequency;
}

}  // namespace periscope
#endif
