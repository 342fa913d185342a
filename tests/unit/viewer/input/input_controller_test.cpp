// InputController (src/viewer/input/input_controller.*): SDL event values in, InputSink and
// WindowControl calls out. The sink is NullInput, which records every call as text; expected
// scancodes are written out from the set-1 tables (docs/design/input.md, "Keyboard"), expected
// guest pixels are worked out by hand from the viewport, never computed by the code under test.
#include "viewer/input/input_controller.h"

#include <SDL_mouse.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "viewer/geometry.h"
#include "viewer/input/null/null_input.h"

namespace periscope::viewer {
namespace {

using Calls = std::vector<std::string>;

// What the controller asked of the window, in order, and the state that leaves.
class RecordingWindow final : public WindowControl {
  public:
    void set_relative_mouse(bool on) override {
        relative = on;
        calls.push_back(on ? "relative on" : "relative off");
    }
    void set_keyboard_grab(bool on) override {
        grab = on;
        calls.push_back(on ? "grab on" : "grab off");
    }
    Calls take() { return std::exchange(calls, {}); }

    bool relative = false;
    bool grab = false;
    Calls calls;
};

InputStatus status_of(InputState state, MouseMode mode = MouseMode::Client) {
    InputStatus s;
    s.state = state;
    s.mouse_mode = mode;
    return s;
}

// A 640x480 guest in a 1280x960 window: exactly 2x, no bars.
FrameMapping double_size() {
    return FrameMapping{fit_frame(640, 480, 1280, 960, ScaleMode::Aspect), 640, 480};
}

// A 640x480 guest in a 1600x600 window: 1.25x with 400-pixel bars left and right.
FrameMapping side_bars() {
    return FrameMapping{fit_frame(640, 480, 1600, 600, ScaleMode::Aspect), 640, 480};
}

// A 640x480 guest in a 640x800 window: 1x with 160-pixel bars above and below.
FrameMapping top_bars() {
    return FrameMapping{fit_frame(640, 480, 640, 800, ScaleMode::Aspect), 640, 480};
}

class InputControllerTest : public ::testing::Test {
  protected:
    // Each test starts with its own capture policy; connect() when it needs the guest.
    void make(CaptureOn capture_on) {
        m_input = std::make_unique<InputController>(m_sink, m_window, capture_on);
    }
    void set_status(InputStatus status) {
        m_sink.set_status(std::move(status));
        input().status_changed(m_sink.status());
    }
    void connect(MouseMode mode) { set_status(status_of(InputState::Connected, mode)); }
    InputController& input() {
        if (!m_input) {
            make(CaptureOn::Click);
        }
        return *m_input;
    }
    // Forget what setting the scene produced, so expectations see only the step under test.
    void clear() {
        m_sink.take();
        m_window.take();
    }

