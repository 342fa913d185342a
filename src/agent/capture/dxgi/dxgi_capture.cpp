// The DXGI Desktop Duplication back-end: see dxgi_capture.h.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// windows.h first: the DXGI and D3D headers use its types.
#include <d3d11.h>
#include <dxgi1_2.h>
#include <dxgi1_5.h>
#include <dxgi1_6.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "agent/capture/dxgi/dxgi_capture.h"
#include "agent/capture/dxgi/dxgi_damage.h"
#include "agent/capture/dxgi/dxgi_output.h"
#include "agent/capture/dxgi/dxgi_pointer.h"
#include "core/clock.h"
#include "core/format.h"
#include "core/log.h"

namespace periscope::agent {
namespace {

constexpr const char* MODULE = "dxgi";

// The layouts dxgi_damage.h and dxgi_pointer.h parse are the ones these headers declare.
static_assert(sizeof(RECT) == sizeof(dxgi::DxgiRect));
static_assert(sizeof(DXGI_OUTDUPL_MOVE_RECT) == sizeof(dxgi::DxgiMoveRect));
static_assert(offsetof(DXGI_OUTDUPL_MOVE_RECT, DestinationRect) ==
              offsetof(dxgi::DxgiMoveRect, destination));
static_assert(sizeof(DXGI_OUTDUPL_POINTER_SHAPE_INFO) == sizeof(dxgi::PointerShapeInfo));
static_assert(DXGI_OUTDUPL_POINTER_SHAPE_TYPE_MONOCHROME == dxgi::POINTER_SHAPE_MONOCHROME);
static_assert(DXGI_OUTDUPL_POINTER_SHAPE_TYPE_COLOR == dxgi::POINTER_SHAPE_COLOR);
static_assert(DXGI_OUTDUPL_POINTER_SHAPE_TYPE_MASKED_COLOR == dxgi::POINTER_SHAPE_MASKED_COLOR);
static_assert(DXGI_FORMAT_B8G8R8A8_UNORM == dxgi::DXGI_FORMAT_VALUE_B8G8R8A8_UNORM);
static_assert(DXGI_FORMAT_R10G10B10A2_UNORM == dxgi::DXGI_FORMAT_VALUE_R10G10B10A2_UNORM);
static_assert(DXGI_FORMAT_R16G16B16A16_FLOAT == dxgi::DXGI_FORMAT_VALUE_R16G16B16A16_FLOAT);

// An owning COM pointer: Release() on destruction and reassignment. (WRL's ComPtr would do; this
// keeps the back-end to the plain SDK headers.)
template <class T>
class Com {
  public:
    Com() = default;
    ~Com() { reset(); }
    Com(const Com& other) : m_ptr(other.m_ptr) {
        if (m_ptr != nullptr) {
            m_ptr->AddRef();
        }
    }
    Com& operator=(const Com& other) {
        Com copy(other);
        std::swap(m_ptr, copy.m_ptr);
        return *this;
    }
    Com(Com&& other) noexcept : m_ptr(std::exchange(other.m_ptr, nullptr)) {}
    Com& operator=(Com&& other) noexcept {
        if (this != &other) {
            reset();
            m_ptr = std::exchange(other.m_ptr, nullptr);
        }
        return *this;
    }
    void reset() {
        if (m_ptr != nullptr) {
            m_ptr->Release();
            m_ptr = nullptr;
        }
    }
    T* get() const { return m_ptr; }
    T* operator->() const { return m_ptr; }
    explicit operator bool() const { return m_ptr != nullptr; }
    // For the out-parameter of a creating call; releases what was held.
    T** put() {
        reset();
        return &m_ptr;
    }
    template <class U>
    HRESULT as(Com<U>* out) const {
        return m_ptr->QueryInterface(__uuidof(U), reinterpret_cast<void**>(out->put()));
    }

