// libFuzzer target: a Consumer facing a hostile producer (docs/design/shm-protocol.md §7). The
// input's image replaces the control area (header, ring, descriptors, slots, cursor, shape
// descriptors); its script then drives the consumer API and keeps rewriting the region between
// calls, the way a guest can at any time. Results are judged only for safety: no crash, no
// sanitizer report, no hang, and the invariants below hold for whatever the region says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "core/align.h"
#include "core/clock.h"
#include "core/log.h"
#include "fuzz_common.h"
#include "protocol/consumer.h"

namespace periscope::fuzz {
namespace {

using protocol::BufferDesc;
using protocol::Consumer;
using protocol::ConsumerConfig;
using protocol::ConsumerState;
using protocol::CursorPosition;
using protocol::FrameInfo;
using protocol::FrameRecord;
using protocol::Layout;
using protocol::RegionHeader;

constexpr uint64_t CLOCK_STEP_NS = 100 * NS_PER_US;
constexpr size_t MAX_READ_DST = 1 << 20;

// Run when the script is empty, so that mutations of the image alone still reach every reader.
constexpr uint8_t DEFAULT_SCRIPT[] = {
    static_cast<uint8_t>(ConsumerOp::Poll),
    static_cast<uint8_t>(ConsumerOp::Acquire),
    static_cast<uint8_t>(ConsumerOp::RowsReady),
    static_cast<uint8_t>(ConsumerOp::TouchFrame),
    static_cast<uint8_t>(ConsumerOp::Release),
    static_cast<uint8_t>(ConsumerOp::ReadCursor),
    static_cast<uint8_t>(ConsumerOp::ReadCursorShape),
    0,
};

class Harness {
  public:
    explicit Harness(FuzzRegion& region) : m_region(region), m_now(monotonic_ns()) {
        create(0x1, 0);
    }

    void run(ScriptReader& script) {
        while (!script.done()) {
            const ConsumerOp op = step(script);
            check_consumer();
            if (g_trace) {
                const auto& st = m_consumer->stats();
                (void)std::fprintf(stderr,
                                   "op %2d -> %s, last error: %s, accepted %llu, discarded %llu, "
                                   "holding %d\n",
                                   static_cast<int>(op), protocol::to_string(m_consumer->state()),
                                   protocol::to_string(m_consumer->last_error()),
                                   static_cast<unsigned long long>(st.frames_accepted),
                                   static_cast<unsigned long long>(st.frames_discarded),
                                   m_consumer->frame_data() != nullptr);
            }
        }
    }

  private:
    void create(uint8_t flags, uint8_t size_selector) {
        m_consumer.reset();  // first: its destructor still writes to the old mapping
        const size_t full = m_region.size();
        size_t length = full;
        // A mapping smaller than the region the header describes must be refused, never read
        // past: hand the consumer a prefix and poison the rest.
        if (size_selector >= 1 && size_selector <= 15) {
            length = full - size_t{size_selector} * 4096;
        } else if (size_selector == 16) {
            length = protocol::HEADER_SIZE - 1;
        } else if (size_selector == 17) {
            length = 0;
        } else if (size_selector == 18) {
            length = full - 8;
        }
        m_mapping = m_region.mapping(length);
        ConsumerConfig config;
        config.kind = protocol::ConsumerKind::Test;
        config.name = "fuzz-consumer-with-a-long-name";
        config.join = (flags & 1) != 0;
        config.agent_timeout_ms = (flags & 2) != 0 ? 1 : 500;
        m_consumer = std::make_unique<Consumer>(m_mapping, config);
        m_held.reset();
        m_cursor.reset();
    }

    bool attached() const {
        return m_consumer->state() == ConsumerState::Attached ||
               m_consumer->state() == ConsumerState::Lost;
    }

    // The guest writes; only inside the mapping (bytes past it are poisoned, and are not shared).
    void write(uint64_t offset, const void* bytes, size_t length) {
        if (!range_within(offset, length, m_mapping.size())) {
            return;
        }
        std::memcpy(m_mapping.data() + offset, bytes, length);
    }
    template <class T>
    T read(uint64_t offset) const {
        T value{};
        if (range_within(offset, sizeof(T), m_mapping.size())) {
            std::memcpy(&value, m_mapping.data() + offset, sizeof(T));
        }
        return value;
    }
    template <class T>
    void write_value(uint64_t offset, T value) {
        write(offset, &value, sizeof(T));
    }

