#include "core/random.h"

#include <atomic>
#include <random>

#include "core/clock.h"

#if defined(_WIN32)
#include <windows.h>
// windows.h first: bcrypt.h needs its types.
#include <bcrypt.h>
#endif

namespace periscope {

uint64_t random_nonzero_u64() {
    // random_device alone may be deterministic on some platforms; mix in time and a counter so two
    // producers started in the same instant still differ.
    static std::atomic<uint64_t> counter{0};
#if defined(_WIN32)
    // The system RNG directly: MinGW's std::random_device has been deterministic in the past.
    uint64_t value = 0;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(&value), sizeof value,
                                        BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
        value = 0;  // time and counter below still make it unique enough for a session id
    }
#else
    std::random_device device;
    uint64_t value = (static_cast<uint64_t>(device()) << 32) ^ device();
#endif
    value ^= monotonic_ns() * 0x9E3779B97F4A7C15ULL;
    value ^= counter.fetch_add(1) * 0xD6E8FEB86659FD93ULL;
    return value == 0 ? 1 : value;
}

}  // namespace periscope
