// What the viewer measures about itself: frames presented and received per second, frames the
// agent posted that were never presented, frame age (agent capture -> buffer swap) and where that
// time went (waiting for the viewer, upload, draw, swap).
// Feeds the overlay (recent values) and --stats (JSON at exit). Main thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace periscope::viewer {

// One presented frame's timeline. All on the viewer's monotonic clock, which the agent shares when
// both run on one machine (frame age across a VM boundary mixes two clocks: see docs/viewer.md).
struct FrameTiming {
    int64_t age_ns = 0;          // swap done - the agent's capture time
    int64_t acquire_age_ns = 0;  // the viewer took the frame - the agent's capture time
    uint64_t upload_ns = 0;      // acquire -> last row handed to the renderer
    uint64_t draw_ns = 0;        // draw calls of the present (software GL rasterises here)
    uint64_t swap_ns = 0;        // SDL_GL_SwapWindow (vsync waits and the copy to the screen)
};

class Stats {
  public:
    static constexpr size_t RECENT = 300;  // frame ages the overlay's graph shows

    // A frame was accepted from the agent (serial within its session).
    void frame_received(uint64_t session, uint64_t serial);
    // A frame was discarded (stolen, torn, invalid): it will not be presented.
    void frame_discarded() { ++m_discarded; }
    void frame_presented(const FrameTiming& timing);
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

    std::vector<FrameTiming> m_timings;  // every presented frame (bounded, see .cpp)
    std::deque<float> m_recent;
    std::vector<float> m_recent_view;  // m_recent, contiguous for the overlay
};

}  // namespace periscope::viewer
