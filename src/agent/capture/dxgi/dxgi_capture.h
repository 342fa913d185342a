// The DXGI Desktop Duplication back-end (Windows 8 and later): D3D11 on the adapter that drives the
// chosen output, IDXGIOutputDuplication for the frames, dirty and move rectangles as damage, the
// pointer's shape and position, a staging texture the CPU copies from (into the shared region
// directly once the agent lends it). No Windows headers here: the class lives in the .cpp.
//
//  - Output: `CaptureOptions::display` selects it ("" = the passed-through GPU's output; an index,
//    "\\.\DISPLAY2", or part of an adapter's name: dxgi_output.h).
//  - Frames: poll() waits in AcquireNextFrame, copies the changed areas of the acquired desktop
//    image into the staging texture on the GPU (the image is always the whole desktop, so a move's
//    destination is copied like a dirty rectangle) and releases the frame at once; grab() maps the
//    staging texture and copies the accumulated damage rows to the CPU.
//  - Formats: BGRA8 from DuplicateOutput; on an HDR output (IDXGIOutput6 colour space ST.2084)
//    DuplicateOutput1 offers R16G16B16A16_FLOAT and R10G10B10A2_UNORM first: RGBA16F / RGB10A2.
//  - DXGI_ERROR_ACCESS_LOST (mode change, desktop switch to UAC or the lock screen, a full-screen
//    application): the duplication is re-created from the thread attached to the input desktop;
//    a new size or format is reported as geometry_changed.
//  - Open errors are CaptureError::Unavailable with the reason and the HRESULT in hex, so automatic
//    selection falls back to GDI and says why (Wine's DXGI has no Desktop Duplication).
#pragma once

#include <memory>
#include <string>

#include "agent/capture/capture_backend.h"
#include "agent/capture/capture_table.h"
#include "core/result.h"

namespace periscope::agent {

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_dxgi_capture(
    const CaptureOptions& options, std::string* detail);

}  // namespace periscope::agent
