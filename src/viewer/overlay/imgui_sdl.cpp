#include "viewer/overlay/imgui_sdl.h"

#include <imgui.h>

#include <cfloat>

namespace periscope::viewer {
namespace {

// SDL numbers buttons from 1 (left, middle, right, x1, x2); ImGui wants left, right, middle.
int imgui_button(uint8_t sdl_button) {
    switch (sdl_button) {
        case SDL_BUTTON_LEFT:
            return 0;
        case SDL_BUTTON_RIGHT:
            return 1;
        case SDL_BUTTON_MIDDLE:
            return 2;
        case SDL_BUTTON_X1:
            return 3;
        case SDL_BUTTON_X2:
            return 4;
        default:
            return -1;
    }
}

void set_modifiers(ImGuiIO& io, uint16_t mod) {
    io.KeyCtrl = (mod & KMOD_CTRL) != 0;
    io.KeyShift = (mod & KMOD_SHIFT) != 0;
    io.KeyAlt = (mod & KMOD_ALT) != 0;
    io.KeySuper = (mod & KMOD_GUI) != 0;
}

}  // namespace

ImGuiSdl::ImGuiSdl() {
    ImGuiIO& io = ImGui::GetIO();
    io.BackendPlatformName = "periscope_sdl2";
    // io.KeysDown[] is indexed by SDL scancode (all below 512, the array's size); KeyMap tells
    // ImGui which scancode is which of its navigation and editing keys.
    static_assert(SDL_NUM_SCANCODES <= sizeof(io.KeysDown) / sizeof(io.KeysDown[0]));
    io.KeyMap[ImGuiKey_Tab] = SDL_SCANCODE_TAB;
    io.KeyMap[ImGuiKey_LeftArrow] = SDL_SCANCODE_LEFT;
    io.KeyMap[ImGuiKey_RightArrow] = SDL_SCANCODE_RIGHT;
    io.KeyMap[ImGuiKey_UpArrow] = SDL_SCANCODE_UP;
    io.KeyMap[ImGuiKey_DownArrow] = SDL_SCANCODE_DOWN;
    io.KeyMap[ImGuiKey_PageUp] = SDL_SCANCODE_PAGEUP;
    io.KeyMap[ImGuiKey_PageDown] = SDL_SCANCODE_PAGEDOWN;
    io.KeyMap[ImGuiKey_Home] = SDL_SCANCODE_HOME;
    io.KeyMap[ImGuiKey_End] = SDL_SCANCODE_END;
    io.KeyMap[ImGuiKey_Insert] = SDL_SCANCODE_INSERT;
    io.KeyMap[ImGuiKey_Delete] = SDL_SCANCODE_DELETE;
    io.KeyMap[ImGuiKey_Backspace] = SDL_SCANCODE_BACKSPACE;
    io.KeyMap[ImGuiKey_Space] = SDL_SCANCODE_SPACE;
    io.KeyMap[ImGuiKey_Enter] = SDL_SCANCODE_RETURN;
    io.KeyMap[ImGuiKey_Escape] = SDL_SCANCODE_ESCAPE;
    io.KeyMap[ImGuiKey_KeyPadEnter] = SDL_SCANCODE_KP_ENTER;
    io.KeyMap[ImGuiKey_A] = SDL_SCANCODE_A;
    io.KeyMap[ImGuiKey_C] = SDL_SCANCODE_C;
    io.KeyMap[ImGuiKey_V] = SDL_SCANCODE_V;
    io.KeyMap[ImGuiKey_X] = SDL_SCANCODE_X;
    io.KeyMap[ImGuiKey_Y] = SDL_SCANCODE_Y;
    io.KeyMap[ImGuiKey_Z] = SDL_SCANCODE_Z;
}

void ImGuiSdl::process_event(const SDL_Event& event) {
    ImGuiIO& io = ImGui::GetIO();
    switch (event.type) {
        case SDL_MOUSEMOTION:
            io.MousePos =
                ImVec2(static_cast<float>(event.motion.x), static_cast<float>(event.motion.y));
            break;
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP: {
            io.MousePos =
                ImVec2(static_cast<float>(event.button.x), static_cast<float>(event.button.y));
            const int button = imgui_button(event.button.button);
            if (button < 0) {
                break;
            }
            const bool down = event.type == SDL_MOUSEBUTTONDOWN;
            m_held[button] = down;
            if (down) {
                m_pressed_since_frame[button] = true;
            }
            break;
        }
        case SDL_MOUSEWHEEL: {
#if SDL_VERSION_ATLEAST(2, 0, 18)
            float x = event.wheel.preciseX;
            float y = event.wheel.preciseY;
#else
            auto x = static_cast<float>(event.wheel.x);
            auto y = static_cast<float>(event.wheel.y);
#endif
            if (event.wheel.direction == SDL_MOUSEWHEEL_FLIPPED) {
                x = -x;
                y = -y;
            }
            // SDL: positive x is to the right; ImGui: positive MouseWheelH scrolls to the left.
            io.MouseWheelH -= x;
            io.MouseWheel += y;
            break;
        }
        case SDL_TEXTINPUT:
            io.AddInputCharactersUTF8(event.text.text);
            break;
        case SDL_KEYDOWN:
        case SDL_KEYUP: {
            const auto scancode = static_cast<int>(event.key.keysym.scancode);
            if (scancode >= 0 && scancode < SDL_NUM_SCANCODES) {
                io.KeysDown[scancode] = event.type == SDL_KEYDOWN;
            }
            set_modifiers(io, event.key.keysym.mod);
            break;
        }
        case SDL_WINDOWEVENT:
            switch (event.window.event) {
                case SDL_WINDOWEVENT_LEAVE:
                    // ImGui's convention for "no mouse": nothing is hovered any more.
                    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
                    break;
                case SDL_WINDOWEVENT_FOCUS_GAINED:
                    io.AddFocusEvent(true);
                    break;
                case SDL_WINDOWEVENT_FOCUS_LOST:
                    // Releases every key ImGui thinks is held: their key-up events go elsewhere.
                    io.AddFocusEvent(false);
                    for (bool& held : m_held) {
                        held = false;
                    }
                    break;
                default:
                    break;
            }
            break;
        default:
            break;
    }
}

void ImGuiSdl::discard_pending_input() {
    ImGuiIO& io = ImGui::GetIO();
    io.MouseWheel = 0.0f;
    io.MouseWheelH = 0.0f;
    io.ClearInputCharacters();
    for (bool& pressed : m_pressed_since_frame) {
        pressed = false;
    }
}

void ImGuiSdl::new_frame(SDL_Window* window, uint32_t drawable_width, uint32_t drawable_height) {
    ImGuiIO& io = ImGui::GetIO();

    int width = 0;
    int height = 0;
    SDL_GetWindowSize(window, &width, &height);
    if (width <= 0 || height <= 0) {
        // Minimised or not mapped yet: fall back to one point per pixel.
        width = static_cast<int>(drawable_width);
        height = static_cast<int>(drawable_height);
    }
    io.DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
    if (width > 0 && height > 0) {
        io.DisplayFramebufferScale =
            ImVec2(static_cast<float>(drawable_width) / static_cast<float>(width),
                   static_cast<float>(drawable_height) / static_cast<float>(height));
    }

    // ImGui requires a positive time step; two frames within one counter tick get a tiny one.
    const uint64_t now = SDL_GetPerformanceCounter();
    const uint64_t frequency = SDL_GetPerformanceFrequency();
    float delta = 1.0f / 60.0f;
    if (m_last_counter != 0 && now > m_last_counter && frequency > 0) {
        delta = static_cast<float>(static_cast<double>(now - m_last_counter) /
                                   static_cast<double>(frequency));
    } else if (m_last_counter != 0) {
        delta = 0.0f;
    }
    io.DeltaTime = delta > 1e-6f ? delta : 1e-6f;
    m_last_counter = now;

    for (int i = 0; i < BUTTONS; ++i) {
        io.MouseDown[i] = m_held[i] || m_pressed_since_frame[i];
        m_pressed_since_frame[i] = false;
    }
}

}  // namespace periscope::viewer
