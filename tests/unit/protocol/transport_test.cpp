// Frames from producer to consumer in one process: content, formats, post-before-copy, damage,
// holds, stealing and dropping, hostile records.
#include <gtest/gtest.h>

#include <random>

#include "core/clock.h"
#include "core/hash.h"
#include "fixture.h"
#include "protocol/shm_word.h"

namespace periscope::protocol {
namespace {

using namespace test;
using periscope::test::make_image;
using periscope::test::next_u32;
using periscope::test::paint;

struct Rig {
    ProducerConfig config;
    AlignedBuffer buffer;
    std::unique_ptr<Producer> producer;
    uint64_t now = monotonic_ns();
    explicit Rig(ProducerConfig c = small_config()) : config(c), buffer(region_for(c)) {
        producer = std::move(Producer::create(buffer.span(), config)).value();
    }
    std::unique_ptr<Consumer> consumer(const char* name = "test") {
        auto c = std::make_unique<Consumer>(buffer.span(), consumer_config(name));
        EXPECT_EQ(c->poll(now), ConsumerState::Attached);
        return c;
    }
    RegionHeader& header() { return *reinterpret_cast<RegionHeader*>(buffer.data()); }
    FrameRecord& record(uint64_t serial) {
        return reinterpret_cast<FrameRecord*>(buffer.data() +
                                              producer->layout().ring_offset)[serial % RING_COUNT];
    }
    BufferDesc& bufdesc(uint32_t i) {
        return reinterpret_cast<BufferDesc*>(buffer.data() + producer->layout().bufdesc_offset)[i];
    }
};

std::vector<std::byte> read_all(Consumer& c, FrameInfo* info_out = nullptr, uint32_t w = W,
                                uint32_t h = H, uint32_t bpp = 4) {
    std::vector<std::byte> out(size_t{w} * h * bpp);
    auto info = c.read_frame(out.data(), out.size(), w * bpp, monotonic_ns() + 2000 * NS_PER_MS);
    EXPECT_TRUE(info) << to_string(info.error());
    if (info && info_out != nullptr) {
        *info_out = *info;
    }
    return out;
}

TEST(Transport, FullFrameRoundTripWithChecksum) {
    Rig rig;
    auto consumer = rig.consumer();
    const Image image = make_image(W, H, 1);
    FrameDesc d = desc();
    d.timestamp_ns = 12345;
    ASSERT_TRUE(rig.producer->publish(d, image.pixels.data(), image.stride(), full_damage()));
    EXPECT_TRUE(consumer->has_new_frame());
    FrameInfo info;
    EXPECT_EQ(read_all(*consumer, &info), image.pixels);
    EXPECT_EQ(info.serial, 1u);
    EXPECT_EQ(info.timestamp_ns, 12345u);
    EXPECT_EQ(info.width, W);
    EXPECT_EQ(info.height, H);
    EXPECT_EQ(info.stride, W * 4);
    EXPECT_TRUE(info.damage.is_full());
    EXPECT_EQ(info.checksum, hash64(image.pixels.data(), image.pixels.size()));
    EXPECT_FALSE(consumer->has_new_frame());
    EXPECT_EQ(consumer->acquire().error(), Error::NoNewFrame);
    EXPECT_EQ(consumer->stats().frames_accepted, 1u);
}

TEST(Transport, AllFormats) {
    for (Format f :
         {Format::BGRA8, Format::RGBA8, Format::RGB10A2, Format::BGR10A2, Format::RGBA16F}) {
        ProducerConfig config = small_config();
        config.expected_frame_bytes = frame_bytes(W, H, Format::RGBA16F);
        Rig rig(config);
        auto consumer = rig.consumer();
        const uint32_t bpp = bytes_per_pixel(f);
        const Image image = make_image(W, H, 5, bpp);
        ASSERT_TRUE(rig.producer->publish(desc(W, H, f), image.pixels.data(), image.stride(),
                                          full_damage()));
        FrameInfo info;
        EXPECT_EQ(read_all(*consumer, &info, W, H, bpp), image.pixels) << to_string(f);
        EXPECT_EQ(info.format, f);
        EXPECT_EQ(info.stride, W * bpp);
    }
}

TEST(Transport, RegionTooSmallForTwoBuffersIsRefused) {
    ProducerConfig config = small_config(0);
    AlignedBuffer buffer(required_region_size(config.expected_frame_bytes, 2, 64) - 4096);
    const char* why = nullptr;
    auto producer = Producer::create(buffer.span(), config, &why);
    ASSERT_FALSE(producer);
    EXPECT_EQ(producer.error(), Error::RegionTooSmall);
    EXPECT_NE(why, nullptr);
    // Automatic buffer count: as many as fit, up to four.
    AlignedBuffer roomy(required_region_size(config.expected_frame_bytes, 6, 64));
    auto four = Producer::create(roomy.span(), config);
    ASSERT_TRUE(four);
    EXPECT_EQ((*four)->layout().buffer_count, 4u);
}

TEST(Transport, FrameTooLargeForBuffers) {
    Rig rig;
    auto consumer = rig.consumer();
    EXPECT_FALSE(consumer->refused_frame());
    const Image image = make_image(W * 4, H * 4, 1);
    EXPECT_EQ(rig.producer
                  ->publish(desc(W * 4, H * 4), image.pixels.data(), image.stride(), full_damage())
                  .error(),
              Error::FrameTooLarge);
    // The consumer learns what did not fit, so the viewer can name the size the region needs.
    auto refused = consumer->refused_frame();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->width, W * 4);
    EXPECT_EQ(refused->height, H * 4);
    EXPECT_EQ(refused->format, Format::BGRA8);
    EXPECT_EQ(refused->bytes, uint64_t{W} * 4 * 4 * H * 4);
    // A frame that fits clears it.
    const Image fits = make_image(W, H, 2);
    ASSERT_TRUE(rig.producer->publish(desc(), fits.pixels.data(), fits.stride(), full_damage()));
    EXPECT_FALSE(consumer->refused_frame());
}

// The refused_* fields are written without a lock and by an untrusted guest: fields that do not
// agree with each other are ignored.
TEST(Transport, RefusedFrameFieldsThatDisagreeAreIgnored) {
    Rig rig;
    auto consumer = rig.consumer();
    RegionHeader& h = rig.header();
    h.refused_width = 1920;
    h.refused_height = 1080;
    h.refused_format = static_cast<uint32_t>(Format::BGRA8);
    h.refused_frame_bytes = 1920ull * 1080 * 4;
    ASSERT_TRUE(consumer->refused_frame());
    h.refused_frame_bytes = 1920ull * 1080 * 4 + 1;  // torn or hostile
    EXPECT_FALSE(consumer->refused_frame());
    h.refused_frame_bytes = 1920ull * 1080 * 4;
    h.refused_format = 99;
    EXPECT_FALSE(consumer->refused_frame());
    h.refused_format = static_cast<uint32_t>(Format::BGRA8);
    h.refused_width = MAX_DIMENSION + 1;
    h.refused_frame_bytes = uint64_t{MAX_DIMENSION + 1} * 1080 * 4;
    EXPECT_FALSE(consumer->refused_frame());
}

// The frame is announced before its pixels; the consumer sees rows as the write pointer advances.
TEST(Transport, PostBeforeCopy) {
    Rig rig;
    auto consumer = rig.consumer();
    const Image image = make_image(W, H, 3);
    auto target = rig.producer->begin_frame(desc(), full_damage());
    ASSERT_TRUE(target);
    ASSERT_EQ(target->to_copy.rects().size(), 1u);
    EXPECT_EQ(target->to_copy.rects()[0], (Rect{0, 0, W, H}));

    auto info = consumer->acquire();
    ASSERT_TRUE(info) << "the frame is visible before any pixel is written";
    EXPECT_EQ(*consumer->rows_ready(), 0u);

    std::memcpy(target->data, image.pixels.data(), size_t{10} * image.stride());
    rig.producer->rows_done(10);
    EXPECT_EQ(*consumer->rows_ready(), 10u);
    EXPECT_EQ(std::memcmp(consumer->frame_data(), image.pixels.data(), 10 * image.stride()), 0);
    EXPECT_EQ(consumer->release().error(), Error::Incomplete) << "released before complete";

    std::memcpy(target->data, image.pixels.data(), image.pixels.size());
    rig.producer->end_frame();
    // Released early, the frame counts as taken; the next frame is complete and accepted.
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), {}));
    EXPECT_EQ(read_all(*consumer), image.pixels);
}

