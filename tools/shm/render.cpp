#include "render.h"

#include <cinttypes>

#include "json_writer.h"
#include "text_util.h"

namespace periscope::tools {
namespace {

constexpr size_t LABEL_WIDTH = 16;

std::string hex64(uint64_t value) {
    return format_text("0x%016" PRIX64, value);
}

// "7.91 MiB", "32 MiB": one unit, for lines that hold several sizes.
std::string compact_size(uint64_t bytes) {
    if (bytes % MIB == 0) {
        return format_text("%" PRIu64 " MiB", bytes / MIB);
    }
    return format_text("%.2f MiB", static_cast<double>(bytes) / static_cast<double>(MIB));
}

std::string format_name(protocol::Format format) {
    return protocol::bytes_per_pixel(format) != 0 ? protocol::to_string(format) : "invalid";
}

std::string format_value_text(uint32_t value) {
    const auto format = static_cast<protocol::Format>(value);
    if (protocol::bytes_per_pixel(format) != 0) {
        return protocol::to_string(format);
    }
    return format_text("format %u (unknown)", value);
}

std::string features_text(uint64_t features) {
    std::string text = hex64(features);
    const auto names = feature_names(features);
    std::string list;
    for (const auto& name : names) {
        list += (list.empty() ? "" : ", ") + name;
    }
    if (unknown_features(features) != 0) {
        list += format_text("%sunknown 0x%" PRIx64, list.empty() ? "" : ", ",
                            unknown_features(features));
    }
    return text + (list.empty() ? " (none)" : " (" + list + ")");
}

std::string kind_text(uint32_t kind) {
    const char* name = consumer_kind_name(kind);
    return name != nullptr ? name : format_text("unknown kind %u", kind);
}

class TextOut {
  public:
    void line(std::string_view label, const std::string& value) {
        m_out.append(label);
        if (label.size() < LABEL_WIDTH) {
            m_out.append(LABEL_WIDTH - label.size(), ' ');
        } else {
            m_out += ' ';
        }
        m_out += value;
        m_out += '\n';
    }
    std::string take() { return std::move(m_out); }