    ConsumerOp step(ScriptReader& s) {
        const auto op = static_cast<ConsumerOp>(s.u8() % static_cast<uint8_t>(ConsumerOp::Count));
        switch (op) {
            case ConsumerOp::Poll:
                m_consumer->poll(m_now);
                break;
            case ConsumerOp::Advance:
                m_now += s.u16() * CLOCK_STEP_NS;
                break;
            case ConsumerOp::HasNewFrame:
                (void)m_consumer->has_new_frame();
                (void)m_consumer->cursor_changed();
                if (auto refused = m_consumer->refused_frame()) {
                    // Only self-consistent values get out: what the viewer then multiplies.
                    PERISCOPE_FUZZ_CHECK(refused->bytes ==
                                         uint64_t{refused->width} * refused->height *
                                             protocol::bytes_per_pixel(refused->format));
                }
                break;
            case ConsumerOp::WaitNewFrame: {
                const uint8_t arg = s.u8();
                const auto mode =
                    (arg & 1) != 0 ? protocol::PollMode::LowCpu : protocol::PollMode::Busy;
                // A few microseconds at most: long enough to loop and poll inside.
                const uint64_t us = (arg >> 1) & 31;
                (void)m_consumer->wait_new_frame(us == 0 ? 0 : monotonic_ns() + us * NS_PER_US,
                                                 mode, NS_PER_US);
                break;
            }
            case ConsumerOp::Acquire: {
                auto info = m_consumer->acquire();
                m_held.reset();
                if (info) {
                    check_frame(*info);
                    m_held = *info;
                    check_frame_data();
                }
                break;
            }
            case ConsumerOp::RowsReady: {
                auto rows = m_consumer->rows_ready();
                if (rows) {
                    PERISCOPE_FUZZ_CHECK(m_held && *rows <= m_held->height);
                }
                break;
            }
            case ConsumerOp::WaitRows: {
                const uint16_t want = s.u16();
                // wait_rows measures its deadline on the real clock: "now" returns at once.
                auto rows = m_consumer->wait_rows(want, monotonic_ns());
                if (rows) {
                    PERISCOPE_FUZZ_CHECK(m_held && *rows <= m_held->height);
                }
                break;
            }
            case ConsumerOp::WaitRowsShort: {
                const uint16_t want = s.u16();
                const uint64_t us = s.u8() % 64;
                auto rows = m_consumer->wait_rows(want, monotonic_ns() + us * NS_PER_US);
                if (rows) {
                    PERISCOPE_FUZZ_CHECK(m_held && *rows <= m_held->height);
                }
                break;
            }
            case ConsumerOp::TouchFrame:
                touch_frame();
                break;
            case ConsumerOp::Release: {
                auto done = m_consumer->release();
                (void)done;
                PERISCOPE_FUZZ_CHECK(m_consumer->frame_data() == nullptr);
                m_held.reset();
                break;
            }
            case ConsumerOp::ReadFrame:
                read_frame(s);
                break;
            case ConsumerOp::ReadCursor: {
                auto position = m_consumer->read_cursor();
                if (position) {
                    PERISCOPE_FUZZ_CHECK(position->shape_slot < protocol::SHAPE_COUNT);
                    constexpr int32_t LIMIT = 4 * static_cast<int32_t>(protocol::MAX_DIMENSION);
                    PERISCOPE_FUZZ_CHECK(position->x >= -LIMIT && position->x <= LIMIT);
                    PERISCOPE_FUZZ_CHECK(position->y >= -LIMIT && position->y <= LIMIT);
                    m_cursor = *position;
                }
                break;
            }
            case ConsumerOp::ReadCursorShape: {
                CursorPosition position = m_cursor.value_or(CursorPosition{});
                if ((s.u8() & 1) != 0) {
                    position.shape_slot = s.u8();
                    position.shape_serial = s.u64();
                }
                auto shape = m_consumer->read_cursor_shape(position);
                if (shape) {
                    check_shape(*shape);
                }
                break;
            }
            case ConsumerOp::SendCursorMove: {
                const int32_t x = s.i32();
                const int32_t y = s.i32();
                (void)m_consumer->send_cursor_move(x, y);
                break;
            }
            case ConsumerOp::RequestFullFrame:
                (void)m_consumer->request_full_frame();
                break;
            case ConsumerOp::SendWindowSize: {
                const uint32_t w = s.u32();
                const uint32_t h = s.u32();
                (void)m_consumer->send_window_size(w, h);
                break;
            }
            case ConsumerOp::Write: {
                const uint32_t offset = s.u32();
                const auto bytes = s.bytes(s.u8());
                if (!m_mapping.empty()) {
                    const uint64_t at = offset % m_mapping.size();
                    write(at, bytes.data(), std::min<size_t>(bytes.size(), m_mapping.size() - at));
                }
                break;
            }
            case ConsumerOp::WriteWord: {
                const uint64_t index = s.u16() % (protocol::control_size() / 8);
                write_value(index * 8, s.u64());
                break;
            }
            case ConsumerOp::Post:
                post(s);
                break;
            case ConsumerOp::SetRows: {
                const uint32_t b = s.u8() % protocol::MAX_BUFFERS;
                write_value(bufdesc_at(b) + offsetof(BufferDesc, rows_ready), uint32_t{s.u16()});
                break;
            }
            case ConsumerOp::Steal: {
                const uint64_t at = bufdesc_at(s.u8() % protocol::MAX_BUFFERS);
                write_value(at, read<uint64_t>(at) + 1);
                break;
            }
            case ConsumerOp::BumpHeartbeat: {
                const uint64_t at = offsetof(RegionHeader, producer_heartbeat);
                write_value(at, read<uint64_t>(at) + 1);
                break;
            }
            case ConsumerOp::Recreate: {
                const uint8_t flags = s.u8();
                create(flags, s.u8());
                break;
            }
            case ConsumerOp::Evict: {
                const uint64_t owner = s.u8();
                if (attached() && m_consumer->has_slot()) {
                    const uint64_t at = m_consumer->layout().consumer_offset +
                                        static_cast<uint64_t>(m_consumer->slot_index()) *
                                            sizeof(protocol::ConsumerSlot);
                    write_value(at + offsetof(protocol::ConsumerSlot, held_buffer), uint32_t{0});
                    write_value(at + offsetof(protocol::ConsumerSlot, owner), owner);
                }
                break;
            }
            case ConsumerOp::Count:
                break;
        }
        return op;
    }

