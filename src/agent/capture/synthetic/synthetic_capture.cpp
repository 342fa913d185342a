#include "agent/capture/synthetic/synthetic_capture.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "core/clock.h"
#include "core/code_strip.h"
#include "core/format.h"

namespace periscope::agent {
namespace {

constexpr uint32_t BOX = 128;
constexpr uint32_t CURSOR_SIZE = 24;

// IEEE 754 half from a float in [0, 1] (all the synthetic picture needs).
uint16_t to_half(float value) {
    if (value <= 0.0f) {
        return 0;
    }
    if (value >= 1.0f) {
        return 0x3C00;
    }
    int exponent = 0;
    const float mantissa = std::frexp(value, &exponent);  // value = mantissa * 2^exponent
    const int e = exponent - 1 + 15;                      // mantissa in [0.5, 1)
    if (e <= 0) {
        return static_cast<uint16_t>(std::lround(value * 16777216.0f));  // subnormal: value/2^-24
    }
    const auto frac = static_cast<uint32_t>(std::lround((mantissa * 2.0f - 1.0f) * 1024.0f));
    if (frac == 1024) {
        return static_cast<uint16_t>((e + 1) << 10);
    }
    return static_cast<uint16_t>((e << 10) | frac);
}

uint32_t ten_bits(uint8_t v) {
    return (uint32_t{v} * 1023 + 127) / 255;
}

}  // namespace

std::array<std::byte, 8> encode_pixel(protocol::Format format, uint8_t r, uint8_t g, uint8_t b,
                                      uint8_t a) {
    std::array<std::byte, 8> out{};
    auto put32 = [&](uint32_t v) { std::memcpy(out.data(), &v, 4); };
    switch (format) {
        case protocol::Format::BGRA8:
            out[0] = std::byte{b};
            out[1] = std::byte{g};
            out[2] = std::byte{r};
            out[3] = std::byte{a};
            break;
        case protocol::Format::RGBA8:
            out[0] = std::byte{r};
            out[1] = std::byte{g};
            out[2] = std::byte{b};
            out[3] = std::byte{a};
            break;
        case protocol::Format::RGB10A2:
            put32(ten_bits(r) | ten_bits(g) << 10 | ten_bits(b) << 20 | (uint32_t{a} >> 6) << 30);
            break;
        case protocol::Format::BGR10A2:
            put32(ten_bits(b) | ten_bits(g) << 10 | ten_bits(r) << 20 | (uint32_t{a} >> 6) << 30);
            break;
        case protocol::Format::RGBA16F: {
            const uint16_t h[4] = {to_half(r / 255.0f), to_half(g / 255.0f), to_half(b / 255.0f),
                                   to_half(a / 255.0f)};
            std::memcpy(out.data(), h, 8);
            break;
        }
        case protocol::Format::Invalid:
            break;
    }
    return out;
}

SyntheticCapture::SyntheticCapture(const CaptureOptions& options)
    : m_format(options.format),
      m_width(options.width),
      m_height(options.height),
      m_bpp(protocol::bytes_per_pixel(options.format)),
      m_fps(options.fps),
      m_cursor_enabled(options.cursor) {
    build_background();
    // An arrow: opaque white with a black edge, premultiplied BGRA.
    m_shape.width = CURSOR_SIZE;
    m_shape.height = CURSOR_SIZE;
    m_shape.format = protocol::Format::BGRA8;
    m_shape.premultiplied = true;
    m_shape.pixels.assign(size_t{CURSOR_SIZE} * CURSOR_SIZE * 4, std::byte{0});
    for (uint32_t y = 0; y < CURSOR_SIZE; ++y) {
        for (uint32_t x = 0; x <= y * 2 / 3 && x < CURSOR_SIZE; ++x) {
            const bool edge = x == 0 || x == y * 2 / 3 || y == CURSOR_SIZE - 1;
            const std::byte v = edge ? std::byte{0} : std::byte{255};
            std::byte* p = m_shape.pixels.data() + (size_t{y} * CURSOR_SIZE + x) * 4;
            p[0] = v;
            p[1] = v;
            p[2] = v;
            p[3] = std::byte{255};
        }
    }
    m_cursor =
        CursorPosition{static_cast<int32_t>(m_width / 2), static_cast<int32_t>(m_height / 2), true};
}

std::string SyntheticCapture::describe() const {
    return format_text("synthetic %ux%u %s at %.0f fps, cursor %s", m_width, m_height,
                       protocol::to_string(m_format), m_fps, m_cursor_enabled ? "on" : "off");
}

void SyntheticCapture::build_background() {
    const uint64_t stride = uint64_t{m_width} * m_bpp;
    m_background.resize(stride * m_height);
    for (uint32_t y = 0; y < m_height; ++y) {
        for (uint32_t x = 0; x < m_width; ++x) {
            const auto px = encode_pixel(m_format, static_cast<uint8_t>(x * 255 / m_width),
                                         static_cast<uint8_t>(y * 255 / m_height), 96);
            std::memcpy(m_background.data() + y * stride + uint64_t{x} * m_bpp, px.data(), m_bpp);
        }
    }
    m_image = m_background;
    m_frame.format = m_format;
    m_frame.width = m_width;
    m_frame.height = m_height;
    m_frame.stride = static_cast<uint32_t>(stride);
    m_frame.pixels = m_image.data();
    m_first = true;
}

void SyntheticCapture::fill_rect(const protocol::Rect& r, const std::array<std::byte, 8>& pixel) {
    const uint64_t stride = m_frame.stride;
    for (uint32_t y = r.y; y < r.y + r.height; ++y) {
        std::byte* row = m_image.data() + y * stride + uint64_t{r.x} * m_bpp;
        for (uint32_t x = 0; x < r.width; ++x) {
            std::memcpy(row + uint64_t{x} * m_bpp, pixel.data(), m_bpp);
        }
    }
}

void SyntheticCapture::restore_background(const protocol::Rect& r) {
    const uint64_t stride = m_frame.stride;
    for (uint32_t y = r.y; y < r.y + r.height; ++y) {
        const uint64_t at = y * stride + uint64_t{r.x} * m_bpp;
        std::memcpy(m_image.data() + at, m_background.data() + at, uint64_t{r.width} * m_bpp);
    }
}

protocol::Rect SyntheticCapture::box_at(uint64_t serial) const {
    // Below the code strip, so the two damage rectangles never merge into one large one.
    const uint32_t top = std::min(code_strip_height(m_width), m_height - 1);
    const uint32_t box_w = std::min(BOX, m_width);
    const uint32_t box_h = std::min(BOX, m_height - top);
    const uint32_t span_x = m_width - box_w + 1;
    const uint32_t span_y = m_height - top - box_h + 1;
    return protocol::Rect{static_cast<uint32_t>(serial * 7 % span_x),
                          top + static_cast<uint32_t>(serial * 3 % span_y), box_w, box_h};
}

void SyntheticCapture::paint_code_strip(uint64_t serial, uint64_t timestamp_ns) {
    const auto bits = code_strip_bits(CodeStripValue{serial, timestamp_ns});
    const auto white = encode_pixel(m_format, 255, 255, 255);
    const auto black = encode_pixel(m_format, 0, 0, 0);
    for (uint32_t i = 0; i < CODE_BITS; ++i) {
        const BlockOrigin o = code_block_origin(i, m_width);
        fill_rect(protocol::Rect{o.x, o.y, CODE_BLOCK, CODE_BLOCK}, bits[i] ? white : black);
    }
}

Result<CaptureEvents, CaptureError> SyntheticCapture::poll(uint64_t timeout_ns) {
    CaptureEvents events;
    if (m_pending_size.load() != 0) {
        events.geometry_changed = true;
        return events;
    }
    uint64_t now = monotonic_ns();
    if (m_next_frame_ns == 0) {
        m_next_frame_ns = now;
    }
    if (now < m_next_frame_ns && !m_cursor_moved_by_consumer) {
        // Sleep until the next frame is due, or the timeout: between frames nothing happens.
        std::this_thread::sleep_for(
            std::chrono::nanoseconds(std::min(timeout_ns, m_next_frame_ns - now)));
        now = monotonic_ns();
    }
    if (m_cursor_moved_by_consumer) {
        m_cursor_moved_by_consumer = false;
        events.cursor_moved = true;
    }
    if (now >= m_next_frame_ns) {
        // The animation's clock runs here, whether or not anyone grabs: a new picture is due.
        const auto period = static_cast<uint64_t>(1e9 / m_fps);
        m_next_frame_ns = m_next_frame_ns + period <= now ? now + period : m_next_frame_ns + period;
        ++m_tick;
        events.frame_damaged = true;
        if (m_cursor_enabled && !m_cursor_override) {
            const double angle = static_cast<double>(m_tick) / 20.0;
            const double radius = std::min(m_width, m_height) / 4.0;
            m_cursor.x = static_cast<int32_t>(m_width / 2.0 + radius * std::cos(angle));
            m_cursor.y = static_cast<int32_t>(m_height / 2.0 + radius * std::sin(angle));
            events.cursor_moved = true;
        }
    }
    return events;
}

Result<const CapturedFrame*, CaptureError> SyntheticCapture::grab(bool full) {
    ++m_serial;
    m_frame.damage.clear();
    m_frame.bytes_read = 0;
    if (full || m_first) {
        m_image = m_background;
        m_frame.pixels = m_image.data();
        m_frame.damage.set_full();
        m_frame.bytes_read = m_image.size();
        m_first = false;
    } else {
        restore_background(m_last_box);
        m_frame.damage.add(m_last_box);
        m_frame.bytes_read += area(m_last_box) * m_bpp;
    }
    const protocol::Rect box = box_at(m_tick);
    fill_rect(box, encode_pixel(m_format, static_cast<uint8_t>(m_serial * 40), 200,
                                static_cast<uint8_t>(255 - m_serial * 40)));
    m_frame.damage.add(box);
    m_last_box = box;
    // The strip last, with the time the picture is complete: the timestamp a consumer decodes.
    m_frame.timestamp_ns = monotonic_ns();
    paint_code_strip(m_serial, m_frame.timestamp_ns);
    const uint32_t strip_h = std::min(code_strip_height(m_width), m_height);
    const protocol::Rect strip{0, 0, m_width / CODE_BLOCK * CODE_BLOCK, strip_h};
    m_frame.damage.add(strip);
    m_frame.bytes_read += area(box) * m_bpp + area(strip) * m_bpp;
    return &m_frame;
}

Result<void, CaptureError> SyntheticCapture::reconfigure() {
    if (const uint64_t size = m_pending_size.exchange(0); size != 0) {
        m_width = static_cast<uint32_t>(size >> 32);
        m_height = static_cast<uint32_t>(size);
        build_background();
    }
    return {};
}

void SyntheticCapture::move_cursor(int32_t x, int32_t y) {
    m_cursor.x = x;
    m_cursor.y = y;
    m_cursor_override = true;  // a consumer steers it now
    m_cursor_moved_by_consumer = true;
}

void SyntheticCapture::request_resize(uint32_t width, uint32_t height) {
    m_pending_size.store(uint64_t{width} << 32 | height);
}

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_synthetic_capture(
    const CaptureOptions& options, std::string* detail) {
    const uint32_t strip_width = CODE_BLOCK * 8;
    if (options.width < strip_width || options.height < code_strip_height(options.width) ||
        options.width > protocol::MAX_DIMENSION || options.height > protocol::MAX_DIMENSION ||
        protocol::bytes_per_pixel(options.format) == 0 ||
        !(options.fps > 0 && options.fps <= 1000)) {
        if (detail != nullptr) {
            *detail = format_text(
                "synthetic: %ux%u %s at %.1f fps is not possible (width %u..16384, height enough "
                "for the code strip, a known format, 0 < fps <= 1000)",
                options.width, options.height, protocol::to_string(options.format), options.fps,
                strip_width);
        }
        return fail(CaptureError::Unavailable);
    }
    return std::unique_ptr<CaptureBackend>(new SyntheticCapture(options));
}

}  // namespace periscope::agent
