// Consumer -> producer messages: delivery, bounds, and a hostile consumer's mailbox.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "fixture.h"
#include "protocol/shm_word.h"

namespace periscope::protocol {
namespace {

using namespace test;

struct Rig {
    AlignedBuffer buffer{region_for(small_config())};
    std::unique_ptr<Producer> producer =
        std::move(Producer::create(buffer.span(), small_config())).value();
    uint64_t now = monotonic_ns();
    ConsumerSlot& slot(int i) {
        return reinterpret_cast<ConsumerSlot*>(buffer.data() +
                                               producer->layout().consumer_offset)[i];
    }
    std::vector<ProducerEvent> drain() {
        producer->service(now);
        std::vector<ProducerEvent> out;
        ProducerEvent e;
        while (producer->next_event(&e)) {
            if (e.kind == ProducerEvent::Kind::Message) {
                out.push_back(e);
            }
        }
        return out;
    }
};

TEST(Messages, DeliveredInOrderAndValidated) {
    Rig rig;
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(rig.now), ConsumerState::Attached);
    ASSERT_TRUE(consumer.send_cursor_move(-10, 20));
    ASSERT_TRUE(consumer.request_full_frame());
    ASSERT_TRUE(consumer.send_window_size(1280, 720));
    const auto events = rig.drain();
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].message.type, MessageType::CursorMove);
    EXPECT_EQ(events[0].message.x, -10);
    EXPECT_EQ(events[0].message.y, 20);
    EXPECT_EQ(events[1].message.type, MessageType::FullFrame);
    EXPECT_EQ(events[2].message.type, MessageType::WindowSize);
    EXPECT_EQ(events[2].message.width, 1280u);
    EXPECT_EQ(events[2].slot, static_cast<uint32_t>(consumer.slot_index()));
}

TEST(Messages, BoundedMailboxNeverBlocks) {
    Rig rig;
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(rig.now), ConsumerState::Attached);
    rig.drain();  // the producer notices the consumer
    for (uint32_t i = 0; i < MAILBOX_SIZE; ++i) {
        ASSERT_TRUE(consumer.send_window_size(100 + i, 100));
    }
    EXPECT_EQ(consumer.send_window_size(1, 1).error(), Error::MailboxFull);
    EXPECT_EQ(rig.drain().size(), MAILBOX_SIZE);
    EXPECT_TRUE(consumer.send_window_size(1, 1));
    EXPECT_EQ(rig.drain().size(), 1u);
}

TEST(Messages, WithoutASlotSendingFails) {
    AlignedBuffer buffer(region_for(small_config()));
    auto producer = std::move(Producer::create(buffer.span(), small_config())).value();
    ConsumerConfig config = consumer_config();
    config.join = false;
    Consumer observer(buffer.span(), config);
    ASSERT_EQ(observer.poll(monotonic_ns()), ConsumerState::Attached);
    EXPECT_FALSE(observer.has_slot());
    EXPECT_EQ(observer.request_full_frame().error(), Error::NotAttached);
}

TEST(Messages, HostileMailboxIsRejectedAndReset) {
    Rig rig;
    Consumer consumer(rig.buffer.span(), consumer_config());
    ASSERT_EQ(consumer.poll(rig.now), ConsumerState::Attached);
    rig.drain();
    ConsumerSlot& s = rig.slot(consumer.slot_index());
    // Unknown type and out-of-range sizes, written behind the consumer's back.
    copy_in(s.messages[0], Message{42, 0, 0, 0});
    copy_in(s.messages[1], Message{3, 0, 99999, 0});
    store(s.msg_write, uint32_t{2});
    EXPECT_TRUE(rig.drain().empty());
    EXPECT_EQ(rig.producer->stats().messages_rejected, 2u);
    // A write index far ahead of the read index: reset, counted, nothing read from garbage.
    store(s.msg_write, uint32_t{1000});
    EXPECT_TRUE(rig.drain().empty());
    EXPECT_EQ(rig.producer->stats().messages_rejected, 3u);
}

}  // namespace
}  // namespace periscope::protocol