    static uint64_t bufdesc_at(uint32_t index) {
        return nominal_layout().bufdesc_offset + uint64_t{index} * sizeof(BufferDesc);
    }

    // What a producer does to post a frame (§3.2 steps 2-6), at the nominal layout's offsets and
    // with whatever field values the script asks for.
    void post(ScriptReader& s) {
        const Layout nominal = nominal_layout();
        const uint32_t buffer = s.u8() % protocol::MAX_BUFFERS;
        FrameRecord r{};
        r.format = s.u8() % 6;
        r.width = s.u16();
        r.height = s.u16();
        const uint64_t bpp = protocol::bytes_per_pixel(static_cast<protocol::Format>(r.format));
        r.stride = static_cast<uint32_t>(r.width * bpp + s.u8());
        r.flags = s.u8();
        const uint32_t rows = s.u16();
        const uint8_t extra = s.u8();
        r.damage_count = s.u8() % (protocol::MAX_DAMAGE_RECTS + 2);
        for (uint32_t i = 0; i < r.damage_count && i < protocol::MAX_DAMAGE_RECTS; ++i) {
            r.damage[i] = protocol::Rect{s.u8(), s.u8(), s.u8(), s.u8()};
        }
        r.checksum = extra >> 1;
        const uint64_t serial = read<uint64_t>(offsetof(RegionHeader, latest_serial)) + 1;
        r.serial = serial;
        r.buffer_index = buffer;
        const uint64_t record_at =
            nominal.ring_offset + (serial % protocol::RING_COUNT) * sizeof(FrameRecord);
        r.seq = ((read<uint64_t>(record_at) + 2) & ~uint64_t{1}) | (extra & 1);
        write_value(bufdesc_at(buffer), serial);
        write_value(bufdesc_at(buffer) + offsetof(BufferDesc, rows_ready), rows);
        write(record_at, &r, sizeof r);
        write_value(offsetof(RegionHeader, latest_serial), serial);
    }

