#include "core/percentiles.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace periscope {

Summary summarize(std::vector<uint64_t> samples) {
    Summary s;
    s.count = samples.size();
    if (samples.empty()) {
        return s;
    }
    std::sort(samples.begin(), samples.end());
    auto rank = [&](double q) {
        const auto i =
            static_cast<size_t>(std::lround(q * static_cast<double>(samples.size() - 1)));
        return static_cast<double>(samples[std::min(i, samples.size() - 1)]);
    };
    s.p50 = rank(0.5);
    s.p99 = rank(0.99);
    s.p999 = rank(0.999);
    s.max = static_cast<double>(samples.back());
    s.mean = static_cast<double>(std::accumulate(samples.begin(), samples.end(), uint64_t{0})) /
             static_cast<double>(samples.size());
    return s;
}

std::string format_ns(double ns) {
    char text[32];
    if (ns < 1e3) {
        std::snprintf(text, sizeof text, "%.0f ns", ns);
    } else if (ns < 1e6) {
        std::snprintf(text, sizeof text, "%.2f us", ns / 1e3);
    } else {
        std::snprintf(text, sizeof text, "%.2f ms", ns / 1e6);
    }
    return text;
}

}  // namespace periscope
