// Sessions and liveness: attach, heartbeat loss and recovery, restart, stop, eviction, many
// consumers, garbage regions. Time is passed in explicitly, so these tests do not sleep.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/clock.h"
#include "fixture.h"
#include "protocol/shm_word.h"

namespace periscope::protocol {
namespace {

using namespace test;
using periscope::test::make_image;

constexpr uint64_t MS = NS_PER_MS;

struct Rig {
    ProducerConfig config = small_config();
    AlignedBuffer buffer{region_for(small_config())};
    std::unique_ptr<Producer> producer;
    uint64_t t0 = monotonic_ns();
    void start() { producer = std::move(Producer::create(buffer.span(), config)).value(); }
    Rig() { start(); }
    ConsumerSlot& slot(int i) {
        return reinterpret_cast<ConsumerSlot*>(buffer.data() +
                                               producer->layout().consumer_offset)[i];
    }
};

TEST(Session, ZeroedRegionWaitsForAProducer) {
    AlignedBuffer buffer(1 << 20);
    Consumer consumer(buffer.span(), consumer_config());
    EXPECT_EQ(consumer.poll(monotonic_ns()), ConsumerState::Waiting);
    EXPECT_EQ(consumer.last_error(), Error::NoProducer);
    EXPECT_EQ(consumer.acquire().error(), Error::NotAttached);
    EXPECT_FALSE(consumer.has_new_frame());
}

TEST(Session, RegionSmallerThanAHeader) {
    AlignedBuffer buffer(1000);
    Consumer consumer(buffer.span(), consumer_config());
    EXPECT_EQ(consumer.poll(monotonic_ns()), ConsumerState::Waiting);
    EXPECT_EQ(consumer.last_error(), Error::RegionTooSmall);
}

TEST(Session, GarbageRegionsNeverAttach) {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 200; ++round) {
        AlignedBuffer buffer(64 * 1024);
        auto* words = reinterpret_cast<uint64_t*>(buffer.data());
        for (size_t i = 0; i < buffer.size() / 8; ++i) {
            words[i] = rng();
        }
        if (round % 2 == 0) {
            words[0] = MAGIC;  // a plausible start, garbage after it
        }
        Consumer consumer(buffer.span(), consumer_config());
        EXPECT_EQ(consumer.poll(monotonic_ns()), ConsumerState::Waiting);
        EXPECT_EQ(consumer.acquire().error(), Error::NotAttached);
    }
}

// Found by fuzz_consumer: a zero session id once looked like "the stopped session" (also 0) and
// left the consumer silently waiting with the wrong reason.
TEST(Session, ZeroSessionIdIsAnInvalidHeader) {
    Rig rig;
    auto& header = *reinterpret_cast<RegionHeader*>(rig.buffer.data());
    store(header.session_id, uint64_t{0});
    Consumer consumer(rig.buffer.span(), consumer_config());
    EXPECT_EQ(consumer.poll(rig.t0), ConsumerState::Waiting);
    EXPECT_EQ(consumer.last_error(), Error::BadHeader);
    EXPECT_EQ(consumer.stats().error_count(Error::BadHeader), 1u);
}

TEST(Session, HeartbeatLossAndRecovery) {
    Rig rig;
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(rig.t0), ConsumerState::Attached);
    // The producer keeps its heartbeat: attached for as long as we like.
    for (uint64_t t = 0; t <= 2000; t += 50) {
        rig.producer->service(rig.t0 + t * MS);
        ASSERT_EQ(consumer.poll(rig.t0 + t * MS), ConsumerState::Attached) << t;
    }
    // It stops (killed): lost once agent_timeout passes on the consumer's clock.
    const uint64_t stop = rig.t0 + 2000 * MS;
    EXPECT_EQ(consumer.poll(stop + 400 * MS), ConsumerState::Attached);
    EXPECT_EQ(consumer.poll(stop + 600 * MS), ConsumerState::Lost);
    EXPECT_EQ(consumer.stats().agent_lost, 1u);
    // It resumes (a paused VM): attached again, same session.
    rig.producer->service(stop + 700 * MS);
    EXPECT_EQ(consumer.poll(stop + 700 * MS), ConsumerState::Attached);
    EXPECT_EQ(consumer.stats().sessions, 1u);
}

TEST(Session, AbandonedConsumerNeverWritesTheRegionAgain) {
    Rig rig;
    auto consumer = std::make_unique<Consumer>(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer->poll(rig.t0), ConsumerState::Attached);
    ASSERT_TRUE(consumer->has_slot());
    const int slot = consumer->slot_index();
    const Image image = make_image(W, H, 0);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    ASSERT_TRUE(consumer->acquire());  // holds a buffer
    const std::vector<std::byte> before(rig.buffer.data(), rig.buffer.data() + rig.buffer.size());
    consumer->abandon();  // as if the file had shrunk under the mapping
    EXPECT_EQ(consumer->poll(rig.t0 + 10 * MS), ConsumerState::Waiting);
    EXPECT_FALSE(consumer->has_new_frame());
    consumer.reset();
    // Slot, hold and everything else untouched: the producer evicts the slot by its heartbeat.
    EXPECT_EQ(std::memcmp(before.data(), rig.buffer.data(), before.size()), 0);
    EXPECT_NE(load(rig.slot(slot).owner, std::memory_order_relaxed), 0u);
}

