// periscope-demo: the synthetic producer (a child process, standing in for the agent) and a console
// consumer (standing in for the viewer) over a real /dev/shm region. Prints, once a second, the
// frame rate, the latency from post to first sight and to complete frame, and what was validated;
// halfway through it SIGKILLs the producer and starts a new one, to show the consumer noticing and
// re-attaching by itself.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/percentiles.h"
#include "demo_producer.h"
#include "platform/region.h"
#include "protocol/consumer.h"
#include "protocol/layout.h"

namespace periscope::demo {
namespace {

volatile sig_atomic_t g_interrupted = 0;

double to_ms(uint64_t ns) {
    return static_cast<double>(ns) / 1e6;
}
double to_ms(double ns) {
    return ns / 1e6;
}
double to_s(uint64_t ns) {
    return static_cast<double>(ns) / 1e9;
}

struct Options {
    std::string shm = "/dev/shm/periscope-demo";
    uint32_t width = 1920;
    uint32_t height = 1080;
    double fps = 60;
    double seconds = 10;
    double restart_at = -1;  // default: half of seconds
    protocol::PollMode mode = protocol::PollMode::LowCpu;
    bool keep = false;
};

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: periscope-demo [options]\n"
                 "\n"
                 "Runs the synthetic producer (a child process, as the agent would be) and a\n"
                 "console consumer (as the viewer would be) over a shared-memory file, and\n"
                 "prints frame rate, latency percentiles and what the consumer validated.\n"
                 "\n"
                 "  --shm PATH          region file (default /dev/shm/periscope-demo; created,\n"
                 "                      sized by the protocol's formula, removed at exit)\n"
                 "  --size WxH          frame size (default 1920x1080)\n"
                 "  --fps N             producer frame rate (default 60)\n"
                 "  --seconds N         run time; 0 runs until Ctrl-C (default 10)\n"
                 "  --restart-at S      SIGKILL the producer after S seconds and start a new one\n"
                 "                      (default: half the run time; 0 disables)\n"
                 "  --poll busy|lowcpu  consumer polling mode (default lowcpu)\n"
                 "  --keep              leave the region file in place at exit\n"
                 "  --log LEVEL         debug, info, warn, error (default warn)\n"
                 "  -h, --help          this text\n");
}

bool parse(int argc, char** argv, Options* o) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "periscope-demo: %s needs a value\n", arg.c_str());
                return nullptr;
            }
            return argv[++i];
        };
        if (arg == "-h" || arg == "--help") {
            usage(stdout);
            std::exit(0);
        } else if (arg == "--shm") {
            const char* v = value();
            if (v == nullptr)
                return false;
            o->shm = v;
        } else if (arg == "--size") {
            const char* v = value();
            if (v == nullptr || std::sscanf(v, "%ux%u", &o->width, &o->height) != 2 ||
                o->width < 300 || o->height < 300 || o->width > 16384 || o->height > 16384) {
                std::fprintf(stderr, "periscope-demo: --size wants WxH, 300..16384 each\n");
                return false;
            }
        } else if (arg == "--fps") {
            const char* v = value();
            if (v == nullptr || (o->fps = std::atof(v)) <= 0 || o->fps > 1000) {
                std::fprintf(stderr, "periscope-demo: --fps wants 0 < N <= 1000\n");
                return false;
            }
        } else if (arg == "--seconds") {
            const char* v = value();
            if (v == nullptr || (o->seconds = std::atof(v)) < 0) {
                std::fprintf(stderr, "periscope-demo: --seconds wants N >= 0\n");
                return false;
            }
        } else if (arg == "--restart-at") {
            const char* v = value();
            if (v == nullptr)
                return false;
            o->restart_at = std::atof(v);
        } else if (arg == "--poll") {
            const char* v = value();
            if (v == nullptr)
                return false;
            if (std::strcmp(v, "busy") == 0) {
                o->mode = protocol::PollMode::Busy;
            } else if (std::strcmp(v, "lowcpu") == 0) {
                o->mode = protocol::PollMode::LowCpu;
            } else {
                std::fprintf(stderr, "periscope-demo: --poll wants busy or lowcpu\n");
                return false;
            }
        } else if (arg == "--keep") {
            o->keep = true;
        } else if (arg == "--log") {
            const char* v = value();
            LogLevel level;
            if (v == nullptr || !parse_log_level(v, &level)) {
                std::fprintf(stderr, "periscope-demo: --log wants debug, info, warn or error\n");
                return false;
            }
            set_log_level(level);
        } else {
            std::fprintf(stderr, "periscope-demo: unknown option %s (see --help)\n", arg.c_str());
            return false;
        }
    }
    if (o->restart_at < 0) {
        o->restart_at = o->seconds / 2;
    }
    return true;
}

