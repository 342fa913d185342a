// libFuzzer target: the producer facing hostile consumers. The input's image replaces the consumer
// table (16 slots: owner, heartbeat, held_buffer, mailbox indices, messages) of a freshly created
// Producer; its script then interleaves producer calls (service, publish, cursor, events) with
// more rewrites of the slots (and, rarely useful but allowed, of any other byte), plus a
// well-behaved Consumer sharing the region so that genuine holds and messages mix with forged ones.
// Invariants: no crash or sanitizer report, every event is a validated message or a slot change,
// every posted frame record is valid and names a buffer no live consumer holds unless stolen.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "fuzz_common.h"
#include "protocol/consumer.h"
#include "protocol/producer.h"
#include "protocol/shm_word.h"

namespace periscope::fuzz {
namespace {

using protocol::BufferDesc;
using protocol::ConsumerSlot;
using protocol::DamageList;
using protocol::Format;
using protocol::FrameDesc;
using protocol::Layout;
using protocol::Producer;
using protocol::ProducerConfig;
using protocol::ProducerEvent;
using protocol::RegionHeader;

constexpr uint64_t CLOCK_STEP_NS = 100 * NS_PER_US;
constexpr uint32_t MAX_SIDE = 256;
constexpr size_t SOURCE_BYTES = size_t{MAX_SIDE} * MAX_SIDE * 8 + size_t{MAX_SIDE} * 255;

constexpr uint8_t DEFAULT_SCRIPT[] = {
    static_cast<uint8_t>(InboxOp::Service),
    static_cast<uint8_t>(InboxOp::DrainEvents),
    static_cast<uint8_t>(InboxOp::Publish),
    1,
    15,
    11,
    1,
    0,
    static_cast<uint8_t>(InboxOp::Service),
    static_cast<uint8_t>(InboxOp::DrainEvents),
};

const std::byte* source_image() {
    static const std::vector<std::byte> image = [] {
        std::vector<std::byte> v(SOURCE_BYTES);
        for (size_t i = 0; i < v.size(); ++i) {
            v[i] = static_cast<std::byte>(i * 131 + 7);
        }
        return v;
    }();
    return image.data();
}

class Harness {
  public:
    explicit Harness(FuzzRegion& region) : m_mapping(region.mapping(region.size())) { start(0); }
    ~Harness() {
        // The consumer first: it leaves its slot while the session is still the one it joined.
        m_consumer.reset();
        m_producer.reset();
    }
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    const Layout& layout() const { return m_producer->layout(); }

    void load_table(std::span<const uint8_t> image) {
        const uint64_t table = uint64_t{layout().consumer_count} * sizeof(ConsumerSlot);
        const size_t n = std::min<size_t>(image.size(), table);
        if (n > 0) {
            std::memcpy(m_mapping.data() + layout().consumer_offset, image.data(), n);
        }
    }

    void run(ScriptReader& script) {
        while (!script.done()) {
            const InboxOp op = step(script);
            if (g_trace) {
                const protocol::ProducerStats st = m_producer->stats();
                (void)std::fprintf(
                    stderr,
                    "op %2d -> posted %llu, dropped %llu, stolen %llu, evicted %llu, "
                    "rejected %llu, consumers %u, events dropped %llu\n",
                    static_cast<int>(op), static_cast<unsigned long long>(st.frames_posted),
                    static_cast<unsigned long long>(st.frames_dropped),
                    static_cast<unsigned long long>(st.buffers_stolen),
                    static_cast<unsigned long long>(st.consumers_evicted),
                    static_cast<unsigned long long>(st.messages_rejected), st.consumers,
                    static_cast<unsigned long long>(st.events_dropped));
            }
        }
        drain();
    }