    NullInput m_sink;
    RecordingWindow m_window;
    std::unique_ptr<InputController> m_input;
};

// --- Keyboard ---------------------------------------------------------------------------------

TEST_F(InputControllerTest, KeysReachTheGuestOnlyWhileConnected) {
    for (InputState state :
         {InputState::Disabled, InputState::Connecting, InputState::Unavailable}) {
        set_status(status_of(state));
        input().key(SDL_SCANCODE_A, true, false);
        input().key(SDL_SCANCODE_A, false, false);
        EXPECT_EQ(m_sink.take(), Calls{}) << to_string(state);
        EXPECT_EQ(input().keys_held(), 0u);
    }
    connect(MouseMode::Client);
    input().key(SDL_SCANCODE_A, true, false);
    input().key(SDL_SCANCODE_A, false, false);
    EXPECT_EQ(m_sink.take(), (Calls{"down 0x1e", "up 0x1e"}));
}

TEST_F(InputControllerTest, SdlKeyRepeatIsDroppedBecauseTheGuestRepeatsItself) {
    connect(MouseMode::Client);
    input().key(SDL_SCANCODE_A, true, false);
    input().key(SDL_SCANCODE_A, true, true);
    input().key(SDL_SCANCODE_A, true, true);
    input().key(SDL_SCANCODE_A, false, false);
    EXPECT_EQ(m_sink.take(), (Calls{"down 0x1e", "up 0x1e"}));
}

TEST_F(InputControllerTest, E0PrefixedKeysAreSentWithThePrefixBitOnDownAndUp) {
    connect(MouseMode::Client);
    input().key(SDL_SCANCODE_RCTRL, true, false);
    input().key(SDL_SCANCODE_RALT, true, false);
    input().key(SDL_SCANCODE_KP_ENTER, true, false);
    input().key(SDL_SCANCODE_KP_ENTER, false, false);
    input().key(SDL_SCANCODE_RALT, false, false);
    input().key(SDL_SCANCODE_RCTRL, false, false);
    EXPECT_EQ(m_sink.take(), (Calls{"down 0x11d", "down 0x138", "down 0x11c", "up 0x11c",
                                    "up 0x138", "up 0x11d"}));
    EXPECT_EQ(input().keys_held(), 0u);
}

TEST_F(InputControllerTest, PauseSendsTheFourStepSequenceOnKeyDownAndNothingOnKeyUp) {
    connect(MouseMode::Client);
    input().key(SDL_SCANCODE_PAUSE, true, false);
    // E1 1D 45 E1 9D C5: press E1-1D, press 45, release E1-1D, release 45.
    EXPECT_EQ(m_sink.take(), (Calls{"down 0x21d", "down 0x45", "up 0x21d", "up 0x45"}));
    EXPECT_EQ(input().keys_held(), 0u);  // nothing left to release later
    input().key(SDL_SCANCODE_PAUSE, false, false);
    EXPECT_EQ(m_sink.take(), Calls{});
    input().key(SDL_SCANCODE_PAUSE, true, true);  // repeat: dropped like any other
    EXPECT_EQ(m_sink.take(), Calls{});
    input().focus(false);
    EXPECT_EQ(m_sink.take(), Calls{});
}

TEST_F(InputControllerTest, MakeOnlyKeysArePressedOnKeyDownAndNeverReleased) {
    connect(MouseMode::Client);
    input().key(SDL_SCANCODE_LANG1, true, false);
    input().key(SDL_SCANCODE_LANG1, false, false);
    input().key(SDL_SCANCODE_LANG2, true, false);
    input().key(SDL_SCANCODE_LANG2, false, false);
    EXPECT_EQ(m_sink.take(), (Calls{"down 0xf2", "down 0xf1"}));
    EXPECT_EQ(input().keys_held(), 0u);
    // Held across a focus loss: still no release, which would toggle the IME a second time.
    input().key(SDL_SCANCODE_LANG1, true, false);
    m_sink.take();
    input().focus(false);
    EXPECT_EQ(m_sink.take(), Calls{});
}

TEST_F(InputControllerTest, KeyUpForAKeyNeverSentDownIsNotSent) {
    connect(MouseMode::Client);
    input().key(SDL_SCANCODE_A, false, false);
    EXPECT_EQ(m_sink.take(), Calls{});
    // Pressed before the connection came up: the guest never saw it go down.
    set_status(status_of(InputState::Unavailable));
    input().key(SDL_SCANCODE_B, true, false);
    connect(MouseMode::Client);
    input().key(SDL_SCANCODE_B, false, false);
    EXPECT_EQ(m_sink.take(), Calls{});
    // A second key-up for a key already released is not sent either.
    input().key(SDL_SCANCODE_A, true, false);
    input().key(SDL_SCANCODE_A, false, false);
    input().key(SDL_SCANCODE_A, false, false);
    EXPECT_EQ(m_sink.take(), (Calls{"down 0x1e", "up 0x1e"}));
}

TEST_F(InputControllerTest, KeysWithoutAPcScancodeAreNotSent) {
    connect(MouseMode::Client);
    input().key(SDL_SCANCODE_UNKNOWN, true, false);
    input().key(SDL_SCANCODE_UNKNOWN, false, false);
    EXPECT_EQ(m_sink.take(), Calls{});
    EXPECT_EQ(input().keys_held(), 0u);
}

TEST_F(InputControllerTest, FocusLossReleasesEveryHeldKeyAndButtonAndDropsCapture) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    input().key(SDL_SCANCODE_A, true, false);
    input().key(SDL_SCANCODE_RCTRL, true, false);
    input().mouse_button(SDL_BUTTON_LEFT, true, 10, 10, double_size());
    input().mouse_button(SDL_BUTTON_RIGHT, true, 10, 10, double_size());
    ASSERT_EQ(input().keys_held(), 2u);
    ASSERT_EQ(input().buttons(), 1u | 4u);
    clear();

