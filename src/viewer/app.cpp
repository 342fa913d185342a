#include "viewer/app.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/clock.h"
#include "core/format.h"
#include "core/log.h"
#include "viewer/geometry.h"
#include "viewer/input/x11/x11_clipboard.h"
#include "viewer/render/png.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "viewer";
// The longest the loop sleeps with nothing to do: bounds how late a cursor move is drawn.
constexpr uint64_t MAX_WAIT_NS = 2 * NS_PER_MS;
constexpr uint64_t WAIT_STEP_NS = 250 * NS_PER_US;
// While there is no region or no session, events are all that can happen.
constexpr int IDLE_WAIT_MS = 50;
// How long the rows of an acquired frame may take to arrive before it is given up.
constexpr uint64_t ROWS_DEADLINE_NS = 250 * NS_PER_MS;
constexpr uint64_t SCREENSHOT_INTERVAL_NS = 100 * NS_PER_MS;
// An open overlay is redrawn this often even when nothing else changes (its numbers move).
constexpr uint64_t OVERLAY_REFRESH_NS = 50 * NS_PER_MS;

// The input controller's hands on the SDL window.
class SdlWindowControl final : public WindowControl {
  public:
    explicit SdlWindowControl(SDL_Window* window) : m_window(window) {}
    void set_relative_mouse(bool on) override {
        if (SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE) != 0 && on) {
            PERISCOPE_LOG_WARN(MODULE, "cannot capture the mouse: %s", SDL_GetError());
        }
    }
    void set_keyboard_grab(bool on) override {
        SDL_SetWindowKeyboardGrab(m_window, on ? SDL_TRUE : SDL_FALSE);
    }

  private:
    SDL_Window* m_window;
};

std::string guest_name(const ViewerOptions& o) {
    if (!o.name.empty()) {
        return o.name;
    }
    const auto slash = o.shm.find_last_of("/:");
    return slash == std::string::npos ? o.shm : o.shm.substr(slash + 1);
}

}  // namespace

const char* to_string(AppError error) {
    switch (error) {
        case AppError::NoDisplay:
            return "no display";
        case AppError::NoOpenGL:
            return "no usable OpenGL";
        case AppError::BadOptions:
            return "bad options";
    }
    return "unknown app error";
}

App::App(const ViewerOptions& options, KeyBindings keys)
    : m_options(options), m_keys(std::move(keys)), m_session(options.shm) {}

Result<std::unique_ptr<App>, AppError> App::create(const ViewerOptions& options,
                                                   std::string* detail) {
    auto keys = KeyBindings::create(options.escape_key);
    if (!keys) {
        *detail = format_text(
            "--escape-key '%s' is not a key name SDL knows (examples: "
            "ScrollLock, \"Right Ctrl\", F12)",
            options.escape_key.c_str());
        return fail(AppError::BadOptions);
    }
    std::unique_ptr<App> app(new App(options, std::move(*keys)));
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        *detail = format_text("cannot start SDL video (is DISPLAY or WAYLAND_DISPLAY set?): %s",
                              SDL_GetError());
        return fail(AppError::NoDisplay);
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    uint32_t flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    if (options.fullscreen) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    }
    if (options.borderless) {
        flags |= SDL_WINDOW_BORDERLESS;
    }
    app->m_fullscreen = options.fullscreen;
    app->m_borderless = options.borderless;
    app->m_window =
        SDL_CreateWindow("Periscope", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                         static_cast<int>(options.width), static_cast<int>(options.height), flags);
    if (app->m_window == nullptr) {
        *detail = format_text("cannot open a window: %s", SDL_GetError());
        return fail(AppError::NoDisplay);
    }
    app->m_context = SDL_GL_CreateContext(app->m_window);
    if (app->m_context == nullptr) {
        *detail = format_text(
            "no OpenGL 3.3 core context: %s (the viewer needs OpenGL 3.3; "
            "Mesa's llvmpipe provides it without a GPU)",
            SDL_GetError());
        return fail(AppError::NoOpenGL);
    }
    // Vsync on: each swap waits for the display, frames never tear. Off: present at once.
    if (SDL_GL_SetSwapInterval(options.vsync ? 1 : 0) != 0) {
        PERISCOPE_LOG_WARN(MODULE, "cannot set vsync %s: %s", options.vsync ? "on" : "off",
                           SDL_GetError());
    }
    std::string why;
    auto renderer = create_renderer(options.renderer, &why);
    if (!renderer) {
        *detail = "renderer " + options.renderer + ": " + why;
        return fail(AppError::NoOpenGL);
    }
    app->m_renderer = std::move(renderer).value();
    PERISCOPE_LOG_INFO(MODULE, "renderer %s: %s; vsync %s", app->m_renderer->name(),
                       app->m_renderer->describe().c_str(), options.vsync ? "on" : "off");
    if (options.renderer != "null") {
        auto overlay = Overlay::create(app->m_window, &why);
        if (!overlay) {
            // The picture matters more than the overlay: run without it.
            PERISCOPE_LOG_WARN(MODULE, "no overlay: %s", why.c_str());
        } else {
            app->m_overlay = std::move(overlay).value();
            app->m_overlay->set_stats_visible(options.overlay);
            app->m_overlay_by_user = options.overlay;
        }
    }
    app->start_input();
    app->update_title(true);
    return app;
}

