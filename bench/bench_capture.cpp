// ./x bench capture: the X11 capture path against the X server's own limit, on Xvfb.
//
//  1. full frame: a bare xcb_shm_get_image of the whole root (the fastest the server hands pixels
//     over) against the agent's two paths for the same picture: copy (X11 back-end grab(full) +
//     protocol publish into a shared region) and direct (grab_into: the X server writes into the
//     region's buffer itself);
//  2. a 64x64 area changed by an X client each frame, both paths;
//  3. the agent's CPU use, both paths, while an X client repaints the whole screen 60 times a
//     second and a consumer reads every frame.
// At 1920x1080 and 3840x2160. Percentiles are nearest-rank over all samples.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "agent/capture/capture_table.h"
#include "core/clock.h"
#include "core/percentiles.h"
#include "platform/region.h"
#include "protocol/consumer.h"
#include "protocol/producer.h"
#include "support/xvfb.h"

namespace periscope::bench {
namespace {

uint64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

// An X client that paints rectangles on the root window (what applications would do).
class Painter {
  public:
    explicit Painter(const std::string& display) {
        m_connection = xcb_connect(display.c_str(), nullptr);
        m_screen = xcb_setup_roots_iterator(xcb_get_setup(m_connection)).data;
        m_gc = xcb_generate_id(m_connection);
        xcb_create_gc(m_connection, m_gc, m_screen->root, 0, nullptr);
    }
    ~Painter() { xcb_disconnect(m_connection); }
    void fill(int16_t x, int16_t y, uint16_t w, uint16_t h, uint32_t color) {
        xcb_change_gc(m_connection, m_gc, XCB_GC_FOREGROUND, &color);
        const xcb_rectangle_t r{x, y, w, h};
        xcb_poly_fill_rectangle(m_connection, m_screen->root, m_gc, 1, &r);
        free(xcb_get_input_focus_reply(m_connection, xcb_get_input_focus(m_connection), nullptr));
    }
    uint16_t width() const { return m_screen->width_in_pixels; }
    uint16_t height() const { return m_screen->height_in_pixels; }

  private:
    xcb_connection_t* m_connection;
    xcb_screen_t* m_screen;
    xcb_gcontext_t m_gc;
};

// The floor: one MIT-SHM GetImage of the whole root into a SysV segment, into the same place
// every time (`destinations` = 1), or alternating between places as a double-buffered transport
// must (a destination just written is warmer in the caches than two).
std::vector<uint64_t> bare_shm_get_image(const std::string& display, int samples,
                                         uint32_t destinations = 1) {
    xcb_connection_t* c = xcb_connect(display.c_str(), nullptr);
    xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
    const size_t frame = size_t{screen->width_in_pixels} * screen->height_in_pixels * 4;
    const size_t bytes = frame * destinations;
    const int id = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
    void* memory = shmat(id, nullptr, 0);
    const xcb_shm_seg_t seg = xcb_generate_id(c);
    xcb_shm_attach(c, seg, static_cast<uint32_t>(id), 0);
    std::vector<uint64_t> t;
    for (int i = 0; i < samples; ++i) {
        const uint64_t start = monotonic_ns();
        auto cookie = xcb_shm_get_image(c, screen->root, 0, 0, screen->width_in_pixels,
                                        screen->height_in_pixels, ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP,
                                        seg, static_cast<uint32_t>(frame * (i % destinations)));
        free(xcb_shm_get_image_reply(c, cookie, nullptr));
        t.push_back(monotonic_ns() - start);
    }
    xcb_shm_detach(c, seg);
    xcb_disconnect(c);
    shmdt(memory);
    shmctl(id, IPC_RMID, nullptr);
    return t;
}

// The agent's sink for direct capture: the producer itself.
class ProducerSink final : public agent::FrameSink {
  public:
    explicit ProducerSink(protocol::Producer& producer) : m_producer(producer) {}
    Result<protocol::FrameTarget, protocol::Error> begin(
        const protocol::FrameDesc& desc, const protocol::DamageList& damage) override {
        return m_producer.begin_frame(desc, damage);
    }
    void rows_done(uint32_t rows) override { m_producer.rows_done(rows); }

