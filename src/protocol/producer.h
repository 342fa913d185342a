// The producer side of the frame transport (the agent). Specification: docs/design/shm-protocol.md.
//
// Thread-safety contract:
//  - frame methods (begin_frame, rows_done, end_frame, publish), service(), next_event(), stop()
//    and stats(): one thread, the "frame thread";
//  - cursor methods (set_cursor_position, set_cursor_shape): at most one other thread, or the frame
//    thread; they touch only the cursor records and their own state.
// No method ever waits for a consumer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "core/copy.h"
#include "core/result.h"
#include "protocol/damage.h"
#include "protocol/error.h"
#include "protocol/layout.h"
#include "protocol/validate.h"

namespace periscope::protocol {

struct ProducerConfig {
    // Frame buffers: 0 = as many as fit `expected_frame_bytes`, between 2 and 4.
    uint32_t buffer_count = 0;
    // Bytes one frame needs (frame_bytes(w, h, format)). 0 = split the region evenly among
    // buffer_count (2 if that is 0 too).
    uint64_t expected_frame_bytes = 0;
    uint32_t cursor_max_dim = DEFAULT_CURSOR_MAX_DIM;
    uint32_t heartbeat_period_ms = 100;
    uint32_t consumer_timeout_ms = 1000;
    bool steal_buffers = true;  // when every buffer is held: steal (true) or drop the frame
    bool checksums = false;     // store a hash64 of every frame (tests, --verify)
    CopyKind copy = CopyKind::Auto;
    uint32_t pid = 0;  // informational, shown by periscope-shm
};

struct FrameDesc {
    Format format = Format::BGRA8;
    uint32_t width = 0;
    uint32_t height = 0;
    uint64_t timestamp_ns = 0;  // capture time on the producer's clock
};

// Where the frame thread writes the pixels of the frame it began.
struct FrameTarget {
    std::byte* data = nullptr;  // start of the buffer (row 0)
    uint32_t stride = 0;
    uint64_t serial = 0;
    // What must be written: the frame's damage plus everything stale in this buffer, rects sorted
    // by their top row (write them in this order and report progress with rows_done()).
    DamageList to_copy;
};

struct CursorImage {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t hotspot_x = 0;
    uint32_t hotspot_y = 0;
    Format format = Format::BGRA8;  // BGRA8 or RGBA8
    bool premultiplied = false;
    const std::byte* pixels = nullptr;
    uint32_t stride = 0;  // bytes per source row
};

struct ProducerEvent {
    enum class Kind { Message, ConsumerJoined, ConsumerLeft, ConsumerEvicted };
    Kind kind = Kind::Message;
    uint32_t slot = 0;
    ValidMessage message;
};

struct ProducerStats {
    uint64_t frames_posted = 0;
    uint64_t frames_dropped = 0;
    uint64_t buffers_stolen = 0;
    uint64_t consumers_evicted = 0;
    uint64_t messages_rejected = 0;
    uint64_t bytes_copied = 0;
    uint64_t events_dropped = 0;
    uint32_t consumers = 0;  // slots owned at the last service()
};

class Producer {
  public:
    // Initialises `mapping` as a new session (the old one, if any, ends for its consumers).
    // `why` receives a human-readable reason on failure (static string).
    static Result<std::unique_ptr<Producer>, Error> create(std::span<std::byte> mapping,
                                                           const ProducerConfig& config,
                                                           const char** why = nullptr);
    ~Producer();  // marks the session stopped
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;

    // --- frame thread ---
    // Picks a buffer, writes and posts the frame record (post before copy) and returns where to
    // write. `damage` empty and !full means "nothing changed" (the frame is still posted).
    Result<FrameTarget, Error> begin_frame(const FrameDesc& desc, const DamageList& damage,
                                           uint64_t checksum = 0);
    // Rows [0, rows) of the frame begun are final (monotonic; clamped to the height).
    void rows_done(uint32_t rows);
    void end_frame();
    // begin_frame + copy of the stale area from a full source image + end_frame, advancing the
    // write pointer in chunks. `src` holds the whole current image at `src_stride`. With
    // config.checksums, the frame's hash64 is computed here unless the caller passes it (so a
    // caller can hash before it takes the timestamp).
    Result<void, Error> publish(const FrameDesc& desc, const std::byte* src, uint32_t src_stride,
                                const DamageList& damage, uint64_t checksum = 0);

    // Heartbeat, consumer liveness (evictions), messages. Call at least every heartbeat period.
    void service(uint64_t now_ns);
    bool next_event(ProducerEvent* out);
    void stop();

    // --- cursor thread ---
    void set_cursor_position(int32_t x, int32_t y, bool visible, uint64_t timestamp_ns);
    Result<void, Error> set_cursor_shape(const CursorImage& image);

    const Layout& layout() const { return m_layout; }
    uint64_t session_id() const { return m_session; }
    ProducerStats stats() const { return m_stats; }

  private:
    Producer(std::span<std::byte> mapping, const Layout& layout, const ProducerConfig& config);
    void initialise();
    RegionHeader& header();
    FrameRecord& record(uint64_t serial);
    BufferDesc& bufdesc(uint32_t index);
    ConsumerSlot& slot(uint32_t index);
    CursorState& cursor_state();
    CursorShapeDesc& shape_desc(uint32_t index);
    bool buffer_held(uint32_t index);
    int choose_buffer(uint64_t serial, bool* stolen);
    void push_event(const ProducerEvent& event);
    void write_cursor_state();
    void publish_stats();

    struct BufferState {
        uint64_t serial = 0;
        DamageList stale;
    };
    struct SlotTrack {
        uint64_t owner = 0;
        uint64_t heartbeat = 0;
        uint64_t last_change_ns = 0;
        uint32_t msg_read = 0;
    };

    std::span<std::byte> m_mapping;
    Layout m_layout;
    ProducerConfig m_config;
    uint64_t m_session = 0;
    bool m_stopped = false;
    bool m_refused = false;  // refused_frame_bytes is set in the header

    // frame thread state (the producer's own memory; consumers cannot corrupt it)
    std::array<BufferState, MAX_BUFFERS> m_buffers;
    uint64_t m_serial = 0;
    int m_latest_buffer = -1;
    int m_current_buffer = -1;
    uint32_t m_current_height = 0;
    uint32_t m_current_rows = 0;
    FrameDesc m_last_desc;
    DamageList m_pending;  // damage of frames dropped since the last post
    std::array<SlotTrack, MAX_CONSUMERS> m_slots;
    uint64_t m_heartbeat = 0;
    uint64_t m_last_heartbeat_ns = 0;
    static constexpr uint32_t EVENT_CAPACITY = 64;
    std::array<ProducerEvent, EVENT_CAPACITY> m_events;
    uint32_t m_event_head = 0;
    uint32_t m_event_count = 0;
    ProducerStats m_stats;

    // cursor thread state
    CursorState m_cursor{};
    uint64_t m_shape_serial = 0;
};

}  // namespace periscope::protocol
