#include "core/random.h"

#include <atomic>
#include <random>

#include "core/clock.h"

namespace periscope {

uint64_t random_nonzero_u64() {
    // random_device alone may be deterministic on some platforms; mix in time and a counter so two
    // producers started in the same instant still differ.
    static std::atomic<uint64_t> counter{0};
    std::random_device device;
    uint64_t value = (static_cast<uint64_t>(device()) << 32) ^ device();
    value ^= monotonic_ns() * 0x9E3779B97F4A7C15ULL;
    value ^= counter.fetch_add(1) * 0xD6E8FEB86659FD93ULL;
    return value == 0 ? 1 : value;
}

}  // namespace periscope
