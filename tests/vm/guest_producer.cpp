// Runs inside the test guest: a producer on the ivshmem PCI BAR (region spec from argv, normally
// "pci"). Waits for a consumer on the host, posts frames with checksums and a cursor, waits for
// the host's messages, stops cleanly. Everything it reports goes to the serial console, which the
// host test reads.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "platform/region.h"
#include "protocol/producer.h"

namespace {

using namespace periscope;
using namespace periscope::protocol;

constexpr uint32_t W = 640;
constexpr uint32_t H = 480;

int g_host_messages = 0;  // full-frame requests and window sizes received, whenever they came

// Serves the region until `done` says so or the deadline passes; prints what arrives.
template <class Done>
bool serve_until(Producer& producer, uint64_t deadline, Done done) {
    while (monotonic_ns() < deadline) {
        producer.service(monotonic_ns());
        ProducerEvent event;
        while (producer.next_event(&event)) {
            switch (event.kind) {
                case ProducerEvent::Kind::ConsumerJoined:
                    std::printf("guest: consumer joined slot %u\n", event.slot);
                    break;
                case ProducerEvent::Kind::ConsumerLeft:
                case ProducerEvent::Kind::ConsumerEvicted:
                    std::printf("guest: consumer left slot %u\n", event.slot);
                    break;
                case ProducerEvent::Kind::Message:
                    if (event.message.type == MessageType::FullFrame) {
                        ++g_host_messages;
                        std::printf("guest: message full-frame from slot %u\n", event.slot);
                    } else if (event.message.type == MessageType::WindowSize) {
                        ++g_host_messages;
                        std::printf("guest: message window-size %ux%u\n", event.message.width,
                                    event.message.height);
                    } else if (event.message.type == MessageType::CursorMove) {
                        std::printf("guest: message cursor-move %d,%d\n", event.message.x,
                                    event.message.y);
                    }
                    break;
            }
            if (done(event)) {
                return true;
            }
        }
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: vm_guest_producer REGION FRAMES\n");
        return 2;
    }
    setvbuf(stdout, nullptr, _IOLBF, 0);
    std::string detail;
    auto region = platform::open_region(argv[1], {}, &detail);
    if (!region) {
        std::printf("guest: cannot open %s: %s\n", argv[1], detail.c_str());
        return 1;
    }
    std::printf("guest: region %s\n", (*region)->description().c_str());
    ProducerConfig config;
    config.expected_frame_bytes = frame_bytes(W, H, Format::BGRA8);
    config.checksums = true;
    config.pid = static_cast<uint32_t>(getpid());
    const char* why = nullptr;
    auto producer = Producer::create((*region)->bytes(), config, &why);
    if (!producer) {
        std::printf("guest: producer: %s (%s)\n", to_string(producer.error()), why);
        return 1;
    }
    Producer& p = **producer;
    std::printf("guest: session %016llx, %u buffers\n",
                static_cast<unsigned long long>(p.session_id()), p.layout().buffer_count);

    // The host's consumer attaches once it sees the magic.
    if (!serve_until(p, monotonic_ns() + 60000 * NS_PER_MS, [](const ProducerEvent& e) {
            return e.kind == ProducerEvent::Kind::ConsumerJoined;
        })) {
        std::printf("guest: no consumer joined within 60 s\n");
        return 1;
    }
    std::vector<uint32_t> cursor(size_t{32} * 32, 0xFF00FF00u);
    CursorImage shape;
    shape.width = 32;
    shape.height = 32;
    shape.hotspot_x = 3;
    shape.hotspot_y = 4;
    shape.pixels = reinterpret_cast<const std::byte*>(cursor.data());
    shape.stride = 32 * 4;
    (void)p.set_cursor_shape(shape);

    std::vector<uint32_t> image(size_t{W} * H);
    const int frames = std::atoi(argv[2]);
    for (int f = 0; f < frames; ++f) {
        DamageList damage;
        if (f % 10 == 0) {
            damage.set_full();
        }
        const auto x0 = static_cast<uint32_t>(f * 16 % (W - 64));
        for (uint32_t y = 0; y < H; ++y) {
            for (uint32_t x = 0; x < W; ++x) {
                if (f % 10 == 0 || (x >= x0 && x < x0 + 64)) {
                    image[size_t{y} * W + x] =
                        static_cast<uint32_t>(f * 0x01010101u) ^ (x << 8) ^ y;
                }
            }
        }
        damage.add(Rect{x0, 0, 64, H});
        (void)p.publish(FrameDesc{Format::BGRA8, W, H, monotonic_ns()},
                        reinterpret_cast<const std::byte*>(image.data()), W * 4, damage);
        p.set_cursor_position(static_cast<int32_t>(x0), 100, true, monotonic_ns());
        serve_until(p, monotonic_ns() + 20 * NS_PER_MS, [](const ProducerEvent&) { return false; });
    }
    std::printf("guest: posted %d frames\n", frames);
    // The host sends a full-frame request and a window size once it has verified frames.
    if (g_host_messages < 2) {
        serve_until(p, monotonic_ns() + 60000 * NS_PER_MS,
                    [](const ProducerEvent&) { return g_host_messages >= 2; });
    }
    p.stop();
    std::printf("guest: done, stats posted=%llu stolen=%llu\n",
                static_cast<unsigned long long>(p.stats().frames_posted),
                static_cast<unsigned long long>(p.stats().buffers_stolen));
    return g_host_messages >= 2 ? 0 : 1;
}