  private:
    void start(uint8_t flags) {
        m_consumer.reset();
        m_producer.reset();
        ProducerConfig config;
        const uint32_t buffers = (flags >> 2) & 3;
        config.buffer_count = buffers == 0 ? BUFFER_COUNT : buffers;
        config.expected_frame_bytes = FRAME_CAPACITY;
        config.cursor_max_dim = CURSOR_MAX_DIM;
        config.steal_buffers = (flags & 1) == 0;
        config.checksums = (flags & 2) != 0;
        const char* why = nullptr;
        auto producer = Producer::create(m_mapping, config, &why);
        if (!producer) {
            (void)std::fprintf(stderr, "Producer::create failed: %s\n", why);
            std::abort();
        }
        m_producer = std::move(*producer);
        m_now = monotonic_ns();
        m_latest_buffer = -1;
    }

    void write(uint64_t offset, std::span<const uint8_t> bytes) {
        if (m_mapping.empty()) {
            return;
        }
        offset %= m_mapping.size();
        const size_t n = std::min<size_t>(bytes.size(), m_mapping.size() - offset);
        if (n > 0) {
            std::memcpy(m_mapping.data() + offset, bytes.data(), n);
        }
    }

    ConsumerSlot& slot(uint32_t index) {
        return reinterpret_cast<ConsumerSlot*>(m_mapping.data() + layout().consumer_offset)[index];
    }

    InboxOp step(ScriptReader& s) {
        const auto op = static_cast<InboxOp>(s.u8() % static_cast<uint8_t>(InboxOp::Count));
        switch (op) {
            case InboxOp::Service:
                m_producer->service(m_now);
                PERISCOPE_FUZZ_CHECK(m_producer->stats().consumers <= layout().consumer_count);
                break;
            case InboxOp::Advance:
                m_now += s.u16() * CLOCK_STEP_NS;
                break;
            case InboxOp::Publish:
                frame(s, true);
                break;
            case InboxOp::BeginFrame:
                frame(s, false);
                break;
            case InboxOp::RowsDone:
                m_producer->rows_done(s.u16());
                break;
            case InboxOp::EndFrame:
                m_producer->end_frame();
                break;
            case InboxOp::DrainEvents:
                drain();
                break;
            case InboxOp::CursorPosition: {
                const int32_t x = s.i32();
                const int32_t y = s.i32();
                m_producer->set_cursor_position(x, y, (s.u8() & 1) != 0, m_now);
                check_cursor(false);
                break;
            }
            case InboxOp::CursorShape:
                cursor_shape(s);
                break;
            case InboxOp::WriteSlotField:
                write_slot_field(s);
                break;
            case InboxOp::WriteTable: {
                const uint64_t table = uint64_t{layout().consumer_count} * sizeof(ConsumerSlot);
                const uint64_t offset = s.u16() % table;
                const auto bytes = s.bytes(s.u8());
                write(layout().consumer_offset + offset,
                      bytes.first(std::min<size_t>(bytes.size(), table - offset)));
                break;
            }
            case InboxOp::WriteRegion: {
                const uint32_t offset = s.u32();
                write(offset, s.bytes(s.u8()));
                break;
            }
            case InboxOp::SendRaw:
                send_raw(s);
                break;
            case InboxOp::Honest:
                honest(s);
                break;
            case InboxOp::Restart:
                start(s.u8());
                break;
            case InboxOp::Stop:
                m_producer->stop();
                break;
            case InboxOp::Count:
                break;
        }
        return op;
    }

