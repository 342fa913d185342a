// The viewer's loop: SDL window and events, the shared-memory session, the renderer, the cursor,
// the overlay, title, screenshots and statistics. Design: docs/design/viewer.md ("The loop").
// Everything runs on the main thread (SDL and the GL context live there).
#pragma once

#include <SDL.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "viewer/input/clipboard_bridge.h"
#include "viewer/input/host_clipboard.h"
#include "viewer/input/input_controller.h"
#include "viewer/input/null/null_input.h"
#include "viewer/input/spice/spice_input.h"
#include "viewer/keys.h"
#include "viewer/options.h"
#include "viewer/overlay/overlay.h"
#include "viewer/render/renderer.h"
#include "viewer/session.h"
#include "viewer/stats.h"

namespace periscope::viewer {

enum class AppError {
    NoDisplay,   // SDL could not start video or open a window
    NoOpenGL,    // no OpenGL 3.3 core context, or the renderer refused it
    BadOptions,  // e.g. an unknown escape key name
};
const char* to_string(AppError error);

class App {
  public:
    static Result<std::unique_ptr<App>, AppError> create(const ViewerOptions& options,
                                                         std::string* detail);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Runs until the window is closed, the quit combination, or --exit-after. Returns the exit
    // status.
    int run();

  private:
    explicit App(const ViewerOptions& options, KeyBindings keys);
    void handle_event(const SDL_Event& event);
    void act(Action action);
    void take_frame(protocol::Consumer& consumer, uint64_t now_ns);
    void take_cursor(protocol::Consumer& consumer);
    void check_region_size(protocol::Consumer& consumer);
    void present(uint64_t now_ns);
    void draw(uint32_t width, uint32_t height);
    void write_screenshot();
    void refresh_screenshot();
    void update_title(bool force);
    void wait_for_work(uint64_t now_ns);
    void finish();
    void start_input();
    void poll_input();
    bool input_pending() const;
    FrameMapping mouse_mapping() const;
    std::string input_summary() const;

    ViewerOptions m_options;
    KeyBindings m_keys;
    SDL_Window* m_window = nullptr;
    SDL_GLContext m_context = nullptr;
    std::unique_ptr<Renderer> m_renderer;
    std::unique_ptr<Overlay> m_overlay;
    Session m_session;
    Stats m_stats;

    // Input and clipboard (docs/design/input.md). Declared in this order so the bridge, whose
    // callbacks the two sides hold, is destroyed after both (see ~App).
    NullInput m_null_input;  // --spice none: input goes nowhere
    std::unique_ptr<ClipboardBridge> m_bridge;
    std::unique_ptr<SpiceInput> m_spice;
    std::unique_ptr<HostClipboard> m_host_clipboard;
    std::unique_ptr<WindowControl> m_window_control;
    std::unique_ptr<InputController> m_input;
    uint64_t m_input_changes = 0;  // the last InputStatus::changes seen
    InputStatus m_input_status;
    std::string m_too_small;  // why the agent cannot post frames (region too small), or empty

    bool m_quit = false;
    bool m_dirty = true;  // something visible changed: present
    bool m_fullscreen = false;
    bool m_borderless = false;
    bool m_overlay_by_user = false;  // the user toggled the overlay: stop showing it by itself

    // The frame texture.
    protocol::Format m_format = protocol::Format::Invalid;
    uint32_t m_frame_width = 0;
    uint32_t m_frame_height = 0;
    bool m_have_frame = false;        // a complete frame was uploaded since configure
    bool m_texture_complete = false;  // no half-uploaded (discarded) frame in the texture
    uint64_t m_last_session = 0;
    // The newest frame uploaded but not yet presented.
    bool m_frame_pending = false;
    uint64_t m_pending_timestamp_ns = 0;  // the agent's capture time of the frame to present
    FrameTiming m_pending_timing;         // its acquire age and upload time so far

    // The cursor.
    bool m_cursor_visible = false;
    int32_t m_cursor_x = 0;
    int32_t m_cursor_y = 0;
    uint64_t m_cursor_serial = 0;

    // Screenshots, title.
    uint64_t m_last_screenshot_ns = 0;
    bool m_screenshot_stale = false;
    std::string m_title;
    uint64_t m_title_ns = 0;
    uint64_t m_start_ns = 0;
    uint64_t m_last_present_ns = 0;
    uint64_t m_frames_presented = 0;
};

}  // namespace periscope::viewer
