#include "viewer/overlay/overlay.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/log.h"
#include "viewer/overlay/imgui_gl.h"
#include "viewer/overlay/imgui_sdl.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "overlay";
constexpr float MARGIN = 10.0f;       // points between a panel and the window's edge
constexpr float PANEL_ALPHA = 0.75f;  // the guest stays visible behind the panels
constexpr float GRAPH_HEIGHT = 64.0f;
constexpr float TEXT_WIDTH_EM = 34.0f;  // panel text wraps at this many font heights
constexpr int MAX_GRAPH_POINTS = 4096;  // the model keeps ~300; more is a caller's mistake
constexpr ImU32 PROBLEM_COLOUR = IM_COL32(255, 158, 51, 255);  // amber: readable on the dark panel
constexpr ImU32 KEY_COLOUR = IM_COL32(140, 204, 255, 255);

// Panels are placed by us, sized to their content and never take keyboard focus: the keyboard
// belongs to the guest.
constexpr ImGuiWindowFlags PANEL_FLAGS =
    ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoMove |
    ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_AlwaysAutoResize |
    ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_NoNav;

Unexpected<OverlayError> report(OverlayError error, std::string message, std::string* detail) {
    PERISCOPE_LOG_ERROR(MODULE, "%s: %s", to_string(error), message.c_str());
    if (detail != nullptr) {
        *detail = std::move(message);
    }
    return fail(error);
}

// The graph's values go through here so a non-finite sample draws as 0 instead of poisoning the
// vertex positions and the scale.
float finite_or_zero(float value) {
    return std::isfinite(value) ? value : 0.0f;
}

float frame_age_at(void* data, int index) {
    return finite_or_zero(static_cast<const float*>(data)[index]);
}

void set_style() {
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 4.0f;
    style.WindowBorderSize = 0.0f;
    style.FrameRounding = 2.0f;
}

}  // namespace

const char* to_string(OverlayError error) {
    switch (error) {
        case OverlayError::ContextFailed:
            return "cannot create the overlay's ImGui context";
        case OverlayError::ShaderFailed:
            return "cannot build the overlay's GL shader";
    }
    return "unknown overlay error";
}

Result<std::unique_ptr<Overlay>, OverlayError> Overlay::create(SDL_Window* window,
                                                               std::string* detail) {
    if (window == nullptr) {
        return report(OverlayError::ContextFailed, "no window", detail);
    }
    if (ImGui::GetCurrentContext() != nullptr) {
        return report(OverlayError::ContextFailed,
                      "an ImGui context already exists (one Overlay per process)", detail);
    }
    // The headers we compiled against must describe the library we link (Debian's libimgui):
    // a layout mismatch would corrupt memory silently.
    if (!IMGUI_CHECKVERSION()) {
        return report(OverlayError::ContextFailed,
                      "the ImGui library does not match its headers (" IMGUI_VERSION ")", detail);
    }
    std::unique_ptr<Overlay> overlay(new Overlay());
    overlay->m_window = window;
    overlay->m_context = ImGui::CreateContext();
    if (overlay->m_context == nullptr) {
        return report(OverlayError::ContextFailed, "ImGui::CreateContext failed", detail);
    }
    ImGuiIO& io = ImGui::GetIO();
    // Nothing on disk: panel positions are ours, and the viewer may run from any directory.
    io.IniFilename = nullptr;
    io.LogFilename = nullptr;
    set_style();
    overlay->m_input = std::make_unique<ImGuiSdl>();
    auto gl = ImGuiGl::create(detail);  // logs its own failure
    if (!gl) {
        return fail(OverlayError::ShaderFailed);
    }
    overlay->m_gl = std::move(*gl);
    return overlay;
}

Overlay::~Overlay() {
    if (m_context == nullptr) {
        return;
    }
    // The GL renderer and the input feeder use the context: they go first.
    m_gl.reset();
    m_input.reset();
    ImGui::DestroyContext(m_context);
}

void Overlay::set_stats_visible(bool visible) {
    m_stats.visible = visible;
    m_stats.drawn = false;
    if (!this->visible()) {
        m_was_visible = false;
    }
}

void Overlay::set_help_visible(bool visible) {
    m_help.visible = visible;
    m_help.drawn = false;
    if (!this->visible()) {
        m_was_visible = false;
    }
}

bool Overlay::over_panel(float x, float y) const {
    return m_stats.contains(x, y) || m_help.contains(x, y);
}

