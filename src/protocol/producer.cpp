#include "protocol/producer.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/clock.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/random.h"
#include "protocol/shm_word.h"

namespace periscope::protocol {
namespace {

constexpr const char* MODULE = "producer";
constexpr uint32_t AUTO_MAX_BUFFERS = 4;
constexpr uint64_t COPY_CHUNK_BYTES = uint64_t{512} * 1024;

Unexpected<Error> reject(Error error, const char* reason, const char** why) {
    if (why != nullptr) {
        *why = reason;
    }
    return fail(error);
}

}  // namespace

Result<std::unique_ptr<Producer>, Error> Producer::create(std::span<std::byte> mapping,
                                                          const ProducerConfig& config,
                                                          const char** why) {
    if (reinterpret_cast<uintptr_t>(mapping.data()) % PAGE_SIZE != 0) {
        return reject(Error::InvalidArgument, "mapping is not page-aligned", why);
    }
    if (config.buffer_count > MAX_BUFFERS) {
        return reject(Error::InvalidArgument, "buffer_count above 8", why);
    }
    if (config.cursor_max_dim < MIN_CURSOR_MAX_DIM || config.cursor_max_dim > MAX_CURSOR_MAX_DIM) {
        return reject(Error::InvalidArgument, "cursor_max_dim outside 64..1024", why);
    }
    if (config.heartbeat_period_ms == 0 || config.heartbeat_period_ms > 10000 ||
        config.consumer_timeout_ms == 0) {
        return reject(Error::InvalidArgument,
                      "heartbeat period outside 1..10000 ms, or zero timeout", why);
    }
    const uint64_t fixed = required_region_size(0, 0, config.cursor_max_dim);
    const uint64_t size = mapping.size();
    if (size <= fixed) {
        return reject(Error::RegionTooSmall, "region smaller than the control area", why);
    }
    const uint64_t available = size - fixed;
    uint32_t count = config.buffer_count;
    uint64_t capacity = config.expected_frame_bytes;
    if (capacity != 0) {
        capacity = align_up(capacity, PAGE_SIZE);
        const uint64_t fit = available / capacity;
        const uint32_t wanted = count == 0 ? 2 : count;
        if (fit < wanted) {
            // Logged here, where the numbers are: the size needed and what to give QEMU.
            const uint64_t needed = required_region_size(capacity, wanted, config.cursor_max_dim);
            PERISCOPE_LOG_ERROR(
                MODULE,
                "region of %zu bytes is too small for %u buffers of %llu bytes: "
                "needs %llu bytes; configure ivshmem with %llu MiB",
                mapping.size(), wanted, static_cast<unsigned long long>(capacity),
                static_cast<unsigned long long>(needed),
                static_cast<unsigned long long>(recommended_ivshmem_size(needed) >> 20));
            return reject(Error::RegionTooSmall, "region too small for the frame buffers", why);
        }
        if (count == 0) {
            count = static_cast<uint32_t>(std::min<uint64_t>(fit, AUTO_MAX_BUFFERS));
        }
    } else {
        if (count == 0) {
            count = 2;
        }
        capacity = available / count / PAGE_SIZE * PAGE_SIZE;
        if (capacity == 0) {
            return reject(Error::RegionTooSmall, "region too small for any frame buffer", why);
        }
    }
    const Layout layout = compute_layout(capacity, count, config.cursor_max_dim);
    std::unique_ptr<Producer> producer(new Producer(mapping, layout, config));
    producer->initialise();
    return producer;
}

Producer::Producer(std::span<std::byte> mapping, const Layout& layout, const ProducerConfig& config)
    : m_mapping(mapping), m_layout(layout), m_config(config) {}

Producer::~Producer() {
    stop();
}

RegionHeader& Producer::header() {
    return *reinterpret_cast<RegionHeader*>(m_mapping.data());
}
FrameRecord& Producer::record(uint64_t serial) {
    return reinterpret_cast<FrameRecord*>(m_mapping.data() +
                                          m_layout.ring_offset)[serial % RING_COUNT];
}
BufferDesc& Producer::bufdesc(uint32_t index) {
    return reinterpret_cast<BufferDesc*>(m_mapping.data() + m_layout.bufdesc_offset)[index];
}
ConsumerSlot& Producer::slot(uint32_t index) {
    return reinterpret_cast<ConsumerSlot*>(m_mapping.data() + m_layout.consumer_offset)[index];
}
CursorState& Producer::cursor_state() {
    return *reinterpret_cast<CursorState*>(m_mapping.data() + m_layout.cursor_offset);
}
CursorShapeDesc& Producer::shape_desc(uint32_t index) {
    return reinterpret_cast<CursorShapeDesc*>(m_mapping.data() + m_layout.shape_desc_offset)[index];
}

void Producer::initialise() {
    RegionHeader& h = header();
    // Step 1 (§3.1): invalidate. From here every consumer sees "no producer".
    store(h.magic, uint64_t{0}, std::memory_order_seq_cst);
    // Step 2: the whole control area, word by word (consumers may still be reading it).
    auto* words = reinterpret_cast<uint64_t*>(m_mapping.data());
    for (uint64_t i = 1; i < m_layout.shape_data_offset / 8; ++i) {
        store(words[i], uint64_t{0}, std::memory_order_relaxed);
    }
    m_session = random_nonzero_u64();
    RegionHeader local{};
    local.magic = 0;
    local.version_major = VERSION_MAJOR;
    local.version_minor = VERSION_MINOR;
    local.header_size = HEADER_SIZE;
    local.session_id = m_session;
    local.region_size = m_layout.region_size;
    local.features =
        FEATURE_CURSOR | FEATURE_DAMAGE | (m_config.checksums ? FEATURE_FRAME_CHECKSUM : 0);
    local.required_features = 0;
    local.producer_pid = m_config.pid;
    local.heartbeat_period_ms = m_config.heartbeat_period_ms;
    local.ring_offset = m_layout.ring_offset;
    local.ring_count = RING_COUNT;
    local.frame_record_size = sizeof(FrameRecord);
    local.bufdesc_offset = m_layout.bufdesc_offset;
    local.buffer_count = m_layout.buffer_count;
    local.bufdesc_size = sizeof(BufferDesc);
    local.buffer_offset = m_layout.buffer_offset;
    local.buffer_capacity = m_layout.buffer_capacity;
    local.consumer_offset = m_layout.consumer_offset;
    local.consumer_count = m_layout.consumer_count;
    local.consumer_slot_size = sizeof(ConsumerSlot);
    local.cursor_offset = m_layout.cursor_offset;
    local.shape_desc_offset = m_layout.shape_desc_offset;
    local.shape_count = SHAPE_COUNT;
    local.cursor_max_dim = m_layout.cursor_max_dim;
    local.shape_data_offset = m_layout.shape_data_offset;
    local.shape_data_capacity = m_layout.shape_data_capacity;
    local.producer_state = static_cast<uint32_t>(ProducerState::Running);
    copy_in(h, local);
    for (auto& b : m_buffers) {
        b.serial = 0;
        b.stale.clear();
        b.stale.set_full();  // a new buffer holds nothing: all of it is stale
    }
    // Step 3: the header is complete; the magic makes it valid as a whole.
    std::atomic_thread_fence(std::memory_order_release);
    store(h.magic, MAGIC, std::memory_order_release);
    m_last_heartbeat_ns = monotonic_ns();
    PERISCOPE_LOG_INFO(MODULE,
                       "session %016llx: %u buffers of %llu bytes, region %llu of %zu bytes used",
                       static_cast<unsigned long long>(m_session), m_layout.buffer_count,
                       static_cast<unsigned long long>(m_layout.buffer_capacity),
                       static_cast<unsigned long long>(m_layout.region_size), m_mapping.size());
}

bool Producer::buffer_held(uint32_t index) {
    for (uint32_t i = 0; i < m_layout.consumer_count; ++i) {
        ConsumerSlot& s = slot(i);
        if (load(s.owner, std::memory_order_seq_cst) == 0) {
            continue;
        }
        // Consumer-written: a value out of range is simply not a hold of ours.
        if (load(s.held_buffer, std::memory_order_seq_cst) == index + 1) {
            return true;
        }
    }
    return false;
}

int Producer::choose_buffer(uint64_t serial, bool* stolen) {
    *stolen = false;
    // Candidates: every buffer but the newest posted one (consumers are about to take it), newest
    // frame first: the buffer written most recently is still in the CPU's caches (a 4K frame into
    // the same two buffers costs ~20% less than rotating over three), and it is the least stale,
    // so the least has to be re-copied into it. The oldest stays spare for when that one is held.
    // With a single buffer there is no choice.
    std::array<uint32_t, MAX_BUFFERS> order{};
    uint32_t n = 0;
    for (uint32_t i = 0; i < m_layout.buffer_count; ++i) {
        if (static_cast<int>(i) != m_latest_buffer || m_layout.buffer_count == 1) {
            order[n++] = i;
        }
    }
    // Insertion sort: at most 8 entries (and std::sort here trips GCC 12's -Warray-bounds).
    for (uint32_t i = 1; i < n; ++i) {
        for (uint32_t j = i; j > 0 && m_buffers[order[j]].serial > m_buffers[order[j - 1]].serial;
             --j) {
            std::swap(order[j], order[j - 1]);
        }
    }
    for (uint32_t k = 0; k < n; ++k) {
        const uint32_t b = order[k];
        if (buffer_held(b)) {
            continue;
        }
        // §3.2 step 2: claim, then re-scan. A hold published before our store is seen here; one
        // published after it sees our serial and lets go.
        const uint64_t previous = m_buffers[b].serial;
        store(bufdesc(b).frame_serial, serial, std::memory_order_seq_cst);
        if (!buffer_held(b)) {
            m_buffers[b].serial = serial;
            return static_cast<int>(b);
        }
        // A consumer took hold of it in between. No pixel was touched, so giving the buffer its
        // old serial back is safe, and spares that consumer a needless discard.
        store(bufdesc(b).frame_serial, previous, std::memory_order_seq_cst);
    }
    if (!m_config.steal_buffers || n == 0) {
        return -1;
    }
    const uint32_t victim = order[n - 1];  // every candidate is held: steal the oldest frame
    store(bufdesc(victim).frame_serial, serial, std::memory_order_seq_cst);
    m_buffers[victim].serial = serial;
    *stolen = true;
    return static_cast<int>(victim);
}

Result<FrameTarget, Error> Producer::begin_frame(const FrameDesc& desc, const DamageList& damage,
                                                 uint64_t checksum) {
    if (m_stopped) {
        return fail(Error::ProducerStopped);  // consumers have been told the session is over
    }
    const uint32_t bpp = bytes_per_pixel(desc.format);
    if (bpp == 0 || desc.width < 1 || desc.width > MAX_DIMENSION || desc.height < 1 ||
        desc.height > MAX_DIMENSION) {
        PERISCOPE_LOG_ERROR(MODULE, "invalid frame %ux%u format %u", desc.width, desc.height,
                            static_cast<unsigned>(desc.format));
        return fail(Error::InvalidArgument);
    }
    const uint32_t stride = desc.width * bpp;
    if (uint64_t{stride} * desc.height > m_layout.buffer_capacity) {
        // Consumers can then tell the user what size the region needs (they see no frames).
        RegionHeader& h = header();
        store(h.refused_width, desc.width, std::memory_order_relaxed);
        store(h.refused_height, desc.height, std::memory_order_relaxed);
        store(h.refused_format, static_cast<uint32_t>(desc.format), std::memory_order_relaxed);
        store(h.refused_frame_bytes, uint64_t{stride} * desc.height, std::memory_order_relaxed);
        m_refused = true;
        PERISCOPE_LOG_ERROR(MODULE,
                            "frame %ux%u %s needs %llu bytes, buffers hold %llu: region too small",
                            desc.width, desc.height, to_string(desc.format),
                            static_cast<unsigned long long>(uint64_t{stride} * desc.height),
                            static_cast<unsigned long long>(m_layout.buffer_capacity));
        return fail(Error::FrameTooLarge);
    }
    if (m_refused) {
        store(header().refused_frame_bytes, uint64_t{0}, std::memory_order_relaxed);
        m_refused = false;
    }
    if (m_current_buffer >= 0) {
        end_frame();
    }
    // The frame's damage as consumers see it: what changed since the last *posted* frame.
    DamageList frame_damage = m_pending;
    if (damage.is_full()) {
        frame_damage.set_full();
    }
    for (const Rect& r : damage.rects()) {
        frame_damage.add(clip(r, desc.width, desc.height));
    }
    const bool geometry_changed = desc.width != m_last_desc.width ||
                                  desc.height != m_last_desc.height ||
                                  desc.format != m_last_desc.format;
    if (geometry_changed) {
        frame_damage.set_full();
        for (auto& b : m_buffers) {
            b.stale.set_full();
        }
    }
    const uint64_t serial = m_serial + 1;
    bool stolen = false;
    const int chosen = choose_buffer(serial, &stolen);
    if (chosen < 0) {
        // Never wait: drop the frame, remember its damage for the next post.
        m_pending = frame_damage;
        for (uint32_t i = 0; i < m_layout.buffer_count; ++i) {
            m_buffers[i].stale.add(frame_damage);
        }
        ++m_stats.frames_dropped;
        publish_stats();
        return fail(Error::NoBuffer);
    }
    const auto b = static_cast<uint32_t>(chosen);
    if (stolen) {
        ++m_stats.buffers_stolen;
    }
    m_serial = serial;
    m_pending.clear();
    m_last_desc = desc;

    // What this buffer must receive: its stale area plus this frame's damage.
    FrameTarget target;
    target.to_copy = m_buffers[b].stale;
    target.to_copy.add(frame_damage);
    if (target.to_copy.is_full()) {
        target.to_copy.clear();
        target.to_copy.add(Rect{0, 0, desc.width, desc.height});
    }
    for (uint32_t i = 0; i < m_layout.buffer_count; ++i) {
        if (i == b) {
            m_buffers[i].stale.clear();
        } else {
            m_buffers[i].stale.add(frame_damage);
        }
    }

    store(bufdesc(b).rows_ready, uint32_t{0}, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);

    // Frame record under its seqlock (§3.2 step 5).
    FrameRecord& rec = record(serial);
    const uint64_t seq = load(rec.seq, std::memory_order_relaxed);
    const uint64_t odd = (seq | 1) == seq ? seq + 2 : seq + 1;
    store(rec.seq, odd, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    FrameRecord local{};
    local.seq = odd;
    local.serial = serial;
    local.timestamp_ns = desc.timestamp_ns;
    local.checksum = checksum;
    local.buffer_index = b;
    local.format = static_cast<uint32_t>(desc.format);
    local.width = desc.width;
    local.height = desc.height;
    local.stride = stride;
    local.flags = checksum != 0 ? FRAME_FLAG_CHECKSUM : 0;
    if (frame_damage.is_full()) {
        local.flags |= FRAME_FLAG_FULL_DAMAGE;
    } else {
        const auto rects = frame_damage.rects();
        local.damage_count = static_cast<uint32_t>(rects.size());
        std::copy(rects.begin(), rects.end(), local.damage);
    }
    copy_in(rec, local);
    store(rec.seq, odd + 1, std::memory_order_release);

    // Post before copy (step 6).
    store(header().latest_serial, serial, std::memory_order_release);
    m_latest_buffer = chosen;
    m_current_buffer = chosen;
    m_current_height = desc.height;
    m_current_rows = 0;
    ++m_stats.frames_posted;

    target.to_copy.sort_by_top();
    target.data = m_mapping.data() + m_layout.buffer_at(b);
    target.stride = stride;
    target.serial = serial;
    return target;
}

void Producer::rows_done(uint32_t rows) {
    if (m_current_buffer < 0) {
        return;
    }
    rows = std::min(rows, m_current_height);
    if (rows <= m_current_rows) {
        return;
    }
    m_current_rows = rows;
    // Non-temporal stores are not ordered by a release store: fence them first.
    copy_fence();
    store(bufdesc(static_cast<uint32_t>(m_current_buffer)).rows_ready, rows,
          std::memory_order_release);
}

void Producer::end_frame() {
    if (m_current_buffer < 0) {
        return;
    }
    rows_done(m_current_height);
    m_current_buffer = -1;
    publish_stats();
}

Result<void, Error> Producer::publish(const FrameDesc& desc, const std::byte* src,
                                      uint32_t src_stride, const DamageList& damage,
                                      uint64_t checksum) {
    const uint32_t bpp = bytes_per_pixel(desc.format);
    if (src == nullptr || bpp == 0 || uint64_t{src_stride} < uint64_t{desc.width} * bpp) {
        PERISCOPE_LOG_ERROR(MODULE, "publish: invalid source (stride %u for width %u)", src_stride,
                            desc.width);
        return fail(Error::InvalidArgument);
    }
    if (m_config.checksums && checksum == 0) {
        Hash64 hash;
        for (uint32_t y = 0; y < desc.height; ++y) {
            hash.update(src + uint64_t{y} * src_stride, uint64_t{desc.width} * bpp);
        }
        checksum = hash.digest();
    }
    auto target = begin_frame(desc, damage, checksum);
    if (!target) {
        return fail(target.error());
    }
    const auto rects = target->to_copy.rects();
    for (size_t i = 0; i < rects.size(); ++i) {
        const Rect r = rects[i];
        const uint32_t next_top = i + 1 < rects.size() ? rects[i + 1].y : desc.height;
        const uint64_t row_bytes = uint64_t{r.width} * bpp;
        const uint64_t x_bytes = uint64_t{r.x} * bpp;
        const bool whole_rows = r.x == 0 && r.width == desc.width && src_stride == target->stride;
        // Rows per chunk: enough bytes to amortise the fence and the store, few enough that a
        // consumer can start on the top of the frame early.
        const uint32_t chunk_rows = static_cast<uint32_t>(
            std::max<uint64_t>(1, COPY_CHUNK_BYTES / std::max<uint64_t>(row_bytes, 1)));
        for (uint32_t y = r.y; y < r.y + r.height;) {
            const uint32_t rows = std::min(chunk_rows, r.y + r.height - y);
            std::byte* dst = target->data + uint64_t{y} * target->stride + x_bytes;
            const std::byte* from = src + uint64_t{y} * src_stride + x_bytes;
            if (whole_rows) {
                copy_bytes(dst, from, row_bytes * rows, m_config.copy);
            } else {
                for (uint32_t k = 0; k < rows; ++k) {
                    copy_bytes(dst + uint64_t{k} * target->stride, from + uint64_t{k} * src_stride,
                               row_bytes, m_config.copy);
                }
            }
            m_stats.bytes_copied += row_bytes * rows;
            y += rows;
            rows_done(std::min(y, next_top));
        }
    }
    end_frame();
    return {};
}

void Producer::push_event(const ProducerEvent& event) {
    if (m_event_count == EVENT_CAPACITY) {
        // Drop the oldest: the newest messages (latest window size, cursor) matter more.
        m_event_head = (m_event_head + 1) % EVENT_CAPACITY;
        --m_event_count;
        ++m_stats.events_dropped;
    }
    m_events[(m_event_head + m_event_count) % EVENT_CAPACITY] = event;
    ++m_event_count;
}

bool Producer::next_event(ProducerEvent* out) {
    if (m_event_count == 0) {
        return false;
    }
    *out = m_events[m_event_head];
    m_event_head = (m_event_head + 1) % EVENT_CAPACITY;
    --m_event_count;
    return true;
}

void Producer::service(uint64_t now_ns) {
    if (m_stopped) {
        return;
    }
    RegionHeader& h = header();
    if (now_ns - m_last_heartbeat_ns >= uint64_t{m_config.heartbeat_period_ms} * NS_PER_MS / 2) {
        // Bumped at twice the advertised rate so one late service call does not look like death.
        store(h.producer_heartbeat, ++m_heartbeat, std::memory_order_release);
        m_last_heartbeat_ns = now_ns;
    }
    const uint64_t timeout_ns = uint64_t{m_config.consumer_timeout_ms} * NS_PER_MS;
    uint32_t live = 0;
    for (uint32_t i = 0; i < m_layout.consumer_count; ++i) {
        ConsumerSlot& s = slot(i);
        SlotTrack& t = m_slots[i];
        const uint64_t owner = load(s.owner, std::memory_order_acquire);
        if (owner == 0) {
            if (t.owner != 0) {
                push_event({ProducerEvent::Kind::ConsumerLeft, i, {}});
                t = SlotTrack{};
            }
            continue;
        }
        if (owner != t.owner) {
            if (t.owner != 0) {
                push_event({ProducerEvent::Kind::ConsumerLeft, i, {}});
            }
            t.owner = owner;
            t.heartbeat = load(s.heartbeat, std::memory_order_relaxed);
            t.last_change_ns = now_ns;
            t.msg_read = 0;
            store(s.msg_read, uint32_t{0}, std::memory_order_release);
            push_event({ProducerEvent::Kind::ConsumerJoined, i, {}});
        }
        const uint64_t beat = load(s.heartbeat, std::memory_order_relaxed);
        if (beat != t.heartbeat) {
            t.heartbeat = beat;
            t.last_change_ns = now_ns;
        } else if (now_ns - t.last_change_ns > timeout_ns) {
            // Dead or hung: release its hold and free the slot (§3.6).
            store(s.held_buffer, uint32_t{0}, std::memory_order_seq_cst);
            if (compare_exchange(s.owner, owner, uint64_t{0})) {
                ++m_stats.consumers_evicted;
                PERISCOPE_LOG_WARN(MODULE, "consumer slot %u silent for %u ms: evicted", i,
                                   m_config.consumer_timeout_ms);
                push_event({ProducerEvent::Kind::ConsumerEvicted, i, {}});
            }
            t = SlotTrack{};
            continue;
        }
        ++live;
        // Messages (§3.9). The consumer's index is untrusted.
        const uint32_t written = load(s.msg_write, std::memory_order_acquire);
        if (written - t.msg_read > MAILBOX_SIZE) {
            ++m_stats.messages_rejected;
            PERISCOPE_LOG_WARN(MODULE, "consumer slot %u: mailbox index out of range, reset", i);
            t.msg_read = written;
        }
        while (t.msg_read != written) {
            const Message m = copy_out(s.messages[t.msg_read % MAILBOX_SIZE]);
            ++t.msg_read;
            const char* why = nullptr;
            auto valid = validate_message(m, &why);
            if (valid) {
                push_event({ProducerEvent::Kind::Message, i, *valid});
            } else {
                ++m_stats.messages_rejected;
                PERISCOPE_LOG_WARN(MODULE, "consumer slot %u: message rejected (%s)", i, why);
            }
        }
        store(s.msg_read, t.msg_read, std::memory_order_release);
    }
    m_stats.consumers = live;
    publish_stats();
}

void Producer::publish_stats() {
    RegionHeader& h = header();
    store(h.frames_posted, m_stats.frames_posted, std::memory_order_relaxed);
    store(h.frames_dropped, m_stats.frames_dropped, std::memory_order_relaxed);
    store(h.buffers_stolen, m_stats.buffers_stolen, std::memory_order_relaxed);
    store(h.consumers_evicted, m_stats.consumers_evicted, std::memory_order_relaxed);
    store(h.messages_rejected, m_stats.messages_rejected, std::memory_order_relaxed);
}

void Producer::stop() {
    if (m_stopped) {
        return;
    }
    end_frame();
    m_stopped = true;
    // Only our own session: another producer may have re-initialised the region since.
    if (load(header().session_id, std::memory_order_acquire) != m_session) {
        return;
    }
    store(header().producer_state, static_cast<uint32_t>(ProducerState::Stopped),
          std::memory_order_release);
    PERISCOPE_LOG_INFO(MODULE, "session %016llx stopped after %llu frames",
                       static_cast<unsigned long long>(m_session),
                       static_cast<unsigned long long>(m_stats.frames_posted));
}

void Producer::write_cursor_state() {
    CursorState& c = cursor_state();
    const uint64_t odd = m_cursor.seq + 1;
    store(c.seq, odd, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    m_cursor.seq = odd;
    ++m_cursor.update_count;
    copy_in(c, m_cursor);
    m_cursor.seq = odd + 1;
    store(c.seq, m_cursor.seq, std::memory_order_release);
}

void Producer::set_cursor_position(int32_t x, int32_t y, bool visible, uint64_t timestamp_ns) {
    constexpr int32_t LIMIT = 4 * static_cast<int32_t>(MAX_DIMENSION);
    m_cursor.x = std::clamp(x, -LIMIT, LIMIT);
    m_cursor.y = std::clamp(y, -LIMIT, LIMIT);
    m_cursor.flags = visible ? CURSOR_FLAG_VISIBLE : 0;
    m_cursor.timestamp_ns = timestamp_ns;
    write_cursor_state();
}

Result<void, Error> Producer::set_cursor_shape(const CursorImage& image) {
    if (image.width < 1 || image.height < 1 || image.width > m_layout.cursor_max_dim ||
        image.height > m_layout.cursor_max_dim || image.hotspot_x >= image.width ||
        image.hotspot_y >= image.height || image.pixels == nullptr ||
        image.stride < image.width * 4 ||
        (image.format != Format::BGRA8 && image.format != Format::RGBA8)) {
        PERISCOPE_LOG_ERROR(MODULE, "invalid cursor shape %ux%u hotspot %u,%u (max %u)",
                            image.width, image.height, image.hotspot_x, image.hotspot_y,
                            m_layout.cursor_max_dim);
        return fail(Error::InvalidArgument);
    }
    // Write the slot consumers are not told to read (§3.8).
    const uint32_t slot_index = m_shape_serial == 0 ? 0 : 1 - m_cursor.shape_slot;
    CursorShapeDesc& d = shape_desc(slot_index);
    const uint64_t seq = load(d.seq, std::memory_order_relaxed);
    const uint64_t odd = (seq & 1) != 0 ? seq + 2 : seq + 1;
    store(d.seq, odd, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    const auto stride = static_cast<uint32_t>(align_up(uint64_t{image.width} * 4, 8));
    std::byte* data = m_mapping.data() + m_layout.shape_data_at(slot_index);
    std::array<std::byte, size_t{MAX_CURSOR_MAX_DIM} * 4> row{};
    for (uint32_t y = 0; y < image.height; ++y) {
        std::memcpy(row.data(), image.pixels + uint64_t{y} * image.stride, size_t{image.width} * 4);
        copy_words_in(data + uint64_t{y} * stride, row.data(), stride);
    }
    ++m_shape_serial;
    CursorShapeDesc local{};
    local.seq = odd;
    local.serial = m_shape_serial;
    local.width = image.width;
    local.height = image.height;
    local.hotspot_x = image.hotspot_x;
    local.hotspot_y = image.hotspot_y;
    local.stride = stride;
    local.format = static_cast<uint32_t>(image.format);
    local.flags = image.premultiplied ? SHAPE_FLAG_PREMULTIPLIED : 0;
    copy_in(d, local);
    store(d.seq, odd + 1, std::memory_order_release);
    m_cursor.shape_slot = slot_index;
    m_cursor.shape_serial = m_shape_serial;
    write_cursor_state();
    return {};
}

}  // namespace periscope::protocol
