// periscope: the host-side command with subcommands. For now: `periscope doctor`, which checks the
// host's set-up for the viewer (doctor.h). Argument parsing only.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/result.h"
#include "doctor.h"
#include "size_query.h"
#include "viewer/input/spice_target.h"

#ifndef PERISCOPE_VERSION
#define PERISCOPE_VERSION "unknown"
#endif

namespace periscope::doctor {
namespace {

constexpr int EXIT_USAGE = 2;

constexpr const char* MAIN_USAGE =
    "Usage: periscope COMMAND [OPTIONS]\n"
    "       periscope --help | --version\n"
    "\n"
    "Commands:\n"
    "  doctor    check this host's set-up for periscope-viewer and say what to fix\n"
    "\n"
    "'periscope COMMAND --help' describes a command.\n";

constexpr const char* DOCTOR_USAGE =
    "Usage: periscope doctor [--shm PATH] [--resolution WxH[:FORMAT][:BUFFERS]]\n"
    "                        [--spice TARGET] [--json]\n"
    "\n"
    "Checks, as the user who runs the viewer:\n"
    "  - the shm file QEMU shares with the guest's ivshmem device: there, a regular file,\n"
    "    a power-of-two size large enough for the resolution, readable and writable by you\n"
    "    (with the chown/chmod to run when not), and SELinux/AppArmor where they confine QEMU;\n"
    "  - the agent's session in it: valid, heartbeat advancing (waits up to 1.5 s), the guest's\n"
    "    screen size;\n"
    "  - the SPICE server for keyboard, mouse and clipboard: it accepts a connection and\n"
    "    answers the SPICE link handshake (no password is sent, no session started);\n"
    "  - the viewer's display: DISPLAY or WAYLAND_DISPLAY. OpenGL is not checked.\n"
    "Nothing is written to the shm file and no consumer slot is taken.\n"
    "\n"
    "Options:\n"
    "  --shm PATH          the shm file (default /dev/shm/periscope; a bare NAME means\n"
    "                      /dev/shm/NAME), as given to the viewer\n"
    "  --resolution R      the largest guest resolution to plan for: WxH[:FORMAT][:BUFFERS]\n"
    "                      (default 1920x1080:BGRA8:2; formats BGRA8, RGBA8, RGB10A2,\n"
    "                      BGR10A2, RGBA16F)\n"
    "  --spice TARGET      the SPICE server, as given to the viewer: unix:PATH, HOST:PORT,\n"
    "                      spice+unix:///PATH, spice://HOST?port=P&tls-port=T\n"
    "                      (default: not checked)\n"
    "  --json              one JSON object instead of lines\n"
    "  -h, --help          this help\n"
    "\n"
    "Output: one line per check, 'ok', 'warn', 'FAIL' or 'skip', what was found, and after\n"
    "' \u2014 ' what to do. Set-up guide: docs/setup.md.\n"
    "\n"
    "Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error.\n";

enum class ArgError { Unknown, MissingValue, BadValue, Help };
const char* to_string(ArgError error) {
    switch (error) {
        case ArgError::Unknown:
            return "unknown argument";
        case ArgError::MissingValue:
            return "missing value";
        case ArgError::BadValue:
            return "bad value";
        case ArgError::Help:
            return "help";
    }
    return "?";
}

struct DoctorArguments {
    DoctorOptions options;
    bool json = false;
};

Unexpected<ArgError> usage_error(ArgError error, const std::string& message, std::string* why) {
    *why = message;
    return fail(error);
}

// "--name VALUE" or "--name=VALUE"; advances `i` past what it used.
bool take_value(int argc, char** argv, int* i, std::string_view name, std::string* value,
                bool* missing) {
    const std::string_view arg = argv[*i];
    if (arg == name) {
        if (*i + 1 >= argc) {
            *missing = true;
            return true;
        }
        *value = argv[++*i];
        return true;
    }
    if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=') {
        *value = std::string(arg.substr(name.size() + 1));
        return true;
    }
    return false;
}

Result<DoctorArguments, ArgError> parse_doctor(int argc, char** argv, int first, std::string* why) {
    DoctorArguments args;
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    args.options.display = display != nullptr ? display : "";
    args.options.wayland_display = wayland != nullptr ? wayland : "";
    for (int i = first; i < argc; ++i) {
        const std::string_view arg = argv[i];
        std::string value;
        bool missing = false;
        if (arg == "-h" || arg == "--help") {
            return fail(ArgError::Help);
        }
        if (arg == "--json") {
            args.json = true;
        } else if (take_value(argc, argv, &i, "--shm", &value, &missing)) {
            if (missing || value.empty()) {
                return usage_error(ArgError::MissingValue, "--shm needs a PATH", why);
            }
            // As the viewer and periscope-shm read it: a bare name lives in /dev/shm.
            args.options.shm_path =
                value.find('/') == std::string::npos ? "/dev/shm/" + value : value;
        } else if (take_value(argc, argv, &i, "--resolution", &value, &missing)) {
            if (missing) {
                return usage_error(ArgError::MissingValue, "--resolution needs WxH", why);
            }
            std::string reason;
            auto query = tools::parse_size_query(value, &reason);
            if (!query) {
                // The parser speaks of periscope-shm's option; this one is --resolution.
                if (reason.rfind("--size", 0) == 0) {
                    reason.replace(0, 6, "--resolution");
                }
                return usage_error(ArgError::BadValue, reason, why);
            }
            args.options.resolution = *query;
        } else if (take_value(argc, argv, &i, "--spice", &value, &missing)) {
            if (missing) {
                return usage_error(ArgError::MissingValue, "--spice needs a TARGET", why);
            }
            std::string reason;
            auto target = viewer::parse_spice_target(value, &reason);
            if (!target) {
                return usage_error(ArgError::BadValue, reason, why);
            }
            args.options.spice = *target;
        } else {
            // Built with append: GCC 12 at -O3 warns falsely (-Wrestrict) on "'" + string.
            std::string quoted = "'";
            quoted.append(arg).append("'");
            return usage_error(ArgError::Unknown, quoted, why);
        }
    }
    return args;
}

int run_doctor(int argc, char** argv) {
    std::string why;
    auto args = parse_doctor(argc, argv, 2, &why);
    if (!args) {
        if (args.error() == ArgError::Help) {
            std::fputs(DOCTOR_USAGE, stdout);
            return 0;
        }
        std::fprintf(stderr, "periscope doctor: %s: %s\nTry 'periscope doctor --help'.\n",
                     to_string(args.error()), why.c_str());
        return EXIT_USAGE;
    }
    const std::vector<Finding> findings = run_checks(args->options);
    const std::string out = args->json ? render_json(findings) : render_text(findings);
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    return exit_status(findings);
}

}  // namespace
}  // namespace periscope::doctor

int main(int argc, char** argv) {
    using namespace periscope::doctor;
    if (argc < 2) {
        std::fputs(MAIN_USAGE, stderr);
        return EXIT_USAGE;
    }
    const std::string_view command = argv[1];
    if (command == "-h" || command == "--help" || command == "help") {
        std::fputs(MAIN_USAGE, stdout);
        return 0;
    }
    if (command == "--version") {
        std::printf("periscope %s\n", PERISCOPE_VERSION);
        return 0;
    }
    if (command == "doctor") {
        return run_doctor(argc, argv);
    }
    std::fprintf(stderr, "periscope: unknown command '%s'\n%s", argv[1], MAIN_USAGE);
    return EXIT_USAGE;
}
