#include "inspect.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "platform/region.h"
#include "protocol/error.h"
#include "protocol/shm_word.h"
#include "protocol/validate.h"
#include "text_util.h"

namespace periscope::tools {
namespace {

using protocol::load;

// A producer rewrites a record in well under a microsecond; a few tries see it still unless
// the producer is hostile, and a hostile one must not make the tool spin.
constexpr int SEQLOCK_ATTEMPTS = 8;
constexpr int HEADER_ATTEMPTS = 3;
// The producer promises a beat every heartbeat_period_ms; waiting two periods makes a missed beat
// meaningful. The period is untrusted, hence the cap.
constexpr uint64_t MAX_HEARTBEAT_WAIT_MS = 3000;

struct Resolution {
    uint32_t width;
    uint32_t height;
};
constexpr std::array<Resolution, 6> COMMON_RESOLUTIONS{{
    {1280, 720},
    {1920, 1080},
    {1920, 1200},
    {2560, 1440},
    {3440, 1440},
    {3840, 2160},
}};

std::string hex64(uint64_t value) {
    return format_text("0x%016llX", static_cast<unsigned long long>(value));
}

std::string describe(protocol::Error error, const char* why) {
    return format_text("%s: %s", why != nullptr ? why : "?", protocol::to_string(error));
}

// Every reference below is formed from a validated layout offset plus an index below a validated
// count, so it lies inside the mapping and is suitably aligned (offsets are 64-byte multiples of
// a page-aligned base).
template <class T>
const T& object_at(std::span<const std::byte> mapping, uint64_t offset, uint64_t index = 0) {
    return reinterpret_cast<const T*>(mapping.data() + offset)[index];
}

// A seqlocked record (ring entry, cursor state, shape descriptor) copied while it held still:
// the same even `seq` before and after the copy.
template <class T>
std::optional<T> copy_stable(const T& shared) {
    for (int attempt = 0; attempt < SEQLOCK_ATTEMPTS; ++attempt) {
        const uint64_t seq1 = load(shared.seq, std::memory_order_acquire);
        T copy = protocol::copy_out(shared);
        std::atomic_thread_fence(std::memory_order_acquire);
        const uint64_t seq2 = load(shared.seq, std::memory_order_relaxed);
        if (seq1 == seq2 && (seq1 & 1) == 0) {
            copy.seq = seq1;
            return copy;
        }
    }
    return std::nullopt;
}

Outcome outcome_for(platform::RegionError error) {
    switch (error) {
        case platform::RegionError::InvalidSpec:
            return Outcome::Usage;
        case platform::RegionError::NotFound:
            return Outcome::NotFound;
        case platform::RegionError::PermissionDenied:
            return Outcome::PermissionDenied;
        case platform::RegionError::TooSmall:
            return Outcome::TooSmall;
        case platform::RegionError::NotRegularFile:
        case platform::RegionError::MapFailed:
        case platform::RegionError::IoError:
        case platform::RegionError::Unsupported:
            return Outcome::OpenFailed;
    }
    return Outcome::OpenFailed;
}

void refuse(Report& report, Outcome outcome, std::string message) {
    report.outcome = outcome;
    report.message = std::move(message);
}

std::string not_periscope_message(uint64_t magic) {
    if (magic == 0) {
        return "not a Periscope region (magic 0x0000000000000000: nothing has initialised it, or "
               "the agent is re-initialising it right now); has the agent started?";
    }
    const std::string ascii = magic_ascii(magic);
    return format_text(
        "not a Periscope region (magic %s%s%s%s, expected %s \"PERISCOP\"); has the "
        "agent started?",
        hex64(magic).c_str(), ascii.empty() ? "" : " \"", ascii.c_str(), ascii.empty() ? "" : "\"",
        hex64(protocol::MAGIC).c_str());
}

std::string invalid_header_message(protocol::Error error, const char* why,
                                   const protocol::RegionHeader& h, uint64_t mapping_size) {
    switch (error) {
        case protocol::Error::VersionMismatch:
            return format_text(
                "unsupported protocol version %u.%u: this periscope-shm reads "
                "version %u.x (update the tool or the agent)",
                h.version_major, h.version_minor, protocol::VERSION_MAJOR);
        case protocol::Error::UnsupportedFeature:
            return format_text(
                "the region requires features 0x%llx this periscope-shm does not "
                "know (a newer agent?)",
                static_cast<unsigned long long>(h.required_features &
                                                ~protocol::KNOWN_REQUIRED_FEATURES));
        case protocol::Error::RegionTooSmall:
            return format_text(
                "the producer's layout needs region_size %llu bytes but the mapping "
                "has %llu: the shm file must be at least as large as the guest's "
                "ivshmem BAR",
                static_cast<unsigned long long>(h.region_size),
                static_cast<unsigned long long>(mapping_size));
        default:
            return format_text("the region header does not validate: field %s (%s)",
                               why != nullptr ? why : "?", protocol::to_string(error));
    }
}

Outcome outcome_for(protocol::Error error) {
    switch (error) {
        case protocol::Error::NoProducer:
            return Outcome::NotPeriscope;
        case protocol::Error::VersionMismatch:
        case protocol::Error::UnsupportedFeature:
            return Outcome::Unsupported;
        default:
            return Outcome::BadLayout;
    }
}

// Copies the header once, consistently (§3.1: magic before, magic and session after).
bool copy_header(Report& report, const protocol::RegionHeader& shared) {
    for (int attempt = 0; attempt < HEADER_ATTEMPTS; ++attempt) {
        const uint64_t magic = load(shared.magic, std::memory_order_acquire);
        report.magic = magic;
        report.magic_read = true;
        if (magic != protocol::MAGIC) {
            refuse(report, Outcome::NotPeriscope, not_periscope_message(magic));
            return false;
        }
        const protocol::RegionHeader copy = protocol::copy_out(shared);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (load(shared.magic, std::memory_order_relaxed) == protocol::MAGIC &&
            load(shared.session_id, std::memory_order_relaxed) == copy.session_id) {
            report.header = copy;
            report.header_copied = true;
            return true;
        }
    }
    refuse(report, Outcome::Unstable,
           "the region header kept changing while it was read (the agent is restarting?); try "
           "again");
    return false;
}

void read_frame(Report& report, std::span<const std::byte> mapping,
                const protocol::RegionHeader& shared) {
    const protocol::Layout& layout = report.layout;
    FrameReport& frame = report.frame;
    uint64_t serial = report.header.latest_serial;
    for (int attempt = 0; attempt < SEQLOCK_ATTEMPTS; ++attempt) {
        frame.latest_serial = serial;
        frame.problem.clear();
        if (serial == 0) {
            return;
        }
        const auto& shared_record = object_at<protocol::FrameRecord>(mapping, layout.ring_offset,
                                                                     serial % protocol::RING_COUNT);
        const auto copy = copy_stable(shared_record);
        frame.copied = copy.has_value();
        if (!copy) {
            frame.problem = "the record kept changing while it was copied (torn)";
            serial = load(shared.latest_serial, std::memory_order_acquire);
            continue;
        }
        frame.record = *copy;
        const char* why = nullptr;
        const auto info = protocol::validate_frame_record(*copy, serial, layout, &why);
        if (info) {
            return;
        }
        if (info.error() == protocol::Error::StaleRecord) {
            // A live producer posted again since the header was copied: take the newest.
            const uint64_t newer = load(shared.latest_serial, std::memory_order_acquire);
            if (newer != serial) {
                serial = newer;
                continue;
            }
            frame.problem = format_text("serial: the record holds frame %llu, not %llu",
                                        static_cast<unsigned long long>(copy->serial),
                                        static_cast<unsigned long long>(serial));
            return;
        }
        frame.problem = describe(info.error(), why);
        return;
    }
}

void read_buffers(Report& report, std::span<const std::byte> mapping) {
    const protocol::Layout& layout = report.layout;
    const FrameReport& frame = report.frame;
    for (uint32_t i = 0; i < layout.buffer_count; ++i) {
        const auto desc =
            protocol::copy_out(object_at<protocol::BufferDesc>(mapping, layout.bufdesc_offset, i));
        BufferReport b;
        b.index = i;
        b.frame_serial = desc.frame_serial;
        b.rows_ready = desc.rows_ready;
        if (b.frame_serial == 0) {
            if (b.rows_ready != 0) {
                b.problem = "rows_ready is set on a buffer that never held a frame";
            }
            report.buffers.push_back(std::move(b));
            continue;
        }
        // The frame's height bounds rows_ready; it is known while the frame's record is in the
        // ring and names this buffer.
        std::optional<protocol::FrameRecord> record;
        if (frame.copied && frame.problem.empty() && frame.latest_serial == b.frame_serial) {
            record = frame.record;
        } else if (b.frame_serial <= frame.latest_serial &&
                   frame.latest_serial - b.frame_serial < protocol::RING_COUNT) {
            record = copy_stable(object_at<protocol::FrameRecord>(
                mapping, layout.ring_offset, b.frame_serial % protocol::RING_COUNT));
            if (record && !protocol::validate_frame_record(*record, b.frame_serial, layout)) {
                record.reset();
            }
        }
        if (record && record->buffer_index == i) {
            b.height_known = true;
            b.height = record->height;
            if (b.rows_ready > b.height) {
                b.problem = format_text("rows_ready %u is above the frame's height %u",
                                        b.rows_ready, b.height);
            }
        }
        report.buffers.push_back(std::move(b));
    }
}

// Returns the owner tokens of the slots reported, for the liveness check after the wait.
std::vector<uint64_t> read_consumers(Report& report, std::span<const std::byte> mapping) {
    const protocol::Layout& layout = report.layout;
    std::vector<uint64_t> owners;
    for (uint32_t i = 0; i < layout.consumer_count; ++i) {
        const auto slot = protocol::copy_out(
            object_at<protocol::ConsumerSlot>(mapping, layout.consumer_offset, i));
        if (slot.owner == 0) {
            continue;
        }
        ConsumerReport c;
        c.slot = i;
        c.kind = slot.kind;
        const void* nul = std::memchr(slot.name, 0, protocol::CONSUMER_NAME_SIZE);
        c.name_terminated = nul != nullptr;
        c.name.assign(slot.name, nul != nullptr ? static_cast<const char*>(nul) - slot.name
                                                : protocol::CONSUMER_NAME_SIZE);
        c.pid = slot.pid;
        c.heartbeat = slot.heartbeat;
        c.held_buffer = slot.held_buffer;
        if (c.held_buffer > layout.buffer_count) {
            c.held_problem = format_text(
                "held_buffer %u is out of range (the region has %u "
                "buffers)",
                c.held_buffer, layout.buffer_count);
        }
        c.last_serial = slot.last_serial;
        c.msg_write = slot.msg_write;
        c.msg_read = slot.msg_read;
        if (c.pending_messages() > protocol::MAILBOX_SIZE) {
            c.mailbox_problem = format_text(
                "msg_write %u - msg_read %u exceeds the mailbox size "
                "%u",
                c.msg_write, c.msg_read, protocol::MAILBOX_SIZE);
        }
        report.consumers.push_back(std::move(c));
        owners.push_back(slot.owner);
    }
    return owners;
}

void read_cursor(Report& report, std::span<const std::byte> mapping) {
    const protocol::Layout& layout = report.layout;
    CursorReport& cursor = report.cursor;
    const auto state = copy_stable(object_at<protocol::CursorState>(mapping, layout.cursor_offset));
    cursor.copied = state.has_value();
    if (state) {
        cursor.state = *state;
        const char* why = nullptr;
        const auto position = protocol::validate_cursor_state(*state, &why);
        if (!position) {
            cursor.problem = describe(position.error(), why);
        }
    } else {
        cursor.problem = "the cursor record kept changing while it was copied (torn)";
    }
    // shape_count was validated to be SHAPE_COUNT.
    for (uint32_t i = 0; i < protocol::SHAPE_COUNT; ++i) {
        ShapeReport shape;
        shape.slot = i;
        const auto desc =
            copy_stable(object_at<protocol::CursorShapeDesc>(mapping, layout.shape_desc_offset, i));
        shape.copied = desc.has_value();
        if (!desc) {
            shape.problem = "the shape descriptor kept changing while it was copied (torn)";
        } else {
            shape.desc = *desc;
            shape.empty = desc->serial == 0 && desc->width == 0 && desc->height == 0;
            const char* why = nullptr;
            const auto info = protocol::validate_shape_desc(*desc, layout, &why);
            if (!shape.empty && !info) {
                shape.problem = describe(info.error(), why);
            }
        }
        cursor.shapes.push_back(std::move(shape));
    }
    if (cursor.copied && cursor.problem.empty() && cursor.state.shape_serial != 0) {
        const ShapeReport& named = cursor.shapes[cursor.state.shape_slot];
        if (named.copied && named.desc.serial != cursor.state.shape_serial) {
            report.notes.push_back(format_text(
                "the cursor names shape %llu in slot %u, which holds shape %llu (being replaced?)",
                static_cast<unsigned long long>(cursor.state.shape_serial), cursor.state.shape_slot,
                static_cast<unsigned long long>(named.desc.serial)));
        }
    }
}

void compute_fits(Report& report) {
    const uint64_t fixed = protocol::required_region_size(0, 0, report.layout.cursor_max_dim);
    for (const Resolution& r : COMMON_RESOLUTIONS) {
        FitReport fit;
        fit.width = r.width;
        fit.height = r.height;
        fit.frame_bytes = protocol::frame_bytes(r.width, r.height, protocol::Format::BGRA8);
        fit.fits_buffers = fit.frame_bytes <= report.layout.buffer_capacity;
        fit.buffers_possible =
            report.mapping_size > fixed ? (report.mapping_size - fixed) / fit.frame_bytes : 0;
        fit.ivshmem_for_two = protocol::recommended_ivshmem_size(
            protocol::required_region_size(fit.frame_bytes, 2, report.layout.cursor_max_dim));
        report.fits.push_back(fit);
    }
}

void add_header_notes(Report& report) {
    const protocol::RegionHeader& h = report.header;
    if (h.version_minor > protocol::VERSION_MINOR) {
        report.notes.push_back(
            format_text("protocol minor version %u is newer than this tool's "
                        "%u.%u: fields it adds are not shown",
                        h.version_minor, protocol::VERSION_MAJOR, protocol::VERSION_MINOR));
    }
    if (unknown_features(h.features) != 0) {
        report.notes.push_back(
            format_text("optional feature bits 0x%llx are unknown to this tool (ignored)",
                        static_cast<unsigned long long>(unknown_features(h.features))));
    }
}

uint64_t heartbeat_wait_ms(const protocol::RegionHeader& h, const InspectOptions& options) {
    const uint64_t two_periods =
        std::min<uint64_t>(uint64_t{h.heartbeat_period_ms} * 2, MAX_HEARTBEAT_WAIT_MS);
    return std::max<uint64_t>(options.heartbeat_wait_ms, two_periods);
}

void check_liveness(Report& report, std::span<const std::byte> mapping,
                    const protocol::RegionHeader& shared, const std::vector<uint64_t>& owners,
                    uint64_t copied_at_ns, const InspectOptions& options) {
    const protocol::RegionHeader& h = report.header;
    const uint32_t state = h.producer_state;
    if (state == static_cast<uint32_t>(protocol::ProducerState::Stopped)) {
        refuse(report, Outcome::ProducerStopped,
               "the producer stopped its session (the agent exited cleanly); start the agent to "
               "begin a new one");
        return;
    }
    if (state != static_cast<uint32_t>(protocol::ProducerState::Running)) {
        refuse(report, Outcome::ProducerNotRunning,
               producer_state_name(state) != nullptr
                   ? "the producer is still initialising the region (it should not be seen "
                     "with the magic set); run again"
                   : format_text("producer_state %u is not a known state", state));
        return;
    }
    if (!options.sample_heartbeat) {
        return;
    }
    const uint64_t wait_ns = heartbeat_wait_ms(h, options) * NS_PER_MS;
    const uint64_t elapsed = monotonic_ns() - copied_at_ns;
    if (elapsed < wait_ns) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(wait_ns - elapsed));
    }
    HeartbeatReport& beat = report.heartbeat;
    beat.first = h.producer_heartbeat;
    beat.second = load(shared.producer_heartbeat, std::memory_order_acquire);
    beat.interval_ms = (monotonic_ns() - copied_at_ns) / NS_PER_MS;
    beat.sampled = true;
    for (size_t k = 0; k < report.consumers.size(); ++k) {
        ConsumerReport& c = report.consumers[k];
        const auto& slot =
            object_at<protocol::ConsumerSlot>(mapping, report.layout.consumer_offset, c.slot);
        const uint64_t heartbeat = load(slot.heartbeat, std::memory_order_acquire);
        if (load(slot.owner, std::memory_order_acquire) != owners[k]) {
            c.left_during_wait = true;
            continue;
        }
        c.heartbeat_after = heartbeat;
        c.heartbeat_sampled = true;
    }
    const uint32_t state_after = load(shared.producer_state, std::memory_order_acquire);
    if (state_after == static_cast<uint32_t>(protocol::ProducerState::Stopped)) {
        refuse(report, Outcome::ProducerStopped,
               "the producer stopped its session during the check (the agent exited cleanly)");
        return;
    }
    if (!beat.advancing()) {
        refuse(
            report, Outcome::ProducerNotRunning,
            format_text("the producer's heartbeat did not advance in %llu ms (it promises a "
                        "beat every %u ms): the agent is hung or was killed",
                        static_cast<unsigned long long>(beat.interval_ms), h.heartbeat_period_ms));
    }
}

