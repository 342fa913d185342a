#include "stats.h"

#include <algorithm>

namespace periscope::demo {

Percentiles percentiles_ms(std::vector<uint64_t>& samples) {
    Percentiles p;
    p.count = samples.size();
    if (samples.empty()) {
        return p;
    }
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) {
        const auto index = static_cast<size_t>(q * static_cast<double>(samples.size() - 1));
        return static_cast<double>(samples[index]) / 1e6;
    };
    p.p50 = at(0.50);
    p.p99 = at(0.99);
    p.p999 = at(0.999);
    p.max = static_cast<double>(samples.back()) / 1e6;
    return p;
}

}  // namespace periscope::demo
