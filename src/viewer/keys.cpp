#include "viewer/keys.h"

#include <SDL_keyboard.h>

namespace periscope::viewer {
namespace {

struct Combo {
    SDL_Keycode key;
    const char* letter;
    Action action;
    const char* what;
};

constexpr Combo COMBOS[] = {
    {SDLK_q, "Q", Action::Quit, "quit"},
    {SDLK_f, "F", Action::ToggleFullscreen, "fullscreen on/off"},
    {SDLK_b, "B", Action::ToggleBorderless, "window borders on/off"},
    {SDLK_o, "O", Action::ToggleOverlay, "statistics overlay on/off"},
    {SDLK_h, "H", Action::ToggleHelp, "this help on/off"},
    {SDLK_s, "S", Action::NextScaleMode, "next scaling mode"},
    {SDLK_n, "N", Action::ToggleFilter, "nearest / linear filtering"},
    {SDLK_r, "R", Action::RequestFullFrame, "ask the agent for a full frame"},
    {SDLK_INSERT, "Insert", Action::SendEscapeKey, "send the escape key itself to the guest"},
};

}  // namespace

std::optional<KeyBindings> KeyBindings::create(const std::string& escape_key) {
    // SDL_GetKeyFromName needs no video subsystem: it reads SDL's own name table.
    const SDL_Keycode key = SDL_GetKeyFromName(escape_key.c_str());
    if (key == SDLK_UNKNOWN) {
        return std::nullopt;
    }
    return KeyBindings(key, SDL_GetKeyName(key));
}

std::optional<Action> KeyBindings::key_down(SDL_Keycode key, bool repeat, bool* consumed) {
    if (key == m_escape) {
        *consumed = true;
        if (!repeat) {
            m_escape_down = true;
            m_combo_used = false;
        }
        return std::nullopt;
    }
    if (!m_escape_down) {
        *consumed = false;
        return std::nullopt;
    }
    *consumed = true;  // everything typed while the escape key is held is the viewer's
    if (repeat) {
        return std::nullopt;
    }
    for (const Combo& c : COMBOS) {
        if (c.key == key) {
            m_combo_used = true;
            return c.action;
        }
    }
    m_combo_used = true;  // an unknown combination still is not "the escape key alone"
    return std::nullopt;
}

std::optional<Action> KeyBindings::key_up(SDL_Keycode key, bool* consumed) {
    if (key == m_escape) {
        *consumed = true;
        const bool alone = m_escape_down && !m_combo_used;
        m_escape_down = false;
        m_combo_used = false;
        return alone ? std::optional<Action>(Action::ToggleCapture) : std::nullopt;
    }
    *consumed = m_escape_down;
    return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> KeyBindings::help() const {
    std::vector<std::pair<std::string, std::string>> lines;
    lines.emplace_back(m_escape_name, "alone: capture input on/off");
    for (const Combo& c : COMBOS) {
        lines.emplace_back(m_escape_name + "+" + c.letter, c.what);
    }
    return lines;
}

}  // namespace periscope::viewer
