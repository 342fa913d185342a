#include "agent/capture/gdi/gdi_capture.h"

#include <windows.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "agent/capture/dxgi/dxgi_pointer.h"
#include "agent/capture/gdi/gdi_diff.h"
#include "core/clock.h"
#include "core/format.h"
#include "core/log.h"

namespace periscope::agent {
namespace {

constexpr const char* MODULE = "gdi";
constexpr uint32_t BPP = 4;
// GDI tells nothing about changes: the screen is sampled at most this often (a full BitBlt and
// compare each time) and the cursor, which is cheap to ask, more often.
constexpr uint64_t SCREEN_INTERVAL_NS = 16 * NS_PER_MS;
constexpr uint64_t CURSOR_INTERVAL_NS = 4 * NS_PER_MS;
// Cursor images larger than this are cropped around the hotspot (as the DXGI back-end does).
constexpr uint32_t MAX_CURSOR_DIM = 256;

class GdiCapture final : public CaptureBackend {
  public:
    ~GdiCapture() override { release(); }

    Result<void, CaptureError> open(std::string* detail) {
        m_screen_dc = GetDC(nullptr);
        if (m_screen_dc == nullptr) {
            *detail = "GetDC(NULL): " + windows_error_text(GetLastError()) +
                      " (no interactive desktop in this session?)";
            return fail(CaptureError::Unavailable);
        }
        m_memory_dc = CreateCompatibleDC(m_screen_dc);
        if (m_memory_dc == nullptr) {
            *detail = "CreateCompatibleDC: " + windows_error_text(GetLastError());
            return fail(CaptureError::Unavailable);
        }
        return allocate(detail);
    }

    const char* name() const override { return "gdi"; }
    std::string describe() const override {
        return format_text(
            "GDI: primary screen %ux%u, BGRA8; BitBlt every %llu ms, damage by row comparison; "
            "cursor from GetCursorInfo",
            m_width, m_height, static_cast<unsigned long long>(SCREEN_INTERVAL_NS / NS_PER_MS));
    }
    protocol::Format format() const override { return protocol::Format::BGRA8; }
    uint32_t width() const override { return m_width; }
    uint32_t height() const override { return m_height; }

    Result<CaptureEvents, CaptureError> poll(uint64_t timeout_ns) override {
        CaptureEvents events;
        const uint64_t deadline = monotonic_ns() + timeout_ns;
        for (;;) {
            const uint64_t now = monotonic_ns();
            sample_cursor(&events);
            if (now >= m_next_screen) {
                m_next_screen = now + SCREEN_INTERVAL_NS;
                uint32_t w = 0;
                uint32_t h = 0;
                screen_size(&w, &h);
                if (w != m_width || h != m_height) {
                    events.geometry_changed = true;
                } else if (auto sampled = sample_screen(); !sampled) {
                    return fail(sampled.error());
                } else if (gdi::pictures_differ(m_front.data(), m_bits, m_width, m_height,
                                                m_width * BPP)) {
                    events.frame_damaged = true;
                }
            }
            const bool any = events.frame_damaged || events.cursor_moved || events.cursor_shape ||
                             events.geometry_changed;
            if (any || now >= deadline) {
                return events;
            }
            const uint64_t next = std::min({deadline, m_next_screen, now + CURSOR_INTERVAL_NS});
            const uint64_t wait_ms = (next - now + NS_PER_MS - 1) / NS_PER_MS;
            Sleep(static_cast<DWORD>(wait_ms));
        }
    }

    Result<const CapturedFrame*, CaptureError> grab(bool full) override {
        // Reuse the sample poll() just took if it is still fresh; otherwise take one now.
        if (!m_fresh_sample || monotonic_ns() - m_sample_time > SCREEN_INTERVAL_NS) {
            if (auto sampled = sample_screen(); !sampled) {
                return fail(sampled.error());
            }
        }
        m_fresh_sample = false;
        m_frame.damage.clear();
        if (full || m_full_pending) {
            std::memcpy(m_front.data(), m_bits, m_front.size());
            m_frame.damage.set_full();
            m_full_pending = false;
        } else {
            gdi::diff_and_update(m_front.data(), m_bits, m_width, m_height, m_width * BPP,
                                 &m_frame.damage);
        }
        m_frame.timestamp_ns = m_sample_time;
        m_frame.bytes_read = m_front.size();  // BitBlt always fetches the whole screen
        return &m_frame;
    }

