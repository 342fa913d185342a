#include "viewer/input/input_controller.h"

#include <SDL_keyboard.h>
#include <SDL_mouse.h>

#include <algorithm>
#include <cmath>

#include "core/log.h"
#include "viewer/input/scancodes.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "input";

std::optional<MouseButton> spice_button(uint8_t sdl_button) {
    switch (sdl_button) {
        case SDL_BUTTON_LEFT:
            return MouseButton::Left;
        case SDL_BUTTON_MIDDLE:
            return MouseButton::Middle;
        case SDL_BUTTON_RIGHT:
            return MouseButton::Right;
        case SDL_BUTTON_X1:
            return MouseButton::Side;
        case SDL_BUTTON_X2:
            return MouseButton::Extra;
        default:
            return std::nullopt;
    }
}

}  // namespace

const char* to_string(CaptureOn mode) {
    switch (mode) {
        case CaptureOn::Click:
            return "click";
        case CaptureOn::Focus:
            return "focus";
        case CaptureOn::Manual:
            return "manual";
    }
    return "?";
}

std::optional<CaptureOn> parse_capture_on(std::string_view text) {
    for (CaptureOn m : {CaptureOn::Click, CaptureOn::Focus, CaptureOn::Manual}) {
        if (text == to_string(m)) {
            return m;
        }
    }
    return std::nullopt;
}

void InputController::key(SDL_Scancode scancode, bool down, bool repeat) {
    if (!connected() || repeat) {
        return;  // the guest repeats a held key itself
    }
    if (is_pause(scancode)) {
        if (down) {
            for (const ScancodeStep& step : PAUSE_SEQUENCE) {
                if (step.direction == KeyDirection::Press) {
                    m_sink.key_down(step.scancode);
                } else {
                    m_sink.key_up(step.scancode);
                }
            }
        }
        return;
    }
    const uint32_t code = pc_scancode(scancode);
    if (code == 0 || code >= m_held.size()) {
        if (!m_told_unmapped) {
            PERISCOPE_LOG_INFO(MODULE, "key %s has no PC scancode: not sent (reported once)",
                               SDL_GetScancodeName(scancode));
            m_told_unmapped = true;
        }
        return;
    }
    if (is_make_only(scancode)) {
        if (down) {
            m_sink.key_down(code);
        }
        return;
    }
    if (down) {
        m_held.set(code);
        m_sink.key_down(code);
    } else if (m_held.test(code)) {
        // Only keys the guest saw go down: a key held while the window got focus stays the host's.
        m_held.reset(code);
        m_sink.key_up(code);
    }
}

void InputController::send_position(int32_t x, int32_t y, const FrameMapping& mapping) {
    auto p = window_to_frame(mapping.viewport, mapping.frame_width, mapping.frame_height,
                             PointD{static_cast<double>(x), static_cast<double>(y)}, true);
    if (!p) {
        return;  // no picture yet: nothing to aim at
    }
    // window_to_frame gives continuous coordinates; the guest pixel is the one containing them.
    const auto gx = static_cast<int32_t>(std::floor(p->x));
    const auto gy = static_cast<int32_t>(std::floor(p->y));
    m_sink.position(std::clamp(gx, 0, static_cast<int32_t>(mapping.frame_width) - 1),
                    std::clamp(gy, 0, static_cast<int32_t>(mapping.frame_height) - 1), m_buttons);
}

void InputController::mouse_motion(int32_t x, int32_t y, int32_t dx, int32_t dy,
                                   const FrameMapping& mapping) {
    if (!connected() || !m_focused) {
        return;
    }
    if (m_status.mouse_mode == MouseMode::Client) {
        send_position(x, y, mapping);
        return;
    }
    if (!m_captured) {
        return;  // server mode moves the guest's pointer only while the host mouse is captured
    }
    while (dx != 0 || dy != 0) {
        const int32_t sx = std::clamp(dx, -MAX_STEP, MAX_STEP);
        const int32_t sy = std::clamp(dy, -MAX_STEP, MAX_STEP);
        m_sink.motion(sx, sy, m_buttons);
        dx -= sx;
        dy -= sy;
    }
}