    input().focus(false);
    // Keys in code order, then buttons; each button's mask is the state after its release.
    EXPECT_EQ(m_sink.take(), (Calls{"up 0x1e", "up 0x11d", "button 1 up 4", "button 3 up 0"}));
    EXPECT_FALSE(input().captured());
    EXPECT_FALSE(m_window.grab);
    EXPECT_FALSE(m_window.relative);
    EXPECT_EQ(input().keys_held(), 0u);
    EXPECT_EQ(input().buttons(), 0u);

    // The host delivers the real key-ups later, or never: neither reaches the guest twice.
    input().key(SDL_SCANCODE_A, false, false);
    input().focus(false);
    EXPECT_EQ(m_sink.take(), Calls{});
}

TEST_F(InputControllerTest, FocusLossReleasesButtonsHeldWithoutCaptureInClientMode) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    input().mouse_button(SDL_BUTTON_MIDDLE, true, 10, 20, double_size());
    clear();
    input().focus(false);
    EXPECT_EQ(m_sink.take(), (Calls{"button 2 up 0"}));
}

TEST_F(InputControllerTest, NoMotionReachesTheGuestWhileTheWindowHasNoFocus) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    input().focus(false);
    input().mouse_motion(10, 10, 1, 1, double_size());
    EXPECT_EQ(m_sink.take(), Calls{});
    input().focus(true);
    input().mouse_motion(10, 10, 1, 1, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"position 5 5 0"}));
}

TEST_F(InputControllerTest, DisconnectForgetsHeldKeysAndButtonsWithoutSendingThem) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    input().key(SDL_SCANCODE_A, true, false);
    input().mouse_button(SDL_BUTTON_LEFT, true, 10, 10, double_size());
    clear();

    set_status(status_of(InputState::Unavailable, MouseMode::Server));
    EXPECT_EQ(m_sink.take(), Calls{});  // the server forgot them with the connection
    EXPECT_EQ(input().keys_held(), 0u);
    EXPECT_EQ(input().buttons(), 0u);
    EXPECT_FALSE(input().captured());
    EXPECT_FALSE(m_window.grab);
    EXPECT_FALSE(m_window.relative);

    // Back again: the late key-up belongs to the old connection and is not sent.
    connect(MouseMode::Server);
    input().key(SDL_SCANCODE_A, false, false);
    input().focus(false);
    EXPECT_EQ(m_sink.take(), Calls{});
}

// --- Client (absolute) mouse mode -------------------------------------------------------------

TEST_F(InputControllerTest, ClientModeMapsMotionToTheGuestPixelAtDoubleSize) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    const FrameMapping m = double_size();
    ASSERT_EQ(m.viewport.x, 0);
    ASSERT_EQ(m.viewport.y, 0);
    ASSERT_EQ(m.viewport.width, 1280u);
    ASSERT_EQ(m.viewport.height, 960u);
    input().mouse_motion(0, 0, 0, 0, m);
    input().mouse_motion(3, 5, 0, 0, m);  // 1.5, 2.5: floor, not round
    input().mouse_motion(1, 1, 0, 0, m);  // 0.5, 0.5
    input().mouse_motion(1279, 959, 0, 0, m);
    input().mouse_motion(640, 480, 0, 0, m);
    EXPECT_EQ(m_sink.take(), (Calls{"position 0 0 0", "position 1 2 0", "position 0 0 0",
                                    "position 639 479 0", "position 320 240 0"}));
}

