// Validation of copies taken from shared memory (docs/design/shm-protocol.md §7). Every function
// takes a local copy, never a pointer into the mapping, and checks every field it returns; on
// failure `why` (if given) names the field. Pure functions: no logging, no OS headers.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "protocol/damage.h"
#include "protocol/error.h"
#include "protocol/layout.h"

namespace periscope::protocol {

// A frame record that passed validation.
struct FrameInfo {
    uint64_t serial = 0;
    uint64_t timestamp_ns = 0;
    uint64_t checksum = 0;  // 0 if the record carries none
    uint32_t buffer_index = 0;
    Format format = Format::Invalid;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t stride = 0;
    DamageList damage;  // this frame's damage (full if the record said so)

    uint64_t row_bytes() const { return uint64_t{width} * bytes_per_pixel(format); }
};

struct CursorPosition {
    int32_t x = 0;
    int32_t y = 0;
    bool visible = false;
    uint32_t shape_slot = 0;
    uint64_t shape_serial = 0;
    uint64_t timestamp_ns = 0;
    uint64_t update_count = 0;
};

struct CursorShapeInfo {
    uint64_t serial = 0;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t hotspot_x = 0;
    uint32_t hotspot_y = 0;
    uint32_t stride = 0;
    Format format = Format::Invalid;
    bool premultiplied = false;
};

struct ValidMessage {
    MessageType type = MessageType::None;
    int32_t x = 0;  // CursorMove
    int32_t y = 0;
    uint32_t width = 0;  // WindowSize
    uint32_t height = 0;
};

Result<Layout, Error> validate_header(const RegionHeader& copy, uint64_t mapping_size,
                                      const char** why = nullptr);
Result<FrameInfo, Error> validate_frame_record(const FrameRecord& copy, uint64_t expected_serial,
                                               const Layout& layout, const char** why = nullptr);
Result<CursorPosition, Error> validate_cursor_state(const CursorState& copy,
                                                    const char** why = nullptr);
Result<CursorShapeInfo, Error> validate_shape_desc(const CursorShapeDesc& copy,
                                                   const Layout& layout,
                                                   const char** why = nullptr);
Result<ValidMessage, Error> validate_message(const Message& copy, const char** why = nullptr);

}  // namespace periscope::protocol
