// The GDI capture back-end (Windows): BitBlt of the primary screen into a 32-bit top-down DIB,
// damage by comparing with the previous picture, the cursor from GetCursorInfo/GetIconInfo. The
// fallback when DXGI Desktop Duplication is unavailable (no WDDM driver, a remote session, Wine).
#pragma once

#include <memory>
#include <string>

#include "agent/capture/capture_backend.h"
#include "agent/capture/capture_table.h"
#include "core/result.h"

namespace periscope::agent {

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_gdi_capture(
    const CaptureOptions& options, std::string* detail);

}  // namespace periscope::agent
