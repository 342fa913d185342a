// The whole loop in a real VM (tools/vm/run-desktop-vm.sh): QEMU with ivshmem, SPICE, a PS/2
// keyboard and a tablet; in the guest Xorg (dummy video, libinput), periscope-test-client drawing
// a known picture and logging its input, spice-vdagent, and periscope-agent capturing into the
// ivshmem BAR. On the host: periscope-viewer on Xvfb, driven with XTEST like a user, connected to
// QEMU's SPICE server. The guest is steered and observed through the VM's control channel.
//
// One boot serves the picture, keyboard, mouse, clipboard and fault checks (a boot costs
// 15-30 s under TCG); a second, with a region too small for the guest's screen, checks that
// both sides name the size needed.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "protocol/layout.h"
#include "spice_harness/json_out.h"
#include "support/agent_process.h"
#include "support/temp_dir.h"
#include "support/x_input.h"
#include "support/xvfb.h"
#include "test_pattern.h"
#include "viewer/render/png.h"

namespace periscope {
namespace {

constexpr uint32_t GUEST_W = 1024;
constexpr uint32_t GUEST_H = 768;

uint64_t ms_since(uint64_t start) {
    return (monotonic_ns() - start) / NS_PER_MS;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The control channel: QEMU's unix socket for the guest's org.periscope.control port.
class GuestControl {
  public:
    ~GuestControl() {
        if (m_fd >= 0) {
            close(m_fd);
        }
    }
    bool connect_to(const std::string& path, uint64_t timeout_ms) {
        const uint64_t start = monotonic_ns();
        while (ms_since(start) < timeout_ms) {
            m_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
            if (connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
                return true;
            }
            close(m_fd);
            m_fd = -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    }
    // The next line, or nullopt after the timeout.
    std::optional<std::string> line(uint64_t timeout_ms) {
        const uint64_t start = monotonic_ns();
        for (;;) {
            if (const size_t nl = m_buffer.find('\n'); nl != std::string::npos) {
                std::string l = m_buffer.substr(0, nl);
                m_buffer.erase(0, nl + 1);
                return l;
            }
            if (ms_since(start) >= timeout_ms) {
                return std::nullopt;
            }
            fd_set set;
            FD_ZERO(&set);
            FD_SET(m_fd, &set);
            timeval tv{0, 100000};
            if (select(m_fd + 1, &set, nullptr, nullptr, &tv) > 0) {
                char chunk[4096];
                const ssize_t n = read(m_fd, chunk, sizeof(chunk));
                if (n <= 0) {
                    return std::nullopt;
                }
                m_buffer.append(chunk, static_cast<size_t>(n));
            }
        }
    }
    // Sends `command`; the answer's lines up to and including the one `last` accepts.
    std::vector<std::string> ask(const std::string& command, uint64_t timeout_ms = 30000,
                                 const char* last = nullptr) {
        const std::string text = command + "\n";
        EXPECT_EQ(write(m_fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        std::vector<std::string> lines;
        while (auto l = line(timeout_ms)) {
            lines.push_back(*l);
            if (last == nullptr || *l == last) {
                break;
            }
        }
        return lines;
    }

  private:
    int m_fd = -1;
    std::string m_buffer;
};

// The desktop VM as a child process (tools/vm/run-desktop-vm.sh), killed if the test ends first.
struct DesktopVm {
    test::AgentProcess runner;
    std::string shm;
    std::string spice;
    std::string control;
    std::string serial;
    void boot(const test::TempDir& dir, const std::string& shm_size = "") {
        shm = "/dev/shm/periscope-vmtest-" + std::to_string(getpid());
        spice = dir.file("spice.sock");
        control = dir.file("control.sock");
        serial = dir.file("serial.log");
        std::vector<std::string> args{
            "--shm",         shm,
            "--spice",       spice,
            "--control",     control,
            "--agent",       PERISCOPE_AGENT,
            "--test-client", PERISCOPE_TEST_CLIENT,
            "--size",        std::to_string(GUEST_W) + "x" + std::to_string(GUEST_H),
            "--log",         serial,
            "--timeout",     "500",
            "--initrd-dir",  PERISCOPE_VM_WORK_DIR};
        if (!shm_size.empty()) {
            args.insert(args.end(), {"--shm-size", shm_size});
        }
        runner.start(args, PERISCOPE_RUN_DESKTOP_VM);
    }
    ~DesktopVm() {
        if (runner.pid > 0) {
            kill(runner.pid, SIGTERM);  // the runner stops QEMU and removes its sockets
            runner.wait_exit(30000);
        }
        ::unlink(shm.c_str());
    }
};

class DesktopTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(m_dir.ok());
        const std::string error = m_desktop.start();
        ASSERT_TRUE(error.empty()) << error;
        m_xvfb = m_desktop.xvfb.get();
        m_x = m_desktop.x.get();
        m_viewer_window = std::make_unique<test::TitledWindow>(*m_x, "Periscope");
        m_png = m_dir.file("viewer.png");
    }
    void TearDown() override {
        if (m_viewer.pid > 0) {
            kill(m_viewer.pid, SIGTERM);
            m_viewer.wait_exit(10000);
        }
        if (HasFailure()) {
            std::printf("viewer log (tail):\n%s\n", tail(m_viewer.output(), 40).c_str());
            std::printf("runner log (tail):\n%s\n", tail(m_vm.runner.output(), 20).c_str());
            std::printf("serial console (tail):\n%s\n", tail(read_file(m_vm.serial), 60).c_str());
        }
    }
    static std::string tail(const std::string& text, int lines) {
        size_t at = text.size();
        for (int i = 0; i <= lines && at != std::string::npos && at > 0; ++i) {
            at = text.rfind('\n', at - 1);
        }
        return at == std::string::npos ? text : text.substr(at + 1);
    }

    void boot_and_wait_ready(const std::string& shm_size = "") {
        const uint64_t start = monotonic_ns();
        m_vm.boot(m_dir, shm_size);
        ASSERT_TRUE(m_control.connect_to(m_vm.control, 120000)) << "no control socket";
        auto ready = m_control.line(240000);
        ASSERT_TRUE(ready) << "the guest never said ready";
        EXPECT_EQ(*ready, "ready " + std::to_string(GUEST_W) + "x" + std::to_string(GUEST_H));
        std::printf("[ vm       ] guest ready after %llu ms\n",
                    static_cast<unsigned long long>(ms_since(start)));
    }
    void start_viewer(std::vector<std::string> extra = {}) {
        setenv("DISPLAY", m_xvfb->display().c_str(), 1);
        setenv("LP_NUM_THREADS", "0", 1);
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
        std::vector<std::string> args{
            "--shm",      m_vm.shm,
            "--size",     std::to_string(GUEST_W) + "x" + std::to_string(GUEST_H),
            "--scale",    "no-upscale",
            "--filter",   "nearest",
            "--no-vsync", "--screenshot",
            m_png,        "--log",
            "debug"};
        args.insert(args.end(), extra.begin(), extra.end());
        m_viewer.start(args, PERISCOPE_VIEWER);
    }
    std::string title() { return m_viewer_window->title(); }
    bool wait_title(const std::string& part, uint64_t timeout_ms) {
        return m_viewer_window->wait_title(part, timeout_ms);
    }
    // The test client's window, pixel-exact, at its place in the viewer's screenshot (1:1). The
    // guest's pointer may sit on it: pixels under the drawn cursor are allowed to differ.
    bool pattern_on_screen(std::string* why) {
        uint32_t w = 0;
        uint32_t h = 0;
        std::vector<std::byte> rgba;
        if (!viewer::read_png(m_png, &w, &h, &rgba) || w < GUEST_W || h < GUEST_H) {
            *why = "no screenshot of the guest's size yet";
            return false;
        }
        const size_t wrong = vm::pattern_mismatches(rgba.data(), w, vm::WINDOW_X, vm::WINDOW_Y);
        *why = std::to_string(wrong) + " of " +
               std::to_string(vm::WINDOW_WIDTH * vm::WINDOW_HEIGHT) + " pixels differ";
        return wrong <= 32 * 32;  // at most one cursor's worth
    }
    // The viewer window position of guest pixel (gx, gy): 1:1, the picture at the window's origin.
    void move_to_guest(int gx, int gy) { ASSERT_TRUE(m_viewer_window->move_to(gx, gy)); }
    // The test client's event lines gathered until one contains `want` (or the timeout).
    std::vector<std::string> events_until(const std::string& want, uint64_t timeout_ms) {
        std::vector<std::string> all;
        const uint64_t start = monotonic_ns();
        while (ms_since(start) < timeout_ms) {
            for (const std::string& l : m_control.ask("events", 10000, "end")) {
                if (l.rfind("event ", 0) == 0) {
                    all.push_back(l.substr(6));
                }
            }
            for (const std::string& e : all) {
                if (e.find(want) != std::string::npos) {
                    return all;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return all;
    }
    std::optional<std::string> host_clipboard() {
        const std::string out = m_dir.file("paste.out");
        const std::string command = "DISPLAY=" + m_xvfb->display() +
                                    " timeout 10 xclip -o -selection clipboard -t UTF8_STRING > " +
                                    out + " 2>/dev/null";
        if (std::system(command.c_str()) != 0) {
            return std::nullopt;
        }
        return read_file(out);
    }

    test::TempDir m_dir{"periscope-vmtest"};
    test::TestDesktop m_desktop;
    test::Xvfb* m_xvfb = nullptr;
    test::XInput* m_x = nullptr;
    std::unique_ptr<test::TitledWindow> m_viewer_window;
    DesktopVm m_vm;
    GuestControl m_control;
    test::AgentProcess m_viewer;
    std::string m_png;
};

TEST_F(DesktopTest, PictureKeyboardMouseClipboardAndFaults) {
    ASSERT_NO_FATAL_FAILURE(boot_and_wait_ready());
    start_viewer({"--spice", "unix:" + m_vm.spice});

    // 1. Picture: the guest's test pattern, pixel-exact in what the viewer presented.
    std::string why;
    bool shown = false;
    for (const uint64_t start = monotonic_ns(); !shown && ms_since(start) < 60000;) {
        shown = pattern_on_screen(&why);
        if (!shown) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    ASSERT_TRUE(shown) << why;
    ASSERT_TRUE(wait_title("input on, mouse absolute", 60000)) << title();

    // 2. Keyboard: typed on the host, the same characters reach the guest's client; the escape
    // key (pressed alone twice: capture on, off) does not.
    m_x->focus(*m_viewer_window->id());
    move_to_guest(vm::WINDOW_X + 200, vm::WINDOW_Y + 200);  // the guest's focus follows its pointer
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    (void)m_control.ask("events", 10000, "end");  // forget what came before
    const uint8_t keys[] = {43, 31, 78, 78, 14};  // h, i, ScrollLock, ScrollLock, 5
    for (uint8_t k : keys) {
        m_x->tap(k);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const auto typed = events_until("text=\"5\"", 30000);
    std::string text;
    for (const std::string& e : typed) {
        EXPECT_EQ(e.find("Scroll_Lock"), std::string::npos) << "the escape key reached the guest";
        if (const size_t at = e.find("key press"); at == 0) {
            const size_t t = e.find("text=\"");
            if (t != std::string::npos) {
                text += e.substr(t + 6, e.find('"', t + 6) - t - 6);
            }
        }
    }
    EXPECT_EQ(text, "hi5");

    // 3. Mouse: a click on the viewer window lands on the corresponding guest pixel.
    move_to_guest(vm::WINDOW_X + 100, vm::WINDOW_Y + 50);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    m_x->click(1);
    const auto clicks = events_until("button press 1", 30000);
    bool clicked = false;
    for (const std::string& e : clicks) {
        clicked = clicked || e.rfind("button press 1 x=100 y=50", 0) == 0;
    }
    EXPECT_TRUE(clicked) << "events: " << ::testing::PrintToString(clicks);

    // 4. Clipboard, host -> guest -> host.
    const std::string from_host = "copied on the host " + std::to_string(getpid());
    {
        const std::string file = m_dir.file("copy.in");
        std::ofstream(file) << from_host;
        const std::string command = "DISPLAY=" + m_xvfb->display() +
                                    " xclip -i -selection clipboard -t UTF8_STRING " + file;
        ASSERT_EQ(std::system(command.c_str()), 0);
    }
    std::string in_guest;
    for (const uint64_t start = monotonic_ns(); in_guest != from_host && ms_since(start) < 30000;) {
        for (const std::string& l : m_control.ask("clipboard-get", 20000)) {
            if (l.rfind("clipboard ", 0) == 0) {
                const auto bytes = spice_harness::base64_decode(l.substr(10));
                in_guest = bytes ? std::string(bytes->begin(), bytes->end()) : "";
            }
        }
    }
    EXPECT_EQ(in_guest, from_host);
    const std::string from_guest = "copied in the guest ✓";
    const std::vector<uint8_t> guest_bytes(from_guest.begin(), from_guest.end());
    EXPECT_EQ(m_control.ask("clipboard-set " + spice_harness::base64_encode(guest_bytes)),
              std::vector<std::string>{"ok"});
    std::optional<std::string> on_host;
    for (const uint64_t start = monotonic_ns(); on_host != from_guest && ms_since(start) < 30000;) {
        on_host = host_clipboard();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    EXPECT_EQ(on_host.value_or("(nothing)"), from_guest);

    // 5a. The agent killed in the guest: the viewer says so, and recovers by itself when it is
    // started again.
    const auto before = std::filesystem::last_write_time(m_png);
    EXPECT_EQ(m_control.ask("agent-kill"), std::vector<std::string>{"ok"});
    EXPECT_TRUE(wait_title("agent not responding", 15000)) << title();
    EXPECT_EQ(m_control.ask("agent-start"), std::vector<std::string>{"ok"});
    EXPECT_TRUE(wait_title("fps", 60000)) << title();
    shown = false;
    for (const uint64_t start = monotonic_ns(); !shown && ms_since(start) < 60000;) {
        // A screenshot written after the restart: the new session's first frame.
        std::error_code error;
        shown = std::filesystem::last_write_time(m_png, error) > before && !error &&
                pattern_on_screen(&why);
        if (!shown) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    EXPECT_TRUE(shown) << "after the agent's restart: " << why;

    // 5b. The guest powered off: QEMU exits; the viewer stays, says the agent stopped and input
    // is unavailable, and waits for the VM to come back (documented in docs/viewer.md).
    EXPECT_EQ(m_control.ask("poweroff"), std::vector<std::string>{"ok"});
    EXPECT_EQ(m_vm.runner.wait_exit(120000), 0) << "QEMU did not power off";
    EXPECT_TRUE(wait_title("agent stopped", 15000) || wait_title("agent not responding", 1))
        << title();
    EXPECT_TRUE(wait_title("input unavailable", 15000)) << title();
    EXPECT_EQ(kill(m_viewer.pid, 0), 0) << "the viewer exited instead of waiting";
}

// The region is too small for the guest's screen: the agent in the guest and the viewer on the
// host both name the size it needs.
TEST_F(DesktopTest, RegionTooSmallBothSidesSayTheSizeNeeded) {
    // 1024x768 BGRA8 needs two 3 MiB buffers and the header: 4 MiB is too small.
    ASSERT_NO_FATAL_FAILURE(boot_and_wait_ready("4194304"));
    start_viewer();
    const uint64_t frame = uint64_t{GUEST_W} * GUEST_H * 4;
    const std::string needed = std::to_string(protocol::required_region_size(frame, 2));
    const std::string viewer_says =
        "too small for the guest's 1024x768 BGRA8: it needs " + needed + " bytes";
    bool viewer_said = false;
    for (const uint64_t start = monotonic_ns(); !viewer_said && ms_since(start) < 30000;) {
        viewer_said = m_viewer.output().find(viewer_says) != std::string::npos;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_TRUE(viewer_said) << "viewer log:\n" << m_viewer.output();
    EXPECT_TRUE(wait_title("shared memory too small", 10000)) << title();
    // The agent's log, dumped onto the serial console.
    EXPECT_EQ(m_control.ask("logs"), std::vector<std::string>{"ok"});
    const std::string agent_says = "is too small for 1024x768 BGRA8: it needs " + needed + " bytes";
    bool agent_said = false;
    for (const uint64_t start = monotonic_ns(); !agent_said && ms_since(start) < 20000;) {
        agent_said = read_file(m_vm.serial).find(agent_says) != std::string::npos;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_TRUE(agent_said) << "no '" << agent_says << "' on the serial console";
}

}  // namespace
}  // namespace periscope