    void read_frame(ScriptReader& s) {
        const uint8_t flags = s.u8();
        const uint32_t dst_stride = s.u32();
        const size_t dst_size = s.u32() % (MAX_READ_DST + 1);
        // Exactly the size asked for, uninitialised: a write past it is an ASan report.
        std::unique_ptr<std::byte[]> dst((flags & 1) != 0 ? nullptr : new std::byte[dst_size]);
        auto info = m_consumer->read_frame(dst.get(), dst_size, dst_stride, monotonic_ns());
        m_held.reset();
        PERISCOPE_FUZZ_CHECK(m_consumer->frame_data() == nullptr);
        if (info) {
            check_frame(*info);
            PERISCOPE_FUZZ_CHECK(dst != nullptr && dst_stride >= info->row_bytes());
            PERISCOPE_FUZZ_CHECK(uint64_t{dst_stride} * (info->height - 1) + info->row_bytes() <=
                                 dst_size);
        }
    }

    void check_layout() const {
        const Layout& l = m_consumer->layout();
        const uint64_t size = l.region_size;
        PERISCOPE_FUZZ_CHECK(size <= m_mapping.size());
        PERISCOPE_FUZZ_CHECK(l.buffer_count >= 1 && l.buffer_count <= protocol::MAX_BUFFERS);
        PERISCOPE_FUZZ_CHECK(l.consumer_count >= 1 && l.consumer_count <= protocol::MAX_CONSUMERS);
        PERISCOPE_FUZZ_CHECK(l.cursor_max_dim >= protocol::MIN_CURSOR_MAX_DIM &&
                             l.cursor_max_dim <= protocol::MAX_CURSOR_MAX_DIM);
        PERISCOPE_FUZZ_CHECK(l.shape_data_capacity >=
                             uint64_t{l.cursor_max_dim} * l.cursor_max_dim * 4);
        PERISCOPE_FUZZ_CHECK(range_within(0, protocol::HEADER_SIZE, size));
        PERISCOPE_FUZZ_CHECK(range_within(
            l.ring_offset, uint64_t{protocol::RING_COUNT} * sizeof(FrameRecord), size));
        PERISCOPE_FUZZ_CHECK(
            range_within(l.bufdesc_offset, uint64_t{l.buffer_count} * sizeof(BufferDesc), size));
        PERISCOPE_FUZZ_CHECK(range_within(
            l.consumer_offset, uint64_t{l.consumer_count} * sizeof(protocol::ConsumerSlot), size));
        PERISCOPE_FUZZ_CHECK(range_within(l.cursor_offset, sizeof(protocol::CursorState), size));
        PERISCOPE_FUZZ_CHECK(range_within(
            l.shape_desc_offset, protocol::SHAPE_COUNT * sizeof(protocol::CursorShapeDesc), size));
        // Capacities are below the region size here, so the products cannot overflow.
        PERISCOPE_FUZZ_CHECK(l.shape_data_capacity <= size && l.buffer_capacity <= size);
        PERISCOPE_FUZZ_CHECK(
            range_within(l.shape_data_offset, protocol::SHAPE_COUNT * l.shape_data_capacity, size));
        PERISCOPE_FUZZ_CHECK(
            range_within(l.buffer_offset, l.buffer_count * l.buffer_capacity, size));
        // Every shared word is accessed through std::atomic_ref: it must be naturally aligned.
        for (uint64_t offset : {l.ring_offset, l.bufdesc_offset, l.consumer_offset, l.cursor_offset,
                                l.shape_desc_offset, l.shape_data_offset}) {
            PERISCOPE_FUZZ_CHECK(offset % 64 == 0);
        }
    }

    void check_consumer() {
        if (attached()) {
            check_layout();
            PERISCOPE_FUZZ_CHECK(!m_consumer->has_slot() ||
                                 static_cast<uint32_t>(m_consumer->slot_index()) <
                                     m_consumer->layout().consumer_count);
        }
        if (m_consumer->frame_data() != nullptr) {
            // Holding implies the last acquire() succeeded and returned what m_held records.
            PERISCOPE_FUZZ_CHECK(m_held.has_value());
            check_frame_data();
        }
    }