  private:
    T* m_ptr = nullptr;
};

std::string hex(HRESULT hr) {
    return format_text("0x%08lX", static_cast<unsigned long>(hr));
}

std::string utf8(const wchar_t* text) {
    const int bytes = WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
    if (bytes <= 1) {
        return {};
    }
    std::string out(static_cast<size_t>(bytes), '\0');
    WideCharToMultiByte(CP_UTF8, 0, text, -1, out.data(), bytes, nullptr, nullptr);
    out.resize(static_cast<size_t>(bytes) - 1);
    return out;
}

// What a failed DuplicateOutput means for the user (dxgi1_2.h documents these returns).
std::string duplicate_error_text(HRESULT hr) {
    const char* what = nullptr;
    switch (hr) {
        case E_ACCESSDENIED:
            what =
                "the current desktop is not accessible to this process (the secure desktop: UAC "
                "prompt, login or lock screen, is for LOCAL_SYSTEM only; install the agent as a "
                "service: periscope-agent service install)";
            break;
        case DXGI_ERROR_UNSUPPORTED:
            what =
                "Desktop Duplication does not support this display mode or driver (8-bit colour, "
                "no desktop composition, or a display driver without duplication)";
            break;
        case DXGI_ERROR_NOT_CURRENTLY_AVAILABLE:
            what = "too many applications are duplicating this output already (4 by default)";
            break;
        case DXGI_ERROR_SESSION_DISCONNECTED:
            what = "the session is disconnected (a remote desktop session that ended?)";
            break;
        case E_NOTIMPL:
            what = "Desktop Duplication is not implemented here (Windows 7, or Wine)";
            break;
        case E_INVALIDARG:
            what = "the output is already duplicated by this process, or the device does not fit";
            break;
        default:
            what = "DuplicateOutput failed";
            break;
    }
    return format_text("%s (HRESULT %s)", what, hex(hr).c_str());
}

// Errors after which the device itself is gone: everything is re-created from the adapters up.
bool device_lost(HRESULT hr) {
    return hr == DXGI_ERROR_DEVICE_REMOVED || hr == DXGI_ERROR_DEVICE_RESET ||
           hr == DXGI_ERROR_DRIVER_INTERNAL_ERROR;
}

// Duplication must be created from a thread attached to the desktop that receives input: after a
// switch to the secure desktop (UAC, Winlogon) the thread moves there, or DuplicateOutput fails
// with E_ACCESSDENIED even for LOCAL_SYSTEM. Best effort: a thread with windows cannot switch.
class InputDesktop {
  public:
    ~InputDesktop() {
        if (m_desktop != nullptr) {
            CloseDesktop(m_desktop);
        }
    }
    void attach() {
        HDESK desktop = OpenInputDesktop(0, FALSE, GENERIC_ALL);
        if (desktop == nullptr) {
            return;  // not allowed to open it (not SYSTEM): stay where we are
        }
        if (!SetThreadDesktop(desktop)) {
            CloseDesktop(desktop);
            return;
        }
        if (m_desktop != nullptr) {
            CloseDesktop(m_desktop);
        }
        m_desktop = desktop;
    }

  private:
    HDESK m_desktop = nullptr;
};

struct Geometry {
    uint32_t width = 0;
    uint32_t height = 0;
    DXGI_FORMAT dxgi_format = DXGI_FORMAT_UNKNOWN;
    protocol::Format format = protocol::Format::Invalid;
    friend bool operator==(const Geometry&, const Geometry&) = default;
};

class DxgiCapture final : public CaptureBackend {
  public:
    static Result<std::unique_ptr<DxgiCapture>, CaptureError> open(const CaptureOptions& options,
                                                                   std::string* detail);

    const char* name() const override { return "dxgi"; }
    std::string describe() const override;
    protocol::Format format() const override { return m_geometry.format; }
    uint32_t width() const override { return m_geometry.width; }
    uint32_t height() const override { return m_geometry.height; }

    Result<CaptureEvents, CaptureError> poll(uint64_t timeout_ns) override;
    Result<const CapturedFrame*, CaptureError> grab(bool full) override;
    Result<void, CaptureError> reconfigure() override;
    bool use_region(const SharedRegion& region, std::string* why) override;
    Result<DirectGrab, CaptureError> grab_into(bool full, FrameSink& sink) override;

    CursorPosition cursor_position() const override { return m_cursor; }
    const CursorShape* cursor_shape() const override { return m_have_shape ? &m_shape : nullptr; }
    void move_cursor(int32_t x, int32_t y) override;

  private:
    DxgiCapture() = default;
    // Adapters, outputs, the selection, the D3D11 device on the selected adapter.
    Result<void, CaptureError> open_device(std::string* detail);
    // DuplicateOutput(1) on the selected output; `geometry` receives what it produces. The HRESULT
    // of a failure goes to `failure`.
    Result<void, CaptureError> duplicate(Geometry* geometry, HRESULT* failure, std::string* detail);
    Result<void, CaptureError> create_staging(const Geometry& geometry, std::string* detail);
    // poll() without a duplication: tries to get one back.
    void recover(CaptureEvents* events);
    void lose_duplication(const char* why, HRESULT hr);
    // One acquired frame: changed areas to the staging texture, the pointer. False on failure.
    bool take_frame(const DXGI_OUTDUPL_FRAME_INFO& info, IDXGIResource* resource,
                    CaptureEvents* events);
    void take_pointer(const DXGI_OUTDUPL_FRAME_INFO& info, CaptureEvents* events);
    // Copies the rows of `rects` from the mapped staging texture to `dst` at `dst_stride`.
    // `sink` (may be null) hears of rows as they become final.
    Result<void, CaptureError> read_back(const protocol::DamageList& rects, std::byte* dst,
                                         uint32_t dst_stride, FrameSink* sink,
                                         uint64_t* bytes_read);

