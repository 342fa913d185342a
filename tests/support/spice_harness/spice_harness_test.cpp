// The harness against a real spice-glib client: a harness process on a temporary unix socket, a
// SpiceSession driven from this thread's GLib default main context (spice-glib attaches its
// sources there), and checks that what the client sends arrives at the devices as recorded
// JSON events — keys as scancode bytes, relative motion, client-mode positions, buttons, wheel,
// clipboard both ways (text and a 3 MiB binary), and a restart on the same socket path.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spice-client.h>
#include <spice/vd_agent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "harness_process.h"
#include "json_out.h"
#include "support/temp_dir.h"

namespace periscope::spice_harness {
namespace {

constexpr auto TIMEOUT = HARNESS_TIMEOUT;

void pump_glib() {
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// ---- the spice-glib client ---------------------------------------------------------------------

class Client {
  public:
    explicit Client(const std::string& socket_path, const std::string& password = "") {
        m_session = spice_session_new();
        g_object_set(m_session, "unix-path", socket_path.c_str(), nullptr);
        if (!password.empty()) {
            g_object_set(m_session, "password", password.c_str(), nullptr);
        }
        g_signal_connect(m_session, "channel-new", G_CALLBACK(on_channel_new), this);
    }
    ~Client() {
        spice_session_disconnect(m_session);
        g_object_unref(m_session);
        for (int i = 0; i < 50; ++i) {
            pump_glib();
        }
    }

    bool connect() { return spice_session_connect(m_session) != 0; }

    bool pump_until(const std::function<bool()>& done) {
        const auto deadline = Clock::now() + TIMEOUT;
        while (Clock::now() < deadline) {
            if (done()) {
                return true;
            }
            pump_glib();
        }
        return done();
    }

    bool wait_ready() {
        return pump_until([this] { return m_inputs_open && m_main_open; });
    }

    bool wait_agent() {
        return pump_until([this] {
            return m_main != nullptr && spice_main_channel_agent_test_capability(
                                            m_main, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
        });
    }

    int mouse_mode() const {
        int mode = 0;
        g_object_get(m_main, "mouse-mode", &mode, nullptr);
        return mode;
    }

    SpiceMainChannel* main() const { return m_main; }
    SpiceInputsChannel* inputs() const { return m_inputs; }

    // Clipboard state seen through the main channel's signals.
    std::map<uint32_t, std::vector<uint8_t>> offer;  // served when the agent requests a type
    int requests_served = 0;
    std::vector<uint32_t> grabbed_types;
    bool got_grab = false;
    std::optional<std::pair<uint32_t, std::vector<uint8_t>>> received;
    std::optional<SpiceChannelEvent> main_error;

  private:
    static void on_channel_new(SpiceSession*, SpiceChannel* channel, gpointer data) {
        auto* self = static_cast<Client*>(data);
        g_signal_connect(channel, "channel-event", G_CALLBACK(on_channel_event), self);
        if (SPICE_IS_MAIN_CHANNEL(channel)) {
            self->m_main = SPICE_MAIN_CHANNEL(channel);
            g_signal_connect(channel, "main-clipboard-selection-grab", G_CALLBACK(on_grab), self);
            g_signal_connect(channel, "main-clipboard-selection-request", G_CALLBACK(on_request),
                             self);
            g_signal_connect(channel, "main-clipboard-selection", G_CALLBACK(on_data), self);
            return;  // spice_session_connect connects it
        }
        if (SPICE_IS_INPUTS_CHANNEL(channel)) {
            self->m_inputs = SPICE_INPUTS_CHANNEL(channel);
            spice_channel_connect(channel);
        }
        // Display, cursor and the rest are never connected: the server then never renders.
    }

    static void on_channel_event(SpiceChannel* channel, SpiceChannelEvent event, gpointer data) {
        auto* self = static_cast<Client*>(data);
        const bool open = event == SPICE_CHANNEL_OPENED;
        if (SPICE_IS_MAIN_CHANNEL(channel)) {
            self->m_main_open = open;
            if (event != SPICE_CHANNEL_OPENED && event != SPICE_CHANNEL_CLOSED) {
                self->main_error = event;
            }
        } else if (SPICE_IS_INPUTS_CHANNEL(channel)) {
            self->m_inputs_open = open;
        }
    }

    static gboolean on_grab(SpiceMainChannel*, guint selection, gpointer types, guint ntypes,
                            gpointer data) {
        auto* self = static_cast<Client*>(data);
        if (selection != VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD) {
            return FALSE;
        }
        const auto* t = static_cast<const uint32_t*>(types);
        self->grabbed_types.assign(t, t + ntypes);
        self->got_grab = true;
        return TRUE;
    }

    static gboolean on_request(SpiceMainChannel* main, guint selection, guint type, gpointer data) {
        auto* self = static_cast<Client*>(data);
        const auto it = self->offer.find(type);
        if (it == self->offer.end()) {
            return FALSE;
        }
        spice_main_channel_clipboard_selection_notify(main, selection, type, it->second.data(),
                                                      it->second.size());
        ++self->requests_served;
        return TRUE;
    }

    static void on_data(SpiceMainChannel*, guint, guint type, gpointer bytes, guint size,
                        gpointer data) {
        auto* self = static_cast<Client*>(data);
        const auto* b = static_cast<const uint8_t*>(bytes);
        self->received.emplace(type, std::vector<uint8_t>(b, b + size));
    }

    SpiceSession* m_session = nullptr;
    SpiceMainChannel* m_main = nullptr;
    SpiceInputsChannel* m_inputs = nullptr;
    bool m_main_open = false;
    bool m_inputs_open = false;
};

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
    std::vector<uint8_t> out(n);
    std::mt19937 rng(seed);
    for (auto& b : out) {
        b = static_cast<uint8_t>(rng());
    }
    // A PNG signature in front, for realism; the harness does not care.
    const uint8_t signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    std::memcpy(out.data(), signature, std::min(n, sizeof(signature)));
    return out;
}

std::vector<uint8_t> decoded_data(const std::string& line) {
    const auto b64 = json_str(line, "data");
    if (!b64) {
        return {};
    }
    return base64_decode(*b64).value_or(std::vector<uint8_t>{});
}

class SpiceHarnessTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(m_dir.ok());
        m_socket = m_dir.file("spice.sock");
        m_harness.idle = pump_glib;  // the client runs on this thread's GLib default context
    }

