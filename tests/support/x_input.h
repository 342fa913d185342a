// Drives an X server the way a user would, for tests: XTEST key and button presses and pointer
// motion (real device events, as from a keyboard), finding a window by its title, its position
// on the screen, and a second window to move the focus to. Header-only test support.
#pragma once

#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "support/xvfb.h"

namespace periscope::test {

class XInput {
  public:
    explicit XInput(const std::string& display) {
        m_connection = xcb_connect(display.c_str(), nullptr);
        if (xcb_connection_has_error(m_connection) == 0) {
            m_root = xcb_setup_roots_iterator(xcb_get_setup(m_connection)).data->root;
        }
    }
    ~XInput() {
        if (m_decoy != 0) {
            xcb_destroy_window(m_connection, m_decoy);
        }
        xcb_disconnect(m_connection);
    }
    XInput(const XInput&) = delete;
    XInput& operator=(const XInput&) = delete;
    bool ok() const { return m_root != 0; }

    void key(uint8_t keycode, bool down) {
        fake(down ? XCB_KEY_PRESS : XCB_KEY_RELEASE, keycode, 0, 0);
    }
    void tap(uint8_t keycode) {
        key(keycode, true);
        key(keycode, false);
    }
    // X button numbers: 1 left, 2 middle, 3 right, 4/5 wheel up/down, 6/7 wheel left/right,
    // 8/9 back/forward.
    void button(uint8_t number, bool down) {
        fake(down ? XCB_BUTTON_PRESS : XCB_BUTTON_RELEASE, number, 0, 0);
    }
    void click(uint8_t number) {
        button(number, true);
        button(number, false);
    }
    // Absolute, in root (screen) coordinates.
    void move_to(int16_t x, int16_t y) { fake(XCB_MOTION_NOTIFY, 0, x, y); }
    // Relative (XTEST's detail=1), as a mouse reports motion.
    void move_by(int16_t dx, int16_t dy) { fake(XCB_MOTION_NOTIFY, 1, dx, dy); }

    // The first top-level window (or a child of one) whose WM_NAME starts with `prefix`.
    std::optional<xcb_window_t> find_window(const std::string& prefix) {
        return search(m_root, prefix, 0);
    }
    std::optional<std::string> title(xcb_window_t window) {
        auto* reply =
            xcb_get_property_reply(m_connection,
                                   xcb_get_property(m_connection, 0, window, XCB_ATOM_WM_NAME,
                                                    XCB_GET_PROPERTY_TYPE_ANY, 0, 1024),
                                   nullptr);
        if (reply == nullptr) {
            return std::nullopt;
        }
        std::string text(static_cast<const char*>(xcb_get_property_value(reply)),
                         static_cast<size_t>(xcb_get_property_value_length(reply)));
        std::free(reply);
        return text;
    }
    // The window's top-left corner on the screen.
    std::optional<std::pair<int16_t, int16_t>> origin(xcb_window_t window) {
        auto* reply = xcb_translate_coordinates_reply(
            m_connection, xcb_translate_coordinates(m_connection, window, m_root, 0, 0), nullptr);
        if (reply == nullptr) {
            return std::nullopt;
        }
        const std::pair<int16_t, int16_t> at{reply->dst_x, reply->dst_y};
        std::free(reply);
        return at;
    }
    void focus(xcb_window_t window) {
        xcb_set_input_focus(m_connection, XCB_INPUT_FOCUS_POINTER_ROOT, window, XCB_CURRENT_TIME);
        sync();
    }
    // Maps a small window of our own and gives it the focus: the viewer loses it.
    void focus_elsewhere() {
        if (m_decoy == 0) {
            m_decoy = xcb_generate_id(m_connection);
            xcb_create_window(m_connection, XCB_COPY_FROM_PARENT, m_decoy, m_root, 0, 0, 50, 50, 0,
                              XCB_WINDOW_CLASS_INPUT_OUTPUT, XCB_COPY_FROM_PARENT, 0, nullptr);
            xcb_map_window(m_connection, m_decoy);
            sync();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        focus(m_decoy);
    }
    void sync() {
        std::free(
            xcb_get_input_focus_reply(m_connection, xcb_get_input_focus(m_connection), nullptr));
    }

  private:
    void fake(uint8_t type, uint8_t detail, int16_t x, int16_t y) {
        xcb_test_fake_input(m_connection, type, detail, XCB_CURRENT_TIME, m_root, x, y, 0);
        sync();
    }
    std::optional<xcb_window_t> search(xcb_window_t window, const std::string& prefix, int depth) {
        if (auto t = title(window); t && t->rfind(prefix, 0) == 0) {
            return window;
        }
        if (depth > 2) {
            return std::nullopt;
        }
        auto* tree =
            xcb_query_tree_reply(m_connection, xcb_query_tree(m_connection, window), nullptr);
        if (tree == nullptr) {
            return std::nullopt;
        }
        std::optional<xcb_window_t> found;
        const xcb_window_t* children = xcb_query_tree_children(tree);
        for (int i = 0; i < xcb_query_tree_children_length(tree) && !found; ++i) {
            found = search(children[i], prefix, depth + 1);
        }
        std::free(tree);
        return found;
    }

    xcb_connection_t* m_connection = nullptr;
    xcb_window_t m_root = 0;
    xcb_window_t m_decoy = 0;
};

// A top-level window found by the start of its title (the viewer's "Periscope - ..."), looked up
// when first needed.
class TitledWindow {
  public:
    TitledWindow(XInput& x, std::string prefix) : m_x(x), m_prefix(std::move(prefix)) {}
    std::optional<xcb_window_t> id() {
        if (!m_id) {
            m_id = m_x.find_window(m_prefix);
        }
        return m_id;
    }
    std::string title() {
        const auto window = id();
        return window ? m_x.title(*window).value_or("") : "";
    }
    // Polls the title until it contains `part`.
    bool wait_title(const std::string& part, uint64_t timeout_ms) {
        const uint64_t deadline = monotonic_ns() + timeout_ms * NS_PER_MS;
        while (monotonic_ns() < deadline) {
            if (title().find(part) != std::string::npos) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }
    // The pointer to (x, y) in the window's coordinates; false if the window is not there.
    bool move_to(int x, int y) {
        const auto window = id();
        const auto origin = window ? m_x.origin(*window) : std::nullopt;
        if (!origin) {
            return false;
        }
        m_x.move_to(static_cast<int16_t>(origin->first + x),
                    static_cast<int16_t>(origin->second + y));
        return true;
    }

  private:
    XInput& m_x;
    std::string m_prefix;
    std::optional<xcb_window_t> m_id;
};

// The desktop the viewer tests drive: a 1280x1024 Xvfb and an XTEST connection to it.
struct TestDesktop {
    std::unique_ptr<Xvfb> xvfb;
    std::unique_ptr<XInput> x;
    // Empty on success, else why not.
    std::string start() {
        std::string error;
        XvfbConfig config;
        config.width = 1280;
        config.height = 1024;
        xvfb = Xvfb::start(config, &error);
        if (!xvfb) {
            return error;
        }
        x = std::make_unique<XInput>(xvfb->display());
        return x->ok() ? "" : "no XTEST connection to " + xvfb->display();
    }
};

}  // namespace periscope::test