    Result<void, CaptureError> reconfigure() override {
        std::string detail;
        if (auto allocated = allocate(&detail); !allocated) {
            PERISCOPE_LOG_ERROR(MODULE, "%s", detail.c_str());
            return allocated;
        }
        return {};
    }

    CursorPosition cursor_position() const override { return m_cursor; }
    const CursorShape* cursor_shape() const override {
        return m_shape.pixels.empty() ? nullptr : &m_shape;
    }
    void move_cursor(int32_t x, int32_t y) override { SetCursorPos(x, y); }

  private:
    static void screen_size(uint32_t* width, uint32_t* height) {
        *width = static_cast<uint32_t>(GetSystemMetrics(SM_CXSCREEN));
        *height = static_cast<uint32_t>(GetSystemMetrics(SM_CYSCREEN));
    }

    void release_bitmap() {
        if (m_bitmap != nullptr) {
            SelectObject(m_memory_dc, m_previous_object);
            DeleteObject(m_bitmap);
            m_bitmap = nullptr;
            m_bits = nullptr;
        }
    }

    void release() {
        release_bitmap();
        if (m_memory_dc != nullptr) {
            DeleteDC(m_memory_dc);
        }
        if (m_screen_dc != nullptr) {
            ReleaseDC(nullptr, m_screen_dc);
        }
    }

    // (Re)creates the DIB and the front picture for the current screen size.
    Result<void, CaptureError> allocate(std::string* detail) {
        release_bitmap();
        screen_size(&m_width, &m_height);
        if (m_width == 0 || m_height == 0) {
            *detail = "the screen has no size (GetSystemMetrics)";
            return fail(CaptureError::Unavailable);
        }
        BITMAPINFO info{};
        info.bmiHeader.biSize = sizeof info.bmiHeader;
        info.bmiHeader.biWidth = static_cast<LONG>(m_width);
        info.bmiHeader.biHeight = -static_cast<LONG>(m_height);  // negative: top-down rows
        info.bmiHeader.biPlanes = 1;
        info.bmiHeader.biBitCount = 32;
        info.bmiHeader.biCompression = BI_RGB;
        void* bits = nullptr;
        m_bitmap = CreateDIBSection(m_screen_dc, &info, DIB_RGB_COLORS, &bits, nullptr, 0);
        if (m_bitmap == nullptr || bits == nullptr) {
            *detail = format_text("CreateDIBSection %ux%u: %s", m_width, m_height,
                                  windows_error_text(GetLastError()).c_str());
            m_bitmap = nullptr;
            return fail(CaptureError::Unavailable);
        }
        m_bits = static_cast<std::byte*>(bits);
        m_previous_object = SelectObject(m_memory_dc, m_bitmap);
        m_front.assign(size_t{m_width} * m_height * BPP, std::byte{0});
        m_frame = CapturedFrame{};
        m_frame.format = protocol::Format::BGRA8;
        m_frame.width = m_width;
        m_frame.height = m_height;
        m_frame.stride = m_width * BPP;
        m_frame.pixels = m_front.data();
        m_full_pending = true;
        m_fresh_sample = false;
        m_next_screen = 0;
        return {};
    }