    // Harness up, client connected with main and inputs open.
    void start(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args{"--unix", m_socket};
        args.insert(args.end(), extra.begin(), extra.end());
        ASSERT_TRUE(m_harness.start(args));
        m_client = std::make_unique<Client>(m_socket);
        ASSERT_TRUE(m_client->connect());
        ASSERT_TRUE(m_client->wait_ready()) << "main/inputs channels did not open";
        ASSERT_TRUE(m_harness.wait_event("channel", [](const std::string& l) {
            return json_str(l, "type") == "inputs" && json_str(l, "event") == "connected";
        }));
    }

    void TearDown() override {
        m_client.reset();
        if (!HasFatalFailure()) {
            EXPECT_EQ(m_harness.quit_and_wait(), 0);
        }
    }

    test::TempDir m_dir{"periscope-spice"};
    std::string m_socket;
    HarnessProcess m_harness{PERISCOPE_SPICE_HARNESS};
    std::unique_ptr<Client> m_client;
};

// ---- tests -------------------------------------------------------------------------------------

TEST_F(SpiceHarnessTest, KeysArriveAsScancodeBytes) {
    start();
    SpiceInputsChannel* inputs = m_client->inputs();
    m_harness.collect_kbd_bytes();  // any lock synchronisation at connect time

    spice_inputs_channel_key_press(inputs, 0x1e);  // A
    spice_inputs_channel_key_release(inputs, 0x1e);
    EXPECT_EQ(m_harness.collect_kbd_bytes(), (std::vector<int>{0x1e, 0x9e}));

    spice_inputs_channel_key_press(inputs, 0x148);  // Up: E0 48
    spice_inputs_channel_key_release(inputs, 0x148);
    EXPECT_EQ(m_harness.collect_kbd_bytes(), (std::vector<int>{0xe0, 0x48, 0xe0, 0xc8}));

    spice_inputs_channel_key_press_and_release(inputs, 0x1e);
    EXPECT_EQ(m_harness.collect_kbd_bytes(), (std::vector<int>{0x1e, 0x9e}));

    // Pause: E1 1D 45 E1 9D C5. spice-glib keeps bit 0x200 of a code and turns 0x200|c into the
    // prefix E1: press(0x21d) = E1 1D, press(0x45) = 45, release(0x21d) = E1 9D, release(0x45) =
    // C5.
    spice_inputs_channel_key_press(inputs, 0x21d);
    spice_inputs_channel_key_press(inputs, 0x45);
    spice_inputs_channel_key_release(inputs, 0x21d);
    spice_inputs_channel_key_release(inputs, 0x45);
    EXPECT_EQ(m_harness.collect_kbd_bytes(),
              (std::vector<int>{0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5}));
}

TEST_F(SpiceHarnessTest, ClientMouseModeUsesTheTabletServerModeTheMouse) {
    start();
    m_harness.rewind();
    ASSERT_TRUE(m_harness.wait_event("tablet_size", [](const std::string& l) {
        return json_int(l, "w") == 1920 && json_int(l, "h") == 1080;
    }));
    ASSERT_TRUE(m_client->pump_until([&] { return m_client->mouse_mode() == 2; }))
        << "client mouse mode not offered (mode " << m_client->mouse_mode() << ")";
    SpiceInputsChannel* inputs = m_client->inputs();

    spice_inputs_channel_position(inputs, 100, 200, 0, 0);
    ASSERT_TRUE(m_harness.wait_event("position", [](const std::string& l) {
        return json_int(l, "x") == 100 && json_int(l, "y") == 200 && json_int(l, "buttons") == 0;
    }));

    // Client mode: a press reaches the tablet as wheel(0, buttons), a release as buttons().
    // SPICE masks left 1, middle 2, right 4 arrive as 1, 4, 2 (PS/2 order).
    spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_RIGHT, 0);
    ASSERT_TRUE(m_harness.wait_event("wheel", [](const std::string& l) {
        return json_int(l, "motion") == 0 && json_int(l, "buttons") == 2;
    }));
    spice_inputs_channel_button_release(inputs, SPICE_MOUSE_BUTTON_RIGHT,
                                        SPICE_MOUSE_BUTTON_MASK_RIGHT);
    ASSERT_TRUE(m_harness.wait_event(
        "tablet_buttons", [](const std::string& l) { return json_int(l, "buttons") == 0; }));
    spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_MIDDLE, 0);
    ASSERT_TRUE(m_harness.wait_event(
        "wheel", [](const std::string& l) { return json_int(l, "buttons") == 4; }));
    spice_inputs_channel_button_release(inputs, SPICE_MOUSE_BUTTON_MIDDLE,
                                        SPICE_MOUSE_BUTTON_MASK_MIDDLE);
    ASSERT_TRUE(m_harness.wait_event("tablet_buttons"));
    // Wheel up / down: a press of button UP / DOWN is wheel(-1) / wheel(+1).
    spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_UP, 0);
    spice_inputs_channel_button_release(inputs, SPICE_MOUSE_BUTTON_UP, 0);
    ASSERT_TRUE(m_harness.wait_event(
        "wheel", [](const std::string& l) { return json_int(l, "motion") == -1; }));
    spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_DOWN, 0);
    spice_inputs_channel_button_release(inputs, SPICE_MOUSE_BUTTON_DOWN, 0);
    ASSERT_TRUE(m_harness.wait_event(
        "wheel", [](const std::string& l) { return json_int(l, "motion") == 1; }));
    // Side and extra (SPICE masks 0x20, 0x40) arrive as 0x40, 0x80: QEMU's button map.
    spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_SIDE, 0);
    ASSERT_TRUE(m_harness.wait_event("wheel", [](const std::string& l) {
        return json_int(l, "motion") == 0 && json_int(l, "buttons") == 0x40;
    }));
    spice_inputs_channel_button_release(inputs, SPICE_MOUSE_BUTTON_SIDE,
                                        SPICE_MOUSE_BUTTON_MASK_SIDE);
    ASSERT_TRUE(m_harness.wait_event("tablet_buttons"));
    spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_EXTRA, 0);
    ASSERT_TRUE(m_harness.wait_event("wheel", [](const std::string& l) {
        return json_int(l, "motion") == 0 && json_int(l, "buttons") == 0x80;
    }));
    spice_inputs_channel_button_release(inputs, SPICE_MOUSE_BUTTON_EXTRA,
                                        SPICE_MOUSE_BUTTON_MASK_EXTRA);
    ASSERT_TRUE(m_harness.wait_event(
        "tablet_buttons", [](const std::string& l) { return json_int(l, "buttons") == 0; }));

    // Server mode: relative motion goes to the mouse.
    spice_main_channel_request_mouse_mode(m_client->main(), SPICE_MOUSE_MODE_SERVER);
    ASSERT_TRUE(m_client->pump_until([&] { return m_client->mouse_mode() == 1; }));
    spice_inputs_channel_motion(inputs, 5, -7, 0);
    ASSERT_TRUE(m_harness.wait_event("motion", [](const std::string& l) {
        return json_int(l, "dx") == 5 && json_int(l, "dy") == -7 && json_int(l, "dz") == 0;
    }));
    spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_LEFT, 0);
    ASSERT_TRUE(m_harness.wait_event("motion", [](const std::string& l) {
        return json_int(l, "dx") == 0 && json_int(l, "buttons") == 1;
    }));
    spice_inputs_channel_button_release(inputs, SPICE_MOUSE_BUTTON_LEFT,
                                        SPICE_MOUSE_BUTTON_MASK_LEFT);
    ASSERT_TRUE(m_harness.wait_event(
        "mouse_buttons", [](const std::string& l) { return json_int(l, "buttons") == 0; }));
    spice_inputs_channel_button_press(inputs, SPICE_MOUSE_BUTTON_DOWN, 0);
    ASSERT_TRUE(m_harness.wait_event("motion",
                                     [](const std::string& l) { return json_int(l, "dz") == 1; }));

    // The client never connected the display channel, and client mode worked all the same.
    m_harness.rewind();
    EXPECT_FALSE(m_harness.wait_event(
        "channel", [](const std::string& l) { return json_str(l, "type") == "display"; },
        /*report=*/false, std::chrono::milliseconds(0)));
}

