#include "protocol/layout.h"

#include <cctype>
#include <cstring>

namespace periscope::protocol {

const char* to_string(Format format) {
    switch (format) {
        case Format::BGRA8:
            return "BGRA8";
        case Format::RGBA8:
            return "RGBA8";
        case Format::RGB10A2:
            return "RGB10A2";
        case Format::BGR10A2:
            return "BGR10A2";
        case Format::RGBA16F:
            return "RGBA16F";
        case Format::Invalid:
            return "invalid";
    }
    return "invalid";
}

Format parse_format(const char* text) {
    for (Format f :
         {Format::BGRA8, Format::RGBA8, Format::RGB10A2, Format::BGR10A2, Format::RGBA16F}) {
        const char* name = to_string(f);
        size_t i = 0;
        while (name[i] != '\0' && text[i] != '\0' &&
               std::toupper(static_cast<unsigned char>(text[i])) == name[i]) {
            ++i;
        }
        if (name[i] == '\0' && text[i] == '\0') {
            return f;
        }
    }
    return Format::Invalid;
}

uint64_t control_size() {
    const uint64_t bytes = HEADER_SIZE + uint64_t{RING_COUNT} * sizeof(FrameRecord) +
                           uint64_t{MAX_BUFFERS} * sizeof(BufferDesc) +
                           uint64_t{MAX_CONSUMERS} * sizeof(ConsumerSlot) + sizeof(CursorState) +
                           uint64_t{SHAPE_COUNT} * sizeof(CursorShapeDesc);
    return align_up(bytes, PAGE_SIZE);
}

uint64_t frame_bytes(uint32_t width, uint32_t height, Format format) {
    return align_up(uint64_t{width} * bytes_per_pixel(format) * height, PAGE_SIZE);
}

uint64_t shape_capacity(uint32_t cursor_max_dim) {
    return align_up(uint64_t{cursor_max_dim} * cursor_max_dim * 4, PAGE_SIZE);
}

uint64_t required_region_size(uint64_t capacity, uint32_t buffers, uint32_t cursor_max_dim) {
    return control_size() + SHAPE_COUNT * shape_capacity(cursor_max_dim) +
           buffers * align_up(capacity, PAGE_SIZE);
}

uint64_t recommended_ivshmem_size(uint64_t required) {
    const uint64_t mib = uint64_t{1024} * 1024;
    return next_power_of_two(required < mib ? mib : required);
}

Layout compute_layout(uint64_t capacity, uint32_t buffers, uint32_t cursor_max_dim) {
    Layout layout;
    uint64_t at = HEADER_SIZE;
    layout.ring_offset = at;
    at += uint64_t{RING_COUNT} * sizeof(FrameRecord);
    layout.bufdesc_offset = at;
    layout.buffer_count = buffers;
    // Descriptors for MAX_BUFFERS are reserved so the control size does not depend on the count.
    at += uint64_t{MAX_BUFFERS} * sizeof(BufferDesc);
    layout.consumer_offset = at;
    layout.consumer_count = MAX_CONSUMERS;
    at += uint64_t{MAX_CONSUMERS} * sizeof(ConsumerSlot);
    layout.cursor_offset = at;
    at += sizeof(CursorState);
    layout.shape_desc_offset = at;
    at += uint64_t{SHAPE_COUNT} * sizeof(CursorShapeDesc);
    at = align_up(at, PAGE_SIZE);
    layout.cursor_max_dim = cursor_max_dim;
    layout.shape_data_offset = at;
    layout.shape_data_capacity = shape_capacity(cursor_max_dim);
    at += SHAPE_COUNT * layout.shape_data_capacity;
    layout.buffer_offset = at;
    layout.buffer_capacity = align_up(capacity, PAGE_SIZE);
    at += buffers * layout.buffer_capacity;
    layout.region_size = at;
    return layout;
}

}  // namespace periscope::protocol
