// One producer and four consumer threads hammer one region for PERISCOPE_STRESS_SECONDS (default
// 10). Every frame a consumer accepts is hashed and compared with the checksum the producer stored:
// an accepted frame is never torn. Consumers are slow at random, re-join at random, and read rows
// while they are being written. Run under the tsan preset too.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/hash.h"
#include "protocol/consumer.h"
#include "protocol/producer.h"
#include "protocol/shm_word.h"
#include "support/aligned_buffer.h"
#include "support/pattern.h"

#if defined(__SANITIZE_THREAD__)
#define PERISCOPE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PERISCOPE_TSAN 1
#endif
#endif

namespace periscope::protocol {
namespace {

using periscope::test::AlignedBuffer;
using periscope::test::Image;
using periscope::test::make_image;
using periscope::test::next_u32;
using periscope::test::paint;

constexpr uint32_t W = 256;
constexpr uint32_t H = 160;

double stress_seconds(double fallback) {
    const char* env = std::getenv("PERISCOPE_STRESS_SECONDS");
    return env != nullptr ? std::atof(env) : fallback;
}

// Errors that mean the region held something invalid. Contention outcomes are not among them: a
// stolen frame, or a seqlocked record still changing after the bounded retries (a reader preempted
// mid-copy on an oversubscribed machine), are "try the next one", by design.
uint64_t invalid_data_errors(const ConsumerStats& stats) {
    return stats.total_errors() - stats.error_count(Error::FrameStolen) -
           stats.error_count(Error::TornRecord);
}

struct ConsumerResult {
    uint64_t accepted = 0;
    uint64_t verified = 0;
    uint64_t mismatches = 0;
    uint64_t stolen = 0;
    uint64_t rejoins = 0;
    uint64_t errors = 0;
};

struct Outcome {
    std::vector<ConsumerResult> consumers;
    ProducerStats producer;
    uint32_t slots_owned_after = 0;  // consumer slots still owned once every consumer is gone
};

// `churn`: every consumer (not only consumer 3) leaves and joins again at random.
Outcome run_stress(uint32_t buffers, uint32_t consumer_count, double seconds, bool churn = false,
                   bool steal = true) {
    ProducerConfig config;
    config.buffer_count = buffers;
    config.steal_buffers = steal;
    config.expected_frame_bytes = frame_bytes(W, H, Format::BGRA8);
    config.cursor_max_dim = 64;
    config.checksums = true;
    AlignedBuffer region(required_region_size(config.expected_frame_bytes, buffers, 64));
    auto producer = std::move(Producer::create(region.span(), config)).value();
    std::atomic<bool> stop{false};
    Outcome outcome;
    outcome.consumers.resize(consumer_count);

    std::thread producer_thread([&] {
        std::mt19937 rng(1);
        Image image = make_image(W, H, 0);
        DamageList full;
        full.set_full();
        (void)producer->publish(FrameDesc{Format::BGRA8, W, H, monotonic_ns()}, image.pixels.data(),
                                image.stride(), full);
        for (uint64_t frame = 1; !stop.load(std::memory_order_relaxed); ++frame) {
            DamageList damage;
            const uint32_t x = next_u32(rng) % W, y = next_u32(rng) % H;
            const Rect r{x, y, 1 + next_u32(rng) % (W - x), 1 + next_u32(rng) % (H - y)};
            paint(image, r.x, r.y, r.width, r.height, frame);
            damage.add(r);
            if (frame % 50 == 0) {
                damage.set_full();
            }
            (void)producer->publish(FrameDesc{Format::BGRA8, W, H, monotonic_ns()},
                                    image.pixels.data(), image.stride(), damage);
            producer->service(monotonic_ns());
            if (frame % 16 == 0) {
                producer->set_cursor_position(static_cast<int32_t>(x), static_cast<int32_t>(y),
                                              true, monotonic_ns());
            }
        }
    });

    std::vector<std::thread> threads;
    for (uint32_t id = 0; id < consumer_count; ++id) {
        threads.emplace_back([&, id] {
            ConsumerResult& result = outcome.consumers[id];
            std::mt19937 rng(100 + id);
            std::vector<std::byte> copy(size_t{W} * H * 4);
            ConsumerConfig cc;
            cc.kind = ConsumerKind::Test;
            cc.name = "stress-" + std::to_string(id);
            auto consumer = std::make_unique<Consumer>(region.span(), cc);
            while (!stop.load(std::memory_order_relaxed)) {
                consumer->poll(monotonic_ns());
                // Consumer 3 leaves and joins again now and then (joining at any time).
                if ((id == 3 || churn) && next_u32(rng) % (churn ? 40 : 200) == 0) {
                    result.errors += invalid_data_errors(consumer->stats());
                    consumer = std::make_unique<Consumer>(region.span(), cc);
                    ++result.rejoins;
                    continue;
                }
                if (!consumer->wait_new_frame(monotonic_ns() + 20 * NS_PER_MS, PollMode::Busy)) {
                    continue;
                }
                auto info = consumer->acquire();
                if (!info) {
                    continue;
                }
                // Read rows as they land; consumer 1 is slow (sleeps between row batches).
                uint32_t done = 0;
                bool ok = true;
                while (done < H) {
                    auto rows = consumer->wait_rows(done + 1, monotonic_ns() + 2000 * NS_PER_MS);
                    if (!rows) {
                        ok = false;
                        break;
                    }
                    std::memcpy(copy.data() + size_t{done} * W * 4,
                                consumer->frame_data() + size_t{done} * info->stride,
                                size_t{*rows - done} * W * 4);
                    done = *rows;
                    if (id == 1) {
                        std::this_thread::sleep_for(std::chrono::microseconds(next_u32(rng) % 300));
                    }
                }
                if (!ok) {
                    continue;
                }
                auto released = consumer->release();
                if (!released) {
                    result.stolen += released.error() == Error::FrameStolen ? 1 : 0;
                    continue;
                }
                ++result.accepted;
                if (info->checksum != 0) {
                    ++result.verified;
                    if (hash64(copy.data(), copy.size()) != info->checksum) {
                        ++result.mismatches;
                    }
                }
                if (consumer->cursor_changed()) {
                    (void)consumer->read_cursor();
                }
            }
            result.errors += invalid_data_errors(consumer->stats());
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop.store(true);
    producer_thread.join();
    for (auto& t : threads) {
        t.join();
    }
    outcome.producer = producer->stats();
    const auto* slots =
        reinterpret_cast<const ConsumerSlot*>(region.data() + producer->layout().consumer_offset);
    for (uint32_t i = 0; i < producer->layout().consumer_count; ++i) {
        outcome.slots_owned_after += load(slots[i].owner) != 0 ? 1 : 0;
    }
    return outcome;
}

TEST(Stress, FourConsumersNeverAcceptATornFrame) {
    const double seconds = stress_seconds(10);
    // 6 buffers: 4 holds + the newest frame leave one free, so the producer never has to steal.
    const Outcome outcome = run_stress(6, 4, seconds);
    std::printf("producer: %llu frames posted, %llu stolen, %llu dropped\n",
                static_cast<unsigned long long>(outcome.producer.frames_posted),
                static_cast<unsigned long long>(outcome.producer.buffers_stolen),
                static_cast<unsigned long long>(outcome.producer.frames_dropped));
    EXPECT_GT(outcome.producer.frames_posted, 100u);
    EXPECT_EQ(outcome.producer.buffers_stolen, 0u);
    EXPECT_EQ(outcome.producer.frames_dropped, 0u);
    for (size_t i = 0; i < outcome.consumers.size(); ++i) {
        const ConsumerResult& c = outcome.consumers[i];
        std::printf("consumer %zu: %llu accepted, %llu verified, %llu rejoins\n", i,
                    static_cast<unsigned long long>(c.accepted),
                    static_cast<unsigned long long>(c.verified),
                    static_cast<unsigned long long>(c.rejoins));
        EXPECT_GT(c.accepted, 10u) << i;
        EXPECT_EQ(c.verified, c.accepted) << i;
        EXPECT_EQ(c.mismatches, 0u) << "consumer " << i << " accepted a torn frame";
        EXPECT_EQ(c.stolen, 0u) << i;
        EXPECT_EQ(c.errors, 0u) << i;
    }
}

// Two buffers for four consumers: the producer must steal, and still no accepted frame is torn.
// Stealing overwrites pixels a consumer may be reading (detected and discarded by design), which
// ThreadSanitizer rightly calls a race: this variant runs in the other builds.
TEST(Stress, StealingNeverYieldsATornAcceptedFrame) {
#ifdef PERISCOPE_TSAN
    GTEST_SKIP() << "pixel reads race with steals by design; covered by the dev and asan builds";
#endif
    const Outcome outcome = run_stress(2, 4, stress_seconds(10) / 3);
    uint64_t accepted = 0;
    for (const ConsumerResult& c : outcome.consumers) {
        EXPECT_EQ(c.mismatches, 0u);
        EXPECT_EQ(c.verified, c.accepted);
        accepted += c.accepted;
    }
    EXPECT_GT(accepted, 10u);
    std::printf("producer: %llu posted, %llu stolen\n",
                static_cast<unsigned long long>(outcome.producer.frames_posted),
                static_cast<unsigned long long>(outcome.producer.buffers_stolen));
}

// Eight consumers at once, every one of them leaving and joining again at random while it reads.
// With eight holds possible and eight buffers, the producer drops rather than steals when all are
// held, so no pixel is ever overwritten under a reader (and ThreadSanitizer has nothing to excuse).
TEST(Stress, EightConsumersJoiningAndLeaving) {
    const Outcome outcome = run_stress(MAX_BUFFERS, 8, stress_seconds(10) / 2, true, false);
    uint64_t rejoins = 0;
    for (size_t i = 0; i < outcome.consumers.size(); ++i) {
        const ConsumerResult& c = outcome.consumers[i];
        EXPECT_GT(c.accepted, 5u) << i;
        EXPECT_EQ(c.verified, c.accepted) << i;
        EXPECT_EQ(c.mismatches, 0u) << i;
        EXPECT_EQ(c.stolen, 0u) << i;
        EXPECT_EQ(c.errors, 0u) << i;
        rejoins += c.rejoins;
    }
    EXPECT_GT(rejoins, 8u);
    EXPECT_EQ(outcome.slots_owned_after, 0u) << "every consumer that left gave its slot back";
    EXPECT_EQ(outcome.producer.buffers_stolen, 0u);
    std::printf("8 consumers: %llu rejoins, producer posted %llu, dropped %llu\n",
                static_cast<unsigned long long>(rejoins),
                static_cast<unsigned long long>(outcome.producer.frames_posted),
                static_cast<unsigned long long>(outcome.producer.frames_dropped));
}

}  // namespace
}  // namespace periscope::protocol
