// Sample sets and their summaries (benchmarks, the demo): medians and tails, never means alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace periscope {

struct Summary {
    uint64_t count = 0;
    double p50 = 0;  // nanoseconds
    double p99 = 0;
    double p999 = 0;
    double max = 0;
    double mean = 0;
};

Summary summarize(std::vector<uint64_t> samples);  // nearest-rank percentiles

std::string format_ns(double ns);  // "312 ns", "4.21 us", "3.80 ms"

}  // namespace periscope
