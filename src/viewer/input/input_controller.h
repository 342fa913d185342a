// From the viewer window's SDL events to the guest's keyboard and mouse (docs/design/input.md):
// capture state, the keys and buttons held, relative or absolute motion by the server's mouse mode.
// Pure logic: SDL event values in, InputSink and WindowControl calls out, so tests drive it
// without a window. Main thread only.
#pragma once

#include <SDL_scancode.h>

#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

#include "viewer/geometry.h"
#include "viewer/input/input_sink.h"

namespace periscope::viewer {

enum class CaptureOn : uint8_t {
    Click,   // a click in the picture captures (default)
    Focus,   // gaining focus captures
    Manual,  // only the escape key captures
};
const char* to_string(CaptureOn mode);
std::optional<CaptureOn> parse_capture_on(std::string_view text);

// What the controller needs the window to do; SDL in the app, a recorder in tests.
class WindowControl {
  public:
    virtual ~WindowControl() = default;
    // Relative mouse mode: the host cursor hidden and held inside the window, motion as deltas.
    virtual void set_relative_mouse(bool on) = 0;
    // All keys (Alt-Tab, the Windows key) to this window while set.
    virtual void set_keyboard_grab(bool on) = 0;
};

// Where the picture is in the window: maps mouse positions to guest pixels.
struct FrameMapping {
    WindowRect viewport;
    uint32_t frame_width = 0;
    uint32_t frame_height = 0;
};

class InputController {
  public:
    // PS/2 emulation saturates larger deltas: motion is sent in steps of at most this per axis.
    static constexpr int32_t MAX_STEP = 127;

    InputController(InputSink& sink, WindowControl& window, CaptureOn capture_on)
        : m_sink(sink), m_window(window), m_capture_on(capture_on) {}

    // A key the viewer's own combinations did not take. `repeat`: SDL's auto-repeat.
    void key(SDL_Scancode scancode, bool down, bool repeat);
    // `x`, `y`: window position; `dx`, `dy`: relative motion (SDL's xrel/yrel).
    void mouse_motion(int32_t x, int32_t y, int32_t dx, int32_t dy, const FrameMapping& mapping);
    // `sdl_button`: SDL_BUTTON_LEFT (1) ... SDL_BUTTON_X2 (5).
    void mouse_button(uint8_t sdl_button, bool down, int32_t x, int32_t y,
                      const FrameMapping& mapping);
    // SDL wheel steps: y > 0 away from the user; x horizontal.
    void wheel(int32_t x, int32_t y);
    void focus(bool gained);
    // The escape key alone.
    void toggle_capture();
    // The escape key's own combination: deliver the escape key itself to the guest.
    void send_key(SDL_Scancode scancode);
    // Call when the sink's status changes (mouse mode, connection).
    void status_changed(const InputStatus& status);

    bool captured() const { return m_captured; }
    uint32_t buttons() const { return m_buttons; }
    size_t keys_held() const { return m_held.count(); }

  private:
    bool connected() const { return m_status.state == InputState::Connected; }
    void set_captured(bool on);
    void release_all();
    void send_position(int32_t x, int32_t y, const FrameMapping& mapping);

    InputSink& m_sink;
    WindowControl& m_window;
    CaptureOn m_capture_on;
    InputStatus m_status;
    bool m_captured = false;
    bool m_focused = true;
    uint32_t m_buttons = 0;        // SPICE button mask as the guest last heard it
    std::bitset<0x300> m_held;     // codes (spice-glib convention) sent down, not yet up
    bool m_told_unmapped = false;  // log a key without a PC scancode once
    bool m_told_hwheel = false;    // log the missing horizontal wheel once
};

}  // namespace periscope::viewer