void App::start_input() {
    m_window_control = std::make_unique<SdlWindowControl>(m_window);
    InputSink* sink = &m_null_input;
    if (m_options.spice.kind != SpiceTarget::Kind::None) {
        SpiceOptions spice{m_options.spice, m_options.spice_password, m_options.spice_ca_file};
        std::string why;
        m_spice = SpiceInput::start(std::move(spice), &why);
        if (!m_spice) {
            PERISCOPE_LOG_ERROR(MODULE, "no input: %s", why.c_str());
        } else {
            sink = m_spice.get();
        }
    }
    m_input = std::make_unique<InputController>(*sink, *m_window_control, m_options.capture_on);
    m_input_status = sink->status();
    m_input_changes = m_input_status.changes;
    m_input->status_changed(m_input_status);
    if (!m_spice || (!m_options.clipboard_to_guest && !m_options.clipboard_to_host)) {
        return;
    }
    const char* driver = SDL_GetCurrentVideoDriver();
    if (driver == nullptr || std::string(driver) != "x11") {
        PERISCOPE_LOG_WARN(MODULE, "clipboard sharing needs X11 (SDL video driver is %s)",
                           driver != nullptr ? driver : "none");
        return;
    }
    std::string why;
    m_host_clipboard = make_x11_clipboard("", &why);
    if (!m_host_clipboard) {
        PERISCOPE_LOG_WARN(MODULE, "no clipboard sharing: %s", why.c_str());
        return;
    }
    m_bridge = std::make_unique<ClipboardBridge>(
        *m_host_clipboard, *m_spice,
        ClipboardBridgeOptions{m_options.clipboard_to_guest, m_options.clipboard_to_host});
    PERISCOPE_LOG_INFO(MODULE, "clipboard: %s%s%s", m_host_clipboard->describe().c_str(),
                       m_options.clipboard_to_guest ? ", host -> guest" : "",
                       m_options.clipboard_to_host ? ", guest -> host" : "");
}

// Status changes from the SPICE thread, and clipboard work from both sides.
void App::poll_input() {
    if (m_bridge) {
        m_bridge->pump();
    }
    if (!m_spice) {
        return;
    }
    if (m_spice->status_changes() == m_input_changes) {
        return;  // polled every loop iteration: no lock, no copy
    }
    InputStatus status = m_spice->status();
    m_input_changes = status.changes;
    m_input_status = status;
    m_input->status_changed(status);
    update_title(true);
    m_dirty = true;
}