void InputController::mouse_button(uint8_t sdl_button, bool down, int32_t x, int32_t y,
                                   const FrameMapping& mapping) {
    if (!connected()) {
        return;
    }
    const auto button = spice_button(sdl_button);
    if (!button) {
        return;
    }
    const bool client = m_status.mouse_mode == MouseMode::Client;
    // Only a click on the picture captures: the black bars are the viewer's, not the guest's.
    const bool on_picture =
        window_to_frame(mapping.viewport, mapping.frame_width, mapping.frame_height,
                        PointD{static_cast<double>(x), static_cast<double>(y)}, false)
            .has_value();
    if (down && !m_captured && m_capture_on == CaptureOn::Click && on_picture) {
        set_captured(true);
        if (!client) {
            return;  // the guest's pointer is elsewhere: this click only captures
        }
    }
    if (!client && !m_captured) {
        return;
    }
    const uint32_t mask = button_mask(*button);
    if (down == ((m_buttons & mask) != 0)) {
        return;  // a release for a press the guest never saw, or a duplicate
    }
    if (client) {
        send_position(x, y, mapping);  // the click lands where the host cursor is
    }
    m_buttons = down ? (m_buttons | mask) : (m_buttons & ~mask);
    m_sink.button(*button, down, m_buttons);
}

void InputController::wheel(int32_t x, int32_t y) {
    if (!connected() || (!m_captured && m_status.mouse_mode != MouseMode::Client)) {
        return;
    }
    if (x != 0 && !m_told_hwheel) {
        PERISCOPE_LOG_INFO(MODULE,
                           "horizontal scrolling cannot reach the guest: the SPICE protocol has "
                           "no button for it (reported once)");
        m_told_hwheel = true;
    }
    const MouseButton notch = y > 0 ? MouseButton::WheelUp : MouseButton::WheelDown;
    for (int32_t i = 0; i < std::abs(y); ++i) {
        const uint32_t mask = button_mask(notch);
        m_sink.button(notch, true, m_buttons | mask);
        m_sink.button(notch, false, m_buttons);
    }
}

void InputController::focus(bool gained) {
    m_focused = gained;
    if (!gained) {
        // Keys held when focus left would stay down in the guest: the host never sends their
        // release to this window.
        release_all();
        set_captured(false);
    } else if (m_capture_on == CaptureOn::Focus && connected()) {
        set_captured(true);
    }
}

void InputController::toggle_capture() {
    if (!m_captured && !connected()) {
        PERISCOPE_LOG_INFO(MODULE, "input is not connected: nothing to capture for (%s)",
                           to_string(m_status.state));
        return;
    }
    set_captured(!m_captured);
}

void InputController::send_key(SDL_Scancode scancode) {
    const uint32_t code = pc_scancode(scancode);
    if (connected() && code != 0) {
        m_sink.key_press_and_release(code);
    }
}

void InputController::status_changed(const InputStatus& status) {
    const bool was_connected = connected();
    const MouseMode old_mode = m_status.mouse_mode;
    m_status = status;
    if (was_connected && !connected()) {
        // The server forgets our keys with the connection; start clean when it comes back.
        m_held.reset();
        m_buttons = 0;
        set_captured(false);
        return;
    }
    if (!was_connected && connected() && m_capture_on == CaptureOn::Focus && m_focused) {
        // The window usually has its focus long before the server answers: no focus event
        // will come to capture on.
        set_captured(true);
        return;
    }
    if (m_captured && old_mode != status.mouse_mode) {
        set_captured(true);  // re-apply: relative mode only in server mode
    }
}

void InputController::set_captured(bool on) {
    if (!on) {
        release_all();
    }
    if (on != m_captured) {
        PERISCOPE_LOG_INFO(MODULE, "input capture %s", on ? "on" : "off");
    }
    m_captured = on;
    m_window.set_keyboard_grab(on);
    m_window.set_relative_mouse(on && m_status.mouse_mode != MouseMode::Client);
}

void InputController::release_all() {
    if (!connected()) {
        m_held.reset();
        m_buttons = 0;
        return;
    }
    for (uint32_t code = 0; code < m_held.size(); ++code) {
        if (m_held.test(code)) {
            m_sink.key_up(code);
        }
    }
    m_held.reset();
    for (MouseButton b : {MouseButton::Left, MouseButton::Middle, MouseButton::Right,
                          MouseButton::Side, MouseButton::Extra}) {
        if ((m_buttons & button_mask(b)) != 0) {
            m_buttons &= ~button_mask(b);
            m_sink.button(b, false, m_buttons);
        }
    }
}

}  // namespace periscope::viewer
