#include "protocol/consumer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "core/clock.h"
#include "core/random.h"
#include "protocol/shm_word.h"

namespace periscope::protocol {
namespace {

constexpr const char* MODULE = "consumer";
constexpr int RECORD_ATTEMPTS = 4;

bool same_geometry(const FrameInfo& a, const FrameInfo& b) {
    return a.width == b.width && a.height == b.height && a.format == b.format &&
           a.stride == b.stride;
}

}  // namespace

const char* to_string(ConsumerState state) {
    switch (state) {
        case ConsumerState::Waiting:
            return "waiting";
        case ConsumerState::Attached:
            return "attached";
        case ConsumerState::Lost:
            return "agent lost";
        case ConsumerState::Stopped:
            return "agent stopped";
    }
    return "?";
}

uint64_t ConsumerStats::total_errors() const {
    uint64_t sum = 0;
    for (uint64_t e : errors) {
        sum += e;
    }
    return sum;
}

Consumer::Consumer(std::span<std::byte> mapping, ConsumerConfig config)
    : m_mapping(mapping), m_config(std::move(config)), m_token(random_nonzero_u64()) {}

Consumer::~Consumer() {
    detach();
}

const RegionHeader& Consumer::header() const {
    return *reinterpret_cast<const RegionHeader*>(m_mapping.data());
}
BufferDesc& Consumer::bufdesc(uint32_t index) const {
    return reinterpret_cast<BufferDesc*>(m_mapping.data() + m_layout.bufdesc_offset)[index];
}
ConsumerSlot& Consumer::slot() const {
    return reinterpret_cast<ConsumerSlot*>(m_mapping.data() + m_layout.consumer_offset)[m_slot];
}
const CursorState& Consumer::cursor_state() const {
    return *reinterpret_cast<const CursorState*>(m_mapping.data() + m_layout.cursor_offset);
}

void Consumer::count(Error error, const char* what, const char* detail) {
    ++m_stats.errors[static_cast<size_t>(error)];
    m_last_error = error;
    if (m_error_log.allow()) {
        PERISCOPE_LOG_ERROR(MODULE, "%s: %s%s%s", what, to_string(error),
                            detail != nullptr ? ": " : "", detail != nullptr ? detail : "");
    }
}

bool Consumer::session_still_valid() {
    const RegionHeader& h = header();
    return load(h.magic, std::memory_order_acquire) == MAGIC &&
           load(h.session_id, std::memory_order_relaxed) == m_session;
}

ConsumerState Consumer::poll(uint64_t now_ns) {
    if (m_mapping.size() < HEADER_SIZE) {
        if (m_last_error != Error::RegionTooSmall) {
            PERISCOPE_LOG_ERROR(MODULE, "mapping of %zu bytes cannot hold the %u-byte header",
                                m_mapping.size(), HEADER_SIZE);
        }
        m_last_error = Error::RegionTooSmall;
        return m_state;
    }
    if (m_state == ConsumerState::Waiting || m_state == ConsumerState::Stopped) {
        try_attach(now_ns);
        return m_state;
    }
    if (!session_still_valid()) {
        PERISCOPE_LOG_INFO(MODULE, "session %016llx ended (producer restarted or re-initialising)",
                           static_cast<unsigned long long>(m_session));
        detach();
        try_attach(now_ns);
        return m_state;
    }
    const RegionHeader& h = header();
    if (load(h.producer_state, std::memory_order_acquire) ==
        static_cast<uint32_t>(ProducerState::Stopped)) {
        PERISCOPE_LOG_INFO(MODULE, "session %016llx: producer stopped",
                           static_cast<unsigned long long>(m_session));
        m_stopped_session = m_session;
        detach();
        m_state = ConsumerState::Stopped;
        m_last_error = Error::ProducerStopped;
        return m_state;
    }
    const uint64_t beat = load(h.producer_heartbeat, std::memory_order_acquire);
    if (beat != m_producer_beat) {
        m_producer_beat = beat;
        m_producer_beat_ns = now_ns;
        if (m_state == ConsumerState::Lost) {
            PERISCOPE_LOG_INFO(MODULE, "session %016llx: producer heartbeat resumed",
                               static_cast<unsigned long long>(m_session));
            m_state = ConsumerState::Attached;
        }
    } else if (m_state == ConsumerState::Attached && now_ns > m_producer_beat_ns &&
               now_ns - m_producer_beat_ns > uint64_t{m_config.agent_timeout_ms} * NS_PER_MS) {
        PERISCOPE_LOG_WARN(MODULE, "session %016llx: no producer heartbeat for %u ms: agent lost",
                           static_cast<unsigned long long>(m_session), m_config.agent_timeout_ms);
        m_state = ConsumerState::Lost;
        m_last_error = Error::AgentLost;
        ++m_stats.agent_lost;
    }
    if (m_slot >= 0 && load(slot().owner, std::memory_order_acquire) != m_token) {
        PERISCOPE_LOG_WARN(MODULE, "slot %d was taken from us (evicted): joining again", m_slot);
        m_slot = -1;
    }
    if (now_ns - m_own_beat_ns >= uint64_t{m_config.heartbeat_interval_ms} * NS_PER_MS) {
        m_own_beat_ns = now_ns;
        if (m_slot < 0 && m_config.join) {
            join_slot();
        }
        if (m_slot >= 0) {
            store(slot().heartbeat, ++m_own_beat, std::memory_order_release);
        }
    }
    return m_state;
}

bool Consumer::try_attach(uint64_t now_ns) {
    const RegionHeader& h = header();
    if (load(h.magic, std::memory_order_acquire) != MAGIC) {
        if (m_last_error != Error::NoProducer) {
            PERISCOPE_LOG_INFO(MODULE, "waiting: no producer has initialised the region");
        }
        m_last_error = Error::NoProducer;
        return false;
    }
    const RegionHeader copy = copy_out(h);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (load(h.magic, std::memory_order_relaxed) != MAGIC ||
        load(h.session_id, std::memory_order_relaxed) != copy.session_id) {
        m_last_error = Error::HeaderChanged;
        return false;
    }
    if (m_stopped_session != 0 && copy.session_id == m_stopped_session) {
        return false;  // still the session that stopped; wait for a new one
    }
    const char* why = nullptr;
    auto layout = validate_header(copy, m_mapping.size(), &why);
    if (!layout) {
        // Log once per distinct (session, error): a bad header stays bad until the producer fixes
        // it.
        if (copy.session_id != m_session || layout.error() != m_last_error) {
            ++m_stats.errors[static_cast<size_t>(layout.error())];
            PERISCOPE_LOG_ERROR(MODULE, "region header rejected: %s (%s)",
                                to_string(layout.error()), why);
            if (layout.error() == Error::RegionTooSmall) {
                PERISCOPE_LOG_ERROR(MODULE,
                                    "producer uses %llu bytes but this mapping has %zu: the shm "
                                    "file must be at least as large as the guest's ivshmem BAR",
                                    static_cast<unsigned long long>(copy.region_size),
                                    m_mapping.size());
            }
        }
        m_session = copy.session_id;
        m_last_error = layout.error();
        return false;
    }
    if (copy.producer_state == static_cast<uint32_t>(ProducerState::Stopped)) {
        if (m_stopped_session != copy.session_id) {
            PERISCOPE_LOG_INFO(MODULE, "session %016llx is stopped; waiting for a new producer",
                               static_cast<unsigned long long>(copy.session_id));
        }
        m_stopped_session = copy.session_id;
        m_state = ConsumerState::Stopped;
        m_last_error = Error::ProducerStopped;
        return false;
    }
    m_session = copy.session_id;
    m_layout = *layout;
    m_state = ConsumerState::Attached;
    m_last_error = Error::NoNewFrame;
    ++m_stats.sessions;
    m_producer_beat = copy.producer_heartbeat;
    m_producer_beat_ns = now_ns;
    m_last_taken = 0;
    m_last_accepted = 0;
    m_last_accepted_info = FrameInfo{};
    m_cursor_updates_seen = 0;
    PERISCOPE_LOG_INFO(MODULE, "attached to session %016llx: %u buffers of %llu bytes",
                       static_cast<unsigned long long>(m_session), m_layout.buffer_count,
                       static_cast<unsigned long long>(m_layout.buffer_capacity));
    if (m_config.join) {
        join_slot();
        m_own_beat_ns = now_ns;
    }
    return true;
}

bool Consumer::join_slot() {
    for (uint32_t i = 0; i < m_layout.consumer_count; ++i) {
        auto& s = reinterpret_cast<ConsumerSlot*>(m_mapping.data() + m_layout.consumer_offset)[i];
        if (load(s.owner, std::memory_order_relaxed) != 0 ||
            !compare_exchange(s.owner, uint64_t{0}, m_token)) {
            continue;
        }
        m_slot = static_cast<int>(i);
        store(s.heartbeat, ++m_own_beat, std::memory_order_relaxed);
        store(s.held_buffer, uint32_t{0}, std::memory_order_relaxed);
        store(s.kind, static_cast<uint32_t>(m_config.kind), std::memory_order_relaxed);
        store(s.last_serial, m_last_accepted, std::memory_order_relaxed);
        store(s.pid, m_config.pid, std::memory_order_relaxed);
        char name[CONSUMER_NAME_SIZE] = {};
        std::memcpy(name, m_config.name.data(),
                    std::min(m_config.name.size(), CONSUMER_NAME_SIZE - 1));
        copy_words_in(s.name, name, CONSUMER_NAME_SIZE);
        store(s.msg_write, uint32_t{0}, std::memory_order_relaxed);
        store(s.msg_read, uint32_t{0}, std::memory_order_release);
        m_msg_write = 0;
        return true;
    }
    if (m_error_log.allow()) {
        PERISCOPE_LOG_WARN(MODULE, "all %u consumer slots are taken: reading without a slot",
                           m_layout.consumer_count);
    }
    return false;
}

void Consumer::leave_slot() {
    if (m_slot < 0) {
        return;
    }
    ConsumerSlot& s = slot();
    if (load(s.owner, std::memory_order_relaxed) == m_token) {
        store(s.held_buffer, uint32_t{0}, std::memory_order_release);
        compare_exchange(s.owner, m_token, uint64_t{0});
    }
    m_slot = -1;
}

void Consumer::drop_hold() {
    if (m_holding && m_slot >= 0) {
        store(slot().held_buffer, uint32_t{0}, std::memory_order_release);
    }
    m_holding = false;
}

void Consumer::detach() {
    if (m_state == ConsumerState::Attached || m_state == ConsumerState::Lost) {
        drop_hold();
        leave_slot();
    }
    m_holding = false;
    m_slot = -1;
    m_state = ConsumerState::Waiting;
}

void Consumer::abandon() {
    m_holding = false;
    m_slot = -1;
    m_state = ConsumerState::Waiting;
    m_mapping = {};  // any later call sees an empty region and attaches to nothing
}

bool Consumer::has_new_frame() const {
    if (m_state != ConsumerState::Attached && m_state != ConsumerState::Lost) {
        return false;
    }
    const uint64_t s = load(header().latest_serial, std::memory_order_acquire);
    return s != 0 && s != m_last_taken;
}

std::optional<Consumer::RefusedFrame> Consumer::refused_frame() const {
    if (m_state == ConsumerState::Waiting) {
        return std::nullopt;
    }
    const RegionHeader& h = header();
    RefusedFrame r;
    r.bytes = load(h.refused_frame_bytes, std::memory_order_relaxed);
    if (r.bytes == 0) {
        return std::nullopt;
    }
    r.width = load(h.refused_width, std::memory_order_relaxed);
    r.height = load(h.refused_height, std::memory_order_relaxed);
    r.format = static_cast<Format>(load(h.refused_format, std::memory_order_relaxed));
    const uint32_t bpp = bytes_per_pixel(r.format);
    if (bpp == 0 || r.width == 0 || r.width > MAX_DIMENSION || r.height == 0 ||
        r.height > MAX_DIMENSION || r.bytes != uint64_t{r.width} * bpp * r.height) {
        return std::nullopt;
    }
    return r;
}

bool Consumer::wait_new_frame(uint64_t deadline_ns, PollMode mode, uint64_t interval_ns) {
    uint64_t next_poll = 0;
    for (uint32_t spin = 0;; ++spin) {
        if (has_new_frame()) {
            return true;
        }
        // Clock reads are not free: in busy mode look at the time every 64 spins only.
        if (mode == PollMode::Busy && (spin & 63) != 0) {
            cpu_relax();
            continue;
        }
        const uint64_t now = monotonic_ns();
        if (now >= deadline_ns) {
            return false;
        }
        if (now >= next_poll) {
            poll(now);
            next_poll = now + NS_PER_MS;
        }
        if (mode == PollMode::LowCpu) {
            std::this_thread::sleep_for(std::chrono::nanoseconds(interval_ns));
        }
    }
}

Result<FrameRecord, Error> Consumer::copy_record(uint64_t serial) {
    const auto* ring =
        reinterpret_cast<const FrameRecord*>(m_mapping.data() + m_layout.ring_offset);
    const FrameRecord& shared = ring[serial % RING_COUNT];
    const uint64_t seq1 = load(shared.seq, std::memory_order_acquire);
    FrameRecord copy = copy_out(shared);
    std::atomic_thread_fence(std::memory_order_acquire);
    const uint64_t seq2 = load(shared.seq, std::memory_order_relaxed);
    if (seq1 != seq2 || (seq1 & 1) != 0) {
        return fail(Error::TornRecord);
    }
    copy.seq = seq1;
    return copy;
}

Result<FrameInfo, Error> Consumer::acquire() {
    if (m_state != ConsumerState::Attached && m_state != ConsumerState::Lost) {
        return fail(Error::NotAttached);
    }
    drop_hold();
    for (int attempt = 0; attempt < RECORD_ATTEMPTS; ++attempt) {
        const uint64_t s = load(header().latest_serial, std::memory_order_acquire);
        if (s == 0 || s == m_last_taken) {
            return fail(Error::NoNewFrame);
        }
        auto record = copy_record(s);
        if (!record) {
            continue;  // the producer is writing it right now
        }
        const char* why = nullptr;
        auto info = validate_frame_record(*record, s, m_layout, &why);
        if (!info) {
            if (info.error() == Error::StaleRecord || info.error() == Error::TornRecord) {
                continue;  // overtaken by a newer frame: take that one
            }
            m_last_taken = s;  // skip this frame, do not report it again
            ++m_stats.frames_discarded;
            count(info.error(), "frame record", why);
            return fail(info.error());
        }
        const uint32_t b = info->buffer_index;
        if (m_slot >= 0) {
            store(slot().held_buffer, b + 1, std::memory_order_seq_cst);
        }
        m_holding = true;
        if (load(bufdesc(b).frame_serial, std::memory_order_seq_cst) != s) {
            // §3.3 step 3: the producer already reuses this buffer; take the newer frame.
            drop_hold();
            continue;
        }
        m_current = *info;
        m_rows_seen = 0;
        m_last_taken = s;
        // Damage since the frame last accepted (§5).
        bool full = m_last_accepted == 0 || s <= m_last_accepted ||
                    s - m_last_accepted >= RING_COUNT ||
                    !same_geometry(m_current, m_last_accepted_info);
        for (uint64_t k = m_last_accepted + 1; !full && k < s; ++k) {
            auto older = copy_record(k);
            if (!older) {
                full = true;
                break;
            }
            auto older_info = validate_frame_record(*older, k, m_layout);
            if (!older_info || !same_geometry(*older_info, m_current)) {
                full = true;
                break;
            }
            m_current.damage.add(older_info->damage);
        }
        if (full) {
            m_current.damage.set_full();
        }
        return m_current;
    }
    count(Error::TornRecord, "frame record", "unstable after retries");
    return fail(Error::TornRecord);
}

Result<uint32_t, Error> Consumer::rows_ready() {
    if (!m_holding) {
        return fail(Error::InvalidArgument);
    }
    const BufferDesc& d = bufdesc(m_current.buffer_index);
    const uint32_t rows = load(d.rows_ready, std::memory_order_acquire);
    if (load(d.frame_serial, std::memory_order_seq_cst) != m_current.serial) {
        return fail(Error::FrameStolen);
    }
    if (rows > m_current.height || rows < m_rows_seen) {
        count(Error::RowsInvalid, "write pointer", nullptr);
        return fail(Error::RowsInvalid);
    }
    m_rows_seen = rows;
    return rows;
}

Result<uint32_t, Error> Consumer::wait_rows(uint32_t rows, uint64_t deadline_ns) {
    rows = std::min(rows, m_current.height);
    uint64_t next_poll = 0;
    for (uint32_t spin = 0;; ++spin) {
        auto ready = rows_ready();
        if (!ready || *ready >= rows) {
            return ready;
        }
        if ((spin & 63) != 0) {
            cpu_relax();
            continue;
        }
        const uint64_t now = monotonic_ns();
        if (now >= deadline_ns) {
            return fail(Error::Timeout);
        }
        if (now >= next_poll) {
            // A producer killed mid-frame never finishes it: the heartbeat tells us.
            const uint64_t session = m_session;
            const ConsumerState state = poll(now);
            if (state != ConsumerState::Attached || m_session != session || !m_holding) {
                return fail(state == ConsumerState::Lost ? Error::AgentLost
                                                         : Error::SessionChanged);
            }
            next_poll = now + NS_PER_MS;
        }
        if (spin > 4096) {
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }
}

const std::byte* Consumer::frame_data() const {
    if (!m_holding) {
        return nullptr;
    }
    return m_mapping.data() + m_layout.buffer_at(m_current.buffer_index);
}

Result<void, Error> Consumer::release() {
    if (!m_holding) {
        return fail(Error::InvalidArgument);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    const uint64_t serial =
        load(bufdesc(m_current.buffer_index).frame_serial, std::memory_order_seq_cst);
    drop_hold();
    if (serial != m_current.serial) {
        ++m_stats.frames_discarded;
        ++m_stats.errors[static_cast<size_t>(Error::FrameStolen)];
        return fail(Error::FrameStolen);
    }
    if (m_rows_seen < m_current.height) {
        ++m_stats.frames_discarded;
        return fail(Error::Incomplete);
    }
    m_last_accepted = m_current.serial;
    m_last_accepted_info = m_current;
    ++m_stats.frames_accepted;
    if (m_slot >= 0) {
        store(slot().last_serial, m_last_accepted, std::memory_order_relaxed);
    }
    return {};
}

Result<FrameInfo, Error> Consumer::read_frame(std::byte* dst, size_t dst_size, uint32_t dst_stride,
                                              uint64_t deadline_ns) {
    auto info = acquire();
    if (!info) {
        return info;
    }
    const uint64_t row_bytes = info->row_bytes();
    if (dst == nullptr || dst_stride < row_bytes ||
        dst_size < uint64_t{dst_stride} * (info->height - 1) + row_bytes) {
        drop_hold();
        m_last_taken = 0;  // the caller can retry with a larger destination
        return fail(Error::InvalidArgument);
    }
    const std::byte* src = frame_data();
    uint32_t copied = 0;
    while (copied < info->height) {
        auto ready = wait_rows(copied + 1, deadline_ns);
        if (!ready) {
            drop_hold();
            ++m_stats.frames_discarded;
            return fail(ready.error());
        }
        for (uint32_t y = copied; y < *ready; ++y) {
            std::memcpy(dst + uint64_t{y} * dst_stride, src + uint64_t{y} * info->stride,
                        row_bytes);
        }
        copied = *ready;
    }
    auto done = release();
    if (!done) {
        return fail(done.error());
    }
    return info;
}

bool Consumer::cursor_changed() const {
    if (m_state != ConsumerState::Attached && m_state != ConsumerState::Lost) {
        return false;
    }
    return load(cursor_state().update_count, std::memory_order_acquire) != m_cursor_updates_seen;
}

Result<CursorPosition, Error> Consumer::read_cursor() {
    if (m_state != ConsumerState::Attached && m_state != ConsumerState::Lost) {
        return fail(Error::NotAttached);
    }
    const CursorState& shared = cursor_state();
    for (int attempt = 0; attempt < RECORD_ATTEMPTS; ++attempt) {
        const uint64_t seq1 = load(shared.seq, std::memory_order_acquire);
        const CursorState copy = copy_out(shared);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (seq1 != load(shared.seq, std::memory_order_relaxed) || (seq1 & 1) != 0) {
            continue;
        }
        const char* why = nullptr;
        auto position = validate_cursor_state(copy, &why);
        m_cursor_updates_seen = copy.update_count;
        if (!position) {
            count(position.error(), "cursor", why);
            return position;
        }
        ++m_stats.cursor_updates;
        return position;
    }
    count(Error::TornRecord, "cursor", "unstable after retries");
    return fail(Error::TornRecord);
}

Result<CursorShape, Error> Consumer::read_cursor_shape(const CursorPosition& position) {
    if (m_state != ConsumerState::Attached && m_state != ConsumerState::Lost) {
        return fail(Error::NotAttached);
    }
    if (position.shape_serial == 0 || position.shape_slot >= SHAPE_COUNT) {
        return fail(Error::InvalidArgument);
    }
    const auto& shared = reinterpret_cast<const CursorShapeDesc*>(
        m_mapping.data() + m_layout.shape_desc_offset)[position.shape_slot];
    const std::byte* data = m_mapping.data() + m_layout.shape_data_at(position.shape_slot);
    for (int attempt = 0; attempt < RECORD_ATTEMPTS; ++attempt) {
        const uint64_t seq1 = load(shared.seq, std::memory_order_acquire);
        const CursorShapeDesc copy = copy_out(shared);
        const char* why = nullptr;
        auto info = validate_shape_desc(copy, m_layout, &why);
        if (!info) {
            if (info.error() == Error::TornRecord) {
                continue;
            }
            count(info.error(), "cursor shape", why);
            return fail(info.error());
        }
        if (copy.serial != position.shape_serial) {
            return fail(Error::StaleRecord);  // replaced again since read_cursor(); read it again
        }
        std::vector<std::byte> raw(uint64_t{info->stride} * info->height);
        copy_words_out(raw.data(), data, raw.size());
        std::atomic_thread_fence(std::memory_order_acquire);
        if (seq1 != load(shared.seq, std::memory_order_relaxed)) {
            continue;
        }
        CursorShape shape;
        shape.info = *info;
        shape.pixels.resize(uint64_t{info->width} * 4 * info->height);
        for (uint32_t y = 0; y < info->height; ++y) {
            std::memcpy(shape.pixels.data() + uint64_t{y} * info->width * 4,
                        raw.data() + uint64_t{y} * info->stride, uint64_t{info->width} * 4);
        }
        return shape;
    }
    count(Error::TornRecord, "cursor shape", "unstable after retries");
    return fail(Error::TornRecord);
}

Result<void, Error> Consumer::send(const Message& message) {
    if (m_slot < 0) {
        return fail(Error::NotAttached);
    }
    ConsumerSlot& s = slot();
    // Producer-written and untrusted: an insane value reads as "full", never as space.
    const uint32_t read = load(s.msg_read, std::memory_order_acquire);
    if (m_msg_write - read >= MAILBOX_SIZE) {
        return fail(Error::MailboxFull);
    }
    copy_in(s.messages[m_msg_write % MAILBOX_SIZE], message);
    ++m_msg_write;
    store(s.msg_write, m_msg_write, std::memory_order_release);
    ++m_stats.messages_sent;
    return {};
}

Result<void, Error> Consumer::send_cursor_move(int32_t x, int32_t y) {
    return send(Message{static_cast<uint32_t>(MessageType::CursorMove), static_cast<uint32_t>(x),
                        static_cast<uint32_t>(y), 0});
}

Result<void, Error> Consumer::request_full_frame() {
    return send(Message{static_cast<uint32_t>(MessageType::FullFrame), 0, 0, 0});
}

Result<void, Error> Consumer::send_window_size(uint32_t width, uint32_t height) {
    return send(Message{static_cast<uint32_t>(MessageType::WindowSize), width, height, 0});
}

}  // namespace periscope::protocol