    void frame(ScriptReader& s, bool publish) {
        static constexpr Format FORMATS[] = {Format::BGRA8,   Format::RGBA8,   Format::RGB10A2,
                                             Format::BGR10A2, Format::RGBA16F, Format::Invalid};
        FrameDesc desc;
        desc.format = FORMATS[s.u8() % std::size(FORMATS)];
        desc.width = s.u8() + 1u;
        desc.height = s.u8() + 1u;
        desc.timestamp_ns = m_now;
        const uint8_t flags = s.u8();
        DamageList damage;
        if ((flags & 1) != 0) {
            damage.set_full();
        }
        const uint32_t count = s.u8() % (2 * protocol::MAX_DAMAGE_RECTS + 1);
        for (uint32_t i = 0; i < count; ++i) {
            // Rects may stick out of the frame: the producer clips them.
            damage.add(protocol::Rect{s.u8(), s.u8(), s.u8(), s.u8()});
        }
        const uint64_t stolen_before = m_producer->stats().buffers_stolen;
        if (publish) {
            const uint32_t bpp = protocol::bytes_per_pixel(desc.format);
            const uint32_t src_stride = desc.width * (bpp == 0 ? 4 : bpp) + (flags >> 1);
            const auto done = m_producer->publish(desc, source_image(), src_stride, damage);
            if (done) {
                check_posted(desc, stolen_before, desc.height);
            }
            return;
        }
        auto target = m_producer->begin_frame(desc, damage);
        if (!target) {
            return;
        }
        const uint32_t bpp = protocol::bytes_per_pixel(desc.format);
        PERISCOPE_FUZZ_CHECK(target->stride == desc.width * bpp);
        PERISCOPE_FUZZ_CHECK(target->serial == protocol::load(header().latest_serial));
        check_posted(desc, stolen_before, 0);
        PERISCOPE_FUZZ_CHECK(!target->to_copy.is_full());
        uint32_t previous_top = 0;
        for (const protocol::Rect& r : target->to_copy.rects()) {
            PERISCOPE_FUZZ_CHECK(r.width > 0 && r.height > 0);
            PERISCOPE_FUZZ_CHECK(uint64_t{r.x} + r.width <= desc.width);
            PERISCOPE_FUZZ_CHECK(uint64_t{r.y} + r.height <= desc.height);
            PERISCOPE_FUZZ_CHECK(r.y >= previous_top);
            previous_top = r.y;
            // Write the rect as a capture back-end would: ASan checks it lies in the mapping.
            for (uint32_t y = r.y; y < r.y + r.height; ++y) {
                std::memset(target->data + uint64_t{y} * target->stride + uint64_t{r.x} * bpp, 0xa5,
                            uint64_t{r.width} * bpp);
            }
        }
    }

    RegionHeader& header() { return *reinterpret_cast<RegionHeader*>(m_mapping.data()); }

    // Right after a post nothing else has written the region: the record must be valid, the
    // buffer claimed, and (§3.2) not one a live consumer holds unless it was stolen.
    void check_posted(const FrameDesc& desc, uint64_t stolen_before, uint32_t rows) {
        const Layout& l = layout();
        const uint64_t serial = protocol::load(header().latest_serial);
        const auto& ring =
            reinterpret_cast<const protocol::FrameRecord*>(m_mapping.data() + l.ring_offset);
        const protocol::FrameRecord record =
            protocol::copy_out(ring[serial % protocol::RING_COUNT]);
        const char* why = nullptr;
        auto info = protocol::validate_frame_record(record, serial, l, &why);
        if (!info) {
            (void)std::fprintf(stderr, "posted record %llu invalid: %s\n",
                               static_cast<unsigned long long>(serial), why);
        }
        PERISCOPE_FUZZ_CHECK(info.has_value());
        PERISCOPE_FUZZ_CHECK(info->width == desc.width && info->height == desc.height &&
                             info->format == desc.format);
        const uint32_t b = info->buffer_index;
        const auto* descs =
            reinterpret_cast<const BufferDesc*>(m_mapping.data() + l.bufdesc_offset);
        PERISCOPE_FUZZ_CHECK(protocol::load(descs[b].frame_serial) == serial);
        PERISCOPE_FUZZ_CHECK(protocol::load(descs[b].rows_ready) == rows);
        if (l.buffer_count > 1) {
            PERISCOPE_FUZZ_CHECK(static_cast<int>(b) != m_latest_buffer);
        }
        m_latest_buffer = static_cast<int>(b);
        if (m_producer->stats().buffers_stolen != stolen_before) {
            return;
        }
        for (uint32_t i = 0; i < l.consumer_count; ++i) {
            if (protocol::load(slot(i).owner) != 0) {
                PERISCOPE_FUZZ_CHECK(protocol::load(slot(i).held_buffer) != b + 1);
            }
        }
    }

