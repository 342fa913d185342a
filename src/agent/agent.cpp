#include "agent/agent.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/clock.h"
#include "core/log.h"

namespace periscope::agent {
namespace {

constexpr const char* MODULE = "agent";
// Both below the producer's heartbeat period (100 ms): service() runs often enough that consumers
// never mistake an idle agent for a dead one.
constexpr uint64_t IDLE_POLL_NS = 100 * NS_PER_MS;
constexpr uint64_t BUSY_POLL_MAX_NS = 50 * NS_PER_MS;
constexpr std::chrono::milliseconds RETRY_DELAY{10};

}  // namespace

const char* to_string(AgentError error) {
    switch (error) {
        case AgentError::SourceLost:
            return "capture source lost";
        case AgentError::ProducerFailed:
            return "cannot initialise the shared region";
    }
    return "unknown agent error";
}

Agent::Agent(CaptureBackend& backend, std::span<std::byte> region, AgentConfig config)
    : m_backend(backend), m_region(region), m_config(std::move(config)) {}

bool Agent::create_producer(bool log_success) {
    m_producer.reset();  // its destructor marks the old session stopped
    protocol::ProducerConfig config;
    config.buffer_count = m_config.buffers;
    config.expected_frame_bytes =
        protocol::frame_bytes(m_backend.width(), m_backend.height(), m_backend.format());
    config.checksums = m_config.checksums;
    config.pid = m_config.pid;
    const char* why = nullptr;
    auto producer = protocol::Producer::create(m_region, config, &why);
    if (!producer && producer.error() == protocol::Error::RegionTooSmall) {
        // Run anyway, laid out for the region as it is: consumers attach, see the session, its
        // heartbeat and the cursor, and frames follow once the geometry fits.
        config.expected_frame_bytes = 0;
        config.buffer_count = 0;
        producer = protocol::Producer::create(m_region, config, &why);
    }
    if (!producer) {
        PERISCOPE_LOG_ERROR(MODULE, "cannot initialise %s: %s (%s)", m_config.region_name.c_str(),
                            protocol::to_string(producer.error()), why);
        return false;
    }
    m_producer = std::move(producer).value();
    ++m_stats.sessions;
    m_need_full = true;
    m_resend_cursor = true;
    if (log_success) {
        PERISCOPE_LOG_INFO(MODULE, "publishing %ux%u %s into %s (%u buffers of %llu bytes)",
                           m_backend.width(), m_backend.height(),
                           protocol::to_string(m_backend.format()), m_config.region_name.c_str(),
                           m_producer->layout().buffer_count,
                           static_cast<unsigned long long>(m_producer->layout().buffer_capacity));
    }
    return true;
}

void Agent::report_too_small(const protocol::FrameDesc& frame) {
    const uint64_t bytes = protocol::frame_bytes(frame.width, frame.height, frame.format);
    ++m_stats.too_large;
    if (m_reported_too_small_for == bytes) {
        return;
    }
    m_reported_too_small_for = bytes;
    const uint64_t needed = protocol::required_region_size(bytes, 2);
    const uint64_t mib = protocol::recommended_ivshmem_size(needed) >> 20;
    PERISCOPE_LOG_ERROR(
        MODULE,
        "%s (%zu bytes) is too small for %ux%u %s: it needs %llu bytes. Give the VM a %llu MiB "
        "ivshmem: QEMU -object memory-backend-file,id=periscope,share=on,mem-path=/dev/shm/"
        "periscope,size=%lluM -device ivshmem-plain,memdev=periscope; libvirt <shmem "
        "name='periscope'><model type='ivshmem-plain'/><size unit='M'>%llu</size></shmem>. "
        "Waiting for a resolution that fits.",
        m_config.region_name.c_str(), m_region.size(), frame.width, frame.height,
        protocol::to_string(frame.format), static_cast<unsigned long long>(needed),
        static_cast<unsigned long long>(mib), static_cast<unsigned long long>(mib),
        static_cast<unsigned long long>(mib));
}

void Agent::offer_region() {
    if (!m_config.direct_capture) {
        PERISCOPE_LOG_INFO(MODULE, "direct capture turned off: frames are copied into %s",
                           m_config.region_name.c_str());
        return;
    }
    std::string why;
    if (m_config.checksums) {
        why = "--checksums needs each frame's hash before its pixels are written";
    } else if (m_config.region_fd < 0) {
        why = "the region has no descriptor to lend";
    } else {
        const SharedRegion shared{m_config.region_fd, m_region.data(), m_region.size()};
        m_stats.direct = m_backend.use_region(shared, &why);
    }
    if (m_stats.direct) {
        PERISCOPE_LOG_INFO(MODULE, "direct capture: the %s source writes frames into %s itself",
                           m_backend.name(), m_config.region_name.c_str());
    } else {
        PERISCOPE_LOG_INFO(MODULE, "frames are copied into %s (no direct capture: %s)",
                           m_config.region_name.c_str(), why.c_str());
    }
}

void Agent::handle_events() {
    protocol::ProducerEvent event;
    while (m_producer->next_event(&event)) {
        switch (event.kind) {
            case protocol::ProducerEvent::Kind::ConsumerJoined:
                PERISCOPE_LOG_INFO(MODULE, "consumer joined (slot %u): sending a full frame",
                                   event.slot);
                m_need_full = true;
                m_resend_cursor = true;
                break;
            case protocol::ProducerEvent::Kind::ConsumerLeft:
                PERISCOPE_LOG_INFO(MODULE, "consumer left (slot %u)", event.slot);
                break;
            case protocol::ProducerEvent::Kind::ConsumerEvicted:
                PERISCOPE_LOG_WARN(MODULE, "consumer in slot %u stopped answering: evicted",
                                   event.slot);
                break;
            case protocol::ProducerEvent::Kind::Message:
                switch (event.message.type) {
                    case protocol::MessageType::FullFrame:
                        m_need_full = true;
                        break;
                    case protocol::MessageType::CursorMove:
                        m_backend.move_cursor(event.message.x, event.message.y);
                        break;
                    case protocol::MessageType::WindowSize:
                        PERISCOPE_LOG_DEBUG(MODULE, "consumer window is %ux%u", event.message.width,
                                            event.message.height);
                        break;
                    case protocol::MessageType::None:
                        break;
                }
                break;
        }
    }
}

void Agent::send_cursor(bool shape, bool position) {
    if (shape) {
        if (const CursorShape* s = m_backend.cursor_shape(); s != nullptr) {
            protocol::CursorImage image;
            image.width = s->width;
            image.height = s->height;
            image.hotspot_x = s->hotspot_x;
            image.hotspot_y = s->hotspot_y;
            image.format = s->format;
            image.premultiplied = s->premultiplied;
            image.pixels = s->pixels.data();
            image.stride = s->width * 4;
            if (m_producer->set_cursor_shape(image)) {
                ++m_stats.cursor_updates;
            }
        }
    }
    if (position || shape) {
        const CursorPosition p = m_backend.cursor_position();
        m_producer->set_cursor_position(p.x, p.y, p.visible, monotonic_ns());
        ++m_stats.cursor_updates;
    }
}

void Agent::frame_refused(protocol::Error error, const protocol::FrameDesc& desc) {
    if (error != protocol::Error::FrameTooLarge) {
        return;  // NoBuffer: the producer keeps the damage for the next post
    }
    const uint64_t bytes = protocol::frame_bytes(desc.width, desc.height, desc.format);
    if (protocol::required_region_size(bytes, 2) <= m_region.size()) {
        // Fits once re-laid out: a new session, consumers re-attach by themselves.
        PERISCOPE_LOG_INFO(MODULE, "%ux%u needs larger buffers: re-laying out %s", desc.width,
                           desc.height, m_config.region_name.c_str());
        if (create_producer(true)) {
            m_need_full = true;  // the caller grabs a full frame next
        }
        return;
    }
    report_too_small(desc);
}

bool Agent::publish(const CapturedFrame& frame) {
    const protocol::FrameDesc desc{frame.format, frame.width, frame.height, frame.timestamp_ns};
    auto done = m_producer->publish(desc, frame.pixels, frame.stride, frame.damage);
    if (!done) {
        frame_refused(done.error(), desc);
        return false;
    }
    ++m_stats.frames_published;
    m_reported_too_small_for = 0;
    return true;
}

Result<protocol::FrameTarget, protocol::Error> Agent::begin(const protocol::FrameDesc& desc,
                                                            const protocol::DamageList& damage) {
    return m_producer->begin_frame(desc, damage);
}

void Agent::rows_done(uint32_t rows) {
    m_producer->rows_done(rows);
}

bool Agent::grab_failed(CaptureError cause, AgentError* error) {
    if (cause == CaptureError::ConnectionLost) {
        *error = AgentError::SourceLost;
        return false;
    }
    // Try again (the back-end makes it a full frame), but a failing source must not spin.
    m_pending_damage = true;
    std::this_thread::sleep_for(RETRY_DELAY);
    return true;
}

bool Agent::capture_frame(AgentError* error) {
    const bool full = m_need_full;
    if (m_stats.direct) {
        auto grabbed = m_backend.grab_into(full, *this);
        // Ended in every case: after a failure mid-frame consumers get the rows as they are (the
        // back-end makes the next frame full).
        m_producer->end_frame();
        if (!grabbed) {
            return grab_failed(grabbed.error(), error);
        }
        ++m_stats.frames_grabbed;
        m_stats.bytes_read += grabbed->bytes_read;
        m_need_full = false;
        if (grabbed->posted) {
            ++m_stats.frames_published;
            m_reported_too_small_for = 0;
        } else {
            frame_refused(grabbed->error, grabbed->desc);  // may set m_need_full again
        }
        return true;
    }
    auto frame = m_backend.grab(full);
    if (!frame) {
        return grab_failed(frame.error(), error);
    }
    ++m_stats.frames_grabbed;
    m_stats.bytes_read += (*frame)->bytes_read;
    m_need_full = false;
    // On a re-layout publish() sets m_need_full again: the full frame follows next time.
    (void)publish(**frame);
    return true;
}

Result<void, AgentError> Agent::run(const std::atomic<bool>& stop) {
    PERISCOPE_LOG_INFO(MODULE, "capturing %s", m_backend.describe().c_str());
    if (!create_producer(true)) {
        return fail(AgentError::ProducerFailed);
    }
    offer_region();
    const uint64_t min_interval =
        m_config.max_fps > 0 ? static_cast<uint64_t>(1e9 / m_config.max_fps) : 0;
    while (!stop.load(std::memory_order_relaxed)) {
        uint64_t now = monotonic_ns();
        m_producer->service(now);
        handle_events();
        const bool consumers = m_producer->stats().consumers > 0;
        uint64_t timeout = consumers ? BUSY_POLL_MAX_NS : IDLE_POLL_NS;
        const uint64_t next_allowed = m_last_frame_ns + min_interval;
        if (consumers && (m_pending_damage || m_need_full)) {
            timeout = next_allowed > now ? std::min(timeout, next_allowed - now) : 0;
        }
        auto events = m_backend.poll(timeout);
        if (!events) {
            if (events.error() == CaptureError::ConnectionLost) {
                return fail(AgentError::SourceLost);
            }
            std::this_thread::sleep_for(RETRY_DELAY);  // a failing source must not spin the loop
            continue;
        }
        if (events->geometry_changed) {
            if (auto r = m_backend.reconfigure(); !r) {
                if (r.error() == CaptureError::ConnectionLost) {
                    return fail(AgentError::SourceLost);
                }
                // The back-end reports the change again until reconfigure() succeeds.
                std::this_thread::sleep_for(RETRY_DELAY);
                continue;
            }
            PERISCOPE_LOG_INFO(MODULE, "resolution changed: %s", m_backend.describe().c_str());
            m_need_full = true;
            m_resend_cursor = true;
        }
        if (events->cursor_shape || events->cursor_moved || m_resend_cursor) {
            send_cursor(events->cursor_shape || m_resend_cursor,
                        events->cursor_moved || m_resend_cursor);
            m_resend_cursor = false;
        }
        m_pending_damage = m_pending_damage || events->frame_damaged;
        if (!consumers) {
            ++m_stats.idle_polls;  // nobody watches: capture nothing
            continue;
        }
        now = monotonic_ns();
        if (!(m_pending_damage || m_need_full) || now < next_allowed) {
            continue;
        }
        m_pending_damage = false;
        m_last_frame_ns = now;
        if (AgentError error{}; !capture_frame(&error)) {
            return fail(error);
        }
    }
    m_producer->stop();
    PERISCOPE_LOG_INFO(MODULE, "stopped after %llu frames",
                       static_cast<unsigned long long>(m_stats.frames_published));
    return {};
}

}  // namespace periscope::agent
