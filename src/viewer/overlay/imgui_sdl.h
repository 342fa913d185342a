// Our own SDL2 -> Dear ImGui input feeding (ImGui 1.86 API: io.MousePos, io.MouseDown[],
// io.MouseWheel, io.KeysDown[] indexed by SDL scancode through io.KeyMap, text as UTF-8), plus
// the per-frame display size, framebuffer scale and time step.
//
// Threads: the viewer's main thread only (SDL delivers events there), with the ImGui context
// current.
#pragma once

#include <SDL.h>

#include <cstdint>

namespace periscope::viewer {

class ImGuiSdl {
  public:
    // Fills io.KeyMap and the back-end name of the current ImGui context.
    ImGuiSdl();

    // Records what an event changes in ImGui's input state. Events that ImGui has no use for are
    // ignored.
    void process_event(const SDL_Event& event);

    // Drops input that accumulates until a frame consumes it (wheel, typed characters): while
    // nothing is drawn there are no frames, and a panel that appears must not replay it.
    void discard_pending_input();

    // Before each ImGui::NewFrame(): display size (window points), framebuffer scale (the
    // drawable the caller renders into, in pixels, over the window size), time step, buttons.
    void new_frame(SDL_Window* window, uint32_t drawable_width, uint32_t drawable_height);

  private:
    static constexpr int BUTTONS = 5;
    // A press and release between two frames would otherwise leave ImGui seeing neither: a
    // press shows as down for at least one frame.
    bool m_pressed_since_frame[BUTTONS] = {};
    bool m_held[BUTTONS] = {};
    uint64_t m_last_counter = 0;
};

}  // namespace periscope::viewer