  private:
    protocol::Producer& m_producer;
};

void print_row(const char* name, const Summary& s, const std::string& note = "") {
    std::printf("  %-40s %10s %10s %10s %10s  n=%-6llu %s\n", name, format_ns(s.p50).c_str(),
                format_ns(s.p99).c_str(), format_ns(s.p999).c_str(), format_ns(s.max).c_str(),
                static_cast<unsigned long long>(s.count), note.c_str());
}

void bench_resolution(uint32_t w, uint32_t h, int samples, double cpu_seconds) {
    test::XvfbConfig xc;
    xc.width = w;
    xc.height = h;
    std::string error;
    auto server = test::Xvfb::start(xc, &error);
    if (!server) {
        std::printf("  %ux%u: Xvfb did not start: %s\n", w, h, error.c_str());
        return;
    }
    const test::Xvfb& xvfb = *server;
    std::printf("\n%ux%u (Xvfb %s)\n  %-40s %10s %10s %10s %10s\n", w, h, xvfb.display().c_str(),
                "", "p50", "p99", "p99.9", "max");
    Painter painter(xvfb.display());
    painter.fill(0, 0, static_cast<uint16_t>(w), static_cast<uint16_t>(h), 0x336699);

    agent::CaptureOptions options;
    options.display = xvfb.display();
    std::string detail;
    auto backend = agent::open_capture("x11", options, &detail);
    if (!backend) {
        std::printf("  x11 back-end: %s\n", detail.c_str());
        return;
    }
    const uint64_t frame = protocol::frame_bytes(w, h, protocol::Format::BGRA8);
    const uint64_t size = protocol::required_region_size(frame, 3);
    const std::string path = "/dev/shm/periscope-bench-capture-" + std::to_string(getpid());
    platform::RegionOptions ro;
    ro.create = true;
    ro.size = size;
    auto region = platform::open_region(path, ro, &detail);
    ::unlink(path.c_str());
    if (!region) {
        std::printf("  region: %s\n", detail.c_str());
        return;
    }
    protocol::ProducerConfig pc;
    pc.expected_frame_bytes = frame;
    pc.buffer_count = 3;
    auto producer = std::move(protocol::Producer::create((*region)->bytes(), pc)).value();

    // The same back-end once more, with the region lent to the X server (direct capture).
    auto direct = agent::open_capture("x11", options, &detail);
    if (!direct) {
        std::printf("  x11 back-end: %s\n", detail.c_str());
        return;
    }
    std::string why;
    if (!(*direct)->use_region(agent::SharedRegion{(*region)->fd(), (*region)->bytes().data(),
                                                   (*region)->bytes().size()},
                               &why)) {
        std::printf("  direct capture unavailable: %s\n", why.c_str());
        return;
    }
    ProducerSink sink(*producer);

    // 1. Full frames: bare GetImage vs grab(full) + publish vs grab_into(full), interleaved in
    //    batches so that drift in the machine's state hits all three alike.
    std::vector<uint64_t> bare, bare2, agent_full, direct_full;
    for (int round = 0; round < 4; ++round) {
        auto b = bare_shm_get_image(xvfb.display(), samples / 4);
        bare.insert(bare.end(), b.begin(), b.end());
        auto b2 = bare_shm_get_image(xvfb.display(), samples / 4, 2);
        bare2.insert(bare2.end(), b2.begin(), b2.end());
        for (int i = 0; i < samples / 4; ++i) {
            const uint64_t start = monotonic_ns();
            auto grabbed = (*backend)->grab(true);
            if (grabbed) {
                const auto& f = **grabbed;
                (void)producer->publish({f.format, f.width, f.height, f.timestamp_ns}, f.pixels,
                                        f.stride, f.damage);
            }
            agent_full.push_back(monotonic_ns() - start);
        }
        for (int i = 0; i < samples / 4; ++i) {
            const uint64_t start = monotonic_ns();
            (void)(*direct)->grab_into(true, sink);
            producer->end_frame();
            direct_full.push_back(monotonic_ns() - start);
        }
    }
    const Summary sb = summarize(bare), sa = summarize(agent_full), sd = summarize(direct_full);
    char note[96];
    print_row("bare xcb_shm_get_image (full root)", sb);
    const Summary sb2 = summarize(bare2);
    std::snprintf(note, sizeof note, "ratio %.2f (p50)", sb2.p50 / sb.p50);
    print_row("bare, alternating 2 destinations", sb2, note);
    std::snprintf(note, sizeof note, "ratio %.2f (p50)", sa.p50 / sb.p50);
    print_row("agent, copy: grab(full) + publish", sa, note);
    std::snprintf(note, sizeof note, "ratio %.2f (p50)", sd.p50 / sb.p50);
    print_row("agent, direct: grab_into(full)", sd, note);

    // 2. A 64x64 area changes each frame: poll + grab + publish, or poll + grab_into.
    auto small_change = [&](bool use_direct) {
        std::vector<uint64_t> t;
        uint64_t bytes_read = 0;
        agent::CaptureBackend& b = use_direct ? **direct : **backend;
        for (int i = 0; i < samples; ++i) {
            painter.fill(static_cast<int16_t>((i * 64) % (w - 64)), static_cast<int16_t>(h / 2), 64,
                         64, 0xFF0000u + static_cast<uint32_t>(i));
            const uint64_t start = monotonic_ns();
            auto events = b.poll(100 * NS_PER_MS);
            if (events && events->frame_damaged) {
                if (use_direct) {
                    auto grabbed = b.grab_into(false, sink);
                    producer->end_frame();
                    bytes_read += grabbed ? grabbed->bytes_read : 0;
                } else if (auto grabbed = b.grab(false); grabbed) {
                    const auto& f = **grabbed;
                    bytes_read += f.bytes_read;
                    (void)producer->publish({f.format, f.width, f.height, f.timestamp_ns}, f.pixels,
                                            f.stride, f.damage);
                }
            }
            t.push_back(monotonic_ns() - start);
        }
        std::snprintf(note, sizeof note, "%.1f KB fetched per frame",
                      static_cast<double>(bytes_read) / samples / 1e3);
        print_row(use_direct ? "agent, direct: 64x64 changed (poll+grab)"
                             : "agent, copy: 64x64 changed (poll+grab+publish)",
                  summarize(t), note);
    };
    // Each path starts from a full frame of its own so that only the change is fetched.
    (void)(*backend)->grab(true);
    small_change(false);
    // Every buffer once, so that the first measured grabs fetch only what changed.
    for (uint32_t i = 0; i < producer->layout().buffer_count; ++i) {
        (void)(*direct)->grab_into(i == 0, sink);
        producer->end_frame();
    }
    small_change(true);
    producer.reset();
    backend.value().reset();
    direct.value().reset();

    // 3. CPU use of the whole agent at 60 full-screen changes a second, a consumer reading.
    for (const bool use_direct : {false, true}) {
        auto agent_backend = agent::open_capture("x11", options, &detail);
        if (!agent_backend) {
            std::printf("  x11 back-end: %s\n", detail.c_str());
            return;
        }
        agent::AgentConfig config;
        config.region_fd = (*region)->fd();
        config.direct_capture = use_direct;
        agent::Agent agent(**agent_backend, (*region)->bytes(), config);
        std::atomic<bool> stop{false};
        uint64_t cpu = 0, wall = 0;
        std::thread agent_thread([&] {
            const uint64_t c0 = thread_cpu_ns(), w0 = monotonic_ns();
            (void)agent.run(stop);
            cpu = thread_cpu_ns() - c0;
            wall = monotonic_ns() - w0;
        });
        protocol::Consumer consumer((*region)->bytes(), protocol::ConsumerConfig{});
        std::atomic<bool> painting{true};
        std::thread paint_thread([&] {
            Painter p(xvfb.display());
            auto next = std::chrono::steady_clock::now();
            for (uint32_t i = 0; painting; ++i) {
                p.fill(0, 0, static_cast<uint16_t>(w), static_cast<uint16_t>(h), i * 0x010203u);
                next += std::chrono::microseconds(16667);
                std::this_thread::sleep_until(next);
            }
        });
        const uint64_t end = monotonic_ns() + static_cast<uint64_t>(cpu_seconds * 1e9);
        uint64_t frames = 0;
        while (monotonic_ns() < end) {
            consumer.poll(monotonic_ns());
            if (consumer.wait_new_frame(monotonic_ns() + 100 * NS_PER_MS,
                                        protocol::PollMode::LowCpu)) {
                auto info = consumer.acquire();
                if (info && consumer.wait_rows(info->height, monotonic_ns() + 1000 * NS_PER_MS) &&
                    consumer.release()) {
                    ++frames;
                }
            }
        }
        painting = false;
        paint_thread.join();
        stop = true;
        agent_thread.join();
        std::printf(
            "  agent CPU at 60 full-screen changes/s, %s: %.0f%% of one core (%.1f frames/s "
            "delivered)\n",
            agent.stats().direct ? "direct" : "copy",
            100.0 * static_cast<double>(cpu) / static_cast<double>(wall),
            static_cast<double>(frames) / cpu_seconds);
    }
}

}  // namespace
}  // namespace periscope::bench

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    std::printf("periscope capture benchmark (X11 back-end on Xvfb)\n");
    periscope::bench::bench_resolution(1920, 1080, quick ? 8 : 200, quick ? 1 : 5);
    periscope::bench::bench_resolution(3840, 2160, quick ? 8 : 100, quick ? 1 : 5);
    return 0;
}
