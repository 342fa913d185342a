// The synthetic capture back-end: an animated test picture at any size, rate and format, with the
// frame serial and capture timestamp in a code strip (core/code_strip.h), and an optional cursor
// moving on a circle. Every test, benchmark and demo can rely on it; it never needs a display.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "agent/capture/capture_backend.h"
#include "agent/capture/capture_table.h"

namespace periscope::agent {

class SyntheticCapture final : public CaptureBackend {
  public:
    explicit SyntheticCapture(const CaptureOptions& options);

    const char* name() const override { return "synthetic"; }
    std::string describe() const override;
    protocol::Format format() const override { return m_format; }
    uint32_t width() const override { return m_width; }
    uint32_t height() const override { return m_height; }

    Result<CaptureEvents, CaptureError> poll(uint64_t timeout_ns) override;
    Result<const CapturedFrame*, CaptureError> grab(bool full) override;
    Result<void, CaptureError> reconfigure() override;

    CursorPosition cursor_position() const override { return m_cursor; }
    const CursorShape* cursor_shape() const override {
        return m_cursor_enabled ? &m_shape : nullptr;
    }
    void move_cursor(int32_t x, int32_t y) override;

    // For tests: switch to a new size; poll() then reports geometry_changed. The one method that
    // may be called from another thread than the agent's.
    void request_resize(uint32_t width, uint32_t height);
    uint64_t frames_grabbed() const { return m_serial; }

  private:
    void build_background();
    void fill_rect(const protocol::Rect& r, const std::array<std::byte, 8>& pixel);
    void restore_background(const protocol::Rect& r);
    protocol::Rect box_at(uint64_t serial) const;
    void paint_code_strip(uint64_t serial, uint64_t timestamp_ns);

    protocol::Format m_format;
    uint32_t m_width;
    uint32_t m_height;
    uint32_t m_bpp;
    double m_fps;
    bool m_cursor_enabled;
    std::atomic<uint64_t> m_pending_size{0};  // width << 32 | height, 0 = none

    std::vector<std::byte> m_background;
    std::vector<std::byte> m_image;
    CapturedFrame m_frame;
    uint64_t m_serial = 0;  // pictures grabbed (the code strip's serial)
    uint64_t m_tick = 0;    // animation steps (frames due), grabbed or not
    uint64_t m_next_frame_ns = 0;
    bool m_first = true;
    protocol::Rect m_last_box{};

    CursorPosition m_cursor;
    CursorShape m_shape;
    bool m_cursor_override = false;
    bool m_cursor_moved_by_consumer = false;
};

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_synthetic_capture(
    const CaptureOptions& options, std::string* detail);

// The bytes of one pixel of colour (r, g, b, a), each 0..255, in `format` (bytes_per_pixel long).
std::array<std::byte, 8> encode_pixel(protocol::Format format, uint8_t r, uint8_t g, uint8_t b,
                                      uint8_t a = 255);

}  // namespace periscope::agent