    std::string m_selector;
    dxgi::OutputInfo m_output_info;
    std::string m_selection_reason;
    Com<IDXGIAdapter1> m_adapter;
    Com<IDXGIOutput1> m_output;
    Com<ID3D11Device> m_device;
    Com<ID3D11DeviceContext> m_context;
    Com<IDXGIOutputDuplication> m_duplication;
    Com<ID3D11Texture2D> m_staging;
    bool m_duplicate1 = false;  // made by DuplicateOutput1 (HDR formats offered)
    bool m_rotated = false;
    InputDesktop m_input_desktop;

    Geometry m_geometry;          // what the staging texture, the frames and the consumer have
    Geometry m_pending_geometry;  // what the duplication produces now
    bool m_geometry_pending = false;
    bool m_refresh_all = true;  // the staging texture is stale: copy the whole next desktop image
    // The staging texture holds a whole desktop image (false from its creation to the first
    // frame copied into it: a grab before would show black).
    bool m_staging_valid = false;
    bool m_need_full = true;        // the next grab is full (after open, reconfigure, a failure)
    protocol::DamageList m_damage;  // areas of the staging texture not yet grabbed
    bool m_first_poll = true;
    bool m_device_lost = false;
    uint64_t m_next_recovery_ns = 0;

    std::vector<std::byte> m_metadata;
    std::vector<std::byte> m_shape_buffer;
    dxgi::PointerShapeInfo m_shape_info;
    CursorShape m_shape;
    bool m_have_shape = false;
    int32_t m_pointer_left = 0;  // DXGI's pointer position: the shape's top-left
    int32_t m_pointer_top = 0;
    CursorPosition m_cursor{0, 0, false};

    std::vector<std::byte> m_pixels;
    CapturedFrame m_frame;
    bool m_direct = false;

