// Writes the seed corpus of the fuzz targets: a real Producer and real Consumers run on a region of
// the fuzzers' size, and at interesting moments the control area (consumer fuzzer) or the consumer
// table (producer inbox fuzzer) is saved together with a short operation script.
//
//     make_seeds tests/fuzz/corpus     (writes corpus/consumer/* and corpus/producer_inbox/*)
//
// Session ids and consumer tokens are random, so two runs give different bytes; run it only to
// regenerate the checked-in corpus after the input encoding or the wire format changed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "fuzz_common.h"
#include "protocol/consumer.h"
#include "protocol/producer.h"
#include "protocol/shm_word.h"

namespace periscope::fuzz {
namespace {

namespace fs = std::filesystem;
using protocol::Consumer;
using protocol::ConsumerConfig;
using protocol::DamageList;
using protocol::Format;
using protocol::FrameDesc;
using protocol::Producer;
using protocol::ProducerConfig;
using protocol::Rect;

constexpr uint32_t W = 64;
constexpr uint32_t H = 48;
constexpr uint64_t MS = 1000000;

[[noreturn]] void die(const char* what, const char* detail) {
    (void)std::fprintf(stderr, "make_seeds: %s %s\n", what, detail);
    std::exit(1);  // NOLINT(concurrency-mt-unsafe): a single-threaded tool
}

ProducerConfig producer_config(uint32_t buffers = BUFFER_COUNT, bool checksums = false) {
    ProducerConfig c;
    c.buffer_count = buffers;
    c.expected_frame_bytes = FRAME_CAPACITY;
    c.cursor_max_dim = CURSOR_MAX_DIM;
    c.checksums = checksums;
    return c;
}

ConsumerConfig consumer_config(const char* name) {
    ConsumerConfig c;
    c.kind = protocol::ConsumerKind::Viewer;
    c.name = name;
    c.pid = 4242;
    return c;
}

DamageList damage_of(std::initializer_list<Rect> rects) {
    DamageList d;
    for (const Rect& r : rects) {
        d.add(r);
    }
    return d;
}

DamageList full_damage() {
    DamageList d;
    d.set_full();
    return d;
}

FrameDesc desc(uint32_t w = W, uint32_t h = H, Format f = Format::BGRA8) {
    FrameDesc d;
    d.format = f;
    d.width = w;
    d.height = h;
    d.timestamp_ns = 1000;
    return d;
}

// A producer and its source image on a region of the fuzzers' size.
class World {
  public:
    explicit World(const ProducerConfig& config = producer_config())
        : m_region(region_size()), m_source(size_t{W} * H * 8 * 4) {
        m_region.reset();
        m_mapping = m_region.mapping(m_region.size());
        for (size_t i = 0; i < m_source.size(); ++i) {
            m_source[i] = static_cast<std::byte>(i * 7 + 3);
        }
        auto producer = Producer::create(m_mapping, config);
        if (!producer) {
            die("Producer::create failed", "");
        }
        m_producer = std::move(*producer);
    }

    Producer& producer() { return *m_producer; }
    std::span<std::byte> mapping() { return m_mapping; }
    std::unique_ptr<Consumer> consumer(const char* name) {
        auto c = std::make_unique<Consumer>(m_mapping, consumer_config(name));
        c->poll(m_now);
        return c;
    }
    void tick(uint64_t ns = 10 * MS) {
        m_now += ns;
        m_producer->service(m_now);
    }
    uint64_t now() const { return m_now; }
    void publish(const FrameDesc& d, const DamageList& damage) {
        const uint32_t stride = d.width * protocol::bytes_per_pixel(d.format);
        if (!m_producer->publish(d, m_source.data(), stride, damage)) {
            die("publish failed", "");
        }
    }
    void stop() { m_producer.reset(); }

