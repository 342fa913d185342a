// What the viewer measures about itself: frames presented and received per second, frames the
// agent posted that were never presented, frame age (agent capture -> buffer swap) and upload time.
// Feeds the overlay (recent values) and --stats (JSON at exit). Main thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace periscope::viewer {

class Stats {
  public:
    static constexpr size_t RECENT = 300;  // frame ages the overlay's graph shows

    // A frame was accepted from the agent (serial within its session).
    void frame_received(uint64_t session, uint64_t serial, uint64_t now_ns);
    // A frame was discarded (stolen, torn, invalid): it will not be presented.
    void frame_discarded() { ++m_discarded; }
    // A frame was presented; `age_ns` = swap time - the agent's capture time.
    void frame_presented(uint64_t now_ns, int64_t age_ns, uint64_t upload_ns);
    void session_started() { ++m_sessions; }

    double presented_fps() const { return m_presented_rate; }
    double received_fps() const { return m_received_rate; }
    uint64_t presented() const { return m_presented; }
    uint64_t received() const { return m_received; }
    // Posted by the agent but never presented: serial gaps plus discards.
    uint64_t dropped() const { return m_skipped + m_discarded; }
    const std::vector<float>& recent_age_ms() const { return m_recent_view; }
    double age_percentile_ms(double p) const;
    // Call once a loop iteration: rolls the per-second rates.
    void tick(uint64_t now_ns);

    // {"frames_presented": ..., "frame_age_ms": {"p50": ...}, ...}
    std::string to_json() const;

  private:
    uint64_t m_presented = 0;
    uint64_t m_received = 0;
    uint64_t m_skipped = 0;
    uint64_t m_discarded = 0;
    uint64_t m_sessions = 0;
    uint64_t m_last_session = 0;
    uint64_t m_last_serial = 0;

    uint64_t m_window_start_ns = 0;
    uint64_t m_window_presented = 0;
    uint64_t m_window_received = 0;
    double m_presented_rate = 0;
    double m_received_rate = 0;

    std::vector<int64_t> m_ages_ns;  // every presented frame's age (bounded, see .cpp)
    std::vector<uint64_t> m_upload_ns;
    std::deque<float> m_recent;
    std::vector<float> m_recent_view;  // m_recent, contiguous for the overlay
};

}  // namespace periscope::viewer