    Result<void, CaptureError> sample_screen() {
        // CAPTUREBLT: include layered (translucent) windows, as the user sees them.
        if (!BitBlt(m_memory_dc, 0, 0, static_cast<int>(m_width), static_cast<int>(m_height),
                    m_screen_dc, 0, 0, SRCCOPY | CAPTUREBLT)) {
            // E.g. the secure desktop (UAC, lock screen) is up: this one fails, later ones may not.
            if (m_blit_errors.allow()) {
                PERISCOPE_LOG_WARN(MODULE, "BitBlt of the screen failed: %s",
                                   windows_error_text(GetLastError()).c_str());
            }
            return fail(CaptureError::Failed);
        }
        GdiFlush();  // the DIB's memory is only current once GDI has finished with it
        // GDI leaves the X byte of 32-bit pixels undefined (often 0): the protocol's BGRA8 has an
        // alpha, and a screen is opaque.
        auto* pixel = reinterpret_cast<uint8_t*>(m_bits);
        const size_t count = size_t{m_width} * m_height;
        for (size_t i = 0; i < count; ++i) {
            pixel[i * BPP + 3] = 0xFF;
        }
        m_sample_time = monotonic_ns();
        m_fresh_sample = true;
        return {};
    }

    void sample_cursor(CaptureEvents* events) {
        const uint64_t now = monotonic_ns();
        if (now < m_next_cursor) {
            return;
        }
        m_next_cursor = now + CURSOR_INTERVAL_NS;
        CURSORINFO info{};
        info.cbSize = sizeof info;
        if (!GetCursorInfo(&info)) {
            return;  // e.g. on the secure desktop: keep what we have
        }
        const CursorPosition position{info.ptScreenPos.x, info.ptScreenPos.y,
                                      (info.flags & CURSOR_SHOWING) != 0};
        if (position.x != m_cursor.x || position.y != m_cursor.y ||
            position.visible != m_cursor.visible) {
            m_cursor = position;
            events->cursor_moved = true;
        }
        if (info.hCursor != nullptr && info.hCursor != m_cursor_handle) {
            m_cursor_handle = info.hCursor;
            if (load_cursor_shape(info.hCursor)) {
                events->cursor_shape = true;
            }
        }
    }

    // The cursor's bitmaps in DXGI's pointer-shape layouts, converted by the DXGI back-end's
    // converter (one conversion for both back-ends): a cursor without a colour bitmap is
    // DXGI's MONOCHROME (AND mask over XOR mask, 1 bpp, twice as tall); a colour cursor with an
    // alpha channel is COLOR; one without is MASKED_COLOR with the AND mask as its mask byte.
    bool load_cursor_shape(HCURSOR cursor) {
        ICONINFO icon{};
        if (!GetIconInfo(cursor, &icon)) {
            return false;
        }
        dxgi::PointerShapeInfo shape;
        shape.hotspot_x = static_cast<int32_t>(icon.xHotspot);
        shape.hotspot_y = static_cast<int32_t>(icon.yHotspot);
        std::vector<std::byte> buffer;
        bool ok = false;
        BITMAP mask{};
        if (icon.hbmMask != nullptr && GetObject(icon.hbmMask, sizeof mask, &mask) != 0) {
            const auto width = static_cast<uint32_t>(mask.bmWidth);
            const auto mask_height = static_cast<uint32_t>(mask.bmHeight);
            std::vector<std::byte> mask_bits;
            const uint32_t mask_pitch = (width + 31) / 32 * 4;
            ok = read_bitmap(icon.hbmMask, width, mask_height, 1, mask_pitch, &mask_bits);
            if (ok && icon.hbmColor == nullptr) {
                shape.type = dxgi::POINTER_SHAPE_MONOCHROME;
                shape.width = width;
                shape.height = mask_height;  // AND and XOR halves
                shape.pitch = mask_pitch;
                buffer = std::move(mask_bits);
            } else if (ok) {
                std::vector<std::byte> color;
                const uint32_t height = mask_height;
                ok = read_bitmap(icon.hbmColor, width, height, 32, width * BPP, &color);
                bool has_alpha = false;
                for (size_t i = 3; ok && i < color.size(); i += BPP) {
                    has_alpha = has_alpha || color[i] != std::byte{0};
                }
                if (ok && !has_alpha) {
                    // Mask bit 1: XOR the colour with the screen (DXGI's mask byte 0xFF).
                    for (uint32_t y = 0; y < height; ++y) {
                        for (uint32_t x = 0; x < width; ++x) {
                            const auto bits =
                                static_cast<uint8_t>(mask_bits[y * mask_pitch + x / 8]);
                            const bool and_bit = (bits >> (7 - x % 8) & 1) != 0;
                            color[(size_t{y} * width + x) * BPP + 3] =
                                and_bit ? std::byte{0xFF} : std::byte{0};
                        }
                    }
                }
                shape.type =
                    has_alpha ? dxgi::POINTER_SHAPE_COLOR : dxgi::POINTER_SHAPE_MASKED_COLOR;
                shape.width = width;
                shape.height = height;
                shape.pitch = width * BPP;
                buffer = std::move(color);
            }
        }
        if (icon.hbmMask != nullptr) {
            DeleteObject(icon.hbmMask);
        }
        if (icon.hbmColor != nullptr) {
            DeleteObject(icon.hbmColor);
        }
        if (!ok) {
            return false;
        }
        CursorShape converted;
        auto result = dxgi::convert_pointer_shape(shape, buffer, MAX_CURSOR_DIM, &converted);
        if (!result) {
            if (m_cursor_errors.allow()) {
                PERISCOPE_LOG_WARN(MODULE, "cursor shape not converted: %s",
                                   dxgi::to_string(result.error()));
            }
            return false;
        }
        m_shape = std::move(converted);
        return true;
    }

