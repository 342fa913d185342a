// periscope-spice-harness: stands in for QEMU's side of SPICE in tests. It links the real
// spice-server, registers the devices QEMU would (keyboard, mouse, tablet, one QXL display, the
// vdagent port) and prints one JSON line per thing a client makes them do. See
// docs/design/input.md ("Tests") and --help.
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <spice.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "commands.h"
#include "core_glib.h"
#include "instances.h"
#include "json_out.h"
#include "vdagent_device.h"

namespace periscope::spice_harness {
namespace {

constexpr const char* USAGE =
    "usage: periscope-spice-harness (--unix PATH | --port N) [options]\n"
    "\n"
    "A SPICE server (libspice-server) with recording devices, for tests.\n"
    "\n"
    "  --unix PATH      listen on a unix socket (a stale socket file is replaced)\n"
    "  --port N         listen on 127.0.0.1:N\n"
    "  --password P     require this ticket (default: no authentication)\n"
    "  --no-agent       no vdagent port (the client sees no agent)\n"
    "  --no-tablet      no tablet: the server offers only server (relative) mouse mode\n"
    "  --no-display     no QXL display: shows that client mouse mode then is not offered\n"
    "  --agent-mouse    let the agent carry client-mode mouse events (default off, as with a\n"
    "                   QEMU usb-tablet: positions go to the tablet)\n"
    "  --size WxH       primary surface size = tablet logical size (default 1920x1080)\n"
    "  --help\n"
    "\n"
    "stdout: one JSON object per line (ready, channel, kbd, motion, mouse_buttons, tablet_size,\n"
    "position, wheel, tablet_buttons, agent, agent_caps, max_clipboard, clipboard_grab,\n"
    "clipboard_request, clipboard_data, clipboard_release, monitors_config, ok, error).\n"
    "stdin commands: set TYPE BASE64 | grab TYPE... | request TYPE | release | agent on|off |\n"
    "quit. TYPE: utf8, png, bmp, tiff, jpg. End of input and SIGTERM quit cleanly.\n";

struct Options {
    std::string unix_path;
    int port = -1;
    std::string password;
    bool agent = true;
    bool agent_mouse = false;
    bool display = true;
    InstanceOptions instances;
};

// 0 = parsed, 1 = error, 2 = --help.
int parse_options(int argc, char** argv, Options* options) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            return 2;
        } else if (arg == "--unix" && has_value) {
            options->unix_path = argv[++i];
        } else if (arg == "--port" && has_value) {
            options->port = std::atoi(argv[++i]);
            if (options->port <= 0 || options->port > 65535) {
                std::fprintf(stderr, "periscope-spice-harness: bad port '%s'\n", argv[i]);
                return 1;
            }
        } else if (arg == "--password" && has_value) {
            options->password = argv[++i];
        } else if (arg == "--no-agent") {
            options->agent = false;
        } else if (arg == "--no-tablet") {
            options->instances.tablet = false;
        } else if (arg == "--no-display") {
            options->display = false;
        } else if (arg == "--agent-mouse") {
            options->agent_mouse = true;
        } else if (arg == "--size" && has_value) {
            unsigned w = 0;
            unsigned h = 0;
            if (std::sscanf(argv[++i], "%ux%u", &w, &h) != 2 || w == 0 || h == 0 || w > 8192 ||
                h > 8192) {
                std::fprintf(stderr, "periscope-spice-harness: bad size '%s' (WxH)\n", argv[i]);
                return 1;
            }
            options->instances.width = w;
            options->instances.height = h;
        } else {
            std::fprintf(stderr, "periscope-spice-harness: unknown or incomplete option '%s'\n%s",
                         arg.c_str(), USAGE);
            return 1;
        }
    }
    if (options->unix_path.empty() == (options->port < 0)) {
        std::fprintf(stderr, "periscope-spice-harness: give exactly one of --unix or --port\n%s",
                     USAGE);
        return 1;
    }
    return 0;
}

