// The consumer side of the frame transport (viewer, recorder, tests). Specification:
// docs/design/shm-protocol.md. The region is untrusted: everything is copied out once, validated,
// and only the copy used; errors are logged (rate-limited), counted, and the frame skipped.
//
// Thread-safety contract: a Consumer is used from one thread. Several Consumers (in one process or
// several) may share a region.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/result.h"
#include "protocol/error.h"
#include "protocol/layout.h"
#include "protocol/validate.h"

namespace periscope::protocol {

struct ConsumerConfig {
    ConsumerKind kind = ConsumerKind::Other;
    std::string name;  // shown by periscope-shm (first 23 bytes)
    uint32_t pid = 0;
    uint32_t agent_timeout_ms = 500;  // heartbeat unchanged this long: agent lost
    uint32_t heartbeat_interval_ms = 20;
    bool join = true;  // take a consumer slot (holds, messages); false: read-only observer
};

enum class ConsumerState {
    Waiting,   // no valid producer session (missing magic, bad header): see last_error()
    Attached,  // a live session
    Lost,      // attached session whose heartbeat stopped
    Stopped,   // attached session the producer marked stopped; waits for a new one
};
const char* to_string(ConsumerState state);

enum class PollMode { Busy, LowCpu };

struct ConsumerStats {
    uint64_t sessions = 0;  // sessions attached to (restarts seen + 1)
    uint64_t frames_accepted = 0;
    uint64_t frames_discarded = 0;  // stolen, superseded, invalid or timed out
    uint64_t agent_lost = 0;        // times the heartbeat stopped
    uint64_t messages_sent = 0;
    uint64_t cursor_updates = 0;
    std::array<uint64_t, 32> errors{};  // by Error value
    uint64_t error_count(Error e) const { return errors[static_cast<size_t>(e)]; }
    uint64_t total_errors() const;
};

struct CursorShape {
    CursorShapeInfo info;
    std::vector<std::byte> pixels;  // info.height rows of info.width * 4 bytes, tightly packed
};

class Consumer {
  public:
    Consumer(std::span<std::byte> mapping, ConsumerConfig config);
    ~Consumer();  // releases the hold and the slot
    Consumer(const Consumer&) = delete;
    Consumer& operator=(const Consumer&) = delete;

    // Attaches, re-attaches on a new session, tracks the producer's heartbeat, keeps ours.
    // Cheap when nothing changed: call it in every loop iteration.
    ConsumerState poll(uint64_t now_ns);
    ConsumerState state() const { return m_state; }
    // Why the consumer is not attached (valid in Waiting), or the last error seen.
    Error last_error() const { return m_last_error; }
    uint64_t session_id() const { return m_session; }
    const Layout& layout() const { return m_layout; }
    bool has_slot() const { return m_slot >= 0; }
    int slot_index() const { return m_slot; }
    const ConsumerStats& stats() const { return m_stats; }

    // The mapping must not be touched any more (its file shrank: reads would fault): forgets the
    // slot, the hold and the session without writing to the region. The producer evicts the slot
    // by its stale heartbeat. The consumer stays Waiting until destroyed.
    void abandon();

    // --- frames ---
    // One acquire load: is there a frame newer than the one last taken?
    bool has_new_frame() const;
    // Waits (busy or low-CPU polling, calling poll() along the way) until has_new_frame() or the
    // deadline; returns whether a frame is there.
    bool wait_new_frame(uint64_t deadline_ns, PollMode mode, uint64_t interval_ns = 250000);
    // Takes the newest frame and holds its buffer. The returned info's `damage` is what changed
    // since the last frame this consumer *accepted* (full if unknown).
    Result<FrameInfo, Error> acquire();
    // Rows of the held frame written so far (validated: within the frame, never backwards).
    Result<uint32_t, Error> rows_ready();
    // Waits until at least `rows` rows are ready; fails on deadline, lost agent or new session.
    Result<uint32_t, Error> wait_rows(uint32_t rows, uint64_t deadline_ns);
    // The held frame's pixels: row y starts at data() + y * stride (validated to lie in the
    // buffer). The bytes may change under a hostile producer; never the bounds.
    const std::byte* frame_data() const;
    // Ends the hold. Ok: the frame was complete and not reclaimed while held (accepted).
    // FrameStolen: the producer reclaimed the buffer; anything read must be discarded.
    Result<void, Error> release();
    // acquire + copy the whole frame into dst as rows arrive + release.
    Result<FrameInfo, Error> read_frame(std::byte* dst, size_t dst_size, uint32_t dst_stride,
                                        uint64_t deadline_ns);

    // A frame the producer could not post because the region's buffers are too small for it
    // (header refused_*): the user needs to know the size to give the region. nullopt if there is
    // none, or the fields do not agree with each other (torn or hostile).
    struct RefusedFrame {
        uint32_t width = 0;
        uint32_t height = 0;
        Format format = Format::Invalid;
        uint64_t bytes = 0;
    };
    std::optional<RefusedFrame> refused_frame() const;

    // --- cursor ---
    bool cursor_changed() const;  // the cursor record changed since the last read_cursor()
    Result<CursorPosition, Error> read_cursor();
    // Copies the shape named by `position` (from read_cursor()).
    Result<CursorShape, Error> read_cursor_shape(const CursorPosition& position);

    // --- messages to the producer (need a slot) ---
    Result<void, Error> send_cursor_move(int32_t x, int32_t y);
    Result<void, Error> request_full_frame();
    Result<void, Error> send_window_size(uint32_t width, uint32_t height);

  private:
    bool try_attach(uint64_t now_ns);
    void detach();
    bool join_slot();
    void leave_slot();
    void count(Error error, const char* what, const char* detail);
    Result<FrameRecord, Error> copy_record(uint64_t serial);
    bool session_still_valid();
    Result<void, Error> send(const Message& message);
    void drop_hold();

    const RegionHeader& header() const;
    BufferDesc& bufdesc(uint32_t index) const;
    ConsumerSlot& slot() const;
    const CursorState& cursor_state() const;

    std::span<std::byte> m_mapping;
    ConsumerConfig m_config;
    uint64_t m_token = 0;
    ConsumerState m_state = ConsumerState::Waiting;
    Error m_last_error = Error::NoProducer;
    uint64_t m_session = 0;
    uint64_t m_stopped_session = 0;
    Layout m_layout;

    // liveness
    uint64_t m_producer_beat = 0;
    uint64_t m_producer_beat_ns = 0;
    uint64_t m_own_beat = 0;
    uint64_t m_own_beat_ns = 0;
    int m_slot = -1;
    uint32_t m_msg_write = 0;

    // frames
    uint64_t m_last_taken = 0;
    uint64_t m_last_accepted = 0;
    FrameInfo m_last_accepted_info;
    bool m_holding = false;
    FrameInfo m_current;
    uint32_t m_rows_seen = 0;

    // cursor
    uint64_t m_cursor_updates_seen = 0;

    ConsumerStats m_stats;
    RateLimitedLog m_error_log{50};
};

}  // namespace periscope::protocol
