// Where the viewer's keyboard and mouse go: the guest, through a back-end (spice/: QEMU's SPICE
// server via libspice-client-glib; null/: records calls, for tests and --spice none).
//
// Threads: every method is called on the viewer's main thread and returns at once; a back-end
// with its own thread queues the call (docs/design/input.md). status() is a snapshot.
#pragma once

#include <cstdint>
#include <string>

namespace periscope::viewer {

enum class InputState : uint8_t {
    Disabled,     // no back-end configured (--spice none)
    Connecting,   // first attempt under way
    Connected,    // input reaches the guest
    Unavailable,  // the server is gone, refused us or was never there; retrying
};
const char* to_string(InputState state);

// How the guest positions its pointer (the SPICE server decides).
enum class MouseMode : uint8_t {
    Unknown,
    Server,  // relative motion; the viewer must capture the host mouse
    Client,  // absolute positions in guest pixels (tablet or agent)
};
const char* to_string(MouseMode mode);

struct InputStatus {
    InputState state = InputState::Disabled;
    MouseMode mouse_mode = MouseMode::Unknown;
    bool agent = false;    // a guest agent is connected (clipboard, agent mouse)
    std::string detail;    // why Unavailable; the target when Connected
    uint64_t changes = 0;  // increments on every change, so callers redraw only then
};

// SPICE's button numbering (spice-protocol SpiceMouseButton), used on the wire as is.
enum class MouseButton : uint8_t {
    Left = 1,
    Middle = 2,
    Right = 3,
    WheelUp = 4,
    WheelDown = 5,
    Side = 6,
    Extra = 7,
};
// The bit of `button` in a button-state mask (SPICE_MOUSE_BUTTON_MASK_*).
constexpr uint32_t button_mask(MouseButton button) {
    return 1u << (static_cast<uint32_t>(button) - 1);
}

class InputSink {
  public:
    virtual ~InputSink() = default;
    virtual const char* name() const = 0;
    virtual InputStatus status() const = 0;

    // `scancode`: PC set 1, 0xE0-prefixed codes as 0x100 | code (viewer/input/scancodes.h).
    virtual void key_down(uint32_t scancode) = 0;
    virtual void key_up(uint32_t scancode) = 0;
    // Make then break in one message: keys with no break code (Pause), and keys the viewer
    // sends on the user's behalf (the escape key through its combination).
    virtual void key_press_and_release(uint32_t scancode) = 0;

    // Server mouse mode. Deltas within what the server accepts (the controller splits).
    virtual void motion(int32_t dx, int32_t dy, uint32_t buttons) = 0;
    // Client mouse mode: guest pixel on display 0.
    virtual void position(int32_t x, int32_t y, uint32_t buttons) = 0;
    // `buttons`: the mask after the change.
    virtual void button(MouseButton button, bool pressed, uint32_t buttons) = 0;
};

}  // namespace periscope::viewer
