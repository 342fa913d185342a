// The cursor channel: positions independent of frames, shapes with hotspot up to 256x256.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "fixture.h"
#include "protocol/shm_word.h"

namespace periscope::protocol {
namespace {

using namespace test;

std::vector<std::byte> cursor_pixels(uint32_t w, uint32_t h, uint32_t seed) {
    std::vector<std::byte> p(size_t{w} * h * 4);
    for (size_t i = 0; i < p.size(); ++i) {
        p[i] = static_cast<std::byte>((i * 31 + seed) & 0xFF);
    }
    return p;
}

struct Rig {
    ProducerConfig config;
    AlignedBuffer buffer;
    std::unique_ptr<Producer> producer;
    explicit Rig(uint32_t max_dim) : config(make(max_dim)), buffer(region_for(config)) {
        producer = std::move(Producer::create(buffer.span(), config)).value();
    }
    static ProducerConfig make(uint32_t max_dim) {
        ProducerConfig c = small_config();
        c.cursor_max_dim = max_dim;
        return c;
    }
};

TEST(Cursor, PositionUpdatesWithoutFrames) {
    Rig rig(64);
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(monotonic_ns()), ConsumerState::Attached);
    EXPECT_FALSE(consumer.cursor_changed());
    for (int i = 0; i < 100; ++i) {
        rig.producer->set_cursor_position(i * 3, -i, i % 2 == 0, static_cast<uint64_t>(i));
        ASSERT_TRUE(consumer.cursor_changed());
        auto p = consumer.read_cursor();
        ASSERT_TRUE(p);
        EXPECT_EQ(p->x, i * 3);
        EXPECT_EQ(p->y, -i);
        EXPECT_EQ(p->visible, i % 2 == 0);
        EXPECT_FALSE(consumer.cursor_changed());
    }
    EXPECT_FALSE(consumer.has_new_frame()) << "cursor updates never post frames";
}

TEST(Cursor, ShapesUpTo256WithHotspotAlternateSlots) {
    Rig rig(256);
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(monotonic_ns()), ConsumerState::Attached);
    const struct {
        uint32_t w, h, hx, hy;
    } shapes[] = {{256, 256, 255, 0}, {32, 32, 5, 6}, {1, 1, 0, 0}, {17, 255, 16, 254}};
    uint32_t previous_slot = 99;
    for (uint32_t i = 0; i < 4; ++i) {
        const auto& s = shapes[i];
        const auto pixels = cursor_pixels(s.w, s.h, i);
        CursorImage image;
        image.width = s.w;
        image.height = s.h;
        image.hotspot_x = s.hx;
        image.hotspot_y = s.hy;
        image.format = Format::RGBA8;
        image.premultiplied = i % 2 == 1;
        image.pixels = pixels.data();
        image.stride = s.w * 4;
        ASSERT_TRUE(rig.producer->set_cursor_shape(image));
        auto position = consumer.read_cursor();
        ASSERT_TRUE(position);
        EXPECT_EQ(position->shape_serial, i + 1);
        EXPECT_NE(position->shape_slot, previous_slot);
        previous_slot = position->shape_slot;
        auto shape = consumer.read_cursor_shape(*position);
        ASSERT_TRUE(shape) << to_string(shape.error());
        EXPECT_EQ(shape->info.width, s.w);
        EXPECT_EQ(shape->info.height, s.h);
        EXPECT_EQ(shape->info.hotspot_x, s.hx);
        EXPECT_EQ(shape->info.hotspot_y, s.hy);
        EXPECT_EQ(shape->info.format, Format::RGBA8);
        EXPECT_EQ(shape->info.premultiplied, i % 2 == 1);
        EXPECT_EQ(shape->pixels, pixels);
    }
}

TEST(Cursor, InvalidShapesRefusedByProducer) {
    Rig rig(64);
    const auto pixels = cursor_pixels(65, 65, 0);
    CursorImage image;
    image.width = 65;
    image.height = 10;
    image.pixels = pixels.data();
    image.stride = 65 * 4;
    EXPECT_EQ(rig.producer->set_cursor_shape(image).error(), Error::InvalidArgument);
    image.width = 10;
    image.hotspot_x = 10;
    EXPECT_EQ(rig.producer->set_cursor_shape(image).error(), Error::InvalidArgument);
}

TEST(Cursor, HostileShapeDescriptorIsAnErrorNotACrash) {
    Rig rig(64);
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(monotonic_ns()), ConsumerState::Attached);
    const auto pixels = cursor_pixels(8, 8, 0);
    CursorImage image;
    image.width = 8;
    image.height = 8;
    image.pixels = pixels.data();
    image.stride = 32;
    ASSERT_TRUE(rig.producer->set_cursor_shape(image));
    auto position = consumer.read_cursor();
    ASSERT_TRUE(position);
    auto& desc = reinterpret_cast<CursorShapeDesc*>(
        rig.buffer.data() + rig.producer->layout().shape_desc_offset)[position->shape_slot];
    store(desc.height, uint32_t{100000}, std::memory_order_relaxed);
    EXPECT_EQ(consumer.read_cursor_shape(*position).error(), Error::InvalidCursor);
    store(desc.height, uint32_t{8}, std::memory_order_relaxed);
    store(desc.seq, uint64_t{5});  // a writer that never finishes
    EXPECT_EQ(consumer.read_cursor_shape(*position).error(), Error::TornRecord);
}

}  // namespace
}  // namespace periscope::protocol