// The agent could not post the guest's picture because the region is too small: say which size
// it needs (the agent logs the same inside the guest).
void App::check_region_size(protocol::Consumer& consumer) {
    const auto refused = consumer.refused_frame();
    std::string message;
    if (refused) {
        const uint64_t needed = protocol::required_region_size(refused->bytes, 2);
        const uint64_t mib = protocol::recommended_ivshmem_size(needed) >> 20;
        message = format_text(
            "the shared memory is too small for the guest's %ux%u %s: it needs %llu bytes; give "
            "the VM a %llu MiB ivshmem (QEMU memory-backend-file size=%lluM; libvirt <shmem> "
            "<size unit='M'>%llu</size>)",
            refused->width, refused->height, protocol::to_string(refused->format),
            static_cast<unsigned long long>(needed), static_cast<unsigned long long>(mib),
            static_cast<unsigned long long>(mib), static_cast<unsigned long long>(mib));
    }
    if (message == m_too_small) {
        return;
    }
    if (!message.empty()) {
        PERISCOPE_LOG_ERROR(MODULE, "%s", message.c_str());
    }
    m_too_small = message;
    if (m_overlay && !m_overlay_by_user) {
        m_overlay->set_stats_visible(!message.empty() || m_session.state() != ViewState::Connected);
    }
    update_title(true);
    m_dirty = true;
}

bool App::input_pending() const {
    return (m_bridge && m_bridge->pending()) ||
           (m_spice && m_spice->status_changes() != m_input_changes);
}

FrameMapping App::mouse_mapping() const {
    // Mouse events are in window coordinates: fit the frame to the window's size in those.
    int w = 0;
    int h = 0;
    SDL_GetWindowSize(m_window, &w, &h);
    FrameMapping m;
    m.frame_width = m_have_frame ? m_frame_width : 0;
    m.frame_height = m_have_frame ? m_frame_height : 0;
    m.viewport = fit_frame(m.frame_width, m.frame_height, static_cast<uint32_t>(std::max(w, 0)),
                           static_cast<uint32_t>(std::max(h, 0)), m_options.scale);
    return m;
}

std::string App::input_summary() const {
    if (!m_spice) {
        return "input off";
    }
    const InputStatus& s = m_input_status;
    switch (s.state) {
        case InputState::Connected:
            return format_text("input %s, mouse %s%s", m_input->captured() ? "captured" : "on",
                               s.mouse_mode == MouseMode::Client ? "absolute" : "relative",
                               s.agent ? ", agent" : "");
        case InputState::Unavailable:
            return "input unavailable: " + s.detail;
        default:
            return std::string("input ") + to_string(s.state);
    }
}

App::~App() {
    // The input threads first: their callbacks point into the bridge and the controller.
    m_host_clipboard.reset();
    m_spice.reset();
    m_bridge.reset();
    m_input.reset();
    m_overlay.reset();
    m_renderer.reset();
    if (m_context != nullptr) {
        SDL_GL_DeleteContext(m_context);
    }
    if (m_window != nullptr) {
        SDL_DestroyWindow(m_window);
    }
    SDL_Quit();
}

