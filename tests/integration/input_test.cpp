// Keyboard, mouse and clipboard from the viewer's window to a real SPICE server: periscope-viewer
// on Xvfb (real OpenGL through llvmpipe), fed by the synthetic agent, connected to
// periscope-spice-harness (the real libspice-server with recording devices). The test drives the
// window with XTEST, as a user's keyboard and mouse would, and compares what the server's devices
// received; the clipboard is checked on the host side through the X selection (xclip).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "spice_harness/harness_process.h"
#include "spice_harness/json_out.h"
#include "support/agent_process.h"
#include "support/keyboard_layout.h"
#include "support/temp_dir.h"
#include "support/x_input.h"
#include "support/xvfb.h"

namespace periscope {
namespace {

using spice_harness::HarnessProcess;
using spice_harness::json_int;
using spice_harness::json_str;

constexpr uint8_t SCROLL_LOCK = 78;  // X keycodes (evdev + 8)
constexpr uint8_t INSERT = 118;
constexpr uint8_t KEY_A = 38;

std::string hex(const std::vector<int>& bytes) {
    std::string out;
    char b[4];
    for (int v : bytes) {
        std::snprintf(b, sizeof(b), "%02x ", v);
        out += b;
    }
    return out;
}

class InputTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(m_dir.ok());
        const std::string error = m_desktop.start();
        ASSERT_TRUE(error.empty()) << error;
        m_xvfb = m_desktop.xvfb.get();
        m_x = m_desktop.x.get();
        m_viewer_window = std::make_unique<test::TitledWindow>(*m_x, "Periscope");
        m_socket = m_dir.file("spice.sock");
        m_shm = "/dev/shm/periscope-input-test-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
        ::unlink(m_shm.c_str());
        m_agent.start({"--capture", "synthetic", "--synthetic-size", "640x480", "--shm", m_shm,
                       "--shm-size", "16M", "--log", "warn"},
                      PERISCOPE_AGENT);
    }
    void TearDown() override {
        if (m_viewer.pid > 0) {
            // SDL turns SIGTERM into a quit event: a clean exit, so a sanitizer's report in the
            // viewer (its own exit status) fails the test.
            kill(m_viewer.pid, SIGTERM);
            const int status = m_viewer.wait_exit(10000);
            EXPECT_EQ(status, 0) << "the viewer did not exit cleanly";
            if (status != 0 || HasFailure()) {
                std::printf("viewer log:\n%s\n", m_viewer.output().c_str());
            }
        }
        if (HasFailure()) {
            std::printf("harness, last lines:\n%s\n", m_harness.tail().c_str());
        }
        ::unlink(m_shm.c_str());
    }

    void start_harness(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--unix", m_socket, "--size", "640x480"};
        args.insert(args.end(), extra.begin(), extra.end());
        ASSERT_TRUE(m_harness.start(args));
    }

    // The viewer in a window of `width` x `height`, connected, focused, input on.
    void start_viewer(uint32_t width, uint32_t height, std::vector<std::string> extra = {}) {
        setenv("DISPLAY", m_xvfb->display().c_str(), 1);
        setenv("LP_NUM_THREADS", "0", 1);  // see viewer_test.cpp
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
        std::vector<std::string> args{
            "--shm",      m_shm,
            "--spice",    "unix:" + m_socket,
            "--size",     std::to_string(width) + "x" + std::to_string(height),
            "--no-vsync", "--log",
            "debug"};
        args.insert(args.end(), extra.begin(), extra.end());
        m_viewer.start(args, PERISCOPE_VIEWER);
        ASSERT_TRUE(m_harness.wait_event("channel", [](const std::string& l) {
            return json_str(l, "type") == "inputs" && json_str(l, "event") == "connected";
        }));
        ASSERT_TRUE(wait_title("input on")) << "title: " << title();
        m_x->focus(*m_viewer_window->id());
        // Let the focus event and the first frame reach the viewer before typing.
        ASSERT_TRUE(wait_title("60 fps") || wait_title("fps")) << title();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        m_harness.collect_kbd_bytes();  // lock-state synchronisation at connect, if any
    }

    std::string title() { return m_viewer_window->title(); }
    bool wait_title(const std::string& part, uint64_t timeout_ms = 15000) {
        return m_viewer_window->wait_title(part, timeout_ms);
    }
    void move_in_window(int x, int y) { ASSERT_TRUE(m_viewer_window->move_to(x, y)); }
    // The next "position" event equal to (x, y), skipping intermediate ones.
    bool position_arrives(int64_t x, int64_t y) {
        return m_harness
            .wait_event("position",
                        [&](const std::string& l) {
                            return json_int(l, "x") == x && json_int(l, "y") == y;
                        })
            .has_value();
    }