void inspect_into(Report& report, std::span<const std::byte> mapping,
                  const InspectOptions& options) {
    report.mapped = true;
    report.mapping_size = mapping.size();
    if (reinterpret_cast<uintptr_t>(mapping.data()) % alignof(uint64_t) != 0) {
        refuse(report, Outcome::OpenFailed, "the mapping is not 8-byte aligned");
        return;
    }
    if (mapping.size() < protocol::HEADER_SIZE) {
        refuse(report, Outcome::TooSmall,
               format_text("%s is %llu bytes: too small to hold the %u-byte Periscope region "
                           "header (is it the file QEMU was given as mem-path=?)",
                           report.description.c_str(),
                           static_cast<unsigned long long>(mapping.size()), protocol::HEADER_SIZE));
        return;
    }
    const auto& shared = object_at<protocol::RegionHeader>(mapping, 0);
    if (!copy_header(report, shared)) {
        return;
    }
    const uint64_t copied_at_ns = monotonic_ns();
    const char* why = nullptr;
    auto layout = protocol::validate_header(report.header, mapping.size(), &why);
    if (!layout) {
        refuse(report, outcome_for(layout.error()),
               invalid_header_message(layout.error(), why, report.header, mapping.size()));
        return;
    }
    report.layout = *layout;
    report.layout_valid = true;
    add_header_notes(report);
    read_frame(report, mapping, shared);
    read_buffers(report, mapping);
    const std::vector<uint64_t> owners = read_consumers(report, mapping);
    read_cursor(report, mapping);
    compute_fits(report);
    check_liveness(report, mapping, shared, owners, copied_at_ns, options);
    // Everything above was read from one session, or the report mixes two.
    if (load(shared.magic, std::memory_order_acquire) != protocol::MAGIC ||
        load(shared.session_id, std::memory_order_acquire) != report.header.session_id) {
        refuse(report, Outcome::Unstable,
               "the producer started a new session (or is re-initialising) while the region was "
               "read: this report may mix the two; run again");
    }
}

}  // namespace