// spice-server binds without unlinking, so a socket file left by a killed harness would make the
// bind fail. Replace it only if nobody answers on it; refuse anything that is not a socket.
bool prepare_unix_path(const std::string& path) {
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        emit_error("socket path too long (max " +
                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes): " + path);
        return false;
    }
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        return true;  // nothing there
    }
    if (!S_ISSOCK(st.st_mode)) {
        emit_error("socket path exists and is not a socket: " + path);
        return false;
    }
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    const int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    const int err = errno;
    close(fd);
    if (rc == 0) {
        emit_error("socket path in use (a server is listening on it): " + path);
        return false;
    }
    if (err != ECONNREFUSED) {
        emit_error("socket path " + path + " cannot be checked: " + std::strerror(err));
        return false;
    }
    log_line("removing stale socket %s", path.c_str());
    unlink(path.c_str());
    return true;
}

gboolean on_quit_signal(gpointer loop) {
    log_line("signal: quitting");
    g_main_loop_quit(static_cast<GMainLoop*>(loop));
    return G_SOURCE_CONTINUE;
}

int run(const Options& options) {
    if (!options.unix_path.empty() && !prepare_unix_path(options.unix_path)) {
        return 1;
    }
    SpiceServer* server = spice_server_new();
    if (!options.unix_path.empty()) {
        spice_server_set_addr(server, options.unix_path.c_str(), SPICE_ADDR_FLAG_UNIX_ONLY);
    } else {
        spice_server_set_addr(server, "127.0.0.1", SPICE_ADDR_FLAG_IPV4_ONLY);
        spice_server_set_port(server, options.port);
    }
    if (options.password.empty()) {
        spice_server_set_noauth(server);
    } else {
        spice_server_set_ticket(server, options.password.c_str(), 0, 0, 0);
    }
    spice_server_set_agent_mouse(server, options.agent_mouse ? 1 : 0);
    spice_server_set_agent_copypaste(server, 1);
    spice_server_set_name(server, "periscope-spice-harness");

    const std::string where =
        options.unix_path.empty() ? "127.0.0.1:" + std::to_string(options.port) : options.unix_path;
    if (spice_server_init(server, glib_core_interface()) != 0) {
        emit_error("spice-server could not listen on " + where +
                   " (in use, or no permission; see its message above)");
        return 1;
    }
    if (!add_input_instances(server, options.instances) ||
        (options.display && !add_display_instance(server))) {
        return 1;
    }
    VdagentDevice agent;
    if (options.agent && !agent.attach(server)) {
        return 1;
    }
    spice_server_vm_start(server);
    if (options.display) {
        create_primary_surface(options.instances);
    }

    GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
    g_unix_signal_add(SIGTERM, on_quit_signal, loop);
    g_unix_signal_add(SIGINT, on_quit_signal, loop);
    CommandContext context;
    context.agent = &agent;
    context.server = server;
    context.quit = [loop] { g_main_loop_quit(loop); };
    watch_stdin(&context);

    JsonLine ready("ready");
    ready.str("socket", where);
    if (options.port > 0) {
        ready.num("port", options.port);
    }
    ready.emit();

    g_main_loop_run(loop);

    agent.detach();
    spice_server_vm_stop(server);
    spice_server_destroy(server);
    g_main_loop_unref(loop);
    if (!options.unix_path.empty()) {
        unlink(options.unix_path.c_str());
    }
    log_line("clean exit");
    return 0;
}

}  // namespace
}  // namespace periscope::spice_harness

int main(int argc, char** argv) {
    using namespace periscope::spice_harness;
    // A reader that went away must not kill us mid-write; the write just fails.
    signal(SIGPIPE, SIG_IGN);
    Options options;
    const int parsed = parse_options(argc, argv, &options);
    if (parsed == 2) {
        std::fputs(USAGE, stdout);
        return 0;
    }
    if (parsed != 0) {
        return 2;
    }
    return run(options);
}