pid_t start_producer(const Options& o) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_IGN);  // the parent decides when we stop
        ProducerOptions p;
        p.region = o.shm;
        p.width = o.width;
        p.height = o.height;
        p.fps = o.fps;
        _exit(run_producer(p));
    }
    return pid;
}

void stop_producer(pid_t pid) {
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
}

struct Window {
    std::vector<uint64_t> seen;      // post -> consumer notices the frame
    std::vector<uint64_t> complete;  // post -> last row read
    uint64_t frames = 0;
    uint64_t verified = 0;
    uint64_t bad = 0;
};

}  // namespace

int main(int argc, char** argv) {
    set_log_level(LogLevel::Warn);
    Options o;
    if (!parse(argc, argv, &o)) {
        return 2;
    }
    signal(SIGINT, [](int) { g_interrupted = 1; });
    signal(SIGTERM, [](int) { g_interrupted = 1; });

    const uint64_t frame = protocol::frame_bytes(o.width, o.height, protocol::Format::BGRA8);
    const uint64_t required = protocol::required_region_size(frame, 3);
    const uint64_t size = protocol::recommended_ivshmem_size(required);
    ::unlink(o.shm.c_str());
    platform::RegionOptions ro;
    ro.create = true;
    ro.size = size;
    std::string detail;
    auto region = platform::open_region(o.shm, ro, &detail);
    if (!region) {
        std::fprintf(stderr, "periscope-demo: %s\n", detail.c_str());
        return 1;
    }
    std::printf("region   %s: %llu MiB (%ux%u BGRA8 x 3 buffers needs %.2f MB)\n",
                (*region)->description().c_str(), static_cast<unsigned long long>(size >> 20),
                o.width, o.height, to_ms(required));
    std::printf(
        "producer synthetic, %ux%u at %.0f fps, damage = moving 256x256 box, checksums on\n",
        o.width, o.height, o.fps);
    std::printf("consumer %s polling; every frame header validated, every frame hashed\n\n",
                o.mode == protocol::PollMode::Busy ? "busy" : "low-CPU");

    protocol::ConsumerConfig cc;
    cc.kind = protocol::ConsumerKind::Viewer;
    cc.name = "periscope-demo";
    cc.pid = static_cast<uint32_t>(getpid());
    protocol::Consumer consumer((*region)->bytes(), cc);

    pid_t producer = start_producer(o);
    const uint64_t start = monotonic_ns();
    uint64_t next_report = start + NS_PER_MS * 1000;
    bool restarted = o.restart_at <= 0;
    uint64_t killed_at = 0, lost_at = 0, restarted_at = 0, reattached_at = 0;
    uint64_t last_session = 0;
    Window window, total;
    std::vector<std::byte> copy(frame);
    protocol::ConsumerState last_state = protocol::ConsumerState::Waiting;

    while (g_interrupted == 0) {
        const uint64_t now = monotonic_ns();
        if (o.seconds > 0 && now - start >= static_cast<uint64_t>(o.seconds * 1e9)) {
            break;
        }
        if (!restarted && now - start >= static_cast<uint64_t>(o.restart_at * 1e9)) {
            std::printf("--- SIGKILL to the producer (pid %d), mid-stream ---\n", producer);
            std::fflush(stdout);
            stop_producer(producer);
            killed_at = monotonic_ns();
            restarted = true;
        }
        const protocol::ConsumerState state = consumer.poll(now);
        if (state != last_state) {
            if (state == protocol::ConsumerState::Lost && killed_at != 0 && lost_at == 0) {
                lost_at = now;
                std::printf(
                    "--- consumer: agent lost, %.0f ms after the kill; starting a new "
                    "producer ---\n",
                    to_ms(lost_at - killed_at));
                producer = start_producer(o);
                restarted_at = monotonic_ns();
            }
            last_state = state;
        }
        if (state == protocol::ConsumerState::Attached && consumer.session_id() != last_session) {
            if (last_session != 0 && reattached_at == 0) {
                reattached_at = now;
                std::printf(
                    "--- consumer: new session %016llx attached %.1f ms after the new "
                    "producer started ---\n",
                    static_cast<unsigned long long>(consumer.session_id()),
                    to_ms(reattached_at - restarted_at));
            }
            last_session = consumer.session_id();
        }
        if (consumer.wait_new_frame(now + 50 * NS_PER_MS, o.mode, 250000)) {
            const uint64_t seen = monotonic_ns();
            auto info = consumer.acquire();
            if (info) {
                uint32_t rows = 0;
                bool ok = true;
                while (rows < info->height && ok) {
                    auto ready = consumer.wait_rows(rows + 1, monotonic_ns() + 1000 * NS_PER_MS);
                    if (!ready) {
                        ok = false;
                        break;
                    }
                    std::memcpy(copy.data() + uint64_t{rows} * info->stride,
                                consumer.frame_data() + uint64_t{rows} * info->stride,
                                uint64_t{*ready - rows} * info->stride);
                    rows = *ready;
                }
                const uint64_t done = monotonic_ns();
                if (ok && consumer.release()) {
                    ++window.frames;
                    window.seen.push_back(seen - info->timestamp_ns);
                    window.complete.push_back(done - info->timestamp_ns);
                    if (info->checksum != 0) {
                        ++window.verified;
                        if (hash64(copy.data(), info->row_bytes() * info->height) !=
                            info->checksum) {
                            ++window.bad;
                        }
                    }
                }
            }
        }
        if (monotonic_ns() >= next_report) {
            const Summary s = summarize(window.seen);
            const Summary c = summarize(window.complete);
            std::printf(
                "t=%4.1fs %-10s %5.1f fps | post->seen p50 %6.3f p99 %6.3f ms | "
                "post->complete p50 %6.3f p99 %6.3f ms | checksums %llu ok %llu bad | "
                "errors %llu\n",
                to_s(monotonic_ns() - start), protocol::to_string(state),
                static_cast<double>(window.frames), to_ms(s.p50), to_ms(s.p99), to_ms(c.p50),
                to_ms(c.p99), static_cast<unsigned long long>(window.verified - window.bad),
                static_cast<unsigned long long>(window.bad),
                static_cast<unsigned long long>(consumer.stats().total_errors()));
            std::fflush(stdout);
            total.seen.insert(total.seen.end(), window.seen.begin(), window.seen.end());
            total.complete.insert(total.complete.end(), window.complete.begin(),
                                  window.complete.end());
            total.frames += window.frames;
            total.verified += window.verified;
            total.bad += window.bad;
            window = Window{};
            next_report += NS_PER_MS * 1000;
        }
    }
    stop_producer(producer);
    total.frames += window.frames;
    total.verified += window.verified;
    total.bad += window.bad;
    total.seen.insert(total.seen.end(), window.seen.begin(), window.seen.end());
    total.complete.insert(total.complete.end(), window.complete.begin(), window.complete.end());
    const Summary s = summarize(total.seen);
    const Summary c = summarize(total.complete);
    const auto& st = consumer.stats();
    std::printf("\nsummary: %llu frames accepted in %llu session(s)\n",
                static_cast<unsigned long long>(total.frames),
                static_cast<unsigned long long>(st.sessions));
    std::printf("  post -> seen      p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n", to_ms(s.p50),
                to_ms(s.p99), to_ms(s.p999), to_ms(s.max));
    std::printf("  post -> complete  p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n", to_ms(c.p50),
                to_ms(c.p99), to_ms(c.p999), to_ms(c.max));
    std::printf(
        "  validated: %llu headers/records accepted, %llu checksums matched, %llu "
        "mismatched, %llu frames discarded, %llu protocol errors\n",
        static_cast<unsigned long long>(st.frames_accepted),
        static_cast<unsigned long long>(total.verified - total.bad),
        static_cast<unsigned long long>(total.bad),
        static_cast<unsigned long long>(st.frames_discarded),
        static_cast<unsigned long long>(st.total_errors()));
    if (killed_at != 0) {
        std::printf(
            "  restart: agent lost %.0f ms after SIGKILL; new session attached %.1f ms "
            "after the new producer started\n",
            lost_at != 0 ? to_ms(lost_at - killed_at) : -1.0,
            reattached_at != 0 ? to_ms(reattached_at - restarted_at) : -1.0);
    }
    if (!o.keep) {
        ::unlink(o.shm.c_str());
    }
    const bool healthy =
        total.frames > 0 && total.bad == 0 && (killed_at == 0 || reattached_at != 0);
    return healthy ? 0 : 1;
}

}  // namespace periscope::demo

int main(int argc, char** argv) {
    return periscope::demo::main(argc, argv);
}