int exit_code(Outcome outcome) {
    switch (outcome) {
        case Outcome::Ok:
            return 0;
        case Outcome::OpenFailed:
            return 1;
        case Outcome::Usage:
            return 2;
        case Outcome::NotFound:
            return 3;
        case Outcome::PermissionDenied:
            return 4;
        case Outcome::TooSmall:
            return 5;
        case Outcome::NotPeriscope:
            return 6;
        case Outcome::Unsupported:
            return 7;
        case Outcome::BadLayout:
            return 8;
        case Outcome::Unstable:
            return 9;
        case Outcome::ProducerStopped:
            return 10;
        case Outcome::ProducerNotRunning:
            return 11;
    }
    return 1;
}

const char* to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::Ok:
            return "ok";
        case Outcome::OpenFailed:
            return "open-failed";
        case Outcome::Usage:
            return "usage";
        case Outcome::NotFound:
            return "not-found";
        case Outcome::PermissionDenied:
            return "permission-denied";
        case Outcome::TooSmall:
            return "too-small";
        case Outcome::NotPeriscope:
            return "not-periscope";
        case Outcome::Unsupported:
            return "unsupported";
        case Outcome::BadLayout:
            return "bad-layout";
        case Outcome::Unstable:
            return "unstable";
        case Outcome::ProducerStopped:
            return "producer-stopped";
        case Outcome::ProducerNotRunning:
            return "producer-not-running";
    }
    return "?";
}