void App::act(Action action) {
    switch (action) {
        case Action::Quit:
            m_quit = true;
            break;
        case Action::ToggleFullscreen:
            m_fullscreen = !m_fullscreen;
            SDL_SetWindowFullscreen(m_window, m_fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
            break;
        case Action::ToggleBorderless:
            m_borderless = !m_borderless;
            SDL_SetWindowBordered(m_window, m_borderless ? SDL_FALSE : SDL_TRUE);
            break;
        case Action::ToggleOverlay:
            if (m_overlay) {
                m_overlay->set_stats_visible(!m_overlay->stats_visible());
                m_overlay_by_user = true;
            }
            break;
        case Action::ToggleHelp:
            if (m_overlay) {
                m_overlay->set_help_visible(!m_overlay->help_visible());
            }
            break;
        case Action::NextScaleMode:
            m_options.scale = next_scale_mode(m_options.scale);
            PERISCOPE_LOG_INFO(MODULE, "scaling: %s", to_string(m_options.scale));
            break;
        case Action::ToggleFilter:
            m_options.filter =
                m_options.filter == Filter::Linear ? Filter::Nearest : Filter::Linear;
            break;
        case Action::RequestFullFrame:
            if (auto* c = m_session.consumer(); c != nullptr) {
                (void)c->request_full_frame();
            }
            break;
        case Action::ToggleCapture:
            m_input->toggle_capture();
            update_title(true);
            break;
        case Action::SendEscapeKey:
            m_input->send_key(SDL_GetScancodeFromKey(m_keys.escape_key()));
            break;
    }
    m_dirty = true;
}

void App::handle_event(const SDL_Event& event) {
    if (m_overlay && m_overlay->handle_event(event)) {
        m_dirty = true;
        return;
    }
    bool consumed = false;
    std::optional<Action> action;
    switch (event.type) {
        case SDL_QUIT:
            m_quit = true;
            break;
        case SDL_WINDOWEVENT:
            if (event.window.event == SDL_WINDOWEVENT_FOCUS_LOST) {
                m_keys.reset();
                m_input->focus(false);
                update_title(true);
            } else if (event.window.event == SDL_WINDOWEVENT_FOCUS_GAINED) {
                m_input->focus(true);
                update_title(true);
            }
            m_dirty = true;  // resized, exposed, shown: draw again
            break;
        case SDL_KEYDOWN:
            action = m_keys.key_down(event.key.keysym.sym, event.key.repeat != 0, &consumed);
            if (!consumed) {
                m_input->key(event.key.keysym.scancode, true, event.key.repeat != 0);
            }
            break;
        case SDL_KEYUP:
            action = m_keys.key_up(event.key.keysym.sym, &consumed);
            if (!consumed) {
                m_input->key(event.key.keysym.scancode, false, false);
            }
            break;
        case SDL_MOUSEMOTION:
            m_input->mouse_motion(event.motion.x, event.motion.y, event.motion.xrel,
                                  event.motion.yrel, mouse_mapping());
            break;
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP: {
            const bool was_captured = m_input->captured();
            m_input->mouse_button(event.button.button, event.type == SDL_MOUSEBUTTONDOWN,
                                  event.button.x, event.button.y, mouse_mapping());
            if (was_captured != m_input->captured()) {
                update_title(true);
            }
            break;
        }
        case SDL_MOUSEWHEEL:
            m_input->wheel(
                event.wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -event.wheel.x : event.wheel.x,
                event.wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -event.wheel.y : event.wheel.y);
            break;
        default:
            break;
    }
    if (action) {
        act(*action);
    }
}

void App::take_frame(protocol::Consumer& consumer, uint64_t now_ns) {
    auto info = consumer.acquire();
    if (!info) {
        return;  // superseded or torn while copied: the consumer counted it, the next one comes
    }
    const uint64_t start = monotonic_ns();
    protocol::DamageList damage = info->damage;
    if (info->format != m_format || info->width != m_frame_width ||
        info->height != m_frame_height) {
        if (auto r = m_renderer->configure_frame(info->format, info->width, info->height); !r) {
            (void)consumer.release();
            m_stats.frame_discarded();
            return;  // the renderer logged why; the next frame tries again
        }
        PERISCOPE_LOG_INFO(MODULE, "guest resolution %ux%u %s", info->width, info->height,
                           protocol::to_string(info->format));
        m_format = info->format;
        m_frame_width = info->width;
        m_frame_height = info->height;
        m_have_frame = false;
        m_texture_complete = true;  // black, but nothing half-written
        if (m_options.fit_guest && !m_fullscreen) {
            SDL_SetWindowSize(m_window, static_cast<int>(info->width),
                              static_cast<int>(info->height));
        }
        update_title(true);
    }
    if (!m_have_frame || !m_texture_complete) {
        damage.set_full();  // the texture holds nothing the damage could be relative to
    }
    // Upload rows as the agent writes them (post before copy): the texture fills while the agent
    // is still copying the bottom of the frame.
    uint32_t rows_done = 0;
    bool complete = true;
    const uint64_t deadline = now_ns + ROWS_DEADLINE_NS;
    while (rows_done < info->height) {
        auto ready = consumer.wait_rows(rows_done + 1, deadline);
        if (!ready) {
            complete = false;
            break;
        }
        if (auto r =
                m_renderer->upload(consumer.frame_data(), info->stride, damage, rows_done, *ready);
            !r) {
            complete = false;
            break;
        }
        rows_done = *ready;
    }
    const bool accepted = consumer.release().has_value();
    if (!complete || !accepted) {
        // Part of the texture may hold pixels of a reused buffer: never show it; ask for a
        // complete picture.
        m_stats.frame_discarded();
        m_texture_complete = false;
        (void)consumer.request_full_frame();
        return;
    }
    m_stats.frame_received(consumer.session_id(), info->serial);
    m_have_frame = true;
    m_texture_complete = true;
    m_frame_pending = true;
    m_pending_timestamp_ns = info->timestamp_ns;
    m_pending_timing.acquire_age_ns =
        static_cast<int64_t>(start) - static_cast<int64_t>(info->timestamp_ns);
    m_pending_timing.upload_ns = monotonic_ns() - start;
    m_dirty = true;
}

void App::take_cursor(protocol::Consumer& consumer) {
    auto position = consumer.read_cursor();
    if (!position) {
        return;
    }
    if (position->shape_serial != 0 && position->shape_serial != m_cursor_serial) {
        auto shape = consumer.read_cursor_shape(*position);
        if (shape) {
            CursorImage image;
            image.width = shape->info.width;
            image.height = shape->info.height;
            image.hotspot_x = shape->info.hotspot_x;
            image.hotspot_y = shape->info.hotspot_y;
            image.format = shape->info.format;
            image.premultiplied = shape->info.premultiplied;
            image.pixels = shape->pixels.data();
            if (m_renderer->set_cursor(image)) {
                m_cursor_serial = position->shape_serial;
            }
        }
    }
    m_cursor_visible = position->visible && m_cursor_serial != 0;
    m_cursor_x = position->x;
    m_cursor_y = position->y;
    m_dirty = true;
}

void App::draw(uint32_t width, uint32_t height) {
    DrawParams params;
    params.window_width = width;
    params.window_height = height;
    params.viewport = fit_frame(m_frame_width, m_frame_height, width, height, m_options.scale);
    params.filter = m_options.filter;
    params.draw_frame = m_have_frame && m_texture_complete;
    params.cursor_visible = params.draw_frame && m_cursor_visible;
    params.cursor_x = m_cursor_x;
    params.cursor_y = m_cursor_y;
    m_renderer->draw(params);
    if (m_overlay && m_overlay->visible()) {
        OverlayModel model;
        model.state = m_session.message();
        model.state_is_problem = m_session.state() != ViewState::Connected;
        if (!m_too_small.empty()) {
            model.state = m_too_small;
            model.state_is_problem = true;
        } else if (!model.state_is_problem && m_frame_width != 0) {
            model.state = format_text("connected: %ux%u %s", m_frame_width, m_frame_height,
                                      protocol::to_string(m_format));
        }
        model.guest = guest_name(m_options) + " (" + m_options.shm + ")";
        model.renderer = m_renderer->describe();
        model.input = input_summary();
        model.presented_fps = m_stats.presented_fps();
        model.updates_per_second = m_stats.received_fps();
        model.frames_dropped = m_stats.dropped();
        model.frame_age_ms = m_stats.recent_age_ms();
        model.frame_age_label = "frame age, agent capture -> present (ms)";
        model.frame_age_p50_ms = m_stats.age_percentile_ms(50);
        model.frame_age_p99_ms = m_stats.age_percentile_ms(99);
        model.bindings = m_keys.help();
        m_overlay->draw(model, width, height);
    }
}

void App::write_screenshot() {
    int w = 0;
    int h = 0;
    SDL_GL_GetDrawableSize(m_window, &w, &h);
    std::vector<std::byte> pixels;
    if (w <= 0 || h <= 0 ||
        !m_renderer->read_pixels(static_cast<uint32_t>(w), static_cast<uint32_t>(h), &pixels)) {
        return;
    }
    if (auto r = write_png(m_options.screenshot, static_cast<uint32_t>(w), static_cast<uint32_t>(h),
                           pixels);
        !r) {
        return;  // write_png logged it
    }
    m_screenshot_stale = false;
}

void App::present(uint64_t now_ns) {
    // A discarded frame left the texture half-written: keep what is on screen until a complete
    // picture replaces it (the agent was asked for one).
    if (m_have_frame && !m_texture_complete) {
        return;
    }
    int w = 0;
    int h = 0;
    SDL_GL_GetDrawableSize(m_window, &w, &h);
    const uint64_t draw_start = monotonic_ns();
    draw(static_cast<uint32_t>(std::max(w, 0)), static_cast<uint32_t>(std::max(h, 0)));
    const uint64_t draw_end = monotonic_ns();
    m_screenshot_stale = true;
    if (!m_options.screenshot.empty() && now_ns - m_last_screenshot_ns >= SCREENSHOT_INTERVAL_NS) {
        write_screenshot();  // the back buffer, before the swap: exactly what is presented
        m_last_screenshot_ns = now_ns;
    }
    const uint64_t swap_start = monotonic_ns();
    SDL_GL_SwapWindow(m_window);
    m_dirty = false;
    m_last_present_ns = now_ns;
    if (m_frame_pending) {
        const uint64_t swapped = monotonic_ns();
        m_pending_timing.age_ns =
            static_cast<int64_t>(swapped) - static_cast<int64_t>(m_pending_timestamp_ns);
        m_pending_timing.draw_ns = draw_end - draw_start;
        m_pending_timing.swap_ns = swapped - swap_start;
        m_stats.frame_presented(m_pending_timing);
        m_frame_pending = false;
        ++m_frames_presented;
    }
}

void App::update_title(bool force) {
    const uint64_t now = monotonic_ns();
    if (!force && now - m_title_ns < 1000 * NS_PER_MS) {
        return;
    }
    m_title_ns = now;
    std::string state;
    if (!m_too_small.empty()) {
        state = "shared memory too small";  // the overlay says by how much
    } else if (m_session.state() == ViewState::Connected && m_frame_width != 0) {
        state =
            format_text("%ux%u, %.0f fps", m_frame_width, m_frame_height, m_stats.presented_fps());
    } else {
        state = to_string(m_session.state());
    }
    std::string input = input_summary();
    if (m_input_status.state == InputState::Unavailable) {
        input = "input unavailable";  // the reason is in the overlay and the log
    }
    if (m_input->captured()) {
        input += " (" + m_keys.escape_name() + " releases)";
    }
    const std::string title =
        "Periscope - " + guest_name(m_options) + " - " + state + " - " + input;
    if (title != m_title) {
        SDL_SetWindowTitle(m_window, title.c_str());
        m_title = title;
    }
}

void App::wait_for_work(uint64_t now_ns) {
    protocol::Consumer* consumer = m_session.consumer();
    if (consumer == nullptr || m_session.state() != ViewState::Connected) {
        SDL_WaitEventTimeout(nullptr, IDLE_WAIT_MS);
        return;
    }
    // Short sleeps rather than one long one: a frame, a cursor move or an event ends the wait
    // within WAIT_STEP_NS.
    const uint64_t until = now_ns + MAX_WAIT_NS;
    while (monotonic_ns() < until) {
        SDL_PumpEvents();
        if (consumer->has_new_frame() || consumer->cursor_changed() ||
            SDL_HasEvents(SDL_FIRSTEVENT, SDL_LASTEVENT) || input_pending()) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::nanoseconds(WAIT_STEP_NS));
    }
}