    void check_cursor(bool expect_shape) {
        const Layout& l = layout();
        const auto& shared =
            *reinterpret_cast<const protocol::CursorState*>(m_mapping.data() + l.cursor_offset);
        auto position = protocol::validate_cursor_state(protocol::copy_out(shared));
        PERISCOPE_FUZZ_CHECK(position.has_value());
        if (!expect_shape) {
            return;
        }
        const auto* descs = reinterpret_cast<const protocol::CursorShapeDesc*>(m_mapping.data() +
                                                                               l.shape_desc_offset);
        const char* why = nullptr;
        auto shape =
            protocol::validate_shape_desc(protocol::copy_out(descs[position->shape_slot]), l, &why);
        if (!shape) {
            (void)std::fprintf(stderr, "cursor shape invalid: %s\n", why);
        }
        PERISCOPE_FUZZ_CHECK(shape.has_value());
        PERISCOPE_FUZZ_CHECK(shape->serial == position->shape_serial);
    }

    void cursor_shape(ScriptReader& s) {
        protocol::CursorImage image;
        image.width = s.u8();
        image.height = s.u8();
        image.hotspot_x = s.u8();
        image.hotspot_y = s.u8();
        const uint8_t format = s.u8();
        image.format = (format & 1) != 0 ? Format::RGBA8 : Format::BGRA8;
        if ((format & 2) != 0) {
            image.format = Format::RGBA16F;
        }
        image.premultiplied = (format & 4) != 0;
        image.stride = image.width * 4 + s.u8();
        image.pixels = source_image();
        const auto set = m_producer->set_cursor_shape(image);
        if (set) {
            check_cursor(true);
        }
    }

    void write_slot_field(ScriptReader& s) {
        ConsumerSlot& c = slot(s.u8() % layout().consumer_count);
        const uint8_t field = s.u8() % static_cast<uint8_t>(SlotField::Count);
        const uint64_t value = s.u64();
        const auto low = static_cast<uint32_t>(value);
        switch (static_cast<SlotField>(
            std::min<uint8_t>(field, static_cast<uint8_t>(SlotField::MessageWord)))) {
            case SlotField::Owner:
                protocol::store(c.owner, value);
                break;
            case SlotField::Heartbeat:
                protocol::store(c.heartbeat, value);
                break;
            case SlotField::HeldBuffer:
                protocol::store(c.held_buffer, low);
                break;
            case SlotField::Kind:
                protocol::store(c.kind, low);
                break;
            case SlotField::LastSerial:
                protocol::store(c.last_serial, value);
                break;
            case SlotField::Pid:
                protocol::store(c.pid, low);
                break;
            case SlotField::MsgWrite:
                protocol::store(c.msg_write, low);
                break;
            case SlotField::MsgRead:
                protocol::store(c.msg_read, low);
                break;
            default: {
                const uint32_t word = field - static_cast<uint32_t>(SlotField::MessageWord);
                protocol::Message& m = c.messages[word / 4];
                uint32_t* const parts[] = {&m.type, &m.a, &m.b, &m.reserved};
                protocol::store(*parts[word % 4], low);
                break;
            }
        }
    }

    // A consumer that follows the mailbox protocol with any message content it likes.
    void send_raw(ScriptReader& s) {
        ConsumerSlot& c = slot(s.u8() % layout().consumer_count);
        const uint32_t count = s.u8() % (protocol::MAILBOX_SIZE + 2);
        uint32_t w = protocol::load(c.msg_write);
        for (uint32_t i = 0; i < count; ++i) {
            protocol::Message m{s.u32(), s.u32(), s.u32(), 0};
            protocol::copy_in(c.messages[w % protocol::MAILBOX_SIZE], m);
            ++w;
        }
        protocol::store(c.msg_write, w);
    }