const char* producer_state_name(uint32_t state) {
    switch (static_cast<protocol::ProducerState>(state)) {
        case protocol::ProducerState::Initialising:
            return "initialising";
        case protocol::ProducerState::Running:
            return "running";
        case protocol::ProducerState::Stopped:
            return "stopped";
    }
    return nullptr;
}

const char* consumer_kind_name(uint32_t kind) {
    switch (static_cast<protocol::ConsumerKind>(kind)) {
        case protocol::ConsumerKind::Other:
            return "other";
        case protocol::ConsumerKind::Viewer:
            return "viewer";
        case protocol::ConsumerKind::Recorder:
            return "recorder";
        case protocol::ConsumerKind::Inspector:
            return "inspector";
        case protocol::ConsumerKind::Test:
            return "test";
    }
    return nullptr;
}

std::vector<std::string> feature_names(uint64_t features) {
    std::vector<std::string> names;
    if ((features & protocol::FEATURE_FRAME_CHECKSUM) != 0) {
        names.emplace_back("checksum");
    }
    if ((features & protocol::FEATURE_CURSOR) != 0) {
        names.emplace_back("cursor");
    }
    if ((features & protocol::FEATURE_DAMAGE) != 0) {
        names.emplace_back("damage");
    }
    return names;
}

uint64_t unknown_features(uint64_t features) {
    return features & ~(protocol::FEATURE_FRAME_CHECKSUM | protocol::FEATURE_CURSOR |
                        protocol::FEATURE_DAMAGE);
}