  private:
    std::string m_out;
};

void text_identity(TextOut& out, const Report& r) {
    const protocol::RegionHeader& h = r.header;
    out.line("version", format_text("%u.%u (header %u bytes)", h.version_major, h.version_minor,
                                    h.header_size));
    out.line("features", features_text(h.features));
    out.line("required", features_text(h.required_features));
    out.line("session", hex64(h.session_id));
    const char* state = producer_state_name(h.producer_state);
    out.line(
        "producer",
        format_text(
            "%s, pid %u, heartbeat promised every %u ms",
            state != nullptr ? state : format_text("INVALID state %u", h.producer_state).c_str(),
            h.producer_pid, h.heartbeat_period_ms));
}

void text_heartbeat(TextOut& out, const Report& r) {
    const HeartbeatReport& b = r.heartbeat;
    if (!b.sampled) {
        out.line("heartbeat",
                 format_text("%" PRIu64 " (not sampled twice: %s)", r.header.producer_heartbeat,
                             r.outcome == Outcome::Ok ? "--no-wait" : "producer not running"));
        return;
    }
    out.line("heartbeat",
             format_text("%" PRIu64 " -> %" PRIu64 " in %" PRIu64 " ms: %s", b.first, b.second,
                         b.interval_ms, b.advancing() ? "alive" : "NOT ADVANCING"));
}

void text_layout(TextOut& out, const Report& r) {
    const protocol::Layout& l = r.layout;
    out.line("layout", format_text("%" PRIu64 " of %" PRIu64 " mapped bytes used", l.region_size,
                                   r.mapping_size));
    out.line("  ring", format_text("offset %" PRIu64 ": %u records of %zu bytes", l.ring_offset,
                                   protocol::RING_COUNT, sizeof(protocol::FrameRecord)));
    out.line(
        "  buffers",
        format_text("%u x %" PRIu64 " bytes (%s) at offset %" PRIu64 "; descriptors at %" PRIu64,
                    l.buffer_count, l.buffer_capacity, format_size(l.buffer_capacity).c_str(),
                    l.buffer_offset, l.bufdesc_offset));
    out.line("  consumers",
             format_text("%u slots of %zu bytes at offset %" PRIu64, l.consumer_count,
                         sizeof(protocol::ConsumerSlot), l.consumer_offset));
    out.line("  cursor",
             format_text("state at %" PRIu64 ", shapes at %" PRIu64 ", max %ux%u, shape data %u x "
                         "%s at %" PRIu64,
                         l.cursor_offset, l.shape_desc_offset, l.cursor_max_dim, l.cursor_max_dim,
                         protocol::SHAPE_COUNT, format_size(l.shape_data_capacity).c_str(),
                         l.shape_data_offset));
    out.line("fits", "common resolutions, BGRA8:");
    for (const FitReport& f : r.fits) {
        std::string text = format_text("%s (%s per frame)", f.fits_buffers ? "fits" : "too large",
                                       compact_size(f.frame_bytes).c_str());
        // What an agent restarted for this size could do with this mapping.
        text += format_text("; the mapping holds %" PRIu64 " such buffer%s", f.buffers_possible,
                            f.buffers_possible == 1 ? "" : "s");
        if (f.buffers_possible < 2) {
            text += format_text(": 2 need %s", compact_size(f.ivshmem_for_two).c_str());
        }
        out.line(format_text("  %ux%u", f.width, f.height), text);
    }
}

std::string damage_text(const protocol::FrameRecord& rec) {
    if ((rec.flags & protocol::FRAME_FLAG_FULL_DAMAGE) != 0) {
        return "full frame";
    }
    if (rec.damage_count == 0) {
        return "none (nothing changed)";
    }
    std::string text =
        format_text("%u rect%s:", rec.damage_count, rec.damage_count == 1 ? "" : "s");
    // damage_count was validated (<= MAX_DAMAGE_RECTS) before this is called.
    for (uint32_t i = 0; i < rec.damage_count; ++i) {
        const protocol::Rect& d = rec.damage[i];
        text += format_text("%s %u,%u %ux%u", i == 0 ? "" : ";", d.x, d.y, d.width, d.height);
    }
    return text;
}

void text_frame(TextOut& out, const Report& r) {
    const FrameReport& f = r.frame;
    if (f.latest_serial == 0) {
        out.line("latest frame", "none posted yet (serial 0)");
        return;
    }
    out.line("latest frame", format_text("serial %" PRIu64, f.latest_serial));
    if (!f.copied) {
        out.line("  record", "INVALID: " + f.problem);
        return;
    }
    const protocol::FrameRecord& rec = f.record;
    const std::string geometry =
        format_text("%ux%u %s, stride %u, buffer %u, flags 0x%x, damage_count %u", rec.width,
                    rec.height, format_value_text(rec.format).c_str(), rec.stride, rec.buffer_index,
                    rec.flags, rec.damage_count);
    if (!f.problem.empty()) {
        out.line("  record", "INVALID (" + f.problem + "): raw " + geometry);
        return;
    }
    out.line("  record",
             format_text("%ux%u %s, stride %u, in buffer %u", rec.width, rec.height,
                         format_value_text(rec.format).c_str(), rec.stride, rec.buffer_index));
    out.line("  damage", damage_text(rec));
    out.line("  checksum", (rec.flags & protocol::FRAME_FLAG_CHECKSUM) != 0 ? hex64(rec.checksum)
                                                                            : std::string("none"));
    out.line("  captured", format_text("%" PRIu64 " ns (producer clock)", rec.timestamp_ns));
}

void text_buffers(TextOut& out, const Report& r) {
    out.line("buffers", format_text("%u", r.layout.buffer_count));
    for (const BufferReport& b : r.buffers) {
        std::string text;
        if (b.frame_serial == 0) {
            text = "never used";
        } else {
            text = format_text("frame %" PRIu64, b.frame_serial);
            if (b.height_known) {
                text += format_text(", rows_ready %u/%u", b.rows_ready, b.height);
                if (b.problem.empty() && b.rows_ready == b.height) {
                    text += " (complete)";
                }
            } else {
                text += format_text(", rows_ready %u", b.rows_ready);
                if (b.frame_serial > r.frame.latest_serial) {
                    text += " (being written, not yet posted)";
                }
            }
        }
        if (!b.problem.empty()) {
            text += "; INVALID: " + b.problem;
        }
        out.line(format_text("  buffer %u", b.index), text);
    }
}

void text_consumers(TextOut& out, const Report& r) {
    out.line("consumers",
             format_text("%zu of %u slots in use", r.consumers.size(), r.layout.consumer_count));
    for (const ConsumerReport& c : r.consumers) {
        // Appended piecewise: `"\"" + std::string` trips GCC 12's -Wrestrict at -O3 (bug 105651).
        std::string name = "\"";
        name += terminal_safe(c.name, true);
        name += '"';
        if (!c.name_terminated) {
            name += " (not NUL-terminated)";
        }
        out.line(format_text("  slot %u", c.slot),
                 format_text("%s %s, pid %u", kind_text(c.kind).c_str(), name.c_str(), c.pid));
        std::string beat = format_text("heartbeat %" PRIu64, c.heartbeat);
        if (c.left_during_wait) {
            beat += " (left during the check)";
        } else if (c.heartbeat_sampled) {
            beat += format_text(" -> %" PRIu64 " (%s)", c.heartbeat_after,
                                c.heartbeat_after != c.heartbeat ? "alive" : "stalled");
        }
        out.line("", beat);
        std::string hold = c.held_buffer == 0 ? std::string("holds no buffer")
                                              : format_text("holds buffer %u", c.held_buffer - 1);
        if (!c.held_problem.empty()) {
            hold = "held buffer INVALID: " + c.held_problem;
        }
        out.line("", format_text("%s, last serial %" PRIu64, hold.c_str(), c.last_serial));
        std::string mailbox = format_text("mailbox write %u, read %u", c.msg_write, c.msg_read);
        mailbox += c.mailbox_problem.empty() ? format_text(" (%u pending)", c.pending_messages())
                                             : "; INVALID: " + c.mailbox_problem;
        out.line("", mailbox);
    }
}

void text_cursor(TextOut& out, const Report& r) {
    const CursorReport& c = r.cursor;
    const protocol::CursorState& s = c.state;
    if (!c.copied) {
        out.line("cursor", "INVALID: " + c.problem);
    } else if (!c.problem.empty()) {
        out.line("cursor", format_text("INVALID (%s): raw x %d, y %d, flags 0x%x, shape slot %u",
                                       c.problem.c_str(), s.x, s.y, s.flags, s.shape_slot));
    } else {
        const bool visible = (s.flags & protocol::CURSOR_FLAG_VISIBLE) != 0;
        out.line(
            "cursor",
            format_text(
                "at %d,%d, %s, shape %s, %" PRIu64 " updates", s.x, s.y,
                visible ? "visible" : "hidden",
                s.shape_serial == 0
                    ? "none yet"
                    : format_text("%" PRIu64 " in slot %u", s.shape_serial, s.shape_slot).c_str(),
                s.update_count));
    }
    for (const ShapeReport& shape : c.shapes) {
        const protocol::CursorShapeDesc& d = shape.desc;
        std::string text;
        if (!shape.copied) {
            text = "INVALID: " + shape.problem;
        } else if (shape.empty) {
            text = "empty";
        } else {
            text = format_text(
                "serial %" PRIu64 ": %ux%u %s, hotspot %u,%u, stride %u%s", d.serial, d.width,
                d.height, format_value_text(d.format).c_str(), d.hotspot_x, d.hotspot_y, d.stride,
                (d.flags & protocol::SHAPE_FLAG_PREMULTIPLIED) != 0 ? ", premultiplied" : "");
            if (!shape.problem.empty()) {
                text = "INVALID (" + shape.problem + "): raw " + text;
            }
        }
        out.line(format_text("  shape %u", shape.slot), text);
    }
}

void text_statistics(TextOut& out, const Report& r) {
    const protocol::RegionHeader& h = r.header;
    out.line("statistics", format_text("frames posted %" PRIu64 ", frames dropped %" PRIu64
                                       ", buffers stolen %" PRIu64,
                                       h.frames_posted, h.frames_dropped, h.buffers_stolen));
    out.line("", format_text("consumers evicted %" PRIu64 ", messages rejected %" PRIu64,
                             h.consumers_evicted, h.messages_rejected));
}

// ---- JSON ----

void json_header(JsonWriter& w, const Report& r) {
    const protocol::RegionHeader& h = r.header;
    w.key("header");
    w.begin_object();
    w.field_hex("magic", h.magic);
    w.field_uint("version_major", h.version_major);
    w.field_uint("version_minor", h.version_minor);
    w.field_uint("header_size", h.header_size);
    w.field_hex("session_id", h.session_id);
    w.field_uint("region_size", h.region_size);
    for (const auto& [name, value] :
         {std::pair{"features", h.features}, std::pair{"required_features", h.required_features}}) {
        w.key(name);
        w.begin_object();
        w.field_hex("value", value);
        w.key("names");
        w.begin_array();
        for (const auto& feature : feature_names(value)) {
            w.string(feature);
        }
        w.end_array();
        w.field_hex("unknown", unknown_features(value));
        w.end_object();
    }
    w.field_uint("heartbeat_period_ms", h.heartbeat_period_ms);
    w.end_object();

    w.key("producer");
    w.begin_object();
    const char* state = producer_state_name(h.producer_state);
    if (state != nullptr) {
        w.field_string("state", state);
    } else {
        w.field_string("state", "invalid");
    }
    w.field_uint("state_value", h.producer_state);
    w.field_uint("pid", h.producer_pid);
    w.key("heartbeat");
    w.begin_object();
    w.field_uint("value", h.producer_heartbeat);
    w.field_bool("sampled", r.heartbeat.sampled);
    if (r.heartbeat.sampled) {
        w.field_uint("after", r.heartbeat.second);
        w.field_uint("interval_ms", r.heartbeat.interval_ms);
        w.field_bool("alive", r.heartbeat.advancing());
    } else {
        w.field_null("after");
        w.field_null("interval_ms");
        w.field_null("alive");
    }
    w.end_object();
    w.end_object();
}

void json_layout(JsonWriter& w, const Report& r) {
    const protocol::Layout& l = r.layout;
    w.key("layout");
    w.begin_object();
    w.field_uint("region_size", l.region_size);
    w.key("ring");
    w.begin_object();
    w.field_uint("offset", l.ring_offset);
    w.field_uint("count", protocol::RING_COUNT);
    w.field_uint("record_size", sizeof(protocol::FrameRecord));
    w.end_object();
    w.key("buffers");
    w.begin_object();
    w.field_uint("offset", l.buffer_offset);
    w.field_uint("count", l.buffer_count);
    w.field_uint("capacity", l.buffer_capacity);
    w.field_uint("descriptor_offset", l.bufdesc_offset);
    w.end_object();
    w.key("consumers");
    w.begin_object();
    w.field_uint("offset", l.consumer_offset);
    w.field_uint("count", l.consumer_count);
    w.field_uint("slot_size", sizeof(protocol::ConsumerSlot));
    w.end_object();
    w.key("cursor");
    w.begin_object();
    w.field_uint("state_offset", l.cursor_offset);
    w.field_uint("shape_desc_offset", l.shape_desc_offset);
    w.field_uint("max_dim", l.cursor_max_dim);
    w.field_uint("shape_data_offset", l.shape_data_offset);
    w.field_uint("shape_data_capacity", l.shape_data_capacity);
    w.end_object();
    w.key("fits");
    w.begin_array();
    for (const FitReport& f : r.fits) {
        w.begin_object();
        w.field_uint("width", f.width);
        w.field_uint("height", f.height);
        w.field_string("format", "BGRA8");
        w.field_uint("frame_bytes", f.frame_bytes);
        w.field_bool("fits_buffers", f.fits_buffers);
        w.field_uint("buffers_possible", f.buffers_possible);
        w.field_uint("ivshmem_bytes_for_two", f.ivshmem_for_two);
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

void json_frame(JsonWriter& w, const Report& r) {
    const FrameReport& f = r.frame;
    w.key("frame");
    w.begin_object();
    w.field_uint("latest_serial", f.latest_serial);
    w.key("record");
    if (f.latest_serial == 0) {
        w.null();
        w.end_object();
        return;
    }
    w.begin_object();
    w.field_bool("valid", f.copied && f.problem.empty());
    w.field_problem("problem", f.problem);
    if (f.copied) {
        const protocol::FrameRecord& rec = f.record;
        w.field_uint("serial", rec.serial);
        w.field_uint("buffer_index", rec.buffer_index);
        w.field_string("format", format_name(static_cast<protocol::Format>(rec.format)));
        w.field_uint("format_value", rec.format);
        w.field_uint("width", rec.width);
        w.field_uint("height", rec.height);
        w.field_uint("stride", rec.stride);
        w.field_uint("flags", rec.flags);
        w.field_bool("full_damage", (rec.flags & protocol::FRAME_FLAG_FULL_DAMAGE) != 0);
        if ((rec.flags & protocol::FRAME_FLAG_CHECKSUM) != 0) {
            w.field_hex("checksum", rec.checksum);
        } else {
            w.field_null("checksum");
        }
        w.field_uint("timestamp_ns", rec.timestamp_ns);
        w.field_uint("damage_count", rec.damage_count);
        w.key("damage");
        if (f.problem.empty()) {
            w.begin_array();
            // Validated: damage_count <= MAX_DAMAGE_RECTS.
            for (uint32_t i = 0; i < rec.damage_count; ++i) {
                const protocol::Rect& d = rec.damage[i];
                w.begin_object();
                w.field_uint("x", d.x);
                w.field_uint("y", d.y);
                w.field_uint("width", d.width);
                w.field_uint("height", d.height);
                w.end_object();
            }
            w.end_array();
        } else {
            w.null();
        }
    }
    w.end_object();
    w.end_object();
}

void json_buffers(JsonWriter& w, const Report& r) {
    w.key("buffers");
    w.begin_array();
    for (const BufferReport& b : r.buffers) {
        w.begin_object();
        w.field_uint("index", b.index);
        w.field_uint("frame_serial", b.frame_serial);
        w.field_uint("rows_ready", b.rows_ready);
        if (b.height_known) {
            w.field_uint("height", b.height);
            w.field_bool("complete", b.problem.empty() && b.rows_ready == b.height);
        } else {
            w.field_null("height");
            w.field_null("complete");
        }
        w.field_bool("valid", b.problem.empty());
        w.field_problem("problem", b.problem);
        w.end_object();
    }
    w.end_array();
}

void json_consumers(JsonWriter& w, const Report& r) {
    w.key("consumers");
    w.begin_object();
    w.field_uint("slots", r.layout.consumer_count);
    w.field_uint("in_use", r.consumers.size());
    w.key("list");
    w.begin_array();
    for (const ConsumerReport& c : r.consumers) {
        w.begin_object();
        w.field_uint("slot", c.slot);
        const char* kind = consumer_kind_name(c.kind);
        w.field_string("kind", kind != nullptr ? kind : "unknown");
        w.field_uint("kind_value", c.kind);
        w.field_string("name", c.name);
        w.field_bool("name_terminated", c.name_terminated);
        w.field_uint("pid", c.pid);
        w.field_uint("heartbeat", c.heartbeat);
        if (c.heartbeat_sampled) {
            w.field_uint("heartbeat_after", c.heartbeat_after);
            w.field_bool("alive", c.heartbeat_after != c.heartbeat);
        } else {
            w.field_null("heartbeat_after");
            w.field_null("alive");
        }
        w.field_bool("left_during_check", c.left_during_wait);
        if (c.held_buffer != 0 && c.held_problem.empty()) {
            w.field_uint("held_buffer", c.held_buffer - 1);
        } else {
            w.field_null("held_buffer");
        }
        w.field_uint("held_buffer_value", c.held_buffer);
        w.field_problem("held_buffer_problem", c.held_problem);
        w.field_uint("last_serial", c.last_serial);
        w.field_uint("msg_write", c.msg_write);
        w.field_uint("msg_read", c.msg_read);
        if (c.mailbox_problem.empty()) {
            w.field_uint("messages_pending", c.pending_messages());
        } else {
            w.field_null("messages_pending");
        }
        w.field_problem("mailbox_problem", c.mailbox_problem);
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

void json_cursor(JsonWriter& w, const Report& r) {
    const CursorReport& c = r.cursor;
    const protocol::CursorState& s = c.state;
    w.key("cursor");
    w.begin_object();
    w.field_bool("valid", c.copied && c.problem.empty());
    w.field_problem("problem", c.problem);
    if (c.copied) {
        w.field_sint("x", s.x);
        w.field_sint("y", s.y);
        w.field_bool("visible", (s.flags & protocol::CURSOR_FLAG_VISIBLE) != 0);
        w.field_uint("flags", s.flags);
        w.field_uint("shape_slot", s.shape_slot);
        w.field_uint("shape_serial", s.shape_serial);
        w.field_uint("timestamp_ns", s.timestamp_ns);
        w.field_uint("update_count", s.update_count);
    }
    w.key("shapes");
    w.begin_array();
    for (const ShapeReport& shape : c.shapes) {
        const protocol::CursorShapeDesc& d = shape.desc;
        w.begin_object();
        w.field_uint("slot", shape.slot);
        w.field_bool("empty", shape.empty);
        w.field_bool("valid", shape.copied && shape.problem.empty());
        w.field_problem("problem", shape.problem);
        if (shape.copied && !shape.empty) {
            w.field_uint("serial", d.serial);
            w.field_uint("width", d.width);
            w.field_uint("height", d.height);
            w.field_uint("hotspot_x", d.hotspot_x);
            w.field_uint("hotspot_y", d.hotspot_y);
            w.field_uint("stride", d.stride);
            w.field_string("format", format_name(static_cast<protocol::Format>(d.format)));
            w.field_uint("format_value", d.format);
            w.field_bool("premultiplied", (d.flags & protocol::SHAPE_FLAG_PREMULTIPLIED) != 0);
        }
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

void json_statistics(JsonWriter& w, const Report& r) {
    const protocol::RegionHeader& h = r.header;
    w.key("statistics");
    w.begin_object();
    w.field_uint("frames_posted", h.frames_posted);
    w.field_uint("frames_dropped", h.frames_dropped);
    w.field_uint("buffers_stolen", h.buffers_stolen);
    w.field_uint("consumers_evicted", h.consumers_evicted);
    w.field_uint("messages_rejected", h.messages_rejected);
    w.end_object();
}

}  // namespace

std::string render_text(const Report& r, bool with_message) {
    TextOut out;
    if (r.mapped) {
        out.line("region", format_text("%s, %" PRIu64 " bytes mapped",
                                       terminal_safe(r.description).c_str(), r.mapping_size));
    } else {
        out.line("region", terminal_safe(r.spec) + " (not opened)");
    }
    if (r.magic_read) {
        const std::string ascii = magic_ascii(r.magic);
        out.line("magic", hex64(r.magic) + (ascii.empty() ? "" : " \"" + ascii + "\"") +
                              (r.magic == protocol::MAGIC ? " (Periscope)" : " (NOT Periscope)"));
    }
    if (r.header_copied) {
        text_identity(out, r);
    }
    if (r.layout_valid) {
        text_heartbeat(out, r);
        text_layout(out, r);
        text_frame(out, r);
        text_buffers(out, r);
        text_consumers(out, r);
        text_cursor(out, r);
        text_statistics(out, r);
    }
    for (const std::string& note : r.notes) {
        out.line("note", terminal_safe(note));
    }
    std::string status = format_text("%s (exit %d)", to_string(r.outcome), exit_code(r.outcome));
    if (with_message && !r.message.empty()) {
        status += ": " + terminal_safe(r.message);
    }
    out.line("status", status);
    return out.take();
}

std::string render_json(const Report& r) {
    JsonWriter w;
    w.begin_object();
    w.field_string("tool", "periscope-shm");
    w.field_string("status", to_string(r.outcome));
    w.field_sint("exit_code", exit_code(r.outcome));
    w.field_problem("message", r.message);
    w.key("region");
    w.begin_object();
    w.field_string("spec", r.spec);
    w.field_bool("opened", r.mapped);
    if (r.mapped) {
        w.field_string("description", r.description);
        w.field_uint("mapping_size", r.mapping_size);
    } else {
        w.field_null("description");
        w.field_null("mapping_size");
    }
    w.end_object();
    if (r.magic_read) {
        w.field_hex("magic", r.magic);
        w.field_bool("magic_valid", r.magic == protocol::MAGIC);
    } else {
        w.field_null("magic");
        w.field_null("magic_valid");
    }
    if (r.header_copied) {
        json_header(w, r);
    }
    w.field_bool("layout_valid", r.layout_valid);
    if (r.layout_valid) {
        json_layout(w, r);
        json_frame(w, r);
        json_buffers(w, r);
        json_consumers(w, r);
        json_cursor(w, r);
        json_statistics(w, r);
    }
    w.key("notes");
    w.begin_array();
    for (const std::string& note : r.notes) {
        w.string(note);
    }
    w.end_array();
    w.end_object();
    return w.take();
}

}  // namespace periscope::tools
