// The agent's main loop: takes frames and cursor updates from a capture back-end and publishes
// them through the protocol producer. Design: docs/design/agent.md.
//
// Thread-safety: run() on one thread; `stop` may be set from any thread or a signal handler.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "agent/capture/capture_backend.h"
#include "core/result.h"
#include "protocol/producer.h"

namespace periscope::agent {

enum class AgentError {
    SourceLost,      // the capture source went away (exit status 3)
    ProducerFailed,  // the region could not be initialised at all
};
const char* to_string(AgentError error);

struct AgentConfig {
    double max_fps = 0;       // rate limit; 0 = as fast as the source changes
    uint32_t buffers = 0;     // protocol buffers; 0 = as many as fit (2..4)
    bool checksums = false;   // store a checksum per frame (tests)
    uint32_t pid = 0;         // shown by periscope-shm
    std::string region_name;  // for messages: the file or device written to
    // Direct capture (docs/design/agent.md): lend the region to the back-end's source through
    // this descriptor (-1: the region has none), unless turned off or checksums are wanted.
    int region_fd = -1;
    bool direct_capture = true;
};

struct AgentStats {
    uint64_t frames_published = 0;
    uint64_t frames_grabbed = 0;
    uint64_t bytes_read = 0;  // what the back-end fetched
    uint64_t idle_polls = 0;  // iterations with no consumer attached
    uint64_t sessions = 0;    // producers created (re-layouts after resolution changes)
    uint64_t too_large = 0;   // frames that did not fit the region
    uint64_t cursor_updates = 0;
    bool direct = false;  // the back-end writes into the region itself
};

class Agent final : private FrameSink {
  public:
    Agent(CaptureBackend& backend, std::span<std::byte> region, AgentConfig config);
    // Runs until `stop` is set (Ok; the session is marked stopped) or the source is lost.
    Result<void, AgentError> run(const std::atomic<bool>& stop);
    const AgentStats& stats() const { return m_stats; }
    // The producer of the current session (tests look at it); null before run().
    const protocol::Producer* producer() const { return m_producer.get(); }

  private:
    bool create_producer(bool log_success);
    void handle_events();
    void send_cursor(bool shape, bool position);
    void offer_region();
    // One frame through the back-end: copied (grab + publish) or direct (grab_into). False if
    // the source is lost.
    bool capture_frame(AgentError* error);
    bool grab_failed(CaptureError cause, AgentError* error);
    bool publish(const CapturedFrame& frame);
    // After the producer refused a frame: re-lay out the region for it, or report the size needed.
    void frame_refused(protocol::Error error, const protocol::FrameDesc& desc);
    void report_too_small(const protocol::FrameDesc& desc);
    // FrameSink, for grab_into(): the producer of the current session.
    Result<protocol::FrameTarget, protocol::Error> begin(
        const protocol::FrameDesc& desc, const protocol::DamageList& damage) override;
    void rows_done(uint32_t rows) override;

    CaptureBackend& m_backend;
    std::span<std::byte> m_region;
    AgentConfig m_config;
    std::unique_ptr<protocol::Producer> m_producer;
    AgentStats m_stats;
    bool m_need_full = true;
    bool m_pending_damage = false;
    bool m_resend_cursor = false;
    uint64_t m_last_frame_ns = 0;
    uint64_t m_reported_too_small_for = 0;  // frame bytes already reported, so we say it once
};

}  // namespace periscope::agent