    void check_frame(const FrameInfo& info) const {
        const Layout& l = m_consumer->layout();
        const uint32_t bpp = protocol::bytes_per_pixel(info.format);
        PERISCOPE_FUZZ_CHECK(bpp != 0);
        PERISCOPE_FUZZ_CHECK(info.width >= 1 && info.width <= protocol::MAX_DIMENSION);
        PERISCOPE_FUZZ_CHECK(info.height >= 1 && info.height <= protocol::MAX_DIMENSION);
        PERISCOPE_FUZZ_CHECK(uint64_t{info.stride} >= info.row_bytes());
        PERISCOPE_FUZZ_CHECK(uint64_t{info.stride} * info.height <= l.buffer_capacity);
        PERISCOPE_FUZZ_CHECK(info.buffer_index < l.buffer_count);
        if (!info.damage.is_full()) {
            PERISCOPE_FUZZ_CHECK(info.damage.rects().size() <= protocol::MAX_DAMAGE_RECTS);
            for (const protocol::Rect& r : info.damage.rects()) {
                PERISCOPE_FUZZ_CHECK(r.width > 0 && r.height > 0);
                PERISCOPE_FUZZ_CHECK(uint64_t{r.x} + r.width <= info.width);
                PERISCOPE_FUZZ_CHECK(uint64_t{r.y} + r.height <= info.height);
            }
        }
    }

    void check_frame_data() const {
        const std::byte* data = m_consumer->frame_data();
        PERISCOPE_FUZZ_CHECK(data != nullptr && m_held.has_value());
        PERISCOPE_FUZZ_CHECK(data >= m_mapping.data());
        const auto offset = static_cast<uint64_t>(data - m_mapping.data());
        PERISCOPE_FUZZ_CHECK(range_within(offset, uint64_t{m_held->stride} * m_held->height,
                                          m_consumer->layout().region_size));
    }

    void touch_frame() const {
        const std::byte* data = m_consumer->frame_data();
        if (data == nullptr) {
            return;
        }
        check_frame_data();
        // Touch both ends of every row: ASan then checks the whole extent the consumer claims.
        const uint64_t row_bytes = m_held->row_bytes();
        unsigned sum = 0;
        for (uint32_t y = 0; y < m_held->height; ++y) {
            const volatile std::byte* row = data + uint64_t{y} * m_held->stride;
            sum += static_cast<unsigned>(row[0]) + static_cast<unsigned>(row[row_bytes - 1]);
        }
        // Keeps the loads from being optimised away.
        asm volatile("" : : "r"(sum));
    }

    void check_shape(const protocol::CursorShape& shape) const {
        const auto& info = shape.info;
        const uint32_t max_dim = m_consumer->layout().cursor_max_dim;
        PERISCOPE_FUZZ_CHECK(info.width >= 1 && info.width <= max_dim);
        PERISCOPE_FUZZ_CHECK(info.height >= 1 && info.height <= max_dim);
        PERISCOPE_FUZZ_CHECK(info.hotspot_x < info.width && info.hotspot_y < info.height);
        PERISCOPE_FUZZ_CHECK(uint64_t{info.stride} >= uint64_t{info.width} * 4);
        PERISCOPE_FUZZ_CHECK(uint64_t{info.stride} * info.height <=
                             m_consumer->layout().shape_data_capacity);
        PERISCOPE_FUZZ_CHECK(info.format == protocol::Format::BGRA8 ||
                             info.format == protocol::Format::RGBA8);
        PERISCOPE_FUZZ_CHECK(shape.pixels.size() == uint64_t{info.width} * info.height * 4);
    }

    FuzzRegion& m_region;
    std::span<std::byte> m_mapping;
    std::unique_ptr<Consumer> m_consumer;
    uint64_t m_now;
    std::optional<FrameInfo> m_held;
    std::optional<CursorPosition> m_cursor;
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
    const size_t image = std::min<size_t>(input.image.size(), periscope::protocol::control_size());
    if (image > 0) {
        std::memcpy(region.data(), input.image.data(), image);
    }
    {
        Harness harness(region);
        ScriptReader script(input.script.empty() ? std::span<const uint8_t>(DEFAULT_SCRIPT)
                                                 : input.script);
        harness.run(script);
    }
    region.unpoison();
    return 0;
}
