// periscope-shm: inspects a Periscope shared-memory region, or computes the size one needs.
// Argument parsing only; the work is in inspect.cpp, render.cpp and size_query.cpp.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "core/log.h"
#include "inspect.h"
#include "platform/region.h"
#include "protocol/layout.h"
#include "render.h"
#include "size_query.h"
#include "text_util.h"

#ifndef PERISCOPE_SHM_VERSION
#define PERISCOPE_SHM_VERSION "unknown"
#endif

namespace periscope::tools {
namespace {

constexpr const char* USAGE_TAIL = "Try 'periscope-shm --help'.";

struct Arguments {
    bool json = false;
    bool wait = true;
    bool help = false;
    bool version = false;
    bool size = false;
    std::string size_text;
    std::string region;
    bool region_given = false;
};

// The back-ends' one-line descriptions are longer than a terminal: wrap at spaces.
void print_wrapped(std::string_view text) {
    constexpr size_t WIDTH = 86;
    const char* indent = "  ";
    while (!text.empty()) {
        size_t cut = text.size();
        if (cut > WIDTH) {
            const size_t space = text.rfind(' ', WIDTH);
            cut = space == std::string_view::npos || space == 0 ? WIDTH : space;
        }
        std::printf("%s%.*s\n", indent, static_cast<int>(cut), text.data());
        const bool at_space = cut < text.size() && text[cut] == ' ';
        text.remove_prefix(cut + (at_space ? 1 : 0));
        indent = "      ";
    }
}

void print_help() {
    std::printf(
        "Usage: periscope-shm [--json] [--no-wait] [REGION]\n"
        "       periscope-shm [--json] --size WxH[:FORMAT][:BUFFERS] [REGION]\n"
        "       periscope-shm --help | --version\n"
        "\n"
        "Inspects the shared-memory region a Periscope agent writes frames into: its identity\n"
        "(magic, version, features, session), the producer's state, pid and whether its\n"
        "heartbeat advances, the layout and which common resolutions it can carry, the latest\n"
        "frame's record, every buffer, the consumers attached, the cursor and the producer's\n"
        "statistics. Every value is validated as untrusted; an invalid one is shown as INVALID\n"
        "with the reason. The region is only read: no consumer slot is taken, nothing changes.\n"
        "\n"
        "REGION (default %s) is one of:\n",
        DEFAULT_REGION);
    for (const platform::RegionBackend& backend : platform::region_backends()) {
        // memfd: and mem: make new, empty memory: nothing to inspect.
        if (std::strcmp(backend.prefix, "shm") == 0 || std::strcmp(backend.prefix, "pci") == 0) {
            print_wrapped(backend.description);
        }
    }
    std::printf(
        "Opening needs read and write permission on the file or device (it is mapped shared,\n"
        "as the viewer maps it); if that fails the message says what to change.\n"
        "\n"
        "Options:\n"
        "  --json        print one JSON object instead of text (also when the region is\n"
        "                refused; usage errors stay plain text)\n"
        "  --no-wait     do not sample the heartbeats twice: skips the wait of about %u ms\n"
        "                (longer if the producer promises a slower heartbeat, at most 3 s);\n"
        "                the producer's liveness is then not checked\n"
        "  --size WxH[:FORMAT][:BUFFERS]\n"
        "                print the bytes a region for this resolution needs, the ivshmem size\n"
        "                to configure (a power of two, in MiB) and the QEMU and libvirt\n"
        "                settings for it, then exit; opens no region. FORMAT: BGRA8 (default),\n"
        "                RGBA8, RGB10A2, BGR10A2 or RGBA16F; BUFFERS: 1..%u (default %u).\n"
        "                A shm REGION given names the file in the settings.\n"
        "  -h, --help    print this help and exit\n"
        "  --version     print the tool and protocol versions and exit\n"
        "\n"
        "Exit status:\n"
        "   0  the region is valid and its producer running (heartbeat advancing, unless\n"
        "      --no-wait); --size, --help and --version succeeded\n"
        "   1  the region could not be opened or mapped (not a regular file, I/O, mmap,\n"
        "      back-end unavailable)\n"
        "   2  usage: unknown option, bad REGION spec or --size argument\n"
        "   3  the region does not exist\n"
        "   4  permission denied\n"
        "   5  too small to hold the %u-byte region header\n"
        "   6  not a Periscope region: no magic (agent not started) or a foreign one\n"
        "   7  unsupported protocol version or required feature\n"
        "   8  the header's layout does not validate (the message names the field)\n"
        "   9  the region changed while read (the agent restarting): run again\n"
        "  10  the producer stopped its session (the report is printed)\n"
        "  11  the producer is not running: heartbeat not advancing (hung or killed) or an\n"
        "      unexpected state (the report is printed)\n"
        "\n"
        "Reports go to standard output, the reason for a non-zero status to standard error.\n",
        DEFAULT_HEARTBEAT_WAIT_MS, protocol::MAX_BUFFERS, DEFAULT_SIZE_BUFFERS,
        protocol::HEADER_SIZE);
}

// Returns false (after saying why) on a usage error.
bool parse_arguments(int argc, char** argv, Arguments* args) {
    bool options_done = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (!options_done && arg.size() > 1 && arg.front() == '-') {
            if (arg == "--") {
                options_done = true;
            } else if (arg == "--json") {
                args->json = true;
            } else if (arg == "--no-wait") {
                args->wait = false;
            } else if (arg == "-h" || arg == "--help") {
                args->help = true;
            } else if (arg == "--version") {
                args->version = true;
            } else if (arg == "--size") {
                if (i + 1 >= argc) {
                    std::fprintf(stderr, "periscope-shm: --size needs WxH[:FORMAT][:BUFFERS]\n");
                    return false;
                }
                args->size = true;
                args->size_text = argv[++i];
            } else if (arg.substr(0, 7) == "--size=") {
                args->size = true;
                args->size_text = std::string(arg.substr(7));
            } else {
                std::fprintf(stderr, "periscope-shm: unknown option '%s'. %s\n", argv[i],
                             USAGE_TAIL);
                return false;
            }
            continue;
        }
        if (args->region_given) {
            std::fprintf(stderr, "periscope-shm: more than one REGION given ('%s', '%s'). %s\n",
                         args->region.c_str(), argv[i], USAGE_TAIL);
            return false;
        }
        args->region = argv[i];
        args->region_given = true;
    }
    return true;
}

int run_size(const Arguments& args) {
    std::string why;
    auto query = parse_size_query(args.size_text, &why);
    if (!query) {
        std::fprintf(stderr, "periscope-shm: %s\n", why.c_str());
        return exit_code(Outcome::Usage);
    }
    const SizeReport report = compute_size(*query, args.region_given ? args.region : "");
    const std::string text = args.json ? render_size_json(report) : render_size_text(report);
    std::fputs(text.c_str(), stdout);
    return exit_code(Outcome::Ok);
}

int run_inspect(const Arguments& args) {
    InspectOptions options;
    options.sample_heartbeat = args.wait;
    const Report report = inspect_region(args.region_given ? args.region : DEFAULT_REGION, options);
    if (args.json) {
        std::fputs(render_json(report).c_str(), stdout);
    } else if (report.mapped) {
        // The reason for a non-zero status goes to stderr, below, not into the report as well.
        std::fputs(render_text(report, false).c_str(), stdout);
    }
    std::fflush(stdout);
    if (report.outcome != Outcome::Ok) {
        std::fprintf(stderr, "periscope-shm: %s\n", terminal_safe(report.message).c_str());
    }
    return exit_code(report.outcome);
}

}  // namespace
}  // namespace periscope::tools

int main(int argc, char** argv) {
    using namespace periscope::tools;
    // The tool reports every failure itself (open_region's detail included); the libraries'
    // log lines would say the same thing twice.
    periscope::set_log_level(periscope::LogLevel::Off);
    Arguments args;
    if (!parse_arguments(argc, argv, &args)) {
        return exit_code(Outcome::Usage);
    }
    if (args.help) {
        print_help();
        return exit_code(Outcome::Ok);
    }
    if (args.version) {
        std::printf("periscope-shm %s (shared-memory protocol %u.%u)\n", PERISCOPE_SHM_VERSION,
                    periscope::protocol::VERSION_MAJOR, periscope::protocol::VERSION_MINOR);
        return exit_code(Outcome::Ok);
    }
    if (args.size) {
        return run_size(args);
    }
    return run_inspect(args);
}