TEST_F(InputControllerTest, ClientModeMapsMotionThroughAViewportWithSideBars) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    const FrameMapping m = side_bars();
    ASSERT_EQ(m.viewport.x, 400);
    ASSERT_EQ(m.viewport.y, 0);
    ASSERT_EQ(m.viewport.width, 800u);
    ASSERT_EQ(m.viewport.height, 600u);
    // Guest pixel = floor((window - 400) * 0.8, window * 0.8).
    input().mouse_motion(400, 0, 0, 0, m);
    input().mouse_motion(404, 4, 0, 0, m);    // 3.2 -> 3
    input().mouse_motion(406, 6, 0, 0, m);    // 4.8 -> 4 (rounding would give 5)
    input().mouse_motion(800, 300, 0, 0, m);  // 320, 240
    input().mouse_motion(1199, 599, 0, 0, m);
    EXPECT_EQ(m_sink.take(), (Calls{"position 0 0 0", "position 3 3 0", "position 4 4 0",
                                    "position 320 240 0", "position 639 479 0"}));
}

TEST_F(InputControllerTest, ClientModeMotionOverTheBarsClampsToTheFrameEdge) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    const FrameMapping sides = side_bars();
    input().mouse_motion(100, 300, 0, 0, sides);   // left bar
    input().mouse_motion(399, 599, 0, 0, sides);   // left bar, bottom row
    input().mouse_motion(1200, 300, 0, 0, sides);  // first column of the right bar
    input().mouse_motion(1599, 0, 0, 0, sides);    // far right
    EXPECT_EQ(m_sink.take(), (Calls{"position 0 240 0", "position 0 479 0", "position 639 240 0",
                                    "position 639 0 0"}));

    const FrameMapping above = top_bars();
    ASSERT_EQ(above.viewport.y, 160);
    ASSERT_EQ(above.viewport.height, 480u);
    input().mouse_motion(10, 50, 0, 0, above);
    input().mouse_motion(10, 640, 0, 0, above);  // first row below the picture
    input().mouse_motion(10, 799, 0, 0, above);
    input().mouse_motion(10, 639, 0, 0, above);  // last row of the picture
    EXPECT_EQ(m_sink.take(), (Calls{"position 10 0 0", "position 10 479 0", "position 10 479 0",
                                    "position 10 479 0"}));
}

TEST_F(InputControllerTest, ClientModeSendsNoPositionBeforeThereIsAPicture) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    input().mouse_motion(10, 10, 1, 1, FrameMapping{});
    EXPECT_EQ(m_sink.take(), Calls{});
}

TEST_F(InputControllerTest, ClientModeClickIsSentAtTheCursorWithTheMaskAfterTheChange) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    input().mouse_button(SDL_BUTTON_LEFT, true, 20, 40, double_size());
    input().mouse_motion(30, 40, 5, 0, double_size());
    input().mouse_button(SDL_BUTTON_LEFT, false, 30, 40, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"position 10 20 0", "button 1 down 1", "position 15 20 1",
                                    "position 15 20 1", "button 1 up 0"}));
    EXPECT_FALSE(input().captured());  // manual: clicks never capture
}

// --- Server (relative) mouse mode -------------------------------------------------------------