    test::TempDir m_dir{"periscope-input"};
    test::TestDesktop m_desktop;
    test::Xvfb* m_xvfb = nullptr;
    test::XInput* m_x = nullptr;
    std::unique_ptr<test::TitledWindow> m_viewer_window;
    std::string m_socket;
    std::string m_shm;
    test::AgentProcess m_agent;
    test::AgentProcess m_viewer;
    HarnessProcess m_harness{PERISCOPE_SPICE_HARNESS};
};

// Every key of a 105-key ISO keyboard plus the extended and media keys: pressed and released on
// the X server, the SPICE server's keyboard must receive exactly the set-1 make and break bytes.
TEST_F(InputTest, EveryKeyOfAFullLayoutArrivesAsItsSet1Scancodes) {
    start_harness();
    start_viewer(640, 480);
    size_t checked = 0;
    for (const test::LayoutKey& key : test::KEYBOARD_LAYOUT) {
        if (key.role == test::KeyRole::ViewerEscape) {
            continue;  // the escape key has its own test
        }
        m_x->tap(key.x_keycode);
        std::vector<int> expected(key.make.view().begin(), key.make.view().end());
        expected.insert(expected.end(), key.break_bytes.view().begin(),
                        key.break_bytes.view().end());
        const std::vector<int> got = m_harness.collect_kbd_bytes(expected.size());
        EXPECT_EQ(got, expected) << key.name << " (X keycode " << int(key.x_keycode) << "): got "
                                 << hex(got) << "want " << hex(expected);
        ++checked;
    }
    EXPECT_GE(checked, 120u);
}

// The escape key alone toggles capture and never reaches the guest; escape + Insert sends it.
TEST_F(InputTest, EscapeKeyTogglesCaptureWithoutReachingTheServer) {
    start_harness();
    start_viewer(640, 480);
    m_x->tap(SCROLL_LOCK);
    EXPECT_TRUE(wait_title("input captured")) << title();
    EXPECT_EQ(m_harness.collect_kbd_bytes(), std::vector<int>{});
    m_x->tap(SCROLL_LOCK);
    EXPECT_TRUE(wait_title("input on")) << title();
    EXPECT_EQ(m_harness.collect_kbd_bytes(), std::vector<int>{});
    m_x->key(SCROLL_LOCK, true);
    m_x->tap(INSERT);
    m_x->key(SCROLL_LOCK, false);
    EXPECT_EQ(m_harness.collect_kbd_bytes(), (std::vector<int>{0x46, 0xc6}));
    EXPECT_NE(title().find("input on"), std::string::npos) << "a combination is not a toggle";
}

// Keys held when the window loses the focus are released in the guest at once.
TEST_F(InputTest, FocusLossReleasesHeldKeys) {
    start_harness();
    start_viewer(640, 480);
    m_x->key(KEY_A, true);
    m_x->key(50, true);  // left shift
    EXPECT_EQ(m_harness.collect_kbd_bytes(), (std::vector<int>{0x1e, 0x2a}));
    m_x->focus_elsewhere();
    std::vector<int> released = m_harness.collect_kbd_bytes();
    std::sort(released.begin(), released.end());
    EXPECT_EQ(released, (std::vector<int>{0x9e, 0xaa})) << "still held on the host";
    m_x->key(KEY_A, false);
    m_x->key(50, false);
    EXPECT_EQ(m_harness.collect_kbd_bytes(), std::vector<int>{}) << "released twice";
}

// Client mouse mode (tablet): positions in guest pixels under two scalings, so a click lands on
// the guest pixel under the host cursor.
TEST_F(InputTest, AbsolutePositionsFollowTheScaling) {
    start_harness();
    // 2x: the 640x480 picture fills a 1280x960 window.
    start_viewer(1280, 960);
    move_in_window(200, 100);
    EXPECT_TRUE(position_arrives(100, 50));
    move_in_window(1279, 959);
    EXPECT_TRUE(position_arrives(639, 479));
    move_in_window(3, 5);
    EXPECT_TRUE(position_arrives(1, 2));
    m_x->click(1);
    EXPECT_TRUE(m_harness.wait_event(
        "tablet_buttons", [](const std::string& l) { return json_int(l, "buttons") == 0; }));
}

TEST_F(InputTest, AbsolutePositionsWithBlackBars) {
    start_harness();
    // Aspect in 1000x600: the picture is 800x600 at x = 100 (scale 1.25), bars left and right.
    start_viewer(1000, 600);
    move_in_window(100 + 125, 250);
    EXPECT_TRUE(position_arrives(100, 200));
    move_in_window(899, 599);
    EXPECT_TRUE(position_arrives(639, 479));
    move_in_window(20, 300);  // over the left bar: clamped to the picture's edge
    EXPECT_TRUE(position_arrives(0, 240));
}