bool Overlay::handle_event(const SDL_Event& event) {
    // ImGui sees every event, shown or not, so no key or button is stuck when a panel appears.
    m_input->process_event(event);
    const bool shown = visible();
    switch (event.type) {
        case SDL_MOUSEMOTION:
            m_mouse_x = static_cast<float>(event.motion.x);
            m_mouse_y = static_cast<float>(event.motion.y);
            return shown &&
                   (m_mouse_owner == MouseOwner::Overlay ||
                    (m_mouse_owner == MouseOwner::Nobody && over_panel(m_mouse_x, m_mouse_y)));
        case SDL_MOUSEBUTTONDOWN: {
            m_mouse_x = static_cast<float>(event.button.x);
            m_mouse_y = static_cast<float>(event.button.y);
            if (event.button.button < 32) {
                m_buttons_down |= 1u << event.button.button;
            }
            if (m_mouse_owner == MouseOwner::Nobody) {
                m_mouse_owner = shown && over_panel(m_mouse_x, m_mouse_y) ? MouseOwner::Overlay
                                                                          : MouseOwner::App;
            }
            return shown && m_mouse_owner == MouseOwner::Overlay;
        }
        case SDL_MOUSEBUTTONUP: {
            m_mouse_x = static_cast<float>(event.button.x);
            m_mouse_y = static_cast<float>(event.button.y);
            if (event.button.button < 32) {
                m_buttons_down &= ~(1u << event.button.button);
            }
            const bool wanted = shown && m_mouse_owner == MouseOwner::Overlay;
            if (m_buttons_down == 0) {
                m_mouse_owner = MouseOwner::Nobody;
            }
            return wanted;
        }
        case SDL_MOUSEWHEEL:
            return shown && m_mouse_owner != MouseOwner::App && over_panel(m_mouse_x, m_mouse_y);
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            return shown && ImGui::GetIO().WantCaptureKeyboard;
        case SDL_TEXTINPUT:
        case SDL_TEXTEDITING:
            return shown && ImGui::GetIO().WantTextInput;
        case SDL_WINDOWEVENT:
            if (event.window.event == SDL_WINDOWEVENT_LEAVE) {
                m_mouse_x = -1;
                m_mouse_y = -1;
            } else if (event.window.event == SDL_WINDOWEVENT_FOCUS_LOST) {
                // Button releases now go to another window: nobody holds the mouse any more.
                m_buttons_down = 0;
                m_mouse_owner = MouseOwner::Nobody;
            }
            return false;
        default:
            return false;
    }
}

void Overlay::draw(const OverlayModel& model, uint32_t drawable_width, uint32_t drawable_height) {
    if (!visible() || drawable_width == 0 || drawable_height == 0) {
        return;
    }
    if (!m_was_visible) {
        m_input->discard_pending_input();
        m_was_visible = true;
    }
    // Two ImGui frames per draw, the first only for layout: an auto-sized panel gets its size
    // from the previous frame's content (and is hidden on the frame it appears), and the viewer
    // presents only when something changed, so there may be no next frame to fix a panel that is
    // missing or clipped. The cost is a few tens of microseconds of CPU, only while shown.
    m_input->new_frame(m_window, drawable_width, drawable_height);
    ImGui::NewFrame();
    build_frame(model);
    ImGui::EndFrame();

    m_input->new_frame(m_window, drawable_width, drawable_height);
    ImGui::NewFrame();
    build_frame(model);
    ImGui::Render();
    const ImDrawData* draw_data = ImGui::GetDrawData();
    if (draw_data != nullptr) {
        m_gl->render(*draw_data, drawable_width, drawable_height);
    }
}

void Overlay::build_frame(const OverlayModel& model) {
    if (m_stats.visible) {
        build_stats(model);
    }
    if (m_help.visible) {
        build_help(model);
    }
}

