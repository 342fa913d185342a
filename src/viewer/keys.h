// The viewer's own key combinations: hold the escape key (ScrollLock by default), press a letter.
// The escape key pressed and released alone toggles input capture (issue 5 gives it meaning).
// Keys are SDL keycodes, but nothing here needs SDL's video: tests feed codes directly.
// Main thread only.
#pragma once

#include <SDL_keycode.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace periscope::viewer {

enum class Action {
    Quit,
    ToggleFullscreen,
    ToggleBorderless,
    ToggleOverlay,
    ToggleHelp,
    NextScaleMode,
    ToggleFilter,
    RequestFullFrame,
    ToggleCapture,  // the escape key alone
    SendEscapeKey,  // the escape key itself to the guest
};

class KeyBindings {
  public:
    // `escape_key`: an SDL key name ("ScrollLock", "Right Ctrl", "F12"). nullopt if SDL does not
    // know the name.
    static std::optional<KeyBindings> create(const std::string& escape_key);

    // Feed every key event; returns an action when one completes. `consumed` says whether the
    // event belongs to a viewer combination (then it must not reach the guest).
    std::optional<Action> key_down(SDL_Keycode key, bool repeat, bool* consumed);
    std::optional<Action> key_up(SDL_Keycode key, bool* consumed);
    // Focus lost: forget a half-typed combination.
    void reset() { m_escape_down = m_combo_used = false; }

    const std::string& escape_name() const { return m_escape_name; }
    SDL_Keycode escape_key() const { return m_escape; }
    // {"ScrollLock+Q", "quit"}, ... for the help panel.
    std::vector<std::pair<std::string, std::string>> help() const;

  private:
    KeyBindings(SDL_Keycode escape, std::string name)
        : m_escape(escape), m_escape_name(std::move(name)) {}
    SDL_Keycode m_escape;
    std::string m_escape_name;
    bool m_escape_down = false;
    bool m_combo_used = false;  // a combination happened while the escape key was held
};

}  // namespace periscope::viewer