    // The bitmap's rows, top row first, `pitch` bytes each, at `bits` per pixel.
    bool read_bitmap(HBITMAP bitmap, uint32_t width, uint32_t height, uint16_t bits, uint32_t pitch,
                     std::vector<std::byte>* out) {
        // Room for the two palette entries GetDIBits writes for a 1 bpp bitmap.
        struct {
            BITMAPINFOHEADER header;
            RGBQUAD colors[2];
        } info{};
        info.header.biSize = sizeof info.header;
        info.header.biWidth = static_cast<LONG>(width);
        info.header.biHeight = -static_cast<LONG>(height);
        info.header.biPlanes = 1;
        info.header.biBitCount = bits;
        info.header.biCompression = BI_RGB;
        out->assign(size_t{pitch} * height, std::byte{0});
        return GetDIBits(m_screen_dc, bitmap, 0, height, out->data(),
                         reinterpret_cast<BITMAPINFO*>(&info),
                         DIB_RGB_COLORS) == static_cast<int>(height);
    }

    HDC m_screen_dc = nullptr;
    HDC m_memory_dc = nullptr;
    HBITMAP m_bitmap = nullptr;
    HGDIOBJ m_previous_object = nullptr;
    std::byte* m_bits = nullptr;     // the DIB section: the latest sample
    std::vector<std::byte> m_front;  // the picture grab() returned last
    uint32_t m_width = 0;
    uint32_t m_height = 0;
    CapturedFrame m_frame;
    bool m_full_pending = true;
    bool m_fresh_sample = false;
    uint64_t m_sample_time = 0;
    uint64_t m_next_screen = 0;
    uint64_t m_next_cursor = 0;
    CursorPosition m_cursor;
    CursorShape m_shape;
    HCURSOR m_cursor_handle = nullptr;
    RateLimitedLog m_blit_errors;
    RateLimitedLog m_cursor_errors;
};

}  // namespace

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_gdi_capture(
    const CaptureOptions& options, std::string* detail) {
    (void)options;
    // Physical pixels, not the 96-dpi virtual ones a DPI-unaware process sees on a scaled screen.
    SetProcessDPIAware();
    auto backend = std::make_unique<GdiCapture>();
    if (auto opened = backend->open(detail); !opened) {
        return fail(opened.error());
    }
    return std::unique_ptr<CaptureBackend>(std::move(backend));
}

}  // namespace periscope::agent
