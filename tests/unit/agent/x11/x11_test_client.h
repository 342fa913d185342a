// Our own X client for the capture tests: draws known content on the root window and reads the
// server's own picture of it (core GetImage, no MIT-SHM) to compare captures against.
#pragma once

#include <xcb/xcb.h>
#include <xcb/xtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace periscope::test {

class X11TestClient {
  public:
    explicit X11TestClient(const std::string& display) {
        m_connection = xcb_connect(display.c_str(), nullptr);
        if (xcb_connection_has_error(m_connection) != 0) {
            return;
        }
        m_screen = xcb_setup_roots_iterator(xcb_get_setup(m_connection)).data;
        m_root = m_screen->root;
        m_gc = xcb_generate_id(m_connection);
        // IncludeInferiors: drawing on the root paints over any child windows too.
        const uint32_t values[] = {0, XCB_SUBWINDOW_MODE_INCLUDE_INFERIORS};
        xcb_create_gc(m_connection, m_gc, m_root, XCB_GC_FOREGROUND | XCB_GC_SUBWINDOW_MODE,
                      values);
    }
    ~X11TestClient() { xcb_disconnect(m_connection); }
    X11TestClient(const X11TestClient&) = delete;
    X11TestClient& operator=(const X11TestClient&) = delete;

    bool ok() const { return xcb_connection_has_error(m_connection) == 0; }
    xcb_connection_t* connection() const { return m_connection; }
    uint8_t depth() const { return m_screen->root_depth; }

    // The pixel value of colour (r, g, b) in 0..255 at the root depth (24 or 30).
    uint32_t pixel(uint32_t r, uint32_t g, uint32_t b) const {
        if (depth() == 30) {
            auto ten = [](uint32_t v) { return (v * 1023 + 127) / 255; };
            return ten(r) << 20 | ten(g) << 10 | ten(b);
        }
        return r << 16 | g << 8 | b;
    }

    void fill(int16_t x, int16_t y, uint16_t width, uint16_t height, uint32_t pixel_value) {
        xcb_change_gc(m_connection, m_gc, XCB_GC_FOREGROUND, &pixel_value);
        const xcb_rectangle_t rect{x, y, width, height};
        xcb_poly_fill_rectangle(m_connection, m_root, m_gc, 1, &rect);
    }

    // An override-redirect window (no window manager involved) painted with its background.
    xcb_window_t create_window(int16_t x, int16_t y, uint16_t width, uint16_t height,
                               uint32_t background) {
        const xcb_window_t window = xcb_generate_id(m_connection);
        const uint32_t values[] = {background, 1};
        xcb_create_window(m_connection, XCB_COPY_FROM_PARENT, window, m_root, x, y, width, height,
                          0, XCB_WINDOW_CLASS_INPUT_OUTPUT, XCB_COPY_FROM_PARENT,
                          XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT, values);
        xcb_map_window(m_connection, window);
        return window;
    }

    void destroy_window(xcb_window_t window) { xcb_destroy_window(m_connection, window); }

    // Random pixels over the whole root, sent in strips that fit any request size limit.
    void fill_noise(uint32_t seed) {
        const auto [width, height] = root_size();
        std::mt19937 rng(seed);
        const uint32_t rows_per_strip = std::max<uint32_t>(1, 60000 / width);
        std::vector<uint32_t> strip(size_t{width} * rows_per_strip);
        for (uint32_t y = 0; y < height; y += rows_per_strip) {
            const uint32_t rows = std::min(rows_per_strip, height - y);
            for (size_t i = 0; i < size_t{width} * rows; ++i) {
                strip[i] = static_cast<uint32_t>(rng()) & (depth() == 30 ? 0x3fffffffu : 0xffffffu);
            }
            xcb_put_image(m_connection, XCB_IMAGE_FORMAT_Z_PIXMAP, m_root, m_gc,
                          static_cast<uint16_t>(width), static_cast<uint16_t>(rows), 0,
                          static_cast<int16_t>(y), 0, depth(),
                          static_cast<uint32_t>(size_t{width} * rows * 4),
                          reinterpret_cast<const uint8_t*>(strip.data()));
        }
    }

    // Waits until the server has processed everything we sent.
    void sync() {
        std::free(
            xcb_get_input_focus_reply(m_connection, xcb_get_input_focus(m_connection), nullptr));
    }

    std::pair<uint32_t, uint32_t> root_size() {
        auto* g =
            xcb_get_geometry_reply(m_connection, xcb_get_geometry(m_connection, m_root), nullptr);
        std::pair<uint32_t, uint32_t> size{0, 0};
        if (g != nullptr) {
            size = {g->width, g->height};
            std::free(g);
        }
        return size;
    }

    // The server's picture of the root, rows of width * 4 bytes (empty on failure).
    std::vector<std::byte> root_image(uint32_t* width, uint32_t* height) {
        std::tie(*width, *height) = root_size();
        std::vector<std::byte> out;
        // Row bands keep each reply well below any size limit.
        for (uint32_t y = 0; y < *height; y += 64) {
            const uint32_t rows = std::min<uint32_t>(64, *height - y);
            auto* image = xcb_get_image_reply(
                m_connection,
                xcb_get_image(m_connection, XCB_IMAGE_FORMAT_Z_PIXMAP, m_root, 0,
                              static_cast<int16_t>(y), static_cast<uint16_t>(*width),
                              static_cast<uint16_t>(rows), ~0u),
                nullptr);
            if (image == nullptr) {
                return {};
            }
            const auto* data = reinterpret_cast<const std::byte*>(xcb_get_image_data(image));
            out.insert(out.end(), data, data + xcb_get_image_data_length(image));
            std::free(image);
        }
        return out;
    }

    // Shows glyph `shape` of the core cursor font (X11/cursorfont.h: 150 watch, 34 crosshair) on
    // the root. This client keeps owning the cursor, so any client may read its image.
    void set_root_cursor(uint16_t shape) {
        if (m_cursor_font == 0) {
            m_cursor_font = xcb_generate_id(m_connection);
            xcb_open_font(m_connection, m_cursor_font, 6, "cursor");
        }
        const xcb_cursor_t cursor = xcb_generate_id(m_connection);
        xcb_create_glyph_cursor(m_connection, cursor, m_cursor_font, m_cursor_font, shape,
                                static_cast<uint16_t>(shape + 1), 0, 0, 0, 0xffff, 0xffff, 0xffff);
        xcb_change_window_attributes(m_connection, m_root, XCB_CW_CURSOR, &cursor);
        sync();
    }

    void fake_motion(int16_t x, int16_t y) {
        xcb_test_fake_input(m_connection, XCB_MOTION_NOTIFY, 0, XCB_CURRENT_TIME, m_root, x, y, 0);
        sync();
    }

    std::pair<int32_t, int32_t> pointer() {
        auto* p =
            xcb_query_pointer_reply(m_connection, xcb_query_pointer(m_connection, m_root), nullptr);
        std::pair<int32_t, int32_t> at{-1, -1};
        if (p != nullptr) {
            at = {p->root_x, p->root_y};
            std::free(p);
        }
        return at;
    }

  private:
    xcb_connection_t* m_connection = nullptr;
    xcb_screen_t* m_screen = nullptr;
    xcb_window_t m_root = 0;
    xcb_gcontext_t m_gc = 0;
    xcb_font_t m_cursor_font = 0;
};

}  // namespace periscope::test
