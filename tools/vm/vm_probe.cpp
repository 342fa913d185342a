// periscope-vm-probe: the host side of the desktop VM's control channel (docs/design/vm-harness.md)
// and a SPICE client that checks what the VM offers for input: client (absolute) mouse mode, a
// connected spice-vdagent, and the clipboard in both directions. Built and run by
// tools/vm/smoke-desktop-vm.sh; handy by hand too:
//
//   periscope-vm-probe --control SOCK send ping events clipboard-get
//   periscope-vm-probe --control SOCK --spice SOCK smoke
//
// Single-threaded: every wait on the control socket also runs the GLib main loop, because the
// guest's answer may depend on this SPICE client (clipboard-get while we own the clipboard).
#include <fcntl.h>
#include <poll.h>
#include <spice-client.h>
#include <spice/vd_agent.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "guest/test_pattern.h"

namespace {

using Clock = std::chrono::steady_clock;

const Clock::time_point g_start = Clock::now();

double elapsed_s() {
    return std::chrono::duration<double>(Clock::now() - g_start).count();
}

void run_main_loop_once() {
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
}

// Runs the GLib loop until done() or the deadline; polls every 20 ms.
bool pump_until(const std::function<bool()>& done, Clock::time_point deadline) {
    while (!done()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        run_main_loop_once();
        ::poll(nullptr, 0, 20);
    }
    return true;
}

std::string base64(const std::string& bytes) {
    gchar* encoded = g_base64_encode(reinterpret_cast<const guchar*>(bytes.data()), bytes.size());
    std::string out = encoded;
    g_free(encoded);
    return out;
}

// The line protocol on the org.periscope.control port.
class Control {
  public:
    ~Control() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

    // QEMU creates the socket when it starts; the guest answers once it is up. Retries until then.
    bool connect(const std::string& path, Clock::time_point deadline) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (path.size() >= sizeof address.sun_path) {
            std::fprintf(stderr, "vm-probe: socket path too long: %s\n", path.c_str());
            return false;
        }
        std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
        while (Clock::now() < deadline) {
            fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
                return true;
            }
            ::close(fd_);
            fd_ = -1;
            ::poll(nullptr, 0, 100);
        }
        std::fprintf(stderr, "vm-probe: cannot connect to %s\n", path.c_str());
        return false;
    }

    std::optional<std::string> read_line(Clock::time_point deadline) {
        for (;;) {
            const auto newline = buffer_.find('\n');
            if (newline != std::string::npos) {
                std::string line = buffer_.substr(0, newline);
                buffer_.erase(0, newline + 1);
                return line;
            }
            if (Clock::now() >= deadline) {
                return std::nullopt;
            }
            run_main_loop_once();
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) {
                char chunk[4096];
                const ssize_t n = ::read(fd_, chunk, sizeof chunk);
                if (n == 0) {
                    std::fprintf(stderr, "vm-probe: the control socket closed\n");
                    return std::nullopt;
                }
                if (n > 0) {
                    buffer_.append(chunk, static_cast<size_t>(n));
                }
            }
        }
    }

    // Waits for the guest's unsolicited "ready WxH" (sent once per connection).
    std::optional<std::string> wait_ready(Clock::time_point deadline) {
        while (auto line = read_line(deadline)) {
            if (line->rfind("ready ", 0) == 0) {
                return line;
            }
            std::fprintf(stderr, "vm-probe: before ready: %s\n", line->c_str());
        }
        return std::nullopt;
    }

    // Sends one command; returns its reply lines (for "events": the event lines and "end").
    std::vector<std::string> call(const std::string& command, Clock::time_point deadline) {
        std::vector<std::string> reply;
        const std::string line = command + "\n";
        if (::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(line.size())) {
            std::fprintf(stderr, "vm-probe: cannot send %s\n", command.c_str());
            return reply;
        }
        const bool multi = command == "events";
        while (auto answer = read_line(deadline)) {
            reply.push_back(*answer);
            if (!multi || *answer == "end") {
                break;
            }
        }
        return reply;
    }

  private:
    int fd_ = -1;
    std::string buffer_;
};