TEST_F(InputControllerTest, ServerModeSendsNoMotionUntilCaptured) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().mouse_motion(10, 10, 5, -3, double_size());
    input().mouse_button(SDL_BUTTON_LEFT, true, 10, 10, double_size());
    input().mouse_button(SDL_BUTTON_LEFT, false, 10, 10, double_size());
    input().wheel(0, 1);
    EXPECT_EQ(m_sink.take(), Calls{});
    EXPECT_FALSE(input().captured());

    input().toggle_capture();
    input().mouse_motion(10, 10, 5, -3, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"motion 5 -3 0"}));
}

TEST_F(InputControllerTest, ServerModeClickCapturesWithoutReachingTheGuest) {
    make(CaptureOn::Click);
    connect(MouseMode::Server);
    clear();
    input().mouse_button(SDL_BUTTON_LEFT, true, 640, 480, double_size());
    input().mouse_button(SDL_BUTTON_LEFT, false, 640, 480, double_size());
    EXPECT_TRUE(input().captured());
    EXPECT_EQ(m_sink.take(), Calls{});  // the guest's pointer is elsewhere
    EXPECT_TRUE(m_window.relative);
    EXPECT_TRUE(m_window.grab);
    EXPECT_EQ(input().buttons(), 0u);

    // Now captured: the next click is the guest's.
    input().mouse_button(SDL_BUTTON_LEFT, true, 640, 480, double_size());
    input().mouse_motion(640, 480, 2, 1, double_size());
    input().mouse_button(SDL_BUTTON_LEFT, false, 640, 480, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"button 1 down 1", "motion 2 1 1", "button 1 up 0"}));
}

TEST_F(InputControllerTest, ServerModeSplitsLargeMotionIntoStepsOfAtMost127) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    clear();
    input().mouse_motion(0, 0, 300, -10, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"motion 127 -10 0", "motion 127 0 0", "motion 46 0 0"}));
    input().mouse_motion(0, 0, -128, 128, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"motion -127 127 0", "motion -1 1 0"}));
    input().mouse_motion(0, 0, 127, -127, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"motion 127 -127 0"}));
    input().mouse_motion(0, 0, 0, 0, double_size());
    EXPECT_EQ(m_sink.take(), Calls{});
}

TEST_F(InputControllerTest, ServerModeMotionStepsSumToTheInputAndStayWithinTheLimit) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    clear();
    const std::pair<int32_t, int32_t> deltas[] = {{1, 0},      {0, -1},     {128, 0},
                                                  {-255, 254}, {1000, -3},  {-5000, 4999},
                                                  {127, 128},  {-381, -381}};
    for (const auto& [dx, dy] : deltas) {
        input().mouse_motion(0, 0, dx, dy, double_size());
        int64_t sum_x = 0;
        int64_t sum_y = 0;
        const Calls calls = m_sink.take();
        ASSERT_FALSE(calls.empty());
        for (const std::string& call : calls) {
            int x = 0;
            int y = 0;
            unsigned buttons = 0;
            ASSERT_EQ(std::sscanf(call.c_str(), "motion %d %d %u", &x, &y, &buttons), 3) << call;
            EXPECT_LE(std::abs(x), 127) << call;
            EXPECT_LE(std::abs(y), 127) << call;
            EXPECT_TRUE(x != 0 || y != 0) << "an empty step: " << call;
            sum_x += x;
            sum_y += y;
        }
        EXPECT_EQ(sum_x, dx);
        EXPECT_EQ(sum_y, dy);
        // No more steps than the larger axis needs.
        const int32_t longest = std::max(std::abs(dx), std::abs(dy));
        EXPECT_EQ(calls.size(), static_cast<size_t>((longest + 126) / 127)) << dx << "," << dy;
    }
}

// --- Buttons and wheel ------------------------------------------------------------------------

TEST_F(InputControllerTest, WheelSendsOnePressAndReleasePerNotch) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    input().wheel(0, 2);
    EXPECT_EQ(m_sink.take(),
              (Calls{"button 4 down 8", "button 4 up 0", "button 4 down 8", "button 4 up 0"}));
    input().wheel(0, -1);
    EXPECT_EQ(m_sink.take(), (Calls{"button 5 down 16", "button 5 up 0"}));
}