TEST(Session, RestartIsSeenAtOnceAndReattached) {
    Rig rig;
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(rig.t0), ConsumerState::Attached);
    const uint64_t first = consumer.session_id();
    const Image image = make_image(W, H, 1);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    ASSERT_TRUE(consumer.acquire());
    // A new producer takes over the region (the old one died without a word).
    // (The old object stays alive until the end of the test: a killed process runs no
    // destructor, and one that runs late must not disturb the new session.)
    auto old = std::move(rig.producer);
    rig.start();
    EXPECT_EQ(consumer.poll(rig.t0 + MS), ConsumerState::Attached);
    EXPECT_NE(consumer.session_id(), first);
    EXPECT_EQ(consumer.session_id(), rig.producer->session_id());
    EXPECT_EQ(consumer.stats().sessions, 2u);
    EXPECT_TRUE(consumer.has_slot());
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    auto info = consumer.acquire();
    ASSERT_TRUE(info);
    EXPECT_EQ(info->serial, 1u) << "serials restart with the session";
    old.reset();
    EXPECT_EQ(consumer.poll(rig.t0 + 2 * MS), ConsumerState::Attached);
}

TEST(Session, CleanStopThenNewSession) {
    Rig rig;
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(rig.t0), ConsumerState::Attached);
    rig.producer->stop();
    EXPECT_EQ(consumer.poll(rig.t0 + MS), ConsumerState::Stopped);
    const Image image = make_image(W, H, 1);
    EXPECT_EQ(
        rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()).error(),
        Error::ProducerStopped);
    EXPECT_EQ(consumer.last_error(), Error::ProducerStopped);
    EXPECT_EQ(consumer.poll(rig.t0 + 2 * MS), ConsumerState::Stopped)
        << "not the same session again";
    rig.start();
    EXPECT_EQ(consumer.poll(rig.t0 + 3 * MS), ConsumerState::Attached);
}

TEST(Session, SilentConsumerIsEvictedAndItsHoldReleased) {
    Rig rig;
    auto consumer = std::make_unique<Consumer>(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer->poll(rig.t0), ConsumerState::Attached);
    const Image image = make_image(W, H, 1);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    auto held = consumer->acquire();
    ASSERT_TRUE(held);
    const int index = consumer->slot_index();
    ASSERT_GE(index, 0);
    EXPECT_EQ(load(rig.slot(index).held_buffer), held->buffer_index + 1);
    rig.producer->service(rig.t0);
    ProducerEvent event;
    ASSERT_TRUE(rig.producer->next_event(&event));
    EXPECT_EQ(event.kind, ProducerEvent::Kind::ConsumerJoined);
    // The consumer hangs (never polls again). One second later its slot is freed.
    rig.producer->service(rig.t0 + 900 * MS);
    EXPECT_NE(load(rig.slot(index).owner), 0u);
    rig.producer->service(rig.t0 + 1100 * MS);
    EXPECT_EQ(load(rig.slot(index).owner), 0u);
    EXPECT_EQ(load(rig.slot(index).held_buffer), 0u);
    EXPECT_EQ(rig.producer->stats().consumers_evicted, 1u);
    ASSERT_TRUE(rig.producer->next_event(&event));
    EXPECT_EQ(event.kind, ProducerEvent::Kind::ConsumerEvicted);
    // It wakes up: it notices, joins again, and its stale frame is not accepted as valid if reused.
    EXPECT_EQ(consumer->poll(rig.t0 + 1200 * MS), ConsumerState::Attached);
    EXPECT_TRUE(consumer->has_slot());
}

TEST(Session, SixteenConsumersWithSlotsAndMoreWithout) {
    Rig rig;
    std::vector<std::unique_ptr<Consumer>> consumers;
    for (int i = 0; i < 18; ++i) {
        consumers.push_back(std::make_unique<Consumer>(rig.buffer.span(), consumer_config()));
        ASSERT_EQ(consumers.back()->poll(rig.t0), ConsumerState::Attached);
        EXPECT_EQ(consumers.back()->has_slot(), i < 16) << i;
    }
    const Image image = make_image(W, H, 1);
    ASSERT_TRUE(rig.producer->publish(desc(), image.pixels.data(), image.stride(), full_damage()));
    for (auto& c : consumers) {
        std::vector<std::byte> out(image.pixels.size());
        ASSERT_TRUE(c->read_frame(out.data(), out.size(), W * 4, monotonic_ns() + 1000 * MS));
        EXPECT_EQ(out, image.pixels);
    }
    rig.producer->service(rig.t0);
    EXPECT_EQ(rig.producer->stats().consumers, 16u);
    consumers.erase(consumers.begin(), consumers.begin() + 5);  // five leave
    rig.producer->service(rig.t0 + MS);
    EXPECT_EQ(rig.producer->stats().consumers, 11u);
    int left = 0;
    ProducerEvent event;
    while (rig.producer->next_event(&event)) {
        left += event.kind == ProducerEvent::Kind::ConsumerLeft ? 1 : 0;
    }
    EXPECT_EQ(left, 5);
    // The slotless ones pick up the freed slots on their next heartbeat.
    for (auto& c : consumers) {
        c->poll(rig.t0 + 100 * MS);
        EXPECT_TRUE(c->has_slot());
    }
}

}  // namespace
}  // namespace periscope::protocol