// Every buffer stays a complete image, and only stale bytes are copied.
TEST(Transport, PerBufferDamageCopiesOnlyStaleArea) {
    Rig rig;
    auto consumer = rig.consumer();
    Image image = make_image(W, H, 0);
    for (int i = 0; i < 3; ++i) {  // first use of each buffer: all of it is stale
        ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(),
                                          i == 0 ? full_damage() : DamageList{}));
    }
    const Rect r1{0, 0, 8, 8}, r2{20, 20, 4, 4}, r3{40, 30, 10, 2};
    paint(image, r1.x, r1.y, r1.width, r1.height, 1);
    ASSERT_TRUE(
        rig.producer->publish(desc(), image.pixels.data(), image.stride(), damage_of({r1})));
    paint(image, r2.x, r2.y, r2.width, r2.height, 2);
    ASSERT_TRUE(
        rig.producer->publish(desc(), image.pixels.data(), image.stride(), damage_of({r2})));
    paint(image, r3.x, r3.y, r3.width, r3.height, 3);
    const uint64_t before = rig.producer->stats().bytes_copied;
    ASSERT_TRUE(
        rig.producer->publish(desc(), image.pixels.data(), image.stride(), damage_of({r3})));
    // Newest-first: frame 6 reuses the buffer of frame 4 (not the latest, frame 5's), which
    // missed only frame 5: r2 + r3, nothing more.
    EXPECT_EQ(rig.producer->stats().bytes_copied - before, (area(r2) + area(r3)) * 4);
    FrameInfo info;
    EXPECT_EQ(read_all(*consumer, &info), image.pixels);
    EXPECT_EQ(info.serial, 6u);
}

