#include "viewer/stats.h"

#include <algorithm>

#include "core/clock.h"
#include "core/format.h"
#include "core/percentiles.h"

namespace periscope::viewer {
namespace {

// An hour at 240 frames a second; beyond that the percentiles come from the first hour.
constexpr size_t MAX_SAMPLES = size_t{240} * 3600;

std::string summary_json(const Summary& s) {
    return format_text(
        "{\"count\": %llu, \"p50\": %.3f, \"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f}",
        static_cast<unsigned long long>(s.count), s.p50 / 1e6, s.p99 / 1e6, s.p999 / 1e6,
        s.max / 1e6);
}

}  // namespace

void Stats::frame_received(uint64_t session, uint64_t serial) {
    if (session == m_last_session && serial > m_last_serial) {
        m_skipped += serial - m_last_serial - 1;
    }
    m_last_session = session;
    m_last_serial = serial;
    ++m_received;
    ++m_window_received;
}

void Stats::frame_presented(const FrameTiming& timing) {
    ++m_presented;
    ++m_window_presented;
    if (m_timings.size() < MAX_SAMPLES) {
        m_timings.push_back(timing);
    }
    m_recent.push_back(static_cast<float>(static_cast<double>(timing.age_ns) / 1e6));
    if (m_recent.size() > RECENT) {
        m_recent.pop_front();
    }
    m_recent_view.assign(m_recent.begin(), m_recent.end());
}

void Stats::tick(uint64_t now_ns) {
    if (m_window_start_ns == 0) {
        m_window_start_ns = now_ns;
        return;
    }
    const uint64_t elapsed = now_ns - m_window_start_ns;
    if (elapsed < 1000 * NS_PER_MS) {
        return;
    }
    const double seconds = static_cast<double>(elapsed) / 1e9;
    m_presented_rate = static_cast<double>(m_window_presented) / seconds;
    m_received_rate = static_cast<double>(m_window_received) / seconds;
    m_window_presented = 0;
    m_window_received = 0;
    m_window_start_ns = now_ns;
}

double Stats::age_percentile_ms(double p) const {
    if (m_recent.empty()) {
        return 0;
    }
    std::vector<float> sorted(m_recent.begin(), m_recent.end());
    std::sort(sorted.begin(), sorted.end());
    const auto rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(rank, sorted.size() - 1)];
}

std::string Stats::to_json() const {
    // Clocks may differ (agent in a guest): a negative age is clamped at 0.
    auto clamp = [](int64_t v) { return v > 0 ? static_cast<uint64_t>(v) : uint64_t{0}; };
    std::vector<uint64_t> ages, acquire, upload, draw, swap;
    for (const FrameTiming& t : m_timings) {
        ages.push_back(clamp(t.age_ns));
        acquire.push_back(clamp(t.acquire_age_ns));
        upload.push_back(t.upload_ns);
        draw.push_back(t.draw_ns);
        swap.push_back(t.swap_ns);
    }
    return format_text(
        "{\"frames_presented\": %llu, \"frames_received\": %llu, \"frames_dropped\": %llu, "
        "\"frames_discarded\": %llu, \"sessions\": %llu, \"frame_age_ms\": %s, "
        "\"acquire_age_ms\": %s, \"upload_ms\": %s, \"draw_ms\": %s, \"swap_ms\": %s}",
        static_cast<unsigned long long>(m_presented), static_cast<unsigned long long>(m_received),
        static_cast<unsigned long long>(dropped()), static_cast<unsigned long long>(m_discarded),
        static_cast<unsigned long long>(m_sessions), summary_json(summarize(ages)).c_str(),
        summary_json(summarize(acquire)).c_str(), summary_json(summarize(upload)).c_str(),
        summary_json(summarize(draw)).c_str(), summary_json(summarize(swap)).c_str());
}

}  // namespace periscope::viewer
