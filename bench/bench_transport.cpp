// ./x bench transport: the shared-memory transport against this machine's own limits.
//
//  1. notification latency, producer posts -> consumer sees: busy polling and low-CPU polling
//     (with the consumer thread's CPU use);
//  2. full-frame transfer of 1080p, 1440p and 4K BGRA into a /dev/shm mapping: memcpy,
//     non-temporal copy and the protocol's publish() of the same bytes, interleaved in one run;
//  3. a 64x64 damaged area in a 4K frame: cost of publish() per frame;
//  4. protocol overhead per frame without pixel copies (publish() of an unchanged frame).
// Percentiles are nearest-rank over all samples. Why not Google Benchmark: it reports means of
// batches, and these figures need per-sample tails and ratios between cases of the same run.
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/copy.h"
#include "core/percentiles.h"
#include "platform/region.h"
#include "protocol/consumer.h"
#include "protocol/producer.h"

namespace periscope::bench {
namespace {

using protocol::Consumer;
using protocol::DamageList;
using protocol::Format;
using protocol::FrameDesc;
using protocol::Producer;
using protocol::Rect;

struct Options {
    uint64_t latency_samples = 200000;
    uint64_t lowcpu_samples = 100000;
    uint64_t damage_samples = 100000;
    uint64_t overhead_samples = 100000;
    uint64_t transfer_samples = 400;
    std::string json;
};

std::string g_json;

// Room after the protocol's layout for the plain copies' destinations: two 4K frames.
constexpr uint64_t SPARE_AREA = 2 * uint64_t{3840} * 2160 * 4;

void json_add(const std::string& key, const Summary& s, const std::string& extra = "") {
    char text[512];
    std::snprintf(text, sizeof text,
                  "%s\"%s\": {\"count\": %llu, \"p50_ns\": %.0f, \"p99_ns\": %.0f, "
                  "\"p999_ns\": %.0f, \"max_ns\": %.0f, \"mean_ns\": %.1f%s}",
                  g_json.empty() ? "" : ",\n  ", key.c_str(),
                  static_cast<unsigned long long>(s.count), s.p50, s.p99, s.p999, s.max, s.mean,
                  extra.c_str());
    g_json += text;
}

void print_row(const char* name, const Summary& s, const std::string& note = "") {
    std::printf("  %-34s %10s %10s %10s %10s  n=%-7llu %s\n", name, format_ns(s.p50).c_str(),
                format_ns(s.p99).c_str(), format_ns(s.p999).c_str(), format_ns(s.max).c_str(),
                static_cast<unsigned long long>(s.count), note.c_str());
}

void print_heading(const char* title) {
    std::printf("\n%s\n  %-34s %10s %10s %10s %10s\n", title, "", "p50", "p99", "p99.9", "max");
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % static_cast<int>(std::thread::hardware_concurrency()), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

uint64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

std::unique_ptr<Producer> make_producer(platform::Region& region, uint32_t w, uint32_t h) {
    protocol::ProducerConfig config;
    config.expected_frame_bytes = protocol::frame_bytes(w, h, Format::BGRA8);
    config.buffer_count = 3;
    auto p = Producer::create(region.bytes(), config);
    if (!p) {
        std::fprintf(stderr, "bench: producer: %s\n", protocol::to_string(p.error()));
        std::exit(1);
    }
    return std::move(p).value();
}

// Ping-pong: the producer posts only after the consumer has seen the previous frame, so every
// sample is one uncontended notification, not a queue.
void bench_notification(platform::Region& region, const Options& o, protocol::PollMode mode) {
    const bool busy = mode == protocol::PollMode::Busy;
    const uint64_t samples = busy ? o.latency_samples : o.lowcpu_samples;
    auto producer = make_producer(region, 3840, 2160);
    Consumer consumer(region.bytes(), protocol::ConsumerConfig{});
    consumer.poll(monotonic_ns());
    std::atomic<uint64_t> acked{0};
    std::vector<uint64_t> latency;
    latency.reserve(samples);
    uint64_t cpu = 0, wall = 0;
    std::thread reader([&] {
        pin_to_cpu(1);
        const uint64_t cpu0 = thread_cpu_ns(), wall0 = monotonic_ns();
        for (uint64_t i = 0; i < samples; ++i) {
            if (!consumer.wait_new_frame(monotonic_ns() + 5000 * NS_PER_MS, mode, 100000)) {
                std::fprintf(stderr, "bench: no frame within 5 s\n");
                std::exit(1);
            }
            const uint64_t seen = monotonic_ns();
            auto info = consumer.acquire();
            if (info) {
                latency.push_back(seen - info->timestamp_ns);
                (void)consumer.release();
            }
            acked.store(i + 1, std::memory_order_release);
        }
        cpu = thread_cpu_ns() - cpu0;
        wall = monotonic_ns() - wall0;
    });
    pin_to_cpu(0);
    std::mt19937 rng(3);
    const DamageList none;
    for (uint64_t i = 0; i < samples; ++i) {
        while (acked.load(std::memory_order_acquire) != i) {
            cpu_relax();
        }
        if (busy) {
            // A random pause so posts do not phase-lock with the reader's loop.
            const uint64_t until = monotonic_ns() + rng() % 2000;
            while (monotonic_ns() < until) {
                cpu_relax();
            }
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(100 + rng() % 100));
        }
        producer->service(monotonic_ns());
        FrameDesc d{Format::BGRA8, 64, 64, 0};
        d.timestamp_ns = monotonic_ns();
        auto target = producer->begin_frame(d, none);
        if (target) {
            producer->end_frame();
        }
    }
    reader.join();
    const Summary s = summarize(latency);
    char note[96];
    std::snprintf(note, sizeof note, "consumer CPU %.0f%% of one core",
                  100.0 * static_cast<double>(cpu) / static_cast<double>(wall));
    print_row(busy ? "busy poll: post -> seen" : "low-CPU poll (100 us): post -> seen", s, note);
    char extra[64];
    std::snprintf(extra, sizeof extra, ", \"consumer_cpu\": %.3f",
                  static_cast<double>(cpu) / static_cast<double>(wall));
    json_add(busy ? "notify_busy" : "notify_lowcpu", s, extra);
}

void bench_transfer(platform::Region& region, const Options& o, uint32_t w, uint32_t h) {
    auto producer = make_producer(region, w, h);
    const size_t bytes = size_t{w} * h * 4;
    std::vector<uint32_t> src(bytes / 4);
    std::mt19937 rng(5);
    for (auto& p : src) {
        p = static_cast<uint32_t>(rng());
    }
    // Each method writes its own destination in the same shared mapping (the producer's three
    // buffers for publish(), two areas past the protocol's layout for the plain copies): a method
    // writing lines another one left dirty in the cache would pay for the other's writes.
    std::byte* const spare = region.bytes().data() + producer->layout().region_size;
    std::byte* const dst_memcpy = spare;
    std::byte* const dst_nt = spare + SPARE_AREA / 2;
    const auto* from = reinterpret_cast<const std::byte*>(src.data());
    std::vector<uint64_t> t_memcpy, t_nt, t_publish;
    DamageList full;
    full.set_full();
    const FrameDesc desc{Format::BGRA8, w, h, 0};
    // Warm up: fault in every page of the source and of every destination once.
    std::memcpy(dst_memcpy, from, bytes);
    std::memcpy(dst_nt, from, bytes);
    for (int i = 0; i < 3; ++i) {
        (void)producer->publish(desc, from, w * 4, full);
    }
    for (uint64_t i = 0; i < o.transfer_samples; ++i) {
        uint64_t t = monotonic_ns();
        std::memcpy(dst_memcpy, from, bytes);
        t_memcpy.push_back(monotonic_ns() - t);
        t = monotonic_ns();
        copy_bytes(dst_nt, from, bytes, CopyKind::NonTemporal);
        copy_fence();
        t_nt.push_back(monotonic_ns() - t);
        t = monotonic_ns();
        (void)producer->publish(desc, from, w * 4, full);
        t_publish.push_back(monotonic_ns() - t);
    }
    const Summary m = summarize(t_memcpy), n = summarize(t_nt), p = summarize(t_publish);
    const double best = std::min(m.p50, n.p50);
    auto gbps = [&](const Summary& s) { return static_cast<double>(bytes) / s.p50; };
    char label[64];
    std::printf("\n  %ux%u BGRA (%.1f MB per frame)\n", w, h, static_cast<double>(bytes) / 1e6);
    char note[96];
    std::snprintf(note, sizeof note, "%.2f GB/s", gbps(m));
    print_row("memcpy", m, note);
    std::snprintf(note, sizeof note, "%.2f GB/s", gbps(n));
    print_row("non-temporal copy", n, note);
    std::snprintf(note, sizeof note, "%.2f GB/s  = %.2f x best (p50)", gbps(p), best / p.p50);
    print_row("protocol publish (full frame)", p, note);
    std::snprintf(label, sizeof label, "transfer_%ux%u", w, h);
    char extra[160];
    std::snprintf(extra, sizeof extra, ", \"bytes\": %zu", bytes);
    json_add(std::string(label) + "_memcpy", m, extra);
    json_add(std::string(label) + "_nontemporal", n, extra);
    std::snprintf(extra, sizeof extra, ", \"bytes\": %zu, \"ratio_to_best_p50\": %.3f", bytes,
                  best / p.p50);
    json_add(std::string(label) + "_publish", p, extra);
}

void bench_damage(platform::Region& region, const Options& o) {
    const uint32_t w = 3840, h = 2160;
    auto producer = make_producer(region, w, h);
    std::vector<uint32_t> src(size_t{w} * h, 0xFF336699u);
    const auto* from = reinterpret_cast<const std::byte*>(src.data());
    DamageList full;
    full.set_full();
    const FrameDesc desc{Format::BGRA8, w, h, 0};
    for (int i = 0; i < 3; ++i) {  // every buffer gets the whole picture once
        (void)producer->publish(desc, from, w * 4, full);
    }
    std::vector<uint64_t> t_damage;
    t_damage.reserve(o.damage_samples);
    const uint64_t copied_before = producer->stats().bytes_copied;
    for (uint64_t i = 0; i < o.damage_samples; ++i) {
        DamageList d;
        d.add(Rect{static_cast<uint32_t>(i * 64 % (w - 64)),
                   static_cast<uint32_t>(i * 8 % (h - 64)), 64, 64});
        const uint64_t t = monotonic_ns();
        (void)producer->publish(desc, from, w * 4, d);
        t_damage.push_back(monotonic_ns() - t);
    }
    const double per_frame = static_cast<double>(producer->stats().bytes_copied - copied_before) /
                             static_cast<double>(o.damage_samples);
    const Summary s = summarize(t_damage);
    char note[96];
    std::snprintf(note, sizeof note, "%.0f KB copied per frame (own + stale damage)",
                  per_frame / 1e3);
    print_row("4K frame, 64x64 damaged", s, note);
    json_add("damage_64x64_in_4k", s);

    std::vector<uint64_t> t_none;
    t_none.reserve(o.overhead_samples);
    const DamageList nothing;
    for (uint64_t i = 0; i < o.overhead_samples; ++i) {
        const uint64_t t = monotonic_ns();
        (void)producer->publish(desc, from, w * 4, nothing);
        producer->service(t);
        t_none.push_back(monotonic_ns() - t);
    }
    const Summary n = summarize(t_none);
    print_row("overhead: publish + service, no pixels", n);
    json_add("overhead_per_frame", n);
    std::vector<uint64_t> t_clock;
    for (int i = 0; i < 100000; ++i) {
        const uint64_t t = monotonic_ns();
        t_clock.push_back(monotonic_ns() - t);
    }
    const Summary c = summarize(t_clock);
    print_row("(clock read itself)", c);
    json_add("clock_read", c);
}

bool parse(int argc, char** argv, Options* o) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--quick") {
            o->latency_samples = o->lowcpu_samples = 5000;
            o->damage_samples = o->overhead_samples = 5000;
            o->transfer_samples = 20;
        } else if (arg == "--json" && i + 1 < argc) {
            o->json = argv[++i];
        } else if (arg == "-h" || arg == "--help") {
            std::printf(
                "usage: bench_transport [--quick] [--json FILE]\n"
                "  --quick      few samples (a smoke run, not a measurement)\n"
                "  --json FILE  also write every summary as JSON\n");
            std::exit(0);
        } else {
            std::fprintf(stderr, "bench_transport: unknown option %s\n", arg.c_str());
            return false;
        }
    }
    return true;
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            return line.substr(line.find(':') + 2);
        }
    }
    return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse(argc, argv, &o)) {
        return 2;
    }
    const uint64_t size =
        protocol::required_region_size(protocol::frame_bytes(3840, 2160, Format::BGRA8), 3) +
        SPARE_AREA;
    const std::string path = "/dev/shm/periscope-bench-" + std::to_string(getpid());
    platform::RegionOptions ro;
    ro.create = true;
    ro.size = size;
    std::string detail;
    auto region = platform::open_region(path, ro, &detail);
    ::unlink(path.c_str());  // the mapping stays valid; nothing is left behind
    if (!region) {
        std::fprintf(stderr, "bench: %s\n", detail.c_str());
        return 1;
    }
    std::printf("periscope transport benchmark: %s, %u CPUs, region %s\n", cpu_model().c_str(),
                std::thread::hardware_concurrency(), (*region)->description().c_str());

    print_heading("notification latency (producer posts -> consumer sees), 2 threads pinned");
    bench_notification(**region, o, protocol::PollMode::Busy);
    bench_notification(**region, o, protocol::PollMode::LowCpu);

    print_heading("full-frame transfer into the shared mapping (same bytes, interleaved runs)");
    bench_transfer(**region, o, 1920, 1080);
    bench_transfer(**region, o, 2560, 1440);
    bench_transfer(**region, o, 3840, 2160);

    print_heading("per-frame cost, producer side");
    bench_damage(**region, o);

    if (!o.json.empty()) {
        std::ofstream out(o.json);
        out << "{\n  " << g_json << "\n}\n";
        std::printf("\nJSON written to %s\n", o.json.c_str());
    }
    return 0;
}

}  // namespace periscope::bench

int main(int argc, char** argv) {
    return periscope::bench::main(argc, argv);
}