// Buttons 1-3, back/forward and the wheel reach the tablet; the horizontal wheel cannot (SPICE
// has no button for it) and sends nothing.
TEST_F(InputTest, ButtonsAndWheel) {
    start_harness();
    start_viewer(640, 480);
    move_in_window(10, 10);  // the pointer may already be at the target: no motion then
    move_in_window(320, 240);
    ASSERT_TRUE(position_arrives(320, 240));
    // spice-server hands a press to the tablet as wheel(0, buttons), a release as buttons().
    // Device bits: left 1, right 2, middle 4, side 0x40, extra 0x80.
    const std::pair<uint8_t, int64_t> presses[] = {{1, 1}, {2, 4}, {3, 2}, {8, 0x40}, {9, 0x80}};
    for (const auto& press : presses) {
        const uint8_t x_button = press.first;
        const int64_t bits = press.second;
        m_x->button(x_button, true);
        EXPECT_TRUE(m_harness.wait_event("wheel",
                                         [&](const std::string& l) {
                                             return json_int(l, "motion") == 0 &&
                                                    json_int(l, "buttons") == bits;
                                         }))
            << "X button " << int(x_button);
        m_x->button(x_button, false);
        EXPECT_TRUE(m_harness.wait_event(
            "tablet_buttons", [](const std::string& l) { return json_int(l, "buttons") == 0; }))
            << "X button " << int(x_button);
    }
    m_x->click(4);  // wheel up
    EXPECT_TRUE(m_harness.wait_event(
        "wheel", [](const std::string& l) { return json_int(l, "motion") == -1; }));
    m_x->click(5);  // wheel down
    EXPECT_TRUE(m_harness.wait_event(
        "wheel", [](const std::string& l) { return json_int(l, "motion") == 1; }));
    m_x->click(6);  // horizontal
    m_x->click(7);
    EXPECT_FALSE(m_harness.wait_event("wheel", nullptr, false, std::chrono::milliseconds(500)));
}

// Server mouse mode (no tablet): a click captures (and is not delivered), then relative motion
// arrives and sums to what the mouse moved.
TEST_F(InputTest, RelativeMotionSumsInServerMode) {
    start_harness({"--no-tablet"});
    start_viewer(640, 480);
    ASSERT_TRUE(wait_title("mouse relative")) << title();
    move_in_window(320, 240);
    m_x->click(1);
    ASSERT_TRUE(wait_title("input captured")) << title();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    m_harness.rewind();
    EXPECT_FALSE(m_harness.wait_event(
        "motion",
        [](const std::string& l) { return json_int(l, "dz") == 0 && json_int(l, "buttons") != 0; },
        false, std::chrono::milliseconds(0)))
        << "the capturing click reached the guest";
    m_harness.collect_kbd_bytes();  // moves the cursor past what came so far
    int64_t want_x = 0;
    int64_t want_y = 0;
    const std::pair<int16_t, int16_t> steps[] = {{5, 3}, {-2, 7}, {40, -30}, {-11, -1}, {9, 9}};
    for (const auto& [dx, dy] : steps) {
        m_x->move_by(dx, dy);
        want_x += dx;
        want_y += dy;
    }
    int64_t sum_x = 0;
    int64_t sum_y = 0;
    const uint64_t deadline = monotonic_ns() + 5000 * NS_PER_MS;
    while ((sum_x != want_x || sum_y != want_y) && monotonic_ns() < deadline) {
        auto line = m_harness.wait_event("motion", nullptr, false, std::chrono::milliseconds(200));
        if (line) {
            sum_x += json_int(*line, "dx").value_or(0);
            sum_y += json_int(*line, "dy").value_or(0);
        }
    }
    EXPECT_EQ(sum_x, want_x);
    EXPECT_EQ(sum_y, want_y);
}

// The server goes away: the viewer keeps showing frames with input unavailable, reconnects by
// itself when the server is back, and input works again.
TEST_F(InputTest, ReconnectsAfterServerRestart) {
    start_harness();
    start_viewer(640, 480);
    m_harness.kill_now();
    EXPECT_TRUE(wait_title("input unavailable")) << title();
    EXPECT_TRUE(wait_title("fps")) << "frames stopped: " << title();
    start_harness();
    ASSERT_TRUE(m_harness.wait_event("channel", [](const std::string& l) {
        return json_str(l, "type") == "inputs" && json_str(l, "event") == "connected";
    }));
    ASSERT_TRUE(wait_title("input on")) << title();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    m_harness.collect_kbd_bytes();
    m_x->tap(KEY_A);
    EXPECT_EQ(m_harness.collect_kbd_bytes(), (std::vector<int>{0x1e, 0x9e}));
}

// ---- clipboard ------------------------------------------------------------------------------