// Random damage over many frames, consumer taking some and skipping others: every frame read
// equals the producer's source image at that frame.
TEST(Transport, RandomDamageAlwaysYieldsCompleteImages) {
    Rig rig;
    auto consumer = rig.consumer();
    std::mt19937 rng(42);
    Image image = make_image(W, H, 0);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    for (uint64_t frame = 1; frame < 300; ++frame) {
        DamageList damage;
        const int rects = static_cast<int>(next_u32(rng) % 4);
        for (int k = 0; k < rects; ++k) {
            const uint32_t x = next_u32(rng) % W, y = next_u32(rng) % H;
            const Rect r{x, y, 1 + next_u32(rng) % (W - x), 1 + next_u32(rng) % (H - y)};
            paint(image, r.x, r.y, r.width, r.height, frame);
            damage.add(r);
        }
        ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), damage));
        if (next_u32(rng) % 3 == 0) {
            FrameInfo info;
            ASSERT_EQ(read_all(*consumer, &info), image.pixels) << "frame " << frame;
            ASSERT_EQ(info.checksum, hash64(image.pixels.data(), image.pixels.size()));
        }
    }
    EXPECT_EQ(consumer->stats().total_errors(), 0u);
}

// The damage a consumer gets is everything since the frame it last accepted.
TEST(Transport, DamageSinceLastAcceptedSpansSkippedFrames) {
    Rig rig;
    auto consumer = rig.consumer();
    const Image image = make_image(W, H, 0);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    read_all(*consumer);
    const Rect a{0, 0, 4, 4}, b{30, 30, 4, 4}, c{60, 40, 4, 4};
    for (const Rect& r : {a, b, c}) {
        ASSERT_TRUE(
            rig.producer->publish(desc(), image.pixels.data(), image.stride(), damage_of({r})));
    }
    auto info = consumer->acquire();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->serial, 4u) << "a slow consumer skips to the newest frame";
    ASSERT_FALSE(info->damage.is_full());
    for (const Rect& r : {a, b, c}) {
        bool found = false;
        for (const Rect& d : info->damage.rects()) {
            found = found || contains(d, r);
        }
        EXPECT_TRUE(found) << r.x << "," << r.y;
    }
    ASSERT_TRUE(consumer->wait_rows(H, monotonic_ns() + NS_PER_MS * 1000));
    ASSERT_TRUE(consumer->release());
    // More than the ring remembers: full damage.
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(
            rig.producer->publish(desc(), image.pixels.data(), image.stride(), damage_of({a})));
    }
    auto late = consumer->acquire();
    ASSERT_TRUE(late);
    EXPECT_TRUE(late->damage.is_full());
}

TEST(Transport, HeldBufferIsNeverReused) {
    Rig rig;
    auto reader = rig.consumer("slow");
    const Image image = make_image(W, H, 1);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    auto held = reader->acquire();
    ASSERT_TRUE(held);
    const Image other = make_image(W, H, 2);
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(
            rig.producer->publish(desc(), other.pixels.data(), other.stride(), full_damage()));
        EXPECT_EQ(load(rig.bufdesc(held->buffer_index).frame_serial), held->serial);
    }
    ASSERT_TRUE(reader->wait_rows(H, monotonic_ns() + NS_PER_MS * 1000));
    EXPECT_EQ(std::memcmp(reader->frame_data(), image.pixels.data(), image.pixels.size()), 0);
    EXPECT_TRUE(reader->release());
    EXPECT_EQ(rig.producer->stats().buffers_stolen, 0u);
}