    // The bytes a fuzz input's image replaces, with trailing zeros dropped (the fuzzers zero-fill).
    std::vector<uint8_t> control() const { return trimmed(0, protocol::control_size()); }
    std::vector<uint8_t> table() const {
        const protocol::Layout l = nominal_layout();
        return trimmed(l.consumer_offset, uint64_t{l.consumer_count} * 256);
    }
    uint64_t latest_serial() const {
        return reinterpret_cast<const protocol::RegionHeader*>(m_mapping.data())->latest_serial;
    }
    // Buffer index of the newest posted frame, for scripts that poke its descriptor.
    uint8_t latest_buffer() const {
        const auto* ring = reinterpret_cast<const protocol::FrameRecord*>(
            m_mapping.data() + nominal_layout().ring_offset);
        return static_cast<uint8_t>(ring[latest_serial() % protocol::RING_COUNT].buffer_index);
    }

  private:
    std::vector<uint8_t> trimmed(uint64_t offset, uint64_t length) const {
        const auto* p = reinterpret_cast<const uint8_t*>(m_mapping.data()) + offset;
        std::vector<uint8_t> out(p, p + length);
        while (!out.empty() && out.back() == 0) {
            out.pop_back();
        }
        return out;
    }

    FuzzRegion m_region;
    std::span<std::byte> m_mapping;
    std::vector<std::byte> m_source;
    std::unique_ptr<Producer> m_producer;
    uint64_t m_now = 0;
};

class SeedWriter {
  public:
    explicit SeedWriter(fs::path root) : m_root(std::move(root)) {
        fs::create_directories(m_root / "consumer");
        fs::create_directories(m_root / "producer_inbox");
    }
    void consumer(const std::string& name, const std::vector<uint8_t>& image,
                  const ScriptWriter& script) {
        write(m_root / "consumer" / name, image, script);
    }
    void inbox(const std::string& name, const std::vector<uint8_t>& image,
               const ScriptWriter& script) {
        write(m_root / "producer_inbox" / name, image, script);
    }
    size_t files() const { return m_files; }
    size_t bytes() const { return m_bytes; }

  private:
    void write(const fs::path& path, const std::vector<uint8_t>& image, const ScriptWriter& s) {
        const std::vector<uint8_t> input = join_input(image, s.data());
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (f == nullptr || std::fwrite(input.data(), 1, input.size(), f) != input.size() ||
            std::fclose(f) != 0) {
            die("cannot write", path.c_str());
        }
        ++m_files;
        m_bytes += input.size();
    }

