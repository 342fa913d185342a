#include "protocol/validate.h"

#include <gtest/gtest.h>

#include <functional>

#include "fixture.h"
#include "protocol/shm_word.h"

namespace periscope::protocol {
namespace {

using namespace test;

struct Valid {
    AlignedBuffer buffer;
    std::unique_ptr<Producer> producer;
    RegionHeader header{};
    explicit Valid(ProducerConfig config = small_config()) : buffer(region_for(config)) {
        producer = std::move(Producer::create(buffer.span(), config)).value();
        header = copy_out(*reinterpret_cast<RegionHeader*>(buffer.data()));
    }
};

TEST(ValidateHeader, ProducerHeaderIsValid) {
    Valid v;
    auto layout = validate_header(v.header, v.buffer.size());
    ASSERT_TRUE(layout);
    EXPECT_EQ(layout->buffer_count, 3u);
    EXPECT_EQ(layout->buffer_offset, v.producer->layout().buffer_offset);
}

// Every header field the consumer relies on, broken one at a time, is rejected with its error.
TEST(ValidateHeader, EveryFieldRejected) {
    Valid v;
    struct Case {
        const char* name;
        std::function<void(RegionHeader&)> mutate;
        Error error;
    };
    const uint64_t size = v.buffer.size();
    const Case cases[] = {
        {"magic", [](RegionHeader& h) { h.magic ^= 1; }, Error::NoProducer},
        {"major", [](RegionHeader& h) { h.version_major = 2; }, Error::VersionMismatch},
        {"required", [](RegionHeader& h) { h.required_features = 1; }, Error::UnsupportedFeature},
        {"header_size", [](RegionHeader& h) { h.header_size = 64; }, Error::BadHeader},
        {"session 0", [](RegionHeader& h) { h.session_id = 0; }, Error::BadHeader},
        {"producer state", [](RegionHeader& h) { h.producer_state = 3; }, Error::BadHeader},
        {"heartbeat 0", [](RegionHeader& h) { h.heartbeat_period_ms = 0; }, Error::BadHeader},
        {"heartbeat huge", [](RegionHeader& h) { h.heartbeat_period_ms = 60000; },
         Error::BadHeader},
        {"ring_count", [](RegionHeader& h) { h.ring_count = 17; }, Error::BadHeader},
        {"record size", [](RegionHeader& h) { h.frame_record_size = 8; }, Error::BadHeader},
        {"buffers 0", [](RegionHeader& h) { h.buffer_count = 0; }, Error::BadHeader},
        {"buffers 9", [](RegionHeader& h) { h.buffer_count = 9; }, Error::BadHeader},
        {"bufdesc size", [](RegionHeader& h) { h.bufdesc_size = 32; }, Error::BadHeader},
        {"consumers 0", [](RegionHeader& h) { h.consumer_count = 0; }, Error::BadHeader},
        {"consumers 17", [](RegionHeader& h) { h.consumer_count = 17; }, Error::BadHeader},
        {"slot size", [](RegionHeader& h) { h.consumer_slot_size = 128; }, Error::BadHeader},
        {"shape count", [](RegionHeader& h) { h.shape_count = 3; }, Error::BadHeader},
        {"cursor dim", [](RegionHeader& h) { h.cursor_max_dim = 4096; }, Error::BadHeader},
        {"shape capacity", [](RegionHeader& h) { h.shape_data_capacity = 4096; }, Error::BadHeader},
        {"capacity 0", [](RegionHeader& h) { h.buffer_capacity = 0; }, Error::BadHeader},
        {"region > mapping", [size](RegionHeader& h) { h.region_size = size + 4096; },
         Error::RegionTooSmall},
        {"capacity huge", [](RegionHeader& h) { h.buffer_capacity = UINT64_MAX / 2 + 4096; },
         Error::BadLayout},
        {"capacity unaligned", [](RegionHeader& h) { h.buffer_capacity += 64; }, Error::BadLayout},
        {"ring outside", [size](RegionHeader& h) { h.ring_offset = size; }, Error::BadLayout},
        {"ring unaligned", [](RegionHeader& h) { h.ring_offset += 8; }, Error::BadLayout},
        {"ring in header", [](RegionHeader& h) { h.ring_offset = 0; }, Error::BadLayout},
        {"bufdesc overlaps ring", [](RegionHeader& h) { h.bufdesc_offset = h.ring_offset; },
         Error::BadLayout},
        {"consumers wrap", [](RegionHeader& h) { h.consumer_offset = UINT64_MAX - 63; },
         Error::BadLayout},
        {"cursor on slots", [](RegionHeader& h) { h.cursor_offset = h.consumer_offset; },
         Error::BadLayout},
        {"shape desc on cursor", [](RegionHeader& h) { h.shape_desc_offset = h.cursor_offset; },
         Error::BadLayout},
        {"shape data unaligned", [](RegionHeader& h) { h.shape_data_offset += 64; },
         Error::BadLayout},
        {"buffers past end", [](RegionHeader& h) { h.buffer_offset += 4096; }, Error::BadLayout},
        {"buffers on shapes", [](RegionHeader& h) { h.buffer_offset = h.shape_data_offset; },
         Error::BadLayout},
    };
    for (const Case& c : cases) {
        RegionHeader h = v.header;
        c.mutate(h);
        const char* why = nullptr;
        auto result = validate_header(h, size, &why);
        ASSERT_FALSE(result) << c.name;
        EXPECT_EQ(result.error(), c.error) << c.name << ": " << why;
        EXPECT_NE(why, nullptr) << c.name;
    }
}

TEST(ValidateHeader, MappingSmallerThanRegion) {
    Valid v;
    EXPECT_EQ(validate_header(v.header, v.buffer.size() - 4096).error(), Error::RegionTooSmall);
}

FrameRecord valid_record(const Layout& layout) {
    FrameRecord r{};
    r.seq = 2;
    r.serial = 7;
    r.buffer_index = layout.buffer_count - 1;
    r.format = static_cast<uint32_t>(Format::BGRA8);
    r.width = W;
    r.height = H;
    r.stride = W * 4;
    r.damage_count = 2;
    r.damage[0] = Rect{0, 0, W, 1};
    r.damage[1] = Rect{W - 1, H - 1, 1, 1};
    return r;
}

TEST(ValidateFrame, EveryFieldRejected) {
    Valid v;
    const Layout layout = v.producer->layout();
    ASSERT_TRUE(validate_frame_record(valid_record(layout), 7, layout));
    struct Case {
        const char* name;
        std::function<void(FrameRecord&)> mutate;
        Error error;
    };
    const Case cases[] = {
        {"odd seq", [](FrameRecord& r) { r.seq = 3; }, Error::TornRecord},
        {"serial", [](FrameRecord& r) { r.serial = 8; }, Error::StaleRecord},
        {"buffer index", [&](FrameRecord& r) { r.buffer_index = layout.buffer_count; },
         Error::InvalidFrame},
        {"format 0", [](FrameRecord& r) { r.format = 0; }, Error::InvalidFrame},
        {"format 99", [](FrameRecord& r) { r.format = 99; }, Error::InvalidFrame},
        {"width 0", [](FrameRecord& r) { r.width = 0; }, Error::InvalidFrame},
        {"height huge", [](FrameRecord& r) { r.height = MAX_DIMENSION + 1; }, Error::InvalidFrame},
        {"stride short", [](FrameRecord& r) { r.stride = W * 4 - 4; }, Error::InvalidFrame},
        {"stride odd", [](FrameRecord& r) { r.stride = W * 4 + 2; }, Error::InvalidFrame},
        {"too big for buffer",
         [&](FrameRecord& r) {
             r.stride = static_cast<uint32_t>(layout.buffer_capacity / H + 4) & ~3u;
         },
         Error::InvalidFrame},
        {"stride overflow",
         [](FrameRecord& r) {
             r.stride = 0xFFFFFFFCu;
             r.height = MAX_DIMENSION;
         },
         Error::InvalidFrame},
        {"flags", [](FrameRecord& r) { r.flags = 1u << 7; }, Error::InvalidFrame},
        {"checksum flag without sum", [](FrameRecord& r) { r.flags = FRAME_FLAG_CHECKSUM; },
         Error::InvalidFrame},
        {"damage count", [](FrameRecord& r) { r.damage_count = MAX_DAMAGE_RECTS + 1; },
         Error::InvalidFrame},
        {"damage empty", [](FrameRecord& r) { r.damage[1].width = 0; }, Error::InvalidFrame},
        {"damage right", [](FrameRecord& r) { r.damage[1].x = W; }, Error::InvalidFrame},
        {"damage bottom", [](FrameRecord& r) { r.damage[0].height = H + 1; }, Error::InvalidFrame},
        {"damage wraps",
         [](FrameRecord& r) {
             r.damage[0].x = 0xFFFFFFF0u;
             r.damage[0].width = 32;
         },
         Error::InvalidFrame},
    };
    for (const Case& c : cases) {
        FrameRecord r = valid_record(layout);
        c.mutate(r);
        auto result = validate_frame_record(r, 7, layout);
        ASSERT_FALSE(result) << c.name;
        EXPECT_EQ(result.error(), c.error) << c.name;
    }
    FrameRecord full = valid_record(layout);
    full.flags = FRAME_FLAG_FULL_DAMAGE;
    full.damage_count = 0;
    auto info = validate_frame_record(full, 7, layout);
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->damage.is_full());
}

TEST(ValidateCursor, StateAndShape) {
    Valid v;
    const Layout layout = v.producer->layout();
    CursorState c{};
    c.x = -5;
    c.y = 10;
    c.flags = CURSOR_FLAG_VISIBLE;
    c.shape_slot = 1;
    ASSERT_TRUE(validate_cursor_state(c));
    CursorState bad = c;
    bad.seq = 1;
    EXPECT_EQ(validate_cursor_state(bad).error(), Error::TornRecord);
    bad = c;
    bad.shape_slot = 2;
    EXPECT_EQ(validate_cursor_state(bad).error(), Error::InvalidCursor);
    bad = c;
    bad.flags = 2;
    EXPECT_EQ(validate_cursor_state(bad).error(), Error::InvalidCursor);
    bad = c;
    bad.x = INT32_MIN;
    EXPECT_EQ(validate_cursor_state(bad).error(), Error::InvalidCursor);

    CursorShapeDesc s{};
    s.width = 32;
    s.height = 32;
    s.hotspot_x = 31;
    s.hotspot_y = 0;
    s.stride = 128;
    s.format = static_cast<uint32_t>(Format::BGRA8);
    ASSERT_TRUE(validate_shape_desc(s, layout));
    const std::function<void(CursorShapeDesc&)> breakers[] = {
        [](CursorShapeDesc& d) { d.width = 0; },
        [&](CursorShapeDesc& d) { d.height = layout.cursor_max_dim + 1; },
        [](CursorShapeDesc& d) { d.hotspot_x = 32; },
        [](CursorShapeDesc& d) { d.hotspot_y = 40; },
        [](CursorShapeDesc& d) { d.stride = 124; },
        [](CursorShapeDesc& d) { d.stride = 132; },  // not a multiple of 8
        [&](CursorShapeDesc& d) {
            d.stride = static_cast<uint32_t>(layout.shape_data_capacity / 16);
        },
        [](CursorShapeDesc& d) { d.format = static_cast<uint32_t>(Format::RGBA16F); },
        [](CursorShapeDesc& d) { d.flags = 4; },
    };
    for (const auto& b : breakers) {
        CursorShapeDesc d = s;
        b(d);
        EXPECT_EQ(validate_shape_desc(d, layout).error(), Error::InvalidCursor);
    }
}

TEST(ValidateMessage, TypesAndRanges) {
    EXPECT_TRUE(validate_message(Message{1, static_cast<uint32_t>(-3), 5, 0}));
    EXPECT_EQ(validate_message(Message{1, 0x7FFFFFFF, 5, 0}).error(), Error::InvalidMessage);
    EXPECT_TRUE(validate_message(Message{2, 0, 0, 0}));
    auto size = validate_message(Message{3, 1920, 1080, 0});
    ASSERT_TRUE(size);
    EXPECT_EQ(size->width, 1920u);
    EXPECT_EQ(validate_message(Message{3, 0, 1080, 0}).error(), Error::InvalidMessage);
    EXPECT_EQ(validate_message(Message{3, 1920, 20000, 0}).error(), Error::InvalidMessage);
    EXPECT_EQ(validate_message(Message{0, 0, 0, 0}).error(), Error::InvalidMessage);
    EXPECT_EQ(validate_message(Message{77, 0, 0, 0}).error(), Error::InvalidMessage);
}

}  // namespace
}  // namespace periscope::protocol