// Two buffers, two consumers holding both: the producer steals the older one rather than wait, and
// the consumer that held it learns its frame is void.
TEST(Transport, StealsWhenEveryBufferIsHeld) {
    Rig rig(small_config(2));
    auto a = rig.consumer("a");
    auto b = rig.consumer("b");
    const Image image = make_image(W, H, 1);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    ASSERT_TRUE(a->acquire());
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), {}));
    ASSERT_TRUE(b->acquire());
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), {}));
    EXPECT_EQ(rig.producer->stats().buffers_stolen, 1u);
    EXPECT_EQ(a->release().error(), Error::FrameStolen);
    ASSERT_TRUE(b->wait_rows(H, monotonic_ns() + NS_PER_MS * 1000));
    EXPECT_TRUE(b->release());
    EXPECT_EQ(read_all(*a), image.pixels) << "after a steal the consumer takes the newest frame";
}

TEST(Transport, DropsInsteadOfStealingWhenConfigured) {
    ProducerConfig config = small_config(2);
    config.steal_buffers = false;
    Rig rig(config);
    auto a = rig.consumer("a");
    auto b = rig.consumer("b");
    Image image = make_image(W, H, 1);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    ASSERT_TRUE(a->acquire());
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), {}));
    ASSERT_TRUE(b->acquire());
    const Rect r{5, 5, 10, 10};
    paint(image, r.x, r.y, r.width, r.height, 9);
    EXPECT_EQ(
        rig.producer->publish(desc(), image.pixels.data(), image.stride(), damage_of({r})).error(),
        Error::NoBuffer);
    EXPECT_EQ(rig.producer->stats().frames_dropped, 1u);
    ASSERT_TRUE(a->wait_rows(H, monotonic_ns() + NS_PER_MS * 1000));
    EXPECT_TRUE(a->release());
    // The next post carries the dropped frame's damage and content.
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), {}));
    FrameInfo info;
    EXPECT_EQ(read_all(*a, &info), image.pixels);
}

TEST(Transport, HostileRecordIsSkippedAndCounted) {
    Rig rig;
    auto consumer = rig.consumer();
    const Image image = make_image(W, H, 1);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    store(rig.record(1).width, MAX_DIMENSION * 2, std::memory_order_relaxed);
    EXPECT_EQ(consumer->acquire().error(), Error::InvalidFrame);
    EXPECT_EQ(consumer->stats().error_count(Error::InvalidFrame), 1u);
    EXPECT_EQ(consumer->acquire().error(), Error::NoNewFrame) << "the bad frame is skipped once";
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), {}));
    EXPECT_EQ(read_all(*consumer), image.pixels);

    // A write pointer past the frame is an error, not an out-of-bounds read.
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), {}));
    auto info = consumer->acquire();
    ASSERT_TRUE(info);
    store(rig.bufdesc(info->buffer_index).rows_ready, H + 1);
    EXPECT_EQ(consumer->rows_ready().error(), Error::RowsInvalid);
    // Records that never settle (odd seq) give an error after bounded retries.
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), {}));
    store(rig.record(4).seq, uint64_t{99});
    EXPECT_EQ(consumer->acquire().error(), Error::TornRecord);
}

TEST(Transport, ReadFrameRejectsSmallDestination) {
    Rig rig;
    auto consumer = rig.consumer();
    const Image image = make_image(W, H, 1);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    std::vector<std::byte> small(100);
    EXPECT_EQ(consumer->read_frame(small.data(), small.size(), W * 4, monotonic_ns()).error(),
              Error::InvalidArgument);
    EXPECT_EQ(read_all(*consumer), image.pixels) << "the frame is still there to take";
}

TEST(Transport, WaitRowsTimesOutOnAStalledFrame) {
    Rig rig;
    auto consumer = rig.consumer();
    ASSERT_TRUE(rig.producer->begin_frame(desc(), full_damage()));
    ASSERT_TRUE(consumer->acquire());
    const uint64_t start = monotonic_ns();
    EXPECT_EQ(consumer->wait_rows(H, start + 50 * NS_PER_MS).error(), Error::Timeout);
    EXPECT_LT(monotonic_ns() - start, 1000 * NS_PER_MS);
}

}  // namespace
}  // namespace periscope::protocol