    void honest(ScriptReader& s) {
        const auto op = static_cast<HonestOp>(s.u8() % static_cast<uint8_t>(HonestOp::Count));
        if (op == HonestOp::Create) {
            m_consumer.reset();
            protocol::ConsumerConfig config;
            config.kind = protocol::ConsumerKind::Test;
            config.name = "honest";
            m_consumer = std::make_unique<protocol::Consumer>(m_mapping, config);
            m_consumer->poll(m_now);
            return;
        }
        if (!m_consumer) {
            return;
        }
        switch (op) {
            case HonestOp::Destroy:
                m_consumer.reset();
                break;
            case HonestOp::Poll:
                m_consumer->poll(m_now);
                break;
            case HonestOp::Acquire:
                (void)m_consumer->acquire();
                break;
            case HonestOp::Release:
                (void)m_consumer->release();
                break;
            case HonestOp::CursorMove: {
                const int32_t x = s.i32();
                const int32_t y = s.i32();
                (void)m_consumer->send_cursor_move(x, y);
                break;
            }
            case HonestOp::FullFrame:
                (void)m_consumer->request_full_frame();
                break;
            case HonestOp::WindowSize: {
                const uint32_t w = s.u32();
                const uint32_t h = s.u32();
                (void)m_consumer->send_window_size(w, h);
                break;
            }
            case HonestOp::Create:
            case HonestOp::Count:
                break;
        }
    }

    void drain() {
        ProducerEvent event;
        for (int i = 0; m_producer->next_event(&event); ++i) {
            // The queue holds at most 64 events: more would mean next_event never empties it.
            PERISCOPE_FUZZ_CHECK(i < 64);
            PERISCOPE_FUZZ_CHECK(event.slot < layout().consumer_count);
            switch (event.kind) {
                case ProducerEvent::Kind::Message: {
                    const protocol::ValidMessage& v = event.message;
                    protocol::Message m{static_cast<uint32_t>(v.type), 0, 0, 0};
                    if (v.type == protocol::MessageType::CursorMove) {
                        m.a = static_cast<uint32_t>(v.x);
                        m.b = static_cast<uint32_t>(v.y);
                    } else if (v.type == protocol::MessageType::WindowSize) {
                        m.a = v.width;
                        m.b = v.height;
                    }
                    auto again = protocol::validate_message(m);
                    PERISCOPE_FUZZ_CHECK(again.has_value());
                    PERISCOPE_FUZZ_CHECK(again->type == v.type && again->x == v.x &&
                                         again->y == v.y && again->width == v.width &&
                                         again->height == v.height);
                    break;
                }
                case ProducerEvent::Kind::ConsumerJoined:
                case ProducerEvent::Kind::ConsumerLeft:
                case ProducerEvent::Kind::ConsumerEvicted:
                    break;
            }
            if (g_trace) {
                (void)std::fprintf(stderr, "  event %d slot %u message %u (%d, %d, %u x %u)\n",
                                   static_cast<int>(event.kind), event.slot,
                                   static_cast<unsigned>(event.message.type), event.message.x,
                                   event.message.y, event.message.width, event.message.height);
            }
        }
    }

    std::span<std::byte> m_mapping;
    std::unique_ptr<Producer> m_producer;
    std::unique_ptr<protocol::Consumer> m_consumer;
    uint64_t m_now = 0;
    int m_latest_buffer = -1;
};

}  // namespace
}  // namespace periscope::fuzz

// libFuzzer's entry points: names fixed by its API.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {  // NOLINT
    periscope::fuzz::init_logging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {  // NOLINT
    using namespace periscope::fuzz;
    static FuzzRegion region(region_size());
    region.reset();
    const Input input = split_input(data, size);
    {
        Harness harness(region);
        harness.load_table(input.image);
        ScriptReader script(input.script.empty() ? std::span<const uint8_t>(DEFAULT_SCRIPT)
                                                 : input.script);
        harness.run(script);
    }
    return 0;
}
