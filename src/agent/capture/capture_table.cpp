#include "agent/capture/capture_table.h"

#include <array>

#include "agent/capture/synthetic/synthetic_capture.h"
#include "core/format.h"
#include "core/log.h"
#if PERISCOPE_HAVE_X11
#include "agent/capture/x11/x11_capture.h"
#endif
#if PERISCOPE_HAVE_DXGI
#include "agent/capture/dxgi/dxgi_capture.h"
#endif
#if defined(_WIN32)
#include "agent/capture/gdi/gdi_capture.h"
#endif

namespace periscope::agent {
namespace {

// In auto-selection order. The synthetic source is never chosen automatically: a test picture
// must not stand in for a real source that failed.
// On Windows DXGI Desktop Duplication comes first (the GPU hands over only what changed, without
// reading the whole screen back); GDI is the fallback where duplication is unavailable (no WDDM
// 1.2 driver, some remote sessions, Wine).
constexpr std::array BACKENDS {
#if PERISCOPE_HAVE_DXGI
    CaptureBackendEntry{"dxgi", "DXGI Desktop Duplication (D3D11): damage and cursor from the GPU",
                        true, &open_dxgi_capture},
#endif
#if defined(_WIN32)
        CaptureBackendEntry{"gdi", "GDI BitBlt of the primary screen, damage by comparison", true,
                            &open_gdi_capture},
#endif
#if PERISCOPE_HAVE_X11
        CaptureBackendEntry{"x11", "an X11 display (XCB: MIT-SHM, DAMAGE, XFIXES, RANDR)", true,
                            &open_x11_capture},
#endif
        CaptureBackendEntry{"synthetic", "an animated test picture with serial and timestamp",
                            false, &open_synthetic_capture},
};

}  // namespace

const char* to_string(CaptureError error) {
    switch (error) {
        case CaptureError::Unavailable:
            return "capture source unavailable";
        case CaptureError::ConnectionLost:
            return "capture source went away";
        case CaptureError::Failed:
            return "capture failed";
    }
    return "unknown capture error";
}

std::span<const CaptureBackendEntry> capture_backends() {
    return BACKENDS;
}

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_capture(std::string_view name,
                                                                   const CaptureOptions& options,
                                                                   std::string* detail) {
    std::string tried;
    for (const CaptureBackendEntry& entry : BACKENDS) {
        const bool chosen = name == entry.name || (name == "auto" && entry.auto_select);
        if (!chosen) {
            continue;
        }
        std::string why;
        auto backend = entry.open(options, &why);
        if (backend && !tried.empty()) {
            // Say which source stands in and why the better ones did not open (auto only).
            PERISCOPE_LOG_WARN("agent", "capture: falling back to %s (%s)", entry.name,
                               tried.c_str());
        }
        if (backend || name != "auto") {
            if (!backend && detail != nullptr) {
                *detail = why;
            }
            return backend;
        }
        tried += format_text("%s%s: %s", tried.empty() ? "" : "; ", entry.name, why.c_str());
    }
    if (detail != nullptr) {
        if (name == "auto") {
            *detail =
                tried.empty() ? "no capture back-end was built" : "no capture source: " + tried;
        } else {
            std::string known;
            for (const CaptureBackendEntry& entry : BACKENDS) {
                known += format_text("%s%s", known.empty() ? "" : ", ", entry.name);
            }
            *detail = format_text("unknown capture back-end '%.*s' (known: auto, %s)",
                                  static_cast<int>(name.size()), name.data(), known.c_str());
        }
    }
    return fail(CaptureError::Unavailable);
}

}  // namespace periscope::agent