    RateLimitedLog m_error_log;
};

Result<std::unique_ptr<DxgiCapture>, CaptureError> DxgiCapture::open(const CaptureOptions& options,
                                                                     std::string* detail) {
    std::unique_ptr<DxgiCapture> capture(new DxgiCapture());
    capture->m_selector = options.display;
    if (auto r = capture->open_device(detail); !r) {
        return fail(r.error());
    }
    capture->m_input_desktop.attach();
    Geometry geometry;
    HRESULT failure = S_OK;
    if (auto r = capture->duplicate(&geometry, &failure, detail); !r) {
        return fail(CaptureError::Unavailable);
    }
    if (auto r = capture->create_staging(geometry, detail); !r) {
        return fail(CaptureError::Unavailable);
    }
    capture->m_geometry = geometry;
    PERISCOPE_LOG_INFO(MODULE, "output: %s", capture->m_selection_reason.c_str());
    return capture;
}

Result<void, CaptureError> DxgiCapture::open_device(std::string* detail) {
    Com<IDXGIFactory1> factory;
    HRESULT hr =
        CreateDXGIFactory1(__uuidof(IDXGIFactory1), reinterpret_cast<void**>(factory.put()));
    if (FAILED(hr)) {
        *detail = format_text("CreateDXGIFactory1 failed (HRESULT %s)", hex(hr).c_str());
        return fail(CaptureError::Unavailable);
    }
    std::vector<dxgi::OutputInfo> infos;
    std::vector<std::pair<Com<IDXGIAdapter1>, Com<IDXGIOutput>>> handles;
    for (UINT a = 0;; ++a) {
        Com<IDXGIAdapter1> adapter;
        if (factory->EnumAdapters1(a, adapter.put()) == DXGI_ERROR_NOT_FOUND) {
            break;
        }
        DXGI_ADAPTER_DESC1 adapter_desc{};
        if (FAILED(adapter->GetDesc1(&adapter_desc))) {
            continue;
        }
        for (UINT o = 0;; ++o) {
            Com<IDXGIOutput> output;
            if (adapter->EnumOutputs(o, output.put()) == DXGI_ERROR_NOT_FOUND) {
                break;
            }
            DXGI_OUTPUT_DESC desc{};
            if (FAILED(output->GetDesc(&desc))) {
                continue;
            }
            dxgi::OutputInfo info;
            info.adapter_index = a;
            info.output_index = o;
            info.adapter_description = utf8(adapter_desc.Description);
            info.vendor_id = adapter_desc.VendorId;
            info.device_id = adapter_desc.DeviceId;
            info.name = utf8(desc.DeviceName);
            info.attached = desc.AttachedToDesktop != FALSE;
            info.left = desc.DesktopCoordinates.left;
            info.top = desc.DesktopCoordinates.top;
            info.right = desc.DesktopCoordinates.right;
            info.bottom = desc.DesktopCoordinates.bottom;
            MONITORINFO monitor{};
            monitor.cbSize = sizeof monitor;
            info.primary = desc.Monitor != nullptr && GetMonitorInfoW(desc.Monitor, &monitor) &&
                           (monitor.dwFlags & MONITORINFOF_PRIMARY) != 0;
            infos.push_back(std::move(info));
            handles.emplace_back(adapter, output);
        }
    }
    std::string why;
    auto chosen = dxgi::select_output(infos, m_selector, &why);
    if (!chosen) {
        *detail = "no output to duplicate: " + why;
        return fail(CaptureError::Unavailable);
    }
    m_output_info = infos[*chosen];
    m_selection_reason = why;
    m_adapter = handles[*chosen].first;
    hr = handles[*chosen].second.as(&m_output);
    if (FAILED(hr)) {
        *detail = format_text("%s has no IDXGIOutput1 (DXGI 1.2, Windows 8) (HRESULT %s)",
                              m_output_info.name.c_str(), hex(hr).c_str());
        return fail(CaptureError::Unavailable);
    }
    // The device must live on the adapter the output is connected to (DuplicateOutput's rule).
    const D3D_FEATURE_LEVEL levels[] = {D3D_FEATURE_LEVEL_11_1, D3D_FEATURE_LEVEL_11_0,
                                        D3D_FEATURE_LEVEL_10_1, D3D_FEATURE_LEVEL_10_0};
    hr = D3D11CreateDevice(m_adapter.get(), D3D_DRIVER_TYPE_UNKNOWN, nullptr,
                           D3D11_CREATE_DEVICE_BGRA_SUPPORT, levels,
                           static_cast<UINT>(std::size(levels)), D3D11_SDK_VERSION, m_device.put(),
                           nullptr, m_context.put());
    if (hr == E_INVALIDARG) {
        // Runtimes without 11_1 refuse a list that names it.
        hr = D3D11CreateDevice(m_adapter.get(), D3D_DRIVER_TYPE_UNKNOWN, nullptr,
                               D3D11_CREATE_DEVICE_BGRA_SUPPORT, levels + 1,
                               static_cast<UINT>(std::size(levels) - 1), D3D11_SDK_VERSION,
                               m_device.put(), nullptr, m_context.put());
    }
    if (FAILED(hr)) {
        *detail = format_text("D3D11CreateDevice on '%s' failed (HRESULT %s)",
                              m_output_info.adapter_description.c_str(), hex(hr).c_str());
        return fail(CaptureError::Unavailable);
    }
    m_device_lost = false;
    return {};
}

Result<void, CaptureError> DxgiCapture::duplicate(Geometry* geometry, HRESULT* failure,
                                                  std::string* detail) {
    m_duplication.reset();
    HRESULT hr = E_NOINTERFACE;
    m_duplicate1 = false;
    Com<IDXGIOutput5> output5;
    if (SUCCEEDED(m_output.as(&output5))) {
        // HDR: the desktop is composed in FP16 scRGB; offering the deep formats first keeps it.
        bool hdr = false;
        Com<IDXGIOutput6> output6;
        DXGI_OUTPUT_DESC1 desc1{};
        if (SUCCEEDED(m_output.as(&output6)) && SUCCEEDED(output6->GetDesc1(&desc1))) {
            hdr = desc1.ColorSpace == DXGI_COLOR_SPACE_RGB_FULL_G2084_NONE_P2020;
        }
        const DXGI_FORMAT hdr_formats[] = {DXGI_FORMAT_R16G16B16A16_FLOAT,
                                           DXGI_FORMAT_R10G10B10A2_UNORM,
                                           DXGI_FORMAT_B8G8R8A8_UNORM};
        const DXGI_FORMAT sdr_formats[] = {DXGI_FORMAT_B8G8R8A8_UNORM};
        hr =
            hdr ? output5->DuplicateOutput1(m_device.get(), 0,
                                            static_cast<UINT>(std::size(hdr_formats)), hdr_formats,
                                            m_duplication.put())
                : output5->DuplicateOutput1(m_device.get(), 0, 1, sdr_formats, m_duplication.put());
        m_duplicate1 = SUCCEEDED(hr);
    }
    // Without DXGI 1.5, or when DuplicateOutput1 is refused for a reason other than access (it
    // wants a per-monitor DPI aware process on some versions): the original call.
    if (FAILED(hr) && hr != E_ACCESSDENIED) {
        hr = m_output->DuplicateOutput(m_device.get(), m_duplication.put());
    }
    if (FAILED(hr)) {
        *failure = hr;
        *detail = format_text("cannot duplicate %s: %s", m_output_info.name.c_str(),
                              duplicate_error_text(hr).c_str());
        return fail(CaptureError::Unavailable);
    }
    DXGI_OUTDUPL_DESC desc{};
    m_duplication->GetDesc(&desc);
    // The acquired image is never rotated (a portrait mode arrives as a landscape surface); the
    // mode describes the rotated desktop.
    m_rotated = desc.Rotation == DXGI_MODE_ROTATION_ROTATE90 ||
                desc.Rotation == DXGI_MODE_ROTATION_ROTATE270;
    geometry->width = m_rotated ? desc.ModeDesc.Height : desc.ModeDesc.Width;
    geometry->height = m_rotated ? desc.ModeDesc.Width : desc.ModeDesc.Height;
    geometry->dxgi_format = m_duplicate1 ? desc.ModeDesc.Format : DXGI_FORMAT_B8G8R8A8_UNORM;
    geometry->format = dxgi::format_from_dxgi(static_cast<uint32_t>(geometry->dxgi_format));
    if (geometry->format == protocol::Format::Invalid) {
        // The mode's format is not necessarily the surface's; the first frame's texture tells.
        geometry->dxgi_format = DXGI_FORMAT_B8G8R8A8_UNORM;
        geometry->format = protocol::Format::BGRA8;
    }
    if (geometry->width == 0 || geometry->height == 0 ||
        geometry->width > protocol::MAX_DIMENSION || geometry->height > protocol::MAX_DIMENSION) {
        *failure = E_UNEXPECTED;
        *detail = format_text("%s reports a %ux%u desktop", m_output_info.name.c_str(),
                              geometry->width, geometry->height);
        m_duplication.reset();
        return fail(CaptureError::Unavailable);
    }
    return {};
}

Result<void, CaptureError> DxgiCapture::create_staging(const Geometry& geometry,
                                                       std::string* detail) {
    D3D11_TEXTURE2D_DESC desc{};
    desc.Width = geometry.width;
    desc.Height = geometry.height;
    desc.MipLevels = 1;
    desc.ArraySize = 1;
    desc.Format = geometry.dxgi_format;
    desc.SampleDesc.Count = 1;
    desc.Usage = D3D11_USAGE_STAGING;
    desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ;
    const HRESULT hr = m_device->CreateTexture2D(&desc, nullptr, m_staging.put());
    if (FAILED(hr)) {
        *detail = format_text("creating a %ux%u staging texture failed (HRESULT %s)",
                              geometry.width, geometry.height, hex(hr).c_str());
        return fail(CaptureError::Failed);
    }
    m_refresh_all = true;
    m_staging_valid = false;
    m_need_full = true;
    return {};
}

std::string DxgiCapture::describe() const {
    return format_text("DXGI Desktop Duplication (%s) of %s, %ux%u %s%s",
                       m_duplicate1 ? "DuplicateOutput1" : "DuplicateOutput",
                       dxgi::describe_output(m_output_info).c_str(), m_geometry.width,
                       m_geometry.height, protocol::to_string(m_geometry.format),
                       m_rotated ? ", rotated output captured unrotated" : "");
}

void DxgiCapture::lose_duplication(const char* why, HRESULT hr) {
    PERISCOPE_LOG_INFO(MODULE, "duplication of %s lost (%s, HRESULT %s): re-creating it",
                       m_output_info.name.c_str(), why, hex(hr).c_str());
    m_duplication.reset();
    m_refresh_all = true;
    m_device_lost = m_device_lost || device_lost(hr);
    m_next_recovery_ns = 0;
}

void DxgiCapture::recover(CaptureEvents* events) {
    const uint64_t now = monotonic_ns();
    if (now < m_next_recovery_ns) {
        return;
    }
    // Retries are spaced: while the secure desktop is up without SYSTEM rights this fails
    // every time, and each attempt costs a few milliseconds.
    m_next_recovery_ns = now + 250'000'000;
    std::string detail;
    const bool new_device = m_device_lost;  // its staging texture went with the old device
    if (new_device) {
        if (auto r = open_device(&detail); !r) {
            if (m_error_log.allow()) {
                PERISCOPE_LOG_WARN(MODULE, "re-opening the device: %s", detail.c_str());
            }
            return;
        }
    }
    m_input_desktop.attach();
    Geometry geometry;
    HRESULT failure = S_OK;
    if (auto r = duplicate(&geometry, &failure, &detail); !r) {
        if (failure == E_INVALIDARG || device_lost(failure) || failure == DXGI_ERROR_NOT_FOUND) {
            m_device_lost = true;  // the output or the device went: start from the adapters
        }
        if (m_error_log.allow()) {
            PERISCOPE_LOG_WARN(MODULE, "%s", detail.c_str());
        }
        return;
    }
    PERISCOPE_LOG_INFO(MODULE, "duplicating %s again: %ux%u %s", m_output_info.name.c_str(),
                       geometry.width, geometry.height, protocol::to_string(geometry.format));
    m_refresh_all = true;
    m_need_full = true;
    if (!(geometry == m_geometry) || new_device) {
        m_pending_geometry = geometry;
        m_geometry_pending = true;
        events->geometry_changed = true;
    } else {
        events->frame_damaged = true;
    }
}

Result<CaptureEvents, CaptureError> DxgiCapture::poll(uint64_t timeout_ns) {
    CaptureEvents events;
    if (m_first_poll) {
        // Everything is new to the agent: a full frame (once there is one) and the cursor.
        m_first_poll = false;
        events.frame_damaged = m_staging_valid;
        events.cursor_moved = true;
    }
    if (m_geometry_pending) {
        events.geometry_changed = true;
        return events;
    }
    const auto timeout_ms = static_cast<UINT>(std::min<uint64_t>(timeout_ns / 1'000'000, 1000));
    if (!m_duplication) {
        recover(&events);
        if (!m_duplication) {
            Sleep(timeout_ms);  // the contract: wait up to the timeout, do not spin
            return events;
        }
        if (m_geometry_pending) {
            return events;
        }
    }
    DXGI_OUTDUPL_FRAME_INFO info{};
    Com<IDXGIResource> resource;
    const HRESULT hr = m_duplication->AcquireNextFrame(timeout_ms, &info, resource.put());
    if (hr == DXGI_ERROR_WAIT_TIMEOUT) {
        return events;
    }
    if (FAILED(hr)) {
        lose_duplication(hr == DXGI_ERROR_ACCESS_LOST
                             ? "mode change, desktop switch or full-screen application"
                             : "AcquireNextFrame failed",
                         hr);
        return events;
    }
    const bool ok = take_frame(info, resource.get(), &events);
    take_pointer(info, &events);
    const HRESULT released = m_duplication ? m_duplication->ReleaseFrame() : S_OK;
    if (FAILED(released) && m_duplication) {
        lose_duplication("ReleaseFrame failed", released);
    }
    if (!ok && m_error_log.allow()) {
        PERISCOPE_LOG_WARN(MODULE, "a frame's changes could not be taken: the next is full");
    }
    return events;
}

bool DxgiCapture::take_frame(const DXGI_OUTDUPL_FRAME_INFO& info, IDXGIResource* resource,
                             CaptureEvents* events) {
    // LastPresentTime 0: only the pointer changed, the desktop image is the previous one.
    if (info.LastPresentTime.QuadPart == 0 || resource == nullptr) {
        return true;
    }
    Com<ID3D11Texture2D> texture;
    HRESULT hr = resource->QueryInterface(__uuidof(ID3D11Texture2D),
                                          reinterpret_cast<void**>(texture.put()));
    if (FAILED(hr)) {
        m_refresh_all = true;
        return false;
    }
    D3D11_TEXTURE2D_DESC desc{};
    texture->GetDesc(&desc);
    Geometry now;
    now.width = desc.Width;
    now.height = desc.Height;
    now.dxgi_format = desc.Format;
    now.format = dxgi::format_from_dxgi(static_cast<uint32_t>(desc.Format));
    if (!(now == m_geometry)) {
        if (now.format == protocol::Format::Invalid) {
            if (m_error_log.allow()) {
                PERISCOPE_LOG_ERROR(MODULE, "the desktop image has DXGI format %u, not supported",
                                    static_cast<unsigned>(desc.Format));
            }
            return false;
        }
        m_pending_geometry = now;
        m_geometry_pending = true;
        events->geometry_changed = true;
        return true;
    }

    protocol::DamageList changed;
    if (m_refresh_all || info.TotalMetadataBufferSize == 0) {
        // After a re-creation the staging copy is stale everywhere; and a presented frame
        // without metadata gives no other clue.
        changed.set_full();
    } else {
        if (m_metadata.size() < info.TotalMetadataBufferSize) {
            m_metadata.resize(info.TotalMetadataBufferSize);
        }
        UINT move_bytes = 0;
        hr = m_duplication->GetFrameMoveRects(
            static_cast<UINT>(m_metadata.size()),
            reinterpret_cast<DXGI_OUTDUPL_MOVE_RECT*>(m_metadata.data()), &move_bytes);
        UINT dirty_bytes = 0;
        if (SUCCEEDED(hr)) {
            move_bytes = std::min<UINT>(move_bytes, static_cast<UINT>(m_metadata.size()));
            hr = m_duplication->GetFrameDirtyRects(
                static_cast<UINT>(m_metadata.size() - move_bytes),
                reinterpret_cast<RECT*>(m_metadata.data() + move_bytes), &dirty_bytes);
            dirty_bytes =
                std::min<UINT>(dirty_bytes, static_cast<UINT>(m_metadata.size() - move_bytes));
        }
        if (hr == DXGI_ERROR_ACCESS_LOST) {
            lose_duplication("desktop switch while reading the frame's rectangles", hr);
            return true;
        }
        if (FAILED(hr)) {
            changed.set_full();
        } else {
            const std::span<const std::byte> meta(m_metadata.data(), move_bytes + dirty_bytes);
            const auto moves = dxgi::parse_move_rects(meta.first(move_bytes));
            const auto dirty = dxgi::parse_dirty_rects(meta.subspan(move_bytes));
            changed =
                dxgi::plan_frame_update(moves, dirty, m_geometry.width, m_geometry.height).damage;
        }
    }

    if (changed.is_full()) {
        m_context->CopyResource(m_staging.get(), texture.get());
    } else {
        for (const protocol::Rect& r : changed.rects()) {
            D3D11_BOX box{r.x, r.y, 0, r.x + r.width, r.y + r.height, 1};
            m_context->CopySubresourceRegion(m_staging.get(), 0, r.x, r.y, 0, texture.get(), 0,
                                             &box);
        }
    }
    m_refresh_all = false;
    m_staging_valid = m_staging_valid || changed.is_full();
    if (!changed.empty()) {
        m_damage.add(changed);
        if (changed.is_full()) {
            m_damage.set_full();
        }
        events->frame_damaged = true;
    }
    return true;
}

void DxgiCapture::take_pointer(const DXGI_OUTDUPL_FRAME_INFO& info, CaptureEvents* events) {
    if (!m_duplication) {
        return;
    }
    if (info.PointerShapeBufferSize > 0) {
        if (m_shape_buffer.size() < info.PointerShapeBufferSize) {
            m_shape_buffer.resize(info.PointerShapeBufferSize);
        }
        UINT required = 0;
        DXGI_OUTDUPL_POINTER_SHAPE_INFO shape{};
        const HRESULT hr = m_duplication->GetFramePointerShape(
            static_cast<UINT>(m_shape_buffer.size()), m_shape_buffer.data(), &required, &shape);
        if (SUCCEEDED(hr)) {
            dxgi::PointerShapeInfo converted{shape.Type,  shape.Width,     shape.Height,
                                             shape.Pitch, shape.HotSpot.x, shape.HotSpot.y};
            const size_t filled = std::min<size_t>(required, m_shape_buffer.size());
            CursorShape next;
            auto r = dxgi::convert_pointer_shape(
                converted, std::span<const std::byte>(m_shape_buffer.data(), filled),
                protocol::DEFAULT_CURSOR_MAX_DIM, &next);
            if (r) {
                m_shape = std::move(next);
                m_shape_info = converted;
                m_have_shape = true;
                events->cursor_shape = true;
            } else if (m_error_log.allow()) {
                PERISCOPE_LOG_WARN(MODULE, "pointer shape type %u %ux%u pitch %u: %s", shape.Type,
                                   shape.Width, shape.Height, shape.Pitch,
                                   dxgi::to_string(r.error()));
            }
        } else if (hr == DXGI_ERROR_ACCESS_LOST) {
            lose_duplication("desktop switch while reading the pointer shape", hr);
            return;
        }
    }
    // LastMouseUpdateTime 0: neither position nor visibility changed.
    if (info.LastMouseUpdateTime.QuadPart != 0) {
        const bool visible = info.PointerPosition.Visible != FALSE;
        if (visible) {  // the position is valid only while the pointer is visible
            m_pointer_left = info.PointerPosition.Position.x;
            m_pointer_top = info.PointerPosition.Position.y;
        }
        const CursorPosition next =
            dxgi::hotspot_position(m_pointer_left, m_pointer_top, m_shape_info, visible);
        if (next.x != m_cursor.x || next.y != m_cursor.y || next.visible != m_cursor.visible) {
            m_cursor = next;
            events->cursor_moved = true;
        }
    } else if (events->cursor_shape) {
        // A new hotspot moves the hotspot position even if the pointer stayed.
        const CursorPosition next =
            dxgi::hotspot_position(m_pointer_left, m_pointer_top, m_shape_info, m_cursor.visible);
        if (next.x != m_cursor.x || next.y != m_cursor.y) {
            m_cursor = next;
            events->cursor_moved = true;
        }
    }
}

Result<void, CaptureError> DxgiCapture::reconfigure() {
    if (!m_geometry_pending) {
        return {};
    }
    std::string detail;
    if (m_device_lost || !m_device) {
        return fail(CaptureError::Failed);  // poll() keeps recovering first
    }
    if (auto r = create_staging(m_pending_geometry, &detail); !r) {
        PERISCOPE_LOG_ERROR(MODULE, "%s", detail.c_str());
        return fail(CaptureError::Failed);
    }
    m_geometry = m_pending_geometry;
    m_geometry_pending = false;
    m_damage.clear();
    m_damage.set_full();
    m_pixels.clear();
    m_first_poll = true;  // the next poll reports a damaged frame and the cursor
    return {};
}

Result<void, CaptureError> DxgiCapture::read_back(const protocol::DamageList& rects, std::byte* dst,
                                                  uint32_t dst_stride, FrameSink* sink,
                                                  uint64_t* bytes_read) {
    D3D11_MAPPED_SUBRESOURCE mapped{};
    // Waits for the GPU copies poll() queued into the staging texture.
    const HRESULT hr = m_context->Map(m_staging.get(), 0, D3D11_MAP_READ, 0, &mapped);
    if (FAILED(hr)) {
        if (m_error_log.allow()) {
            PERISCOPE_LOG_ERROR(MODULE, "mapping the staging texture failed (HRESULT %s)",
                                hex(hr).c_str());
        }
        if (device_lost(hr)) {
            lose_duplication("device lost while mapping", hr);
        }
        return fail(CaptureError::Failed);
    }
    const uint32_t bpp = protocol::bytes_per_pixel(m_geometry.format);
    const auto* src = static_cast<const std::byte*>(mapped.pData);
    const protocol::Rect whole{0, 0, m_geometry.width, m_geometry.height};
    const std::span<const protocol::Rect> list =
        rects.is_full() ? std::span<const protocol::Rect>(&whole, 1) : rects.rects();
    for (size_t i = 0; i < list.size(); ++i) {
        const protocol::Rect r = protocol::clip(list[i], m_geometry.width, m_geometry.height);
        const size_t row_bytes = size_t{r.width} * bpp;
        for (uint32_t y = r.y; y < r.y + r.height; ++y) {
            std::memcpy(dst + size_t{y} * dst_stride + size_t{r.x} * bpp,
                        src + size_t{y} * mapped.RowPitch + size_t{r.x} * bpp, row_bytes);
        }
        *bytes_read += row_bytes * r.height;
        if (sink != nullptr) {
            // Rects are sorted by top row: everything above the next one's top is final.
            sink->rows_done(i + 1 < list.size() ? list[i + 1].y : m_geometry.height);
        }
    }
    m_context->Unmap(m_staging.get(), 0);
    return {};
}

Result<const CapturedFrame*, CaptureError> DxgiCapture::grab(bool full) {
    // reconfigure() is due, or no desktop image has arrived since the staging texture was made.
    if (m_geometry_pending || !m_staging || !m_staging_valid) {
        return fail(CaptureError::Failed);
    }
    const uint32_t bpp = protocol::bytes_per_pixel(m_geometry.format);
    const uint32_t stride = m_geometry.width * bpp;
    const size_t bytes = size_t{stride} * m_geometry.height;
    if (m_pixels.size() != bytes) {
        m_pixels.assign(bytes, std::byte{0});
        m_need_full = true;
    }
    protocol::DamageList damage = m_damage;
    if (full || m_need_full) {
        damage.set_full();
    }
    m_frame.bytes_read = 0;
    if (auto r = read_back(damage, m_pixels.data(), stride, nullptr, &m_frame.bytes_read); !r) {
        m_need_full = true;
        return fail(r.error());
    }
    m_frame.format = m_geometry.format;
    m_frame.width = m_geometry.width;
    m_frame.height = m_geometry.height;
    m_frame.stride = stride;
    m_frame.pixels = m_pixels.data();
    m_frame.damage = damage;
    m_frame.timestamp_ns = monotonic_ns();
    m_damage.clear();
    m_need_full = false;
    return &m_frame;
}

bool DxgiCapture::use_region(const SharedRegion& region, std::string* why) {
    // The CPU copies out of the mapped staging texture anyway: it may as well copy into the
    // producer's buffer, which saves the second copy. Only the agent's mapping is needed.
    if (region.base == nullptr) {
        *why = "the region is not mapped in this process";
        return false;
    }
    m_direct = true;
    m_need_full = true;
    m_pixels = {};  // no private image any more: stale areas are read from the staging texture
    return true;
}

Result<DirectGrab, CaptureError> DxgiCapture::grab_into(bool full, FrameSink& sink) {
    if (m_geometry_pending || !m_staging || !m_staging_valid || !m_direct) {
        return fail(CaptureError::Failed);
    }
    protocol::DamageList damage = m_damage;
    if (full || m_need_full) {
        damage.set_full();
    }
    DirectGrab grab;
    grab.desc =
        protocol::FrameDesc{m_geometry.format, m_geometry.width, m_geometry.height, monotonic_ns()};
    auto target = sink.begin(grab.desc, damage);
    // From here the damage is the producer's: it keeps it when it refuses with NoBuffer.
    m_damage.clear();
    if (!target) {
        grab.error = target.error();
        if (target.error() != protocol::Error::NoBuffer) {
            m_need_full = true;  // a re-layout or a bug: start again from a full frame
        }
        return grab;
    }
    grab.posted = true;
    const uint32_t row_bytes = m_geometry.width * protocol::bytes_per_pixel(m_geometry.format);
    if (target->stride < row_bytes) {
        PERISCOPE_LOG_ERROR(MODULE, "the producer's stride %u is below a row of %u bytes",
                            target->stride, row_bytes);
        m_need_full = true;
        return fail(CaptureError::Failed);
    }
    if (auto r = read_back(target->to_copy, target->data, target->stride, &sink, &grab.bytes_read);
        !r) {
        m_need_full = true;  // the buffer holds a mix of old and new rows: repaint all next time
        return fail(r.error());
    }
    m_need_full = false;
    return grab;
}

void DxgiCapture::move_cursor(int32_t x, int32_t y) {
    // Frame pixels are output pixels; SetCursorPos takes virtual-desktop coordinates.
    SetCursorPos(m_output_info.left + x, m_output_info.top + y);
}

}  // namespace

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_dxgi_capture(
    const CaptureOptions& options, std::string* detail) {
    auto capture = DxgiCapture::open(options, detail);
    if (!capture) {
        return fail(capture.error());
    }
    return std::unique_ptr<CaptureBackend>(std::move(*capture));
}

}  // namespace periscope::agent
