// Latency samples and their percentiles (nearest-rank), for the demo's console output.
#pragma once

#include <cstdint>
#include <vector>

namespace periscope::demo {

struct Percentiles {
    uint64_t count = 0;
    double p50 = 0;
    double p99 = 0;
    double p999 = 0;
    double max = 0;
};

// Values in nanoseconds in, milliseconds out. Sorts `samples`.
Percentiles percentiles_ms(std::vector<uint64_t>& samples);

}  // namespace periscope::demo
