// The viewer's on-screen overlay: Dear ImGui panels drawn over the presented frame. The stats
// panel (top-left) shows the state, rates, drops and the frame-age graph; the help panel
// (centred) lists the key bindings. Hidden panels cost nothing: no ImGui frame, no GL call.
//
// Threads: the viewer's main thread only, with the window's GL 3.3 core context current for
// create, draw and destruction (handle_event and the setters make no GL calls).
#pragma once

#include <SDL.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

struct ImGuiContext;

namespace periscope::viewer {

class ImGuiGl;
class ImGuiSdl;

enum class OverlayError { ContextFailed, ShaderFailed };
const char* to_string(OverlayError error);

// What the panels show; the App fills it before each draw.
struct OverlayModel {
    std::string state;  // e.g. "connected: 1920x1080 BGRA8" or "waiting for ...: ... (fix: ...)"
    bool state_is_problem = false;  // shown highlighted
    std::string guest;              // region / guest name for the header line
    std::string renderer;           // renderer describe()
    std::string input;              // "input: connected to unix:/run/vm.sock, captured"
    double presented_fps = 0;       // frames presented per second (last second)
    double updates_per_second = 0;  // frames received from the agent per second
    uint64_t frames_dropped = 0;
    std::span<const float> frame_age_ms;  // recent frame ages, oldest first (up to ~300)
    std::string frame_age_label;          // e.g. "frame age, agent post -> present (ms)"
    double frame_age_p50_ms = 0;
    double frame_age_p99_ms = 0;
    std::vector<std::pair<std::string, std::string>> bindings;  // {"ScrollLock+O", "toggle ..."}
};

class Overlay {
  public:
    // Needs the window's GL 3.3 core context current. One Overlay per process (it owns the ImGui
    // context): a second one fails with ContextFailed.
    static Result<std::unique_ptr<Overlay>, OverlayError> create(SDL_Window* window,
                                                                 std::string* detail);
    ~Overlay();
    Overlay(const Overlay&) = delete;
    Overlay& operator=(const Overlay&) = delete;

    void set_stats_visible(bool visible);
    bool stats_visible() const { return m_stats.visible; }
    void set_help_visible(bool visible);
    bool help_visible() const { return m_help.visible; }
    bool visible() const { return m_stats.visible || m_help.visible; }

    // Feeds an event to ImGui; true if the overlay wants it for itself (the mouse over a visible
    // panel, or a drag that started on one; typing into it). Always false while nothing is
    // visible. Decided from the panels as last drawn, so the answer needs no new frame.
    bool handle_event(const SDL_Event& event);

    // Renders the visible panels on top of the current back buffer (no clear, no swap). No-op and
    // no GL calls when nothing is visible.
    void draw(const OverlayModel& model, uint32_t drawable_width, uint32_t drawable_height);

  private:
    struct Panel {
        bool visible = false;
        bool drawn = false;  // the rectangle below is from a draw while visible
        float x0 = 0;        // window coordinates (SDL mouse coordinates)
        float y0 = 0;
        float x1 = 0;
        float y1 = 0;
        bool contains(float x, float y) const {
            return visible && drawn && x >= x0 && x < x1 && y >= y0 && y < y1;
        }
    };
    enum class MouseOwner { Nobody, Overlay, App };

    Overlay() = default;
    bool over_panel(float x, float y) const;
    void build_frame(const OverlayModel& model);
    void build_stats(const OverlayModel& model);
    void build_help(const OverlayModel& model);

    SDL_Window* m_window = nullptr;
    ImGuiContext* m_context = nullptr;
    std::unique_ptr<ImGuiSdl> m_input;
    std::unique_ptr<ImGuiGl> m_gl;
    Panel m_stats;
    Panel m_help;
    bool m_was_visible = false;  // at the last draw: input queued while hidden is dropped
    // A press decides who gets the drag until every button is up again, so a drag that starts on
    // the guest is not taken over when it crosses a panel (and the other way round).
    MouseOwner m_mouse_owner = MouseOwner::Nobody;
    uint32_t m_buttons_down = 0;  // bit per SDL button
    float m_mouse_x = -1;
    float m_mouse_y = -1;
};

}  // namespace periscope::viewer