Report inspect_region(std::string_view spec, const InspectOptions& options) {
    Report report;
    report.spec = std::string(spec);
    platform::RegionOptions region_options;
    region_options.create = false;
    region_options.min_size = protocol::HEADER_SIZE;
    std::string detail;
    auto region = platform::open_region(spec, region_options, &detail);
    if (!region) {
        const Outcome outcome = outcome_for(region.error());
        std::string message =
            detail.empty() ? format_text("cannot open %.*s: %s", static_cast<int>(spec.size()),
                                         spec.data(), platform::to_string(region.error()))
                           : detail;
        if (outcome == Outcome::TooSmall) {
            message = format_text("too small to hold the %u-byte Periscope region header: %s",
                                  protocol::HEADER_SIZE, message.c_str());
        }
        refuse(report, outcome, std::move(message));
        return report;
    }
    platform::Region& mapped = **region;
    report.description = mapped.description();
    const std::span<std::byte> bytes = mapped.bytes();
    inspect_into(report, std::span<const std::byte>(bytes.data(), bytes.size()), options);
    return report;
}

Report inspect_mapping(std::span<const std::byte> mapping, std::string_view description,
                       const InspectOptions& options) {
    Report report;
    report.spec = std::string(description);
    report.description = std::string(description);
    inspect_into(report, mapping, options);
    return report;
}

}  // namespace periscope::tools