void App::refresh_screenshot() {
    // The same inputs as the last present, drawn again: the back buffer after a swap is
    // undefined.
    int w = 0;
    int h = 0;
    SDL_GL_GetDrawableSize(m_window, &w, &h);
    draw(static_cast<uint32_t>(std::max(w, 0)), static_cast<uint32_t>(std::max(h, 0)));
    write_screenshot();
    m_last_screenshot_ns = monotonic_ns();
}

void App::finish() {
    if (!m_options.screenshot.empty() && m_screenshot_stale) {
        refresh_screenshot();
    }
    if (!m_options.stats.empty()) {
        const std::string json = m_stats.to_json() + "\n";
        if (m_options.stats == "-") {
            std::fputs(json.c_str(), stdout);
            std::fflush(stdout);
        } else {
            std::ofstream out(m_options.stats);
            out << json;
            if (!out) {
                PERISCOPE_LOG_ERROR(MODULE, "cannot write statistics to %s",
                                    m_options.stats.c_str());
            }
        }
    }
    PERISCOPE_LOG_INFO(MODULE, "presented %llu frames, %llu dropped",
                       static_cast<unsigned long long>(m_stats.presented()),
                       static_cast<unsigned long long>(m_stats.dropped()));
}

int App::run() {
    m_start_ns = monotonic_ns();
    while (!m_quit) {
        SDL_Event event;
        while (SDL_PollEvent(&event) != 0) {
            handle_event(event);
        }
        poll_input();
        uint64_t now = monotonic_ns();
        if (m_session.poll(now)) {
            m_dirty = true;
            update_title(true);
            if (m_overlay && !m_overlay_by_user) {
                // Problems show themselves; the user's own choice wins once made.
                m_overlay->set_stats_visible(m_session.state() != ViewState::Connected);
            }
        }
        if (protocol::Consumer* consumer = m_session.consumer();
            consumer != nullptr && m_session.state() == ViewState::Connected) {
            if (consumer->session_id() != m_last_session) {
                m_last_session = consumer->session_id();
                m_stats.session_started();
                m_texture_complete = m_texture_complete || !m_have_frame;
            }
            if (consumer->has_new_frame()) {
                take_frame(*consumer, now);
            }
            if (consumer->cursor_changed()) {
                take_cursor(*consumer);
            }
            check_region_size(*consumer);
        }
        now = monotonic_ns();
        m_stats.tick(now);
        update_title(false);
        if (m_overlay && m_overlay->visible() && now - m_last_present_ns >= OVERLAY_REFRESH_NS) {
            m_dirty = true;  // the graph and rates move
        }
        if (m_dirty) {
            present(now);
        } else {
            wait_for_work(now);
        }
        if (!m_options.screenshot.empty() && m_screenshot_stale &&
            monotonic_ns() - m_last_screenshot_ns >= SCREENSHOT_INTERVAL_NS) {
            // A present came too soon after the previous screenshot: draw the same picture again
            // into the back buffer (not swapped) so the file catches up with the screen.
            refresh_screenshot();
        }
        if (m_options.exit_after != 0 && m_frames_presented >= m_options.exit_after) {
            m_quit = true;
        }
        if (m_options.exit_after_seconds > 0 &&
            static_cast<double>(monotonic_ns() - m_start_ns) / 1e9 >=
                m_options.exit_after_seconds) {
            m_quit = true;
        }
    }
    finish();
    return 0;
}

}  // namespace periscope::viewer