TEST_F(InputControllerTest, WheelNotchesCarryTheButtonsHeld) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    input().mouse_button(SDL_BUTTON_LEFT, true, 0, 0, double_size());
    m_sink.take();
    input().wheel(0, 1);
    EXPECT_EQ(m_sink.take(), (Calls{"button 4 down 9", "button 4 up 1"}));
    EXPECT_EQ(input().buttons(), 1u);  // the wheel is not held
}

TEST_F(InputControllerTest, HorizontalWheelSendsNothing) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    input().wheel(3, 0);
    input().wheel(-1, 0);
    EXPECT_EQ(m_sink.take(), Calls{});
    input().wheel(2, 1);  // diagonal: only the vertical part exists in SPICE
    EXPECT_EQ(m_sink.take(), (Calls{"button 4 down 8", "button 4 up 0"}));
}

TEST_F(InputControllerTest, ServerModeWheelNeedsCapture) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().wheel(0, 1);
    EXPECT_EQ(m_sink.take(), Calls{});
    input().toggle_capture();
    input().wheel(0, -1);
    EXPECT_EQ(m_sink.take(), (Calls{"button 5 down 16", "button 5 up 0"}));
}

TEST_F(InputControllerTest, SideButtonsMapToSideAndExtra) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    clear();
    input().mouse_button(SDL_BUTTON_X1, true, 0, 0, double_size());
    input().mouse_button(SDL_BUTTON_X2, true, 0, 0, double_size());
    input().mouse_button(SDL_BUTTON_X1, false, 0, 0, double_size());
    input().mouse_button(SDL_BUTTON_X2, false, 0, 0, double_size());
    EXPECT_EQ(m_sink.take(),
              (Calls{"button 6 down 32", "button 7 down 96", "button 6 up 64", "button 7 up 0"}));
    input().mouse_button(SDL_BUTTON_MIDDLE, true, 0, 0, double_size());
    input().mouse_button(SDL_BUTTON_MIDDLE, false, 0, 0, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"button 2 down 2", "button 2 up 0"}));
}

TEST_F(InputControllerTest, ButtonsSdlHasNoSpiceNumberForAreIgnored) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    clear();
    input().mouse_button(6, true, 0, 0, double_size());
    input().mouse_button(6, false, 0, 0, double_size());
    EXPECT_EQ(m_sink.take(), Calls{});
}

TEST_F(InputControllerTest, DuplicateButtonEventsAreNotSentTwice) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    clear();
    input().mouse_button(SDL_BUTTON_RIGHT, true, 0, 0, double_size());
    input().mouse_button(SDL_BUTTON_RIGHT, true, 0, 0, double_size());
    input().mouse_button(SDL_BUTTON_RIGHT, false, 0, 0, double_size());
    input().mouse_button(SDL_BUTTON_RIGHT, false, 0, 0, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"button 3 down 4", "button 3 up 0"}));
}

// --- Capture ----------------------------------------------------------------------------------

TEST_F(InputControllerTest, CaptureOnClickInClientModeCapturesAndDeliversTheClick) {
    make(CaptureOn::Click);
    connect(MouseMode::Client);
    clear();
    input().mouse_button(SDL_BUTTON_LEFT, true, 20, 40, double_size());
    EXPECT_TRUE(input().captured());
    EXPECT_EQ(m_sink.take(), (Calls{"position 10 20 0", "button 1 down 1"}));
    // Client mode: capture grabs the keyboard only, the host cursor stays free.
    EXPECT_TRUE(m_window.grab);
    EXPECT_FALSE(m_window.relative);
}