    fs::path m_root;
    size_t m_files = 0;
    size_t m_bytes = 0;
};

// ---- consumer fuzzer scripts ----

using C = ConsumerOp;

ScriptWriter& read_frame(ScriptWriter& s, uint32_t stride = W * 4, uint32_t size = W * 4 * H) {
    return s.op(C::ReadFrame).u8(0).u32(stride).u32(size);
}

ScriptWriter& post(ScriptWriter& s, uint8_t buffer, std::span<const Rect> damage, uint16_t rows = H,
                   uint8_t flags = 0, uint8_t extra = 0, uint16_t w = W, uint16_t h = H) {
    s.op(C::Post).u8(buffer).u8(static_cast<uint8_t>(Format::BGRA8)).u16(w).u16(h).u8(0);
    s.u8(flags).u16(rows).u8(extra).u8(static_cast<uint8_t>(damage.size()));
    for (const Rect& r : damage) {
        s.u8(static_cast<uint8_t>(r.x)).u8(static_cast<uint8_t>(r.y));
        s.u8(static_cast<uint8_t>(r.width)).u8(static_cast<uint8_t>(r.height));
    }
    return s;
}

void consumer_seeds(SeedWriter& out) {
    {
        // A session with no frame yet: liveness, messages, a lost and a resumed heartbeat.
        World world;
        world.tick();
        ScriptWriter s;
        s.op(C::Poll).op(C::HasNewFrame).op(C::Acquire).op(C::ReadCursor);
        s.op(C::WaitNewFrame).u8(0).op(C::WaitNewFrame).u8(1);
        for (int i = 0; i < 5; ++i) {
            s.op(C::SendCursorMove).i32(10 * i).i32(-3);
        }
        s.op(C::SendWindowSize).u32(1920).u32(1080).op(C::RequestFullFrame);
        s.op(C::Advance).u16(6000).op(C::Poll).op(C::BumpHeartbeat).op(C::Poll);
        out.consumer("fresh_session", world.control(), s);
    }
    {
        // Frames with damage, a viewer that accepted some of them and holds none.
        World world;
        auto viewer = world.consumer("viewer");
        world.publish(desc(), full_damage());
        world.tick();
        std::vector<std::byte> dst(size_t{W} * H * 4);
        (void)viewer->read_frame(dst.data(), dst.size(), W * 4, monotonic_ns() + 1000 * MS);
        world.publish(desc(), damage_of({{0, 0, 8, 8}, {20, 30, 10, 5}}));
        world.publish(desc(), damage_of({{40, 2, 20, 20}}));
        world.tick();
        const auto image = world.control();
        const uint8_t latest = world.latest_buffer();

        ScriptWriter a;
        a.op(C::Poll).op(C::Acquire).op(C::RowsReady).op(C::TouchFrame).op(C::Release);
        a.op(C::Acquire).op(C::ReadCursor);
        out.consumer("frames_acquire_release", image, a);

        ScriptWriter b;
        read_frame(b.op(C::Poll)).op(C::Poll);
        out.consumer("frames_read_frame", image, b);

        // Accept one frame, then three more posts: the next acquire unions their damage.
        ScriptWriter c;
        read_frame(c.op(C::Poll));
        const auto next = static_cast<uint8_t>((latest + 1) % BUFFER_COUNT);
        const auto after = static_cast<uint8_t>((latest + 2) % BUFFER_COUNT);
        const Rect r1[] = {{1, 1, 4, 4}};
        const Rect r2[] = {{30, 10, 6, 6}, {0, 40, 64, 8}};
        const Rect r3[] = {{5, 5, 50, 30}};
        post(c, next, r1);
        post(c, after, r2);
        post(c, latest, r3);
        c.op(C::Acquire).op(C::RowsReady).op(C::TouchFrame).op(C::Release);
        out.consumer("frames_damage_history", image, c);

        // Histories the union cannot use: a torn record, a geometry change, a bad rect; and two
        // frames of 32 disjoint rects each, whose union overflows the 32-rect list.
        ScriptWriter c2;
        read_frame(c2.op(C::Poll));
        post(c2, next, r1, H, 0, 1);
        post(c2, after, r2);
        c2.op(C::Acquire).op(C::RowsReady).op(C::Release);
        post(c2, next, r1, H, 0, 0, W / 2, H);
        post(c2, after, r2).op(C::Acquire).op(C::RowsReady).op(C::Release);
        const Rect bad[] = {{60, 0, 8, 8}};
        post(c2, next, bad);
        post(c2, after, r2).op(C::Acquire).op(C::RowsReady).op(C::Release);
        std::vector<Rect> grid_a;
        std::vector<Rect> grid_b;
        for (uint32_t i = 0; i < protocol::MAX_DAMAGE_RECTS; ++i) {
            grid_a.push_back(Rect{(i % 8) * 8, (i / 8) * 8, 2, 2});
            grid_b.push_back(Rect{(i % 8) * 8 + 4, (i / 8) * 8 + 4, 2, 2});
        }
        post(c2, next, grid_a);
        post(c2, after, grid_b);
        // A checksum flag without a checksum, a stride not a multiple of 4, 33 rects.
        c2.op(C::Acquire).op(C::RowsReady).op(C::TouchFrame).op(C::Release);
        post(c2, next, r1, H, protocol::FRAME_FLAG_CHECKSUM, 0).op(C::Acquire);
        c2.op(C::Post).u8(after).u8(1).u16(W).u16(H).u8(2).u8(0).u16(H).u8(0).u8(0).op(C::Acquire);
        c2.op(C::Post).u8(next).u8(1).u16(W).u16(H).u8(0).u8(0).u16(H).u8(0).u8(33);
        for (uint32_t i = 0; i < protocol::MAX_DAMAGE_RECTS; ++i) {
            c2.u8(static_cast<uint8_t>(i)).u8(0).u8(1).u8(1);
        }
        c2.op(C::Acquire);
        out.consumer("frames_damage_edge_cases", image, c2);

        // The producer evicts us, hands our slot to someone else, and we join again.
        ScriptWriter c3;
        c3.op(C::Poll).op(C::Acquire).op(C::Evict).u8(0).op(C::Advance).u16(300).op(C::Poll);
        c3.op(C::RowsReady).op(C::Release).op(C::Evict).u8(9).op(C::Advance).u16(300);
        c3.op(C::Poll).op(C::SendCursorMove).i32(1).i32(2).op(C::Acquire);
        c3.op(C::WaitNewFrame).u8(8).op(C::WaitNewFrame).u8(9);
        post(c3, next, r1, H / 2).op(C::Acquire).op(C::WaitRowsShort).u16(H).u8(40);
        c3.op(C::Release);
        out.consumer("frames_evicted", image, c3);

        // The producer reclaims the held buffer before release.
        ScriptWriter d;
        d.op(C::Poll).op(C::Acquire).op(C::Steal).u8(latest).op(C::RowsReady).op(C::Release);
        d.op(C::Acquire);
        out.consumer("frames_stolen", image, d);

        // The write pointer goes backwards, then past the frame.
        ScriptWriter e;
        e.op(C::Poll).op(C::Acquire).op(C::RowsReady).op(C::SetRows).u8(latest).u16(3);
        e.op(C::RowsReady).op(C::WaitRows).u16(H).op(C::SetRows).u8(latest).u16(H + 1);
        e.op(C::RowsReady).op(C::Release);
        out.consumer("frames_rows_invalid", image, e);

        // Magic cleared (re-initialising), then restored; then a new session id.
        ScriptWriter f;
        f.op(C::Poll).op(C::Acquire).op(C::WriteWord).u16(0).u64(0).op(C::Poll);
        f.op(C::WriteWord).u16(0).u64(protocol::MAGIC).op(C::Poll).op(C::Acquire);
        f.op(C::WriteWord).u16(2).u64(0x1234567887654321ULL).op(C::RowsReady).op(C::Poll);
        read_frame(f);
        out.consumer("frames_session_change", image, f);

        // The producer marks its session stopped while a frame is held.
        ScriptWriter g;
        g.op(C::Poll).op(C::Acquire).op(C::WriteWord).u16(192 / 8).u64(2).op(C::Poll);
        g.op(C::RowsReady).op(C::Release).op(C::Poll);
        out.consumer("frames_producer_stops", image, g);

        // Mappings smaller than the region, and an observer without a slot.
        ScriptWriter h;
        h.op(C::Recreate).u8(1).u8(1).op(C::Poll).op(C::Recreate).u8(1).u8(16).op(C::Poll);
        h.op(C::Acquire).op(C::Recreate).u8(0).u8(17).op(C::Poll).op(C::HasNewFrame);
        h.op(C::Recreate).u8(0).u8(0).op(C::Poll);
        read_frame(h).op(C::SendCursorMove).i32(1).i32(1);
        out.consumer("frames_mapping_sizes", image, h);

        // Destinations that are too small, missing, or padded.
        ScriptWriter i;
        i.op(C::Poll);
        read_frame(i, W * 4, W * 4 * H - 1);
        read_frame(i, W * 4 - 4, W * 4 * H);
        i.op(C::ReadFrame).u8(1).u32(W * 4).u32(W * 4 * H);
        read_frame(i, W * 4 + 64, (W * 4 + 64) * (H - 1) + W * 4);
        out.consumer("frames_read_destinations", image, i);

        // A field of the newest record rewritten after the post: width out of range.
        ScriptWriter j;
        const uint64_t serial = world.latest_serial();
        const uint64_t record = nominal_layout().ring_offset + (serial % 16) * 576;
        j.op(C::WriteWord).u16(static_cast<uint16_t>((record + 40) / 8)).u64(uint64_t{H} << 32);
        j.op(C::Poll).op(C::Acquire).op(C::Post).u8(latest).u8(5).u16(16384).u16(1).u8(0);
        j.u8(0).u16(1).u8(0).u8(0).op(C::Acquire).op(C::TouchFrame).op(C::Release);
        j.op(C::Post).u8(latest).u8(1).u16(16384).u16(1).u8(0).u8(0).u16(1).u8(0).u8(0);
        j.op(C::Acquire).op(C::TouchFrame).op(C::Release);
        j.op(C::Post).u8(latest).u8(2).u16(1).u16(16384).u8(0).u8(0).u16(16384).u8(0).u8(0);
        j.op(C::Acquire).op(C::TouchFrame).op(C::Release);
        out.consumer("frames_bad_record", image, j);

        // The agent goes silent mid-frame: agent lost, then the heartbeat resumes.
        ScriptWriter k;
        k.op(C::Poll).op(C::Acquire).op(C::SetRows).u8(latest).u16(H / 2);
        k.op(C::WaitRows).u16(H).op(C::Advance).u16(6000).op(C::Poll);
        k.op(C::WaitRowsShort).u16(H).u8(20).op(C::BumpHeartbeat).op(C::Poll);
        k.op(C::SetRows).u8(latest).u16(H).op(C::WaitRows).u16(H).op(C::Release);
        out.consumer("frames_agent_lost", image, k);
    }
    {
        // Mid-frame: posted, half of its rows copied.
        World world;
        world.tick();
        world.publish(desc(), full_damage());
        auto target = world.producer().begin_frame(desc(), damage_of({{0, 0, W, H}}));
        if (!target) {
            die("begin_frame failed", "");
        }
        world.producer().rows_done(H / 2);
        const uint8_t latest = world.latest_buffer();
        ScriptWriter s;
        s.op(C::Poll).op(C::Acquire).op(C::RowsReady).op(C::WaitRows).u16(H);
        s.op(C::WaitRowsShort).u16(H).u8(30);
        s.op(C::SetRows).u8(latest).u16(H - 1).op(C::WaitRows).u16(H).op(C::Release);
        s.op(C::Acquire).op(C::SetRows).u8(latest).u16(H).op(C::WaitRowsShort).u16(H).u8(10);
        s.op(C::TouchFrame).op(C::Release);
        out.consumer("mid_frame", world.control(), s);
        world.producer().end_frame();
    }
    {
        // Cursor: a shape in each slot and a position.
        World world;
        std::vector<std::byte> pixels(size_t{64} * 64 * 4);
        for (size_t i = 0; i < pixels.size(); ++i) {
            pixels[i] = static_cast<std::byte>(i);
        }
        protocol::CursorImage shape{32, 32, 3, 4, Format::BGRA8, true, pixels.data(), 32 * 4};
        (void)world.producer().set_cursor_shape(shape);
        shape = {64, 64, 63, 0, Format::RGBA8, false, pixels.data(), 64 * 4};
        (void)world.producer().set_cursor_shape(shape);
        world.producer().set_cursor_position(-5, 700, true, 1234);
        ScriptWriter s;
        s.op(C::Poll).op(C::HasNewFrame).op(C::ReadCursor).op(C::ReadCursorShape).u8(0);
        s.op(C::ReadCursorShape).u8(1).u8(0).u64(1).op(C::ReadCursorShape).u8(1).u8(1).u64(2);
        s.op(C::ReadCursorShape).u8(1).u8(2).u64(2);
        out.consumer("cursor", world.control(), s);

        // The shape descriptor rewritten: unknown flags, stride too large, then odd seq.
        ScriptWriter t;
        const uint64_t desc1 = nominal_layout().shape_desc_offset + 64;
        t.op(C::Poll).op(C::ReadCursor);
        t.op(C::WriteWord).u16(static_cast<uint16_t>((desc1 + 40) / 8)).u64(2);
        t.op(C::ReadCursorShape).u8(0);
        t.op(C::WriteWord).u16(static_cast<uint16_t>((desc1 + 40) / 8)).u64(0);
        t.op(C::WriteWord).u16(static_cast<uint16_t>((desc1 + 32) / 8)).u64(0x0000000200004000ULL);
        t.op(C::ReadCursorShape).u8(0);
        t.op(C::WriteWord).u16(static_cast<uint16_t>(desc1 / 8)).u64(7);
        t.op(C::ReadCursorShape).u8(0);
        out.consumer("cursor_bad_shape", world.control(), t);
    }
    {
        // Wide pixels and checksums; then a geometry change the viewer must see as full damage.
        World world(producer_config(2, true));
        auto viewer = world.consumer("recorder");
        world.publish(desc(32, 16, Format::RGBA16F), full_damage());
        std::vector<std::byte> dst(size_t{32} * 16 * 8);
        (void)viewer->read_frame(dst.data(), dst.size(), 32 * 8, monotonic_ns() + 1000 * MS);
        world.publish(desc(32, 16, Format::RGBA16F), damage_of({{0, 0, 1, 1}}));
        world.publish(desc(16, 32, Format::RGB10A2), damage_of({{0, 0, 16, 2}}));
        ScriptWriter s;
        read_frame(s.op(C::Poll), 16 * 4, 16 * 4 * 32);
        out.consumer("checksum_formats", world.control(), s);
    }
    {
        // A producer that stopped cleanly.
        World world;
        world.publish(desc(), full_damage());
        world.stop();
        ScriptWriter s;
        s.op(C::Poll).op(C::Acquire).op(C::WriteWord).u16(192 / 8).u64(1).op(C::Poll);
        s.op(C::WriteWord).u16(2).u64(99).op(C::Poll).op(C::Acquire);
        out.consumer("stopped", world.control(), s);
    }
    {
        // Every consumer slot taken: the fuzzed consumer reads without one.
        World world;
        std::vector<std::unique_ptr<Consumer>> others;
        for (uint32_t i = 0; i < protocol::MAX_CONSUMERS; ++i) {
            others.push_back(world.consumer("other"));
        }
        world.tick();
        world.publish(desc(), full_damage());
        (void)others[3]->acquire();
        ScriptWriter s;
        read_frame(s.op(C::Poll)).op(C::SendCursorMove).i32(0).i32(0).op(C::Acquire);
        out.consumer("slots_full", world.control(), s);
    }
    {
        // An empty script (the fuzzer runs its default one) and an empty region.
        World world;
        world.publish(desc(), damage_of({{1, 2, 3, 4}}));
        out.consumer("default_script", world.control(), ScriptWriter{});
        ScriptWriter s;
        s.op(C::Poll).op(C::Acquire).op(C::ReadCursor);
        out.consumer("empty_region", {}, s);
    }
}

// ---- producer inbox fuzzer scripts ----

using I = InboxOp;

ScriptWriter& publish(ScriptWriter& s, std::initializer_list<Rect> damage, uint8_t flags = 0,
                      I op = I::Publish, uint8_t w = W - 1, uint8_t h = H - 1) {
    s.op(op).u8(0).u8(w).u8(h).u8(flags).u8(static_cast<uint8_t>(damage.size()));
    for (const Rect& r : damage) {
        s.u8(static_cast<uint8_t>(r.x)).u8(static_cast<uint8_t>(r.y));
        s.u8(static_cast<uint8_t>(r.width)).u8(static_cast<uint8_t>(r.height));
    }
    return s;
}

void inbox_seeds(SeedWriter& out) {
    {
        // One viewer with three messages waiting and a hold on the newest frame.
        World world;
        auto viewer = world.consumer("viewer");
        world.tick();
        world.publish(desc(), full_damage());
        (void)viewer->acquire();
        (void)viewer->send_cursor_move(100, -20);
        (void)viewer->send_window_size(1280, 720);
        (void)viewer->request_full_frame();
        const auto table = world.table();

        ScriptWriter a;
        a.op(I::Service).op(I::DrainEvents);
        publish(a, {{0, 0, 8, 8}});
        publish(a, {{10, 10, 20, 20}});
        publish(a, {}, 1);
        a.op(I::Service).op(I::DrainEvents);
        out.inbox("viewer_messages", table, a);

        // The hold is forged onto every buffer: the producer must steal (or drop).
        ScriptWriter b;
        b.op(I::Service);
        for (uint8_t i = 1; i <= 3; ++i) {
            b.op(I::WriteSlotField).u8(i).u8(static_cast<uint8_t>(SlotField::Owner)).u64(77 + i);
            b.op(I::WriteSlotField).u8(i).u8(static_cast<uint8_t>(SlotField::HeldBuffer)).u64(i);
        }
        publish(b, {{1, 1, 1, 1}});
        publish(b, {{2, 2, 2, 2}});
        b.op(I::Restart).u8(1);
        b.op(I::WriteSlotField).u8(1).u8(static_cast<uint8_t>(SlotField::Owner)).u64(5);
        b.op(I::WriteSlotField).u8(1).u8(static_cast<uint8_t>(SlotField::HeldBuffer)).u64(2);
        b.op(I::WriteSlotField).u8(2).u8(static_cast<uint8_t>(SlotField::Owner)).u64(6);
        b.op(I::WriteSlotField).u8(2).u8(static_cast<uint8_t>(SlotField::HeldBuffer)).u64(3);
        publish(b, {});
        publish(b, {});
        publish(b, {});
        b.op(I::DrainEvents);
        out.inbox("forged_holds", table, b);

        // Mailbox indices out of range, garbage messages, then a silent slot evicted.
        ScriptWriter c;
        c.op(I::Service).op(I::DrainEvents);
        c.op(I::WriteSlotField).u8(0).u8(static_cast<uint8_t>(SlotField::MsgWrite)).u64(1000);
        c.op(I::Service);
        c.op(I::SendRaw).u8(0).u8(4).u32(1).u32(0x80000000u).u32(5);
        c.u32(3).u32(0).u32(16385).u32(9).u32(1).u32(1).u32(2).u32(0).u32(0);
        c.op(I::Service).op(I::DrainEvents);
        c.op(I::WriteSlotField).u8(0).u8(static_cast<uint8_t>(SlotField::MsgWrite)).u64(0xffffffff);
        c.op(I::WriteSlotField).u8(0).u8(static_cast<uint8_t>(SlotField::MessageWord) + 4).u64(3);
        c.op(I::Service).op(I::Advance).u16(15000).op(I::Service).op(I::DrainEvents);
        out.inbox("mailbox_abuse", table, c);

        // A frame begun, its rows reported out of order, ended; cursor updates around it.
        ScriptWriter d;
        d.op(I::Service);
        publish(d, {{0, 0, 64, 4}, {3, 40, 7, 7}}, 0, I::BeginFrame);
        d.op(I::RowsDone).u16(10).op(I::RowsDone).u16(5).op(I::RowsDone).u16(1000);
        d.op(I::EndFrame);
        d.op(I::CursorPosition).i32(-100000).i32(50).u8(1);
        d.op(I::CursorShape).u8(32).u8(32).u8(0).u8(0).u8(0).u8(0);
        d.op(I::CursorShape).u8(64).u8(17).u8(63).u8(16).u8(1).u8(12);
        d.op(I::CursorShape).u8(65).u8(1).u8(0).u8(0).u8(0).u8(0);
        d.op(I::CursorPosition).i32(10).i32(10).u8(0);
        publish(d, {{60, 40, 200, 200}}, 0, I::BeginFrame);
        publish(d, {{0, 0, 1, 1}});
        out.inbox("begin_frame_cursor", table, d);
    }
    {
        // An honest consumer in the script, sharing the region with forged slots.
        World world;
        ScriptWriter s;
        s.op(I::Honest).u8(static_cast<uint8_t>(HonestOp::Create)).op(I::Service);
        publish(s, {}, 1);
        s.op(I::Honest).u8(static_cast<uint8_t>(HonestOp::Poll));
        s.op(I::Honest).u8(static_cast<uint8_t>(HonestOp::Acquire));
        publish(s, {{4, 4, 4, 4}});
        publish(s, {{5, 5, 5, 5}});
        publish(s, {{6, 6, 6, 6}});
        s.op(I::Honest).u8(static_cast<uint8_t>(HonestOp::Release));
        s.op(I::Honest).u8(static_cast<uint8_t>(HonestOp::CursorMove)).i32(5).i32(6);
        s.op(I::Honest).u8(static_cast<uint8_t>(HonestOp::WindowSize)).u32(800).u32(600);
        s.op(I::Honest).u8(static_cast<uint8_t>(HonestOp::FullFrame));
        s.op(I::Service).op(I::DrainEvents);
        s.op(I::Honest).u8(static_cast<uint8_t>(HonestOp::Destroy)).op(I::Service);
        s.op(I::DrainEvents);
        out.inbox("honest_consumer", {}, s);
    }
    {
        // All sixteen slots owned and every buffer held: the producer steals; then restarts with
        // checksums and two buffers, and a frame too large for them.
        World world;
        std::vector<std::unique_ptr<Consumer>> all;
        for (uint32_t i = 0; i < protocol::MAX_CONSUMERS; ++i) {
            all.push_back(world.consumer("c"));
        }
        world.tick();
        for (uint32_t i = 0; i < BUFFER_COUNT; ++i) {
            world.publish(desc(), full_damage());
            (void)all[i]->acquire();
        }
        ScriptWriter s;
        s.op(I::Service);
        publish(s, {{0, 0, 2, 2}});
        publish(s, {{0, 0, 2, 2}});
        s.op(I::WriteTable).u16(16).u8(4).u32(0).op(I::Service);
        publish(s, {{0, 0, 2, 2}});
        s.op(I::Restart).u8(0x6).op(I::Service);
        publish(s, {}, 1, I::Publish, 255, 255);
        publish(s, {}, 1, I::Publish, 127, 127);
        s.op(I::Stop).op(I::Service).op(I::DrainEvents);
        out.inbox("slots_full_no_steal", world.table(), s);
    }
    {
        // More disjoint rects than a frame record holds; then sixteen slots changing owner three
        // times between two drains: more events than the queue holds.
        ScriptWriter s;
        s.op(I::Publish).u8(0).u8(W - 1).u8(H - 1).u8(0).u8(40);
        for (uint8_t i = 0; i < 40; ++i) {
            s.u8(static_cast<uint8_t>((i % 8) * 8))
                .u8(static_cast<uint8_t>((i / 8) * 8))
                .u8(2)
                .u8(2);
        }
        s.op(I::BeginFrame).u8(0).u8(W - 1).u8(H - 1).u8(0).u8(40);
        for (uint8_t i = 0; i < 40; ++i) {
            s.u8(static_cast<uint8_t>((i % 8) * 8 + 3)).u8(static_cast<uint8_t>((i / 8) * 8 + 3));
            s.u8(3).u8(1);
        }
        s.op(I::EndFrame);
        for (uint8_t round = 1; round <= 3; ++round) {
            for (uint8_t i = 0; i < protocol::MAX_CONSUMERS; ++i) {
                s.op(I::WriteSlotField).u8(i).u8(static_cast<uint8_t>(SlotField::Owner));
                s.u64(uint64_t{round} * 100 + i);
            }
            s.op(I::Service);
        }
        s.op(I::DrainEvents);
        out.inbox("overflows", {}, s);
    }
    {
        ScriptWriter s;
        out.inbox("default_script", {}, s);
        ScriptWriter r;
        r.op(I::WriteRegion).u32(0).u8(8).u64(0).op(I::Service);
        publish(r, {{0, 0, 3, 3}});
        r.op(I::WriteRegion).u32(static_cast<uint32_t>(nominal_layout().ring_offset)).u8(8);
        r.u64(~uint64_t{0});
        publish(r, {{0, 0, 3, 3}});
        out.inbox("region_writes", {}, r);
    }
}

}  // namespace
}  // namespace periscope::fuzz

int main(int argc, char** argv) {
    if (argc != 2) {
        (void)std::fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
        return 2;
    }
    periscope::set_log_level(periscope::LogLevel::Warn);
    periscope::fuzz::SeedWriter out(argv[1]);
    periscope::fuzz::consumer_seeds(out);
    periscope::fuzz::inbox_seeds(out);
    (void)std::printf("wrote %zu seeds, %zu bytes\n", out.files(), out.bytes());
    return 0;
}
