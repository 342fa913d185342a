// The smallest input back-end: accepts every call and remembers it, in order, as text
// ("down 0x1e", "motion 3 -4 0", ...). Used by --spice none (state Disabled) and by tests
// (state set by the test). Main thread only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "viewer/input/guest_clipboard.h"
#include "viewer/input/input_sink.h"

namespace periscope::viewer {

class NullInput final : public InputSink, public GuestClipboard {
  public:
    const char* name() const override { return "none"; }
    InputStatus status() const override { return m_status; }
    void set_status(InputStatus status) {
        status.changes = m_status.changes + 1;
        m_status = std::move(status);
    }

    void key_down(uint32_t scancode) override;
    void key_up(uint32_t scancode) override;
    void key_press_and_release(uint32_t scancode) override;
    void motion(int32_t dx, int32_t dy, uint32_t buttons) override;
    void position(int32_t x, int32_t y, uint32_t buttons) override;
    void button(MouseButton button, bool pressed, uint32_t buttons) override;

    void set_clipboard_callbacks(Callbacks callbacks) override {
        m_callbacks = std::move(callbacks);
    }
    void grab(std::vector<ClipboardType> types) override;
    void release() override;
    void request(ClipboardType type) override;
    void provide(ClipboardType type, bool ok, std::vector<uint8_t> data) override;

    // What happened, oldest first; take() empties it.
    std::vector<std::string> take() { return std::exchange(m_calls, {}); }
    // Tests play the guest's side through these.
    const Callbacks& callbacks() const { return m_callbacks; }
    const std::vector<uint8_t>& last_provided() const { return m_provided; }

  private:
    InputStatus m_status;
    std::vector<std::string> m_calls;
    Callbacks m_callbacks;
    std::vector<uint8_t> m_provided;
};

}  // namespace periscope::viewer
