#include "viewer/input/null/null_input.h"

#include "core/format.h"

namespace periscope::viewer {

void NullInput::key_down(uint32_t scancode) {
    m_calls.push_back(format_text("down 0x%x", scancode));
}

void NullInput::key_up(uint32_t scancode) {
    m_calls.push_back(format_text("up 0x%x", scancode));
}

void NullInput::key_press_and_release(uint32_t scancode) {
    m_calls.push_back(format_text("press-release 0x%x", scancode));
}

void NullInput::motion(int32_t dx, int32_t dy, uint32_t buttons) {
    m_calls.push_back(format_text("motion %d %d %u", dx, dy, buttons));
}

void NullInput::position(int32_t x, int32_t y, uint32_t buttons) {
    m_calls.push_back(format_text("position %d %d %u", x, y, buttons));
}

void NullInput::button(MouseButton button, bool pressed, uint32_t buttons) {
    m_calls.push_back(
        format_text("button %d %s %u", static_cast<int>(button), pressed ? "down" : "up", buttons));
}

void NullInput::grab(std::vector<ClipboardType> types) {
    std::string text = "grab";
    for (ClipboardType t : types) {
        text += std::string(" ") + to_string(t);
    }
    m_calls.push_back(text);
}

void NullInput::release() {
    m_calls.push_back("release");
}

void NullInput::request(ClipboardType type) {
    m_calls.push_back(std::string("request ") + to_string(type));
}

void NullInput::provide(ClipboardType type, bool ok, std::vector<uint8_t> data) {
    m_calls.push_back(
        format_text("provide %s %s %zu", to_string(type), ok ? "ok" : "refused", data.size()));
    m_provided = std::move(data);
}

}  // namespace periscope::viewer