TEST_F(SpiceHarnessTest, NoTabletMeansServerModeOnly) {
    start({"--no-tablet"});
    // Give the server time to announce its modes; client mode must never appear.
    for (int i = 0; i < 200; ++i) {
        pump_glib();
    }
    EXPECT_EQ(m_client->mouse_mode(), 1);
}

// The tablet alone is not enough: spice-server offers client mode through it only with exactly
// one QXL display (with a primary surface), which is why the harness registers one.
TEST_F(SpiceHarnessTest, NoDisplayMeansServerModeOnly) {
    start({"--no-display"});
    for (int i = 0; i < 200; ++i) {
        pump_glib();
    }
    EXPECT_EQ(m_client->mouse_mode(), 1);
}

TEST_F(SpiceHarnessTest, ClipboardClientToGuest) {
    start();
    ASSERT_TRUE(m_client->wait_agent());
    m_harness.rewind();
    ASSERT_TRUE(m_harness.wait_event("agent_caps"));
    auto max = m_harness.wait_event("max_clipboard");
    ASSERT_TRUE(max);
    std::printf("client VD_AGENT_MAX_CLIPBOARD: %s\n", max->c_str());

    const std::string text = "hello from the client \xc3\xa9\n";
    const std::vector<uint8_t> png = random_bytes(3u << 20, 1);
    m_client->offer[VD_AGENT_CLIPBOARD_UTF8_TEXT].assign(text.begin(), text.end());
    m_client->offer[VD_AGENT_CLIPBOARD_IMAGE_PNG] = png;
    uint32_t types[] = {VD_AGENT_CLIPBOARD_UTF8_TEXT, VD_AGENT_CLIPBOARD_IMAGE_PNG};
    spice_main_channel_clipboard_selection_grab(m_client->main(),
                                                VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD, types, 2);
    ASSERT_TRUE(m_harness.wait_event("clipboard_grab", [](const std::string& l) {
        return l.find("\"types\":[\"utf8\",\"png\"]") != std::string::npos;
    }));

    m_harness.command("request utf8");
    auto line = m_harness.wait_event("clipboard_data");
    ASSERT_TRUE(line);
    EXPECT_EQ(json_str(*line, "type"), "utf8");
    const std::vector<uint8_t> got_text = decoded_data(*line);
    EXPECT_EQ(std::string(got_text.begin(), got_text.end()), text);

    const auto t0 = Clock::now();
    m_harness.command("request png");
    line = m_harness.wait_event("clipboard_data");
    ASSERT_TRUE(line);
    EXPECT_EQ(json_str(*line, "type"), "png");
    EXPECT_EQ(json_int(*line, "size"), static_cast<int64_t>(png.size()));
    EXPECT_TRUE(decoded_data(*line) == png) << "3 MiB payload differs";
    std::printf(
        "3 MiB client->guest: %lld ms\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()));
    EXPECT_EQ(m_client->requests_served, 2);

    spice_main_channel_clipboard_selection_release(m_client->main(),
                                                   VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD);
    EXPECT_TRUE(m_harness.wait_event("clipboard_release"));
}

TEST_F(SpiceHarnessTest, ClipboardGuestToClient) {
    start();
    ASSERT_TRUE(m_client->wait_agent());
    m_harness.rewind();
    ASSERT_TRUE(m_harness.wait_event("agent_caps"));

    const std::string text = "guest text \xe2\x9c\x93";
    const std::vector<uint8_t> png = random_bytes((3u << 20) + 12345, 2);
    m_harness.command("set utf8 " + base64_encode(std::vector<uint8_t>(text.begin(), text.end())));
    m_harness.command("set png " + base64_encode(png));
    m_harness.command("grab utf8 png");
    ASSERT_TRUE(m_client->pump_until([&] { return m_client->got_grab; }));
    EXPECT_EQ(m_client->grabbed_types,
              (std::vector<uint32_t>{VD_AGENT_CLIPBOARD_UTF8_TEXT, VD_AGENT_CLIPBOARD_IMAGE_PNG}));

    spice_main_channel_clipboard_selection_request(
        m_client->main(), VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD, VD_AGENT_CLIPBOARD_UTF8_TEXT);
    ASSERT_TRUE(m_harness.wait_event(
        "clipboard_request", [](const std::string& l) { return json_str(l, "type") == "utf8"; }));
    ASSERT_TRUE(m_client->pump_until([&] { return m_client->received.has_value(); }));
    EXPECT_EQ(m_client->received->first, static_cast<uint32_t>(VD_AGENT_CLIPBOARD_UTF8_TEXT));
    EXPECT_EQ(std::string(m_client->received->second.begin(), m_client->received->second.end()),
              text);

    m_client->received.reset();
    const auto t0 = Clock::now();
    spice_main_channel_clipboard_selection_request(
        m_client->main(), VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD, VD_AGENT_CLIPBOARD_IMAGE_PNG);
    ASSERT_TRUE(m_client->pump_until([&] { return m_client->received.has_value(); }));
    EXPECT_EQ(m_client->received->first, static_cast<uint32_t>(VD_AGENT_CLIPBOARD_IMAGE_PNG));
    EXPECT_EQ(m_client->received->second.size(), png.size());
    EXPECT_TRUE(m_client->received->second == png) << "3 MiB payload differs";
    std::printf(
        "3 MiB guest->client: %lld ms\n",
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()));
}

