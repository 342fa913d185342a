#include "protocol/layout.h"

#include <gtest/gtest.h>

namespace periscope::protocol {
namespace {

constexpr uint64_t MIB = 1024 * 1024;

TEST(Layout, ControlAreaIsFivePages) {
    EXPECT_EQ(control_size(), 20480u);
}

// The table in docs/design/shm-protocol.md §8.
TEST(Layout, SizeFormulaMatchesTheDesignTable) {
    struct Row {
        uint32_t w, h;
        Format f;
        uint32_t n;
        uint64_t required;
        uint64_t ivshmem;
    };
    const Row rows[] = {
        {1920, 1080, Format::BGRA8, 2, 17133568, 32 * MIB},
        {1920, 1080, Format::BGRA8, 3, 25427968, 32 * MIB},
        {2560, 1440, Format::BGRA8, 2, 30035968, 32 * MIB},
        {3840, 2160, Format::BGRA8, 2, 66899968, 64 * MIB},
        {3840, 2160, Format::BGRA8, 3, 100077568, 128 * MIB},
        {3840, 2160, Format::RGBA16F, 2, 133255168, 128 * MIB},
    };
    for (const Row& r : rows) {
        const uint64_t required = required_region_size(frame_bytes(r.w, r.h, r.f), r.n);
        EXPECT_EQ(required, r.required) << r.w << "x" << r.h;
        EXPECT_EQ(recommended_ivshmem_size(required), r.ivshmem) << r.w << "x" << r.h;
    }
}

TEST(Layout, AreasAlignedAndInOrder) {
    const Layout l = compute_layout(frame_bytes(1920, 1080, Format::BGRA8), 3, 256);
    EXPECT_EQ(l.ring_offset, HEADER_SIZE);
    EXPECT_EQ(l.ring_offset % CACHE_LINE, 0u);
    EXPECT_EQ(l.bufdesc_offset % CACHE_LINE, 0u);
    EXPECT_EQ(l.consumer_offset % CACHE_LINE, 0u);
    EXPECT_EQ(l.cursor_offset % CACHE_LINE, 0u);
    EXPECT_EQ(l.shape_data_offset % PAGE_SIZE, 0u);
    EXPECT_EQ(l.buffer_offset % PAGE_SIZE, 0u);
    EXPECT_EQ(l.buffer_capacity % PAGE_SIZE, 0u);
    for (uint32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(l.buffer_at(i) % PAGE_SIZE, 0u) << "frame buffers must be page-aligned";
    }
    EXPECT_EQ(l.region_size, l.buffer_at(3));
    EXPECT_EQ(l.region_size, required_region_size(frame_bytes(1920, 1080, Format::BGRA8), 3));
    EXPECT_LT(l.shape_desc_offset + SHAPE_COUNT * sizeof(CursorShapeDesc), l.shape_data_offset + 1);
}

TEST(Layout, Formats) {
    EXPECT_EQ(bytes_per_pixel(Format::BGRA8), 4u);
    EXPECT_EQ(bytes_per_pixel(Format::RGBA8), 4u);
    EXPECT_EQ(bytes_per_pixel(Format::RGB10A2), 4u);
    EXPECT_EQ(bytes_per_pixel(Format::BGR10A2), 4u);
    EXPECT_EQ(bytes_per_pixel(Format::RGBA16F), 8u);
    EXPECT_EQ(bytes_per_pixel(static_cast<Format>(99)), 0u);
    EXPECT_EQ(parse_format("bgra8"), Format::BGRA8);
    EXPECT_EQ(parse_format("RGBA16F"), Format::RGBA16F);
    EXPECT_EQ(parse_format("RGBA16"), Format::Invalid);
    EXPECT_EQ(parse_format(""), Format::Invalid);
}

}  // namespace
}  // namespace periscope::protocol