TEST_F(InputControllerTest, CaptureOnClickIgnoresClicksOverTheBlackBars) {
    // The design says a click *inside the picture* captures.
    make(CaptureOn::Click);
    connect(MouseMode::Server);
    input().mouse_button(SDL_BUTTON_LEFT, true, 100, 300, side_bars());
    input().mouse_button(SDL_BUTTON_LEFT, false, 100, 300, side_bars());
    EXPECT_FALSE(input().captured());
    EXPECT_EQ(m_sink.take(), Calls{});
    input().mouse_button(SDL_BUTTON_LEFT, true, 800, 300, side_bars());
    EXPECT_TRUE(input().captured());
}

TEST_F(InputControllerTest, CaptureOnClickDoesNothingWhileNotConnected) {
    make(CaptureOn::Click);
    set_status(status_of(InputState::Connecting, MouseMode::Server));
    clear();
    input().mouse_button(SDL_BUTTON_LEFT, true, 640, 480, double_size());
    EXPECT_FALSE(input().captured());
    EXPECT_EQ(m_window.take(), Calls{});
}

TEST_F(InputControllerTest, CaptureOnFocusCapturesWhenFocusIsGained) {
    make(CaptureOn::Focus);
    connect(MouseMode::Server);
    input().focus(false);
    clear();
    input().focus(true);
    EXPECT_TRUE(input().captured());
    EXPECT_TRUE(m_window.relative);
    EXPECT_TRUE(m_window.grab);
    // Clicks are the guest's at once.
    input().mouse_button(SDL_BUTTON_LEFT, true, 640, 480, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"button 1 down 1"}));
}

TEST_F(InputControllerTest, CaptureOnFocusCapturesWhenTheConnectionComesUpInAFocusedWindow) {
    // The window gets its focus long before the SPICE server answers.
    make(CaptureOn::Focus);
    set_status(status_of(InputState::Connecting, MouseMode::Unknown));
    input().focus(true);
    EXPECT_FALSE(input().captured());
    connect(MouseMode::Server);
    EXPECT_TRUE(input().captured());
    EXPECT_TRUE(m_window.relative);
    EXPECT_TRUE(m_window.grab);
}

TEST_F(InputControllerTest, CaptureOnFocusDoesNotCaptureAnUnfocusedWindowOnConnect) {
    make(CaptureOn::Focus);
    set_status(status_of(InputState::Connecting, MouseMode::Unknown));
    input().focus(false);
    connect(MouseMode::Server);
    EXPECT_FALSE(input().captured());
    input().focus(true);
    EXPECT_TRUE(input().captured());
}

TEST_F(InputControllerTest, CaptureOnFocusDoesNothingWhileNotConnected) {
    make(CaptureOn::Focus);
    set_status(status_of(InputState::Unavailable, MouseMode::Server));
    input().focus(false);
    input().focus(true);
    EXPECT_FALSE(input().captured());
}

TEST_F(InputControllerTest, CaptureOnManualOnlyTheEscapeKeyCaptures) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().focus(false);
    input().focus(true);
    input().mouse_button(SDL_BUTTON_LEFT, true, 640, 480, double_size());
    input().mouse_button(SDL_BUTTON_LEFT, false, 640, 480, double_size());
    EXPECT_FALSE(input().captured());
    EXPECT_EQ(m_sink.take(), Calls{});
    input().toggle_capture();
    EXPECT_TRUE(input().captured());
    input().toggle_capture();
    EXPECT_FALSE(input().captured());
}

TEST_F(InputControllerTest, ReleasingCaptureReleasesHeldKeysAndButtons) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    input().key(SDL_SCANCODE_LSHIFT, true, false);
    input().mouse_button(SDL_BUTTON_LEFT, true, 0, 0, double_size());
    clear();
    input().toggle_capture();
    EXPECT_EQ(m_sink.take(), (Calls{"up 0x2a", "button 1 up 0"}));
    EXPECT_EQ(m_window.take(), (Calls{"grab off", "relative off"}));
}