void Overlay::build_stats(const OverlayModel& model) {
    ImGui::SetNextWindowPos(ImVec2(MARGIN, MARGIN), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(PANEL_ALPHA);
    if (ImGui::Begin("##periscope_stats", nullptr, PANEL_FLAGS)) {
        const float text_width = ImGui::GetFontSize() * TEXT_WIDTH_EM;
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + text_width);
        if (model.guest.empty()) {
            ImGui::TextUnformatted("Periscope");
        } else {
            ImGui::Text("Periscope - %s", model.guest.c_str());
        }
        ImGui::Separator();
        if (model.state_is_problem) {
            ImGui::PushStyleColor(ImGuiCol_Text, PROBLEM_COLOUR);
            ImGui::TextUnformatted(model.state.c_str());
            ImGui::PopStyleColor();
        } else {
            ImGui::TextUnformatted(model.state.c_str());
        }
        ImGui::Text("presented %.1f fps   updates %.1f/s   dropped %llu", model.presented_fps,
                    model.updates_per_second,
                    static_cast<unsigned long long>(model.frames_dropped));
        if (!model.input.empty()) {
            ImGui::TextUnformatted(model.input.c_str());
        }
        if (!model.renderer.empty()) {
            ImGui::Text("renderer: %s", model.renderer.c_str());
        }
        ImGui::Spacing();
        ImGui::TextUnformatted(model.frame_age_label.empty() ? "frame age (ms)"
                                                             : model.frame_age_label.c_str());
        char caption[96];
        std::snprintf(caption, sizeof(caption), "p50 %.2f ms   p99 %.2f ms", model.frame_age_p50_ms,
                      model.frame_age_p99_ms);
        const int count =
            static_cast<int>(std::min<size_t>(model.frame_age_ms.size(), MAX_GRAPH_POINTS));
        const auto* values =
            model.frame_age_ms.data() + (model.frame_age_ms.size() - static_cast<size_t>(count));
        // Anchored at 0 so a steady age reads as a height, not as noise blown up to full scale.
        auto top = static_cast<float>(model.frame_age_p99_ms);
        for (int i = 0; i < count; ++i) {
            top = std::max(top, finite_or_zero(values[i]));
        }
        top = top > 0.0f ? top * 1.1f : 1.0f;
        if (count >= 2) {
            // ImGui's getter takes a mutable pointer; frame_age_at only reads through it.
            ImGui::PlotLines("##frame_age", frame_age_at,
                             const_cast<void*>(static_cast<const void*>(values)), count, 0, caption,
                             0.0f, top, ImVec2(text_width, GRAPH_HEIGHT));
        } else {
            ImGui::TextUnformatted(caption);
            ImGui::TextUnformatted("(no frames presented yet)");
        }
        ImGui::PopTextWrapPos();
        const ImVec2 pos = ImGui::GetWindowPos();
        const ImVec2 size = ImGui::GetWindowSize();
        m_stats.x0 = pos.x;
        m_stats.y0 = pos.y;
        m_stats.x1 = pos.x + size.x;
        m_stats.y1 = pos.y + size.y;
        m_stats.drawn = true;
    }
    ImGui::End();
}

void Overlay::build_help(const OverlayModel& model) {
    const ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos(ImVec2(io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.5f),
                            ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    // A long table scrolls instead of running off a small window.
    ImGui::SetNextWindowSizeConstraints(ImVec2(0.0f, 0.0f),
                                        ImVec2(std::max(io.DisplaySize.x - 2.0f * MARGIN, 1.0f),
                                               std::max(io.DisplaySize.y - 2.0f * MARGIN, 1.0f)));
    ImGui::SetNextWindowBgAlpha(PANEL_ALPHA);
    if (ImGui::Begin("##periscope_help", nullptr, PANEL_FLAGS)) {
        const ImGuiStyle& style = ImGui::GetStyle();
        ImGui::TextUnformatted("Periscope keys");
        ImGui::Separator();
        // Two columns laid out by hand rather than with a table: a table's auto-fit columns take
        // extra frames to settle, and the panel must be right on the first draw.
        float key_width = 0.0f;
        for (const auto& binding : model.bindings) {
            key_width = std::max(key_width, ImGui::CalcTextSize(binding.first.c_str()).x);
        }
        const float column_x = ImGui::GetCursorPosX() + key_width + style.ItemSpacing.x * 3.0f;
        const float text_width = ImGui::GetFontSize() * TEXT_WIDTH_EM;
        for (const auto& binding : model.bindings) {
            ImGui::PushStyleColor(ImGuiCol_Text, KEY_COLOUR);
            ImGui::TextUnformatted(binding.first.c_str());
            ImGui::PopStyleColor();
            ImGui::SameLine(column_x);
            ImGui::PushTextWrapPos(column_x + text_width);
            ImGui::TextUnformatted(binding.second.c_str());
            ImGui::PopTextWrapPos();
        }
        if (model.bindings.empty()) {
            ImGui::TextUnformatted("(no key bindings)");
        }
        const ImVec2 pos = ImGui::GetWindowPos();
        const ImVec2 size = ImGui::GetWindowSize();
        m_help.x0 = pos.x;
        m_help.y0 = pos.y;
        m_help.x1 = pos.x + size.x;
        m_help.y1 = pos.y + size.y;
        m_help.drawn = true;
    }
    ImGui::End();
}

}  // namespace periscope::viewer
