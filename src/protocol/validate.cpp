#include "protocol/validate.h"

#include <array>

namespace periscope::protocol {
namespace {

template <class T>
Unexpected<Error> reject(Error error, const char* field, const char** why) {
    if (why != nullptr) {
        *why = field;
    }
    return fail(error);
}

struct Area {
    uint64_t offset;
    uint64_t length;
    uint64_t alignment;
    const char* name;
};

bool valid_dimension(uint32_t value) {
    return value >= 1 && value <= MAX_DIMENSION;
}

}  // namespace

Result<Layout, Error> validate_header(const RegionHeader& h, uint64_t mapping_size,
                                      const char** why) {
    if (h.magic != MAGIC) {
        return reject<Layout>(Error::NoProducer, "magic", why);
    }
    if (h.version_major != VERSION_MAJOR) {
        return reject<Layout>(Error::VersionMismatch, "version_major", why);
    }
    if ((h.required_features & ~KNOWN_REQUIRED_FEATURES) != 0) {
        return reject<Layout>(Error::UnsupportedFeature, "required_features", why);
    }
    if (h.header_size != HEADER_SIZE) {
        return reject<Layout>(Error::BadHeader, "header_size", why);
    }
    if (h.session_id == 0) {
        return reject<Layout>(Error::BadHeader, "session_id", why);
    }
    if (h.producer_state > static_cast<uint32_t>(ProducerState::Stopped)) {
        return reject<Layout>(Error::BadHeader, "producer_state", why);
    }
    if (h.heartbeat_period_ms < 1 || h.heartbeat_period_ms > 10000) {
        return reject<Layout>(Error::BadHeader, "heartbeat_period_ms", why);
    }
    if (h.ring_count != RING_COUNT || h.frame_record_size != sizeof(FrameRecord)) {
        return reject<Layout>(Error::BadHeader, "ring_count/frame_record_size", why);
    }
    if (h.buffer_count < 1 || h.buffer_count > MAX_BUFFERS ||
        h.bufdesc_size != sizeof(BufferDesc)) {
        return reject<Layout>(Error::BadHeader, "buffer_count/bufdesc_size", why);
    }
    if (h.consumer_count < 1 || h.consumer_count > MAX_CONSUMERS ||
        h.consumer_slot_size != sizeof(ConsumerSlot)) {
        return reject<Layout>(Error::BadHeader, "consumer_count/consumer_slot_size", why);
    }
    if (h.shape_count != SHAPE_COUNT) {
        return reject<Layout>(Error::BadHeader, "shape_count", why);
    }
    if (h.cursor_max_dim < MIN_CURSOR_MAX_DIM || h.cursor_max_dim > MAX_CURSOR_MAX_DIM ||
        h.shape_data_capacity < uint64_t{h.cursor_max_dim} * h.cursor_max_dim * 4) {
        return reject<Layout>(Error::BadHeader, "cursor_max_dim/shape_data_capacity", why);
    }
    if (h.buffer_capacity == 0) {
        return reject<Layout>(Error::BadHeader, "buffer_capacity", why);
    }
    if (h.region_size > mapping_size) {
        return reject<Layout>(Error::RegionTooSmall, "region_size", why);
    }
    const auto buffers_total = checked_mul(h.buffer_capacity, h.buffer_count);
    const auto shapes_total = checked_mul(h.shape_data_capacity, h.shape_count);
    if (!buffers_total || !shapes_total) {
        return reject<Layout>(Error::BadLayout, "buffer/shape area size overflows", why);
    }
    const std::array<Area, 7> areas{{
        {0, HEADER_SIZE, PAGE_SIZE, "header"},
        {h.ring_offset, uint64_t{RING_COUNT} * sizeof(FrameRecord), CACHE_LINE, "ring"},
        {h.bufdesc_offset, uint64_t{h.buffer_count} * sizeof(BufferDesc), CACHE_LINE, "bufdesc"},
        {h.consumer_offset, uint64_t{h.consumer_count} * sizeof(ConsumerSlot), CACHE_LINE,
         "consumer table"},
        {h.cursor_offset, sizeof(CursorState) + 0, CACHE_LINE, "cursor"},
        {h.shape_data_offset, *shapes_total, PAGE_SIZE, "shape data"},
        {h.buffer_offset, *buffers_total, PAGE_SIZE, "buffers"},
    }};
    // The shape descriptors are checked separately (8th area) to keep the array small above.
    const Area shape_desc{h.shape_desc_offset, uint64_t{SHAPE_COUNT} * sizeof(CursorShapeDesc),
                          CACHE_LINE, "shape descriptors"};
    if (h.buffer_capacity % PAGE_SIZE != 0 || h.shape_data_capacity % PAGE_SIZE != 0) {
        return reject<Layout>(Error::BadLayout, "capacity not page-aligned", why);
    }
    auto check_area = [&](const Area& a) {
        return is_aligned(a.offset, a.alignment) && range_within(a.offset, a.length, h.region_size);
    };
    for (const Area& a : areas) {
        if (!check_area(a)) {
            return reject<Layout>(Error::BadLayout, a.name, why);
        }
    }
    if (!check_area(shape_desc)) {
        return reject<Layout>(Error::BadLayout, shape_desc.name, why);
    }
    auto disjoint = [](const Area& a, const Area& b) {
        return a.offset + a.length <= b.offset || b.offset + b.length <= a.offset;
    };
    for (size_t i = 0; i < areas.size(); ++i) {
        if (!disjoint(areas[i], shape_desc)) {
            return reject<Layout>(Error::BadLayout, "shape descriptors overlap", why);
        }
        for (size_t j = i + 1; j < areas.size(); ++j) {
            if (!disjoint(areas[i], areas[j])) {
                return reject<Layout>(Error::BadLayout, areas[j].name, why);
            }
        }
    }
    Layout layout;
    layout.region_size = h.region_size;
    layout.ring_offset = h.ring_offset;
    layout.bufdesc_offset = h.bufdesc_offset;
    layout.buffer_count = h.buffer_count;
    layout.buffer_offset = h.buffer_offset;
    layout.buffer_capacity = h.buffer_capacity;
    layout.consumer_offset = h.consumer_offset;
    layout.consumer_count = h.consumer_count;
    layout.cursor_offset = h.cursor_offset;
    layout.shape_desc_offset = h.shape_desc_offset;
    layout.cursor_max_dim = h.cursor_max_dim;
    layout.shape_data_offset = h.shape_data_offset;
    layout.shape_data_capacity = h.shape_data_capacity;
    return layout;
}

Result<FrameInfo, Error> validate_frame_record(const FrameRecord& r, uint64_t expected_serial,
                                               const Layout& layout, const char** why) {
    if ((r.seq & 1) != 0) {
        return reject<FrameInfo>(Error::TornRecord, "seq", why);
    }
    if (r.serial != expected_serial) {
        return reject<FrameInfo>(Error::StaleRecord, "serial", why);
    }
    if (r.buffer_index >= layout.buffer_count) {
        return reject<FrameInfo>(Error::InvalidFrame, "buffer_index", why);
    }
    const auto format = static_cast<Format>(r.format);
    const uint32_t bpp = bytes_per_pixel(format);
    if (bpp == 0) {
        return reject<FrameInfo>(Error::InvalidFrame, "format", why);
    }
    if (!valid_dimension(r.width) || !valid_dimension(r.height)) {
        return reject<FrameInfo>(Error::InvalidFrame, "width/height", why);
    }
    if (uint64_t{r.stride} < uint64_t{r.width} * bpp || r.stride % 4 != 0) {
        return reject<FrameInfo>(Error::InvalidFrame, "stride", why);
    }
    if (uint64_t{r.stride} * r.height > layout.buffer_capacity) {
        return reject<FrameInfo>(Error::InvalidFrame, "stride*height exceeds buffer", why);
    }
    if ((r.flags & ~FRAME_KNOWN_FLAGS) != 0) {
        return reject<FrameInfo>(Error::InvalidFrame, "flags", why);
    }
    if (r.damage_count > MAX_DAMAGE_RECTS) {
        return reject<FrameInfo>(Error::InvalidFrame, "damage_count", why);
    }
    if ((r.flags & FRAME_FLAG_CHECKSUM) != 0 && r.checksum == 0) {
        return reject<FrameInfo>(Error::InvalidFrame, "checksum", why);
    }
    FrameInfo info;
    info.serial = r.serial;
    info.timestamp_ns = r.timestamp_ns;
    info.checksum = (r.flags & FRAME_FLAG_CHECKSUM) != 0 ? r.checksum : 0;
    info.buffer_index = r.buffer_index;
    info.format = format;
    info.width = r.width;
    info.height = r.height;
    info.stride = r.stride;
    if ((r.flags & FRAME_FLAG_FULL_DAMAGE) != 0) {
        info.damage.set_full();
        return info;
    }
    for (uint32_t i = 0; i < r.damage_count; ++i) {
        const Rect& d = r.damage[i];
        if (d.width == 0 || d.height == 0 || uint64_t{d.x} + d.width > r.width ||
            uint64_t{d.y} + d.height > r.height) {
            return reject<FrameInfo>(Error::InvalidFrame, "damage rect", why);
        }
        info.damage.add(d);
    }
    return info;
}

Result<CursorPosition, Error> validate_cursor_state(const CursorState& c, const char** why) {
    if ((c.seq & 1) != 0) {
        return reject<CursorPosition>(Error::TornRecord, "seq", why);
    }
    if ((c.flags & ~CURSOR_KNOWN_FLAGS) != 0) {
        return reject<CursorPosition>(Error::InvalidCursor, "flags", why);
    }
    if (c.shape_slot >= SHAPE_COUNT) {
        return reject<CursorPosition>(Error::InvalidCursor, "shape_slot", why);
    }
    // Positions are bounded so arithmetic on them (hotspot offsets, scaling) cannot overflow.
    constexpr int32_t LIMIT = 4 * static_cast<int32_t>(MAX_DIMENSION);
    if (c.x < -LIMIT || c.x > LIMIT || c.y < -LIMIT || c.y > LIMIT) {
        return reject<CursorPosition>(Error::InvalidCursor, "x/y", why);
    }
    CursorPosition p;
    p.x = c.x;
    p.y = c.y;
    p.visible = (c.flags & CURSOR_FLAG_VISIBLE) != 0;
    p.shape_slot = c.shape_slot;
    p.shape_serial = c.shape_serial;
    p.timestamp_ns = c.timestamp_ns;
    p.update_count = c.update_count;
    return p;
}

Result<CursorShapeInfo, Error> validate_shape_desc(const CursorShapeDesc& d, const Layout& layout,
                                                   const char** why) {
    if ((d.seq & 1) != 0) {
        return reject<CursorShapeInfo>(Error::TornRecord, "seq", why);
    }
    if (d.width < 1 || d.width > layout.cursor_max_dim || d.height < 1 ||
        d.height > layout.cursor_max_dim) {
        return reject<CursorShapeInfo>(Error::InvalidCursor, "width/height", why);
    }
    if (d.hotspot_x >= d.width || d.hotspot_y >= d.height) {
        return reject<CursorShapeInfo>(Error::InvalidCursor, "hotspot", why);
    }
    const auto format = static_cast<Format>(d.format);
    if (format != Format::BGRA8 && format != Format::RGBA8) {
        return reject<CursorShapeInfo>(Error::InvalidCursor, "format", why);
    }
    if (uint64_t{d.stride} < uint64_t{d.width} * 4 || d.stride % 8 != 0 ||
        uint64_t{d.stride} * d.height > layout.shape_data_capacity) {
        return reject<CursorShapeInfo>(Error::InvalidCursor, "stride", why);
    }
    if ((d.flags & ~SHAPE_KNOWN_FLAGS) != 0) {
        return reject<CursorShapeInfo>(Error::InvalidCursor, "flags", why);
    }
    CursorShapeInfo s;
    s.serial = d.serial;
    s.width = d.width;
    s.height = d.height;
    s.hotspot_x = d.hotspot_x;
    s.hotspot_y = d.hotspot_y;
    s.stride = d.stride;
    s.format = format;
    s.premultiplied = (d.flags & SHAPE_FLAG_PREMULTIPLIED) != 0;
    return s;
}

Result<ValidMessage, Error> validate_message(const Message& m, const char** why) {
    ValidMessage v;
    switch (static_cast<MessageType>(m.type)) {
        case MessageType::CursorMove: {
            v.type = MessageType::CursorMove;
            v.x = static_cast<int32_t>(m.a);
            v.y = static_cast<int32_t>(m.b);
            constexpr auto LIMIT = static_cast<int32_t>(MAX_DIMENSION);
            if (v.x < -LIMIT || v.x > 2 * LIMIT || v.y < -LIMIT || v.y > 2 * LIMIT) {
                return reject<ValidMessage>(Error::InvalidMessage, "cursor position", why);
            }
            return v;
        }
        case MessageType::FullFrame:
            v.type = MessageType::FullFrame;
            return v;
        case MessageType::WindowSize:
            v.type = MessageType::WindowSize;
            v.width = m.a;
            v.height = m.b;
            if (!valid_dimension(v.width) || !valid_dimension(v.height)) {
                return reject<ValidMessage>(Error::InvalidMessage, "window size", why);
            }
            return v;
        case MessageType::None:
            break;
    }
    return reject<ValidMessage>(Error::InvalidMessage, "type", why);
}

}  // namespace periscope::protocol