// What the SPICE server and the guest agent tell a client.
struct Spice {
    SpiceSession* session = nullptr;
    SpiceMainChannel* main = nullptr;
    SpiceInputsChannel* inputs = nullptr;
    bool opened = false;
    bool inputs_opened = false;
    int mouse_mode = 0;
    bool agent = false;
    std::string offer;  // what we serve after grabbing the clipboard
    bool offer_requested = false;
    bool guest_grabbed = false;
    std::optional<std::string> guest_text;
};

void on_main_changed(GObject* channel, GParamSpec*, gpointer data) {
    auto* s = static_cast<Spice*>(data);
    gboolean agent = FALSE;
    g_object_get(channel, "mouse-mode", &s->mouse_mode, "agent-connected", &agent, nullptr);
    s->agent = agent != FALSE;
}

void on_channel_event(SpiceChannel* channel, SpiceChannelEvent event, gpointer data) {
    auto* s = static_cast<Spice*>(data);
    if (event == SPICE_CHANNEL_OPENED && SPICE_IS_INPUTS_CHANNEL(channel)) {
        s->inputs_opened = true;
    } else if (event == SPICE_CHANNEL_OPENED && SPICE_IS_MAIN_CHANNEL(channel)) {
        s->opened = true;
        spice_main_channel_request_mouse_mode(SPICE_MAIN_CHANNEL(channel), SPICE_MOUSE_MODE_CLIENT);
    } else if (event != SPICE_CHANNEL_OPENED && event != SPICE_CHANNEL_CLOSED) {
        const GError* error = spice_channel_get_error(channel);
        std::fprintf(stderr, "vm-probe: SPICE channel event %d%s%s\n", static_cast<int>(event),
                     error != nullptr ? ": " : "", error != nullptr ? error->message : "");
    }
}

gboolean on_clipboard_request(SpiceMainChannel* main, guint selection, guint type, gpointer data) {
    auto* s = static_cast<Spice*>(data);
    s->offer_requested = true;
    spice_main_channel_clipboard_selection_notify(
        main, selection, type, reinterpret_cast<const guchar*>(s->offer.data()), s->offer.size());
    return TRUE;
}

gboolean on_clipboard_grab(SpiceMainChannel* main, guint selection, gpointer types, guint ntypes,
                           gpointer data) {
    auto* s = static_cast<Spice*>(data);
    const auto* list = static_cast<const guint32*>(types);
    for (guint i = 0; i < ntypes; ++i) {
        if (list[i] == VD_AGENT_CLIPBOARD_UTF8_TEXT) {
            s->guest_grabbed = true;
            spice_main_channel_clipboard_selection_request(main, selection,
                                                           VD_AGENT_CLIPBOARD_UTF8_TEXT);
        }
    }
    return TRUE;
}

void on_clipboard_data(SpiceMainChannel*, guint, guint type, gpointer bytes, guint size,
                       gpointer data) {
    auto* s = static_cast<Spice*>(data);
    if (type == VD_AGENT_CLIPBOARD_UTF8_TEXT) {
        s->guest_text = std::string(static_cast<const char*>(bytes), size);
    }
}

void on_channel_new(SpiceSession*, SpiceChannel* channel, gpointer data) {
    auto* s = static_cast<Spice*>(data);
    // Main and inputs only: like the viewer, never the display (the picture comes from shm).
    if (SPICE_IS_INPUTS_CHANNEL(channel)) {
        s->inputs = SPICE_INPUTS_CHANNEL(channel);
        g_signal_connect(channel, "channel-event", G_CALLBACK(on_channel_event), s);
        spice_channel_connect(channel);  // spice-glib connects only the main channel itself
        return;
    }
    if (!SPICE_IS_MAIN_CHANNEL(channel)) {
        return;
    }
    s->main = SPICE_MAIN_CHANNEL(channel);
    g_signal_connect(channel, "channel-event", G_CALLBACK(on_channel_event), s);
    g_signal_connect(channel, "notify::mouse-mode", G_CALLBACK(on_main_changed), s);
    g_signal_connect(channel, "notify::agent-connected", G_CALLBACK(on_main_changed), s);
    g_signal_connect(channel, "main-clipboard-selection-request", G_CALLBACK(on_clipboard_request),
                     s);
    g_signal_connect(channel, "main-clipboard-selection-grab", G_CALLBACK(on_clipboard_grab), s);
    g_signal_connect(channel, "main-clipboard-selection", G_CALLBACK(on_clipboard_data), s);
}