TEST_F(InputControllerTest, ToggleCaptureWhileNotConnectedDoesNothing) {
    make(CaptureOn::Manual);
    for (InputState state :
         {InputState::Disabled, InputState::Connecting, InputState::Unavailable}) {
        set_status(status_of(state, MouseMode::Server));
        clear();
        input().toggle_capture();
        EXPECT_FALSE(input().captured()) << to_string(state);
        EXPECT_EQ(m_window.take(), Calls{}) << to_string(state);
        EXPECT_EQ(m_sink.take(), Calls{}) << to_string(state);
    }
}

TEST_F(InputControllerTest, WindowGetsRelativeMouseOnlyInServerModeAndKeyboardGrabWhenCaptured) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    clear();
    input().toggle_capture();
    EXPECT_EQ(m_window.take(), (Calls{"grab on", "relative on"}));
    input().toggle_capture();
    EXPECT_EQ(m_window.take(), (Calls{"grab off", "relative off"}));

    connect(MouseMode::Client);
    clear();
    input().toggle_capture();
    EXPECT_EQ(m_window.take(), (Calls{"grab on", "relative off"}));
}

TEST_F(InputControllerTest, MouseModeChangeWhileCapturedReappliesTheWindowState) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    input().toggle_capture();
    ASSERT_TRUE(m_window.relative);
    clear();

    connect(MouseMode::Client);
    EXPECT_TRUE(input().captured());
    EXPECT_TRUE(m_window.grab);
    EXPECT_FALSE(m_window.relative);  // the host cursor is the guest's pointer now
    input().mouse_motion(20, 40, 0, 0, double_size());
    EXPECT_EQ(m_sink.take(), (Calls{"position 10 20 0"}));

    connect(MouseMode::Server);
    EXPECT_TRUE(input().captured());
    EXPECT_TRUE(m_window.grab);
    EXPECT_TRUE(m_window.relative);
}

TEST_F(InputControllerTest, MouseModeChangeWhileNotCapturedLeavesTheWindowAlone) {
    make(CaptureOn::Manual);
    connect(MouseMode::Server);
    clear();
    connect(MouseMode::Client);
    connect(MouseMode::Server);
    EXPECT_EQ(m_window.take(), Calls{});
    EXPECT_FALSE(input().captured());
}

// --- The escape key's own combination ---------------------------------------------------------

TEST_F(InputControllerTest, SendKeyPressesAndReleasesTheKeysCode) {
    make(CaptureOn::Manual);
    connect(MouseMode::Client);
    input().send_key(SDL_SCANCODE_SCROLLLOCK);
    input().send_key(SDL_SCANCODE_RCTRL);
    EXPECT_EQ(m_sink.take(), (Calls{"press-release 0x46", "press-release 0x11d"}));
    EXPECT_EQ(input().keys_held(), 0u);
}

TEST_F(InputControllerTest, SendKeyDoesNothingWhileNotConnected) {
    make(CaptureOn::Manual);
    set_status(status_of(InputState::Unavailable));
    input().send_key(SDL_SCANCODE_SCROLLLOCK);
    EXPECT_EQ(m_sink.take(), Calls{});
}

TEST(CaptureOnTest, ParsesItsOwnNamesAndNothingElse) {
    for (CaptureOn mode : {CaptureOn::Click, CaptureOn::Focus, CaptureOn::Manual}) {
        EXPECT_EQ(parse_capture_on(to_string(mode)), mode);
    }
    EXPECT_EQ(parse_capture_on("click"), CaptureOn::Click);
    EXPECT_EQ(parse_capture_on("focus"), CaptureOn::Focus);
    EXPECT_EQ(parse_capture_on("manual"), CaptureOn::Manual);
    EXPECT_EQ(parse_capture_on(""), std::nullopt);
    EXPECT_EQ(parse_capture_on("Click"), std::nullopt);
    EXPECT_EQ(parse_capture_on("never"), std::nullopt);
}

}  // namespace
}  // namespace periscope::viewer