TEST_F(SpiceHarnessTest, RestartOnTheSameSocketPath) {
    start();
    m_client.reset();
    m_harness.kill_now();  // SIGKILL: the socket file stays behind

    ASSERT_TRUE(m_harness.start({"--unix", m_socket}));
    m_client = std::make_unique<Client>(m_socket);
    ASSERT_TRUE(m_client->connect());
    ASSERT_TRUE(m_client->wait_ready());
    m_harness.collect_kbd_bytes();
    spice_inputs_channel_key_press(m_client->inputs(), 0x1e);
    EXPECT_EQ(m_harness.collect_kbd_bytes(), (std::vector<int>{0x1e}));
    spice_inputs_channel_key_release(m_client->inputs(), 0x1e);
    EXPECT_EQ(m_harness.collect_kbd_bytes(), (std::vector<int>{0x9e}));
}

TEST_F(SpiceHarnessTest, WrongPasswordIsAnAuthError) {
    ASSERT_TRUE(m_harness.start({"--unix", m_socket, "--password", "s3cret"}));
    {
        Client wrong(m_socket, "nope");
        ASSERT_TRUE(wrong.connect());
        ASSERT_TRUE(wrong.pump_until([&] { return wrong.main_error.has_value(); }));
        EXPECT_EQ(*wrong.main_error, SPICE_CHANNEL_ERROR_AUTH);
    }
    m_client = std::make_unique<Client>(m_socket, "s3cret");
    ASSERT_TRUE(m_client->connect());
    EXPECT_TRUE(m_client->wait_ready());
}

TEST_F(SpiceHarnessTest, SecondHarnessOnALiveSocketRefuses) {
    ASSERT_TRUE(m_harness.start({"--unix", m_socket}));
    HarnessProcess second{PERISCOPE_SPICE_HARNESS};
    second.idle = pump_glib;
    EXPECT_FALSE(second.start({"--unix", m_socket}, false));
    EXPECT_NE(second.wait_exit(), 0);
}

}  // namespace
}  // namespace periscope::spice_harness