int g_failures = 0;

void check(bool ok, const std::string& what, const std::string& detail = "") {
    std::printf("[%6.1f s] %s %s%s%s\n", elapsed_s(), ok ? "ok  " : "FAIL", what.c_str(),
                detail.empty() ? "" : ": ", detail.c_str());
    std::fflush(stdout);
    if (!ok) {
        ++g_failures;
    }
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
        out += (out.empty() ? "" : " | ") + line;
    }
    return out.empty() ? "(no answer)" : out;
}

Clock::time_point in_s(double seconds) {
    return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

int smoke(Control& control, const std::string& spice_path, double timeout) {
    const auto ready = control.wait_ready(in_s(timeout));
    check(ready.has_value(), "guest ready", ready ? *ready : "no ready line");
    if (!ready) {
        return 1;
    }
    check(control.call("ping", in_s(10)) == std::vector<std::string>{"pong"}, "ping");
    const auto events = control.call("events", in_s(10));
    check(events == std::vector<std::string>{"end"}, "events with no input: only end",
          joined(events));
    const std::string local = "guest-local clipboard \xC3\xA9\xE2\x9C\x93 1";
    check(
        control.call("clipboard-set " + base64(local), in_s(10)) == std::vector<std::string>{"ok"},
        "clipboard-set");
    const auto got = control.call("clipboard-get", in_s(10));
    check(got == std::vector<std::string>{"clipboard " + base64(local)},
          "clipboard-get returns what clipboard-set put", joined(got));

    Spice s;
    s.session = spice_session_new();
    g_object_set(s.session, "unix-path", spice_path.c_str(), "enable-audio", FALSE,
                 "enable-usbredir", FALSE, nullptr);
    g_signal_connect(s.session, "channel-new", G_CALLBACK(on_channel_new), &s);
    if (!spice_session_connect(s.session)) {
        check(false, "SPICE connect", spice_path);
        return 1;
    }
    pump_until([&] { return s.opened; }, in_s(20));
    check(s.opened, "SPICE main channel open");
    pump_until([&] { return s.mouse_mode == SPICE_MOUSE_MODE_CLIENT && s.agent; }, in_s(30));
    check(s.mouse_mode == SPICE_MOUSE_MODE_CLIENT, "SPICE offers client (absolute) mouse mode",
          "mouse-mode " + std::to_string(s.mouse_mode));
    check(s.agent, "SPICE reports the guest agent connected");
    pump_until([&] { return s.inputs_opened; }, in_s(10));
    check(s.inputs_opened, "SPICE inputs channel open");
    if (s.inputs_opened && s.mouse_mode == SPICE_MOUSE_MODE_CLIENT) {
        // A click at (10, 20) in the test window, then "a" and shift+1 (PC scancodes, set 1).
        using namespace periscope::vm;
        spice_inputs_channel_position(s.inputs, WINDOW_X + 10, WINDOW_Y + 20, 0, 0);
        pump_until([] { return false; }, in_s(0.3));
        spice_inputs_channel_button_press(s.inputs, SPICE_MOUSE_BUTTON_LEFT,
                                          SPICE_MOUSE_BUTTON_MASK_LEFT);
        spice_inputs_channel_button_release(s.inputs, SPICE_MOUSE_BUTTON_LEFT, 0);
        for (const guint scancode : {0x1Eu, 0x9Eu, 0x2Au, 0x02u, 0x82u, 0xAAu}) {
            if (scancode & 0x80) {
                spice_inputs_channel_key_release(s.inputs, scancode & 0x7F);
            } else {
                spice_inputs_channel_key_press(s.inputs, scancode);
            }
        }
        std::vector<std::string> seen;
        const auto want = [&](const std::string& needle) {
            for (const auto& line : seen) {
                if (line.find(needle) != std::string::npos) {
                    return true;
                }
            }
            return false;
        };
        const auto deadline = in_s(15);
        while (Clock::now() < deadline && !want("keysym=exclam")) {
            pump_until([] { return false; }, in_s(0.5));
            for (const auto& line : control.call("events", in_s(10))) {
                if (line != "end") {
                    seen.push_back(line);
                }
            }
        }
        check(want("event button press 1 x=10 y=20 "), "click reaches the test window at (10,20)",
              joined(seen));
        check(want("event button release 1 x=10 y=20 "), "button release at (10,20)");
        check(want("keysym=a text=\"a\""), "key a types \"a\" (us layout)");
        check(want("keysym=exclam text=\"!\""), "shift+1 types \"!\"");
    }
    if (s.agent) {
        // Host -> guest: we own the clipboard; the guest's xclip asks spice-vdagent, which asks us.
        s.offer = "from the host \xE2\x86\x92 guest 2";
        guint32 types[] = {VD_AGENT_CLIPBOARD_UTF8_TEXT};
        spice_main_channel_clipboard_selection_grab(s.main, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD,
                                                    types, 1);
        pump_until([] { return false; }, in_s(1));  // let the grab reach the guest's X server
        const auto to_guest = control.call("clipboard-get", in_s(20));
        check(to_guest == std::vector<std::string>{"clipboard " + base64(s.offer)},
              "host clipboard reaches the guest X CLIPBOARD",
              joined(to_guest) + (s.offer_requested ? "" : " (never requested)"));

        // Guest -> host: xclip takes the selection, spice-vdagent announces it, we fetch it.
        const std::string from_guest = "from the guest \xE2\x86\x92 host 3";
        s.guest_text.reset();  // the agent announced the guest's clipboard when we connected
        s.guest_grabbed = false;
        control.call("clipboard-set " + base64(from_guest), in_s(10));
        pump_until([&] { return s.guest_text.has_value(); }, in_s(20));
        check(
            s.guest_text == from_guest, "guest X CLIPBOARD reaches the SPICE client",
            s.guest_text ? *s.guest_text : (s.guest_grabbed ? "grabbed, no data" : "no grab seen"));
    }
    spice_session_disconnect(s.session);
    run_main_loop_once();
    g_object_unref(s.session);
    return g_failures == 0 ? 0 : 1;
}

void usage() {
    std::fprintf(stderr,
                 "usage: periscope-vm-probe --control SOCK [--timeout S] send CMD...\n"
                 "       periscope-vm-probe --control SOCK --spice SOCK [--timeout S] smoke\n"
                 "send: waits for the guest's ready line, sends each command, prints the "
                 "replies.\nsmoke: ready, ping, events, clipboard; over SPICE mouse mode, agent, "
                 "clipboard both ways.\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::string control_path, spice_path, mode;
    double timeout = 120;
    std::vector<std::string> commands;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--control" && i + 1 < argc) {
            control_path = argv[++i];
        } else if (arg == "--spice" && i + 1 < argc) {
            spice_path = argv[++i];
        } else if (arg == "--timeout" && i + 1 < argc) {
            timeout = std::atof(argv[++i]);
        } else if (mode.empty() && (arg == "send" || arg == "smoke")) {
            mode = arg;
        } else if (mode == "send") {
            commands.push_back(arg);
        } else {
            usage();
            return 2;
        }
    }
    if (control_path.empty() || mode.empty() || (mode == "smoke" && spice_path.empty())) {
        usage();
        return 2;
    }
    Control control;
    if (!control.connect(control_path, in_s(timeout))) {
        return 1;
    }
    if (mode == "smoke") {
        return smoke(control, spice_path, timeout);
    }
    const auto ready = control.wait_ready(in_s(timeout));
    if (!ready) {
        std::fprintf(stderr, "vm-probe: no ready line within %.0f s\n", timeout);
        return 1;
    }
    std::printf("%s (after %.1f s)\n", ready->c_str(), elapsed_s());
    int status = 0;
    for (const auto& command : commands) {
        const auto reply = control.call(command, in_s(timeout));
        for (const auto& line : reply) {
            std::printf("%s\n", line.c_str());
        }
        if (reply.empty() || reply.back().rfind("error", 0) == 0) {
            status = 1;
        }
    }
    return status;
}