class ClipboardTest : public InputTest {
  protected:
    // xclip reading the CLIPBOARD selection as `target`; its stdout.
    std::optional<std::vector<uint8_t>> host_paste(const std::string& target) {
        const std::string out = m_dir.file("paste.out");
        const std::string command = "DISPLAY=" + m_xvfb->display() +
                                    " timeout 10 xclip -o -selection clipboard -t '" + target +
                                    "' > " + out + " 2>/dev/null";
        if (std::system(command.c_str()) != 0) {
            return std::nullopt;
        }
        std::ifstream in(out, std::ios::binary);
        return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
    }
    // xclip owning CLIPBOARD with `data` as `target` until it served `pastes` requests.
    void host_copy(const std::vector<uint8_t>& data, const std::string& target) {
        const std::string in = m_dir.file("copy.in");
        std::ofstream(in, std::ios::binary)
            .write(reinterpret_cast<const char*>(data.data()),
                   static_cast<std::streamsize>(data.size()));
        const std::string command = "DISPLAY=" + m_xvfb->display() +
                                    " xclip -i -selection clipboard -t '" + target + "' " + in +
                                    " >/dev/null 2>&1";
        ASSERT_EQ(std::system(command.c_str()), 0);  // xclip forks and stays the owner
    }
    void TearDown() override {
        // xclip's background owner exits when the X server goes.
        InputTest::TearDown();
    }
    static std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
        std::mt19937 rng(seed);
        std::vector<uint8_t> v(n);
        for (auto& b : v) {
            b = static_cast<uint8_t>(rng());
        }
        return v;
    }
};

TEST_F(ClipboardTest, GuestTextAndPngReachTheHostSelection) {
    start_harness();
    start_viewer(640, 480);
    const std::string text = "périscope ✓ clipboard\nline 2";
    const std::vector<uint8_t> text_bytes(text.begin(), text.end());
    std::vector<uint8_t> png = random_bytes(1536 * 1024, 7);
    const uint8_t magic[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    std::copy(std::begin(magic), std::end(magic), png.begin());
    m_harness.command("set utf8 " + spice_harness::base64_encode(text_bytes));
    m_harness.command("set png " + spice_harness::base64_encode(png));
    m_harness.command("grab utf8 png");
    // The viewer takes the X selection on the guest's behalf; a paste fetches from the guest.
    std::optional<std::vector<uint8_t>> pasted;
    for (int i = 0; i < 50 && !pasted; ++i) {
        pasted = host_paste("UTF8_STRING");
        if (!pasted) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    ASSERT_TRUE(pasted) << "no UTF8_STRING on the host's CLIPBOARD";
    EXPECT_EQ(*pasted, text_bytes);
    auto image = host_paste("image/png");
    ASSERT_TRUE(image);
    EXPECT_EQ(image->size(), png.size());
    EXPECT_TRUE(*image == png) << "PNG bytes differ";
}

TEST_F(ClipboardTest, HostTextAndPngReachTheGuestAgent) {
    start_harness();
    start_viewer(640, 480);
    const std::string text = "from the host: Grüße 🙂";
    const std::vector<uint8_t> text_bytes(text.begin(), text.end());
    host_copy(text_bytes, "UTF8_STRING");
    ASSERT_TRUE(m_harness.wait_event("clipboard_grab", [](const std::string& l) {
        return l.find("\"utf8\"") != std::string::npos;
    }));
    m_harness.command("request utf8");
    auto data = m_harness.wait_event("clipboard_data");
    ASSERT_TRUE(data);
    EXPECT_EQ(spice_harness::base64_decode(json_str(*data, "data").value_or(""))
                  .value_or(std::vector<uint8_t>{}),
              text_bytes);

    std::vector<uint8_t> png = random_bytes(2 * 1024 * 1024 + 123, 11);
    host_copy(png, "image/png");
    ASSERT_TRUE(m_harness.wait_event("clipboard_grab", [](const std::string& l) {
        return l.find("\"png\"") != std::string::npos;
    }));
    m_harness.command("request png");
    auto image = m_harness.wait_event("clipboard_data");
    ASSERT_TRUE(image);
    const auto bytes = spice_harness::base64_decode(json_str(*image, "data").value_or(""));
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->size(), png.size());
    EXPECT_TRUE(*bytes == png) << "PNG bytes differ";
}

TEST_F(ClipboardTest, DisabledDirectionsCarryNothing) {
    start_harness();
    start_viewer(640, 480, {"--no-clipboard-to-guest"});
    host_copy({'x', 'y'}, "UTF8_STRING");
    EXPECT_FALSE(m_harness.wait_event("clipboard_grab", nullptr, false, std::chrono::seconds(1)))
        << "a host copy reached the guest with --no-clipboard-to-guest";
}

}  // namespace
}  // namespace periscope
