// Which display output the DXGI back-end duplicates, and the pixel formats it can hand over.
// Plain C++ (no Windows headers), unit-tested on Linux.
//
// The default is an output of the passed-through GPU: in a VM that GPU sits beside emulated
// display adapters, and duplicating one of those shows an idle desktop nobody looks at (or
// nothing, when Windows shows the real desktop on the GPU's monitor only). Adapters are told apart
// by PCI vendor id (DXGI_ADAPTER_DESC1.VendorId); these are never the passed-through GPU:
//   0x1414  Microsoft: Basic Render Driver (software, WARP) and Basic Display Adapter, Hyper-V
//           synthetic video
//   0x1b36  Red Hat: QEMU's QXL display device (1b36:0100)
//   0x1af4  Red Hat/Qumranet virtio: virtio-gpu / virtio-vga (1af4:1050)
//   0x1234  QEMU's standard VGA and bochs-display (1234:1111)
//   0x1013  Cirrus Logic: QEMU's cirrus-vga emulation (1013:00b8)
//   0x15ad  VMware: QEMU's vmware-svga emulation (15ad:0405) and VMware's own SVGA
// If no output of another adapter is attached to the desktop (a passed-through GPU needs a monitor
// or a dummy plug to have one), the default falls back to an emulated adapter's output and says so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "protocol/layout.h"

namespace periscope::agent::dxgi {

constexpr uint32_t VENDOR_MICROSOFT = 0x1414;
constexpr uint32_t VENDOR_REDHAT_QXL = 0x1b36;
constexpr uint32_t VENDOR_REDHAT_VIRTIO = 0x1af4;
constexpr uint32_t VENDOR_QEMU_VGA = 0x1234;
constexpr uint32_t VENDOR_CIRRUS = 0x1013;
constexpr uint32_t VENDOR_VMWARE = 0x15ad;

// True for the vendor ids above: an emulated or software display adapter.
bool is_virtual_display_vendor(uint32_t vendor_id);

// One output of one adapter, as IDXGIFactory1::EnumAdapters1 / IDXGIAdapter::EnumOutputs list
// them (the list is in enumeration order: adapter by adapter, outputs in order).
struct OutputInfo {
    uint32_t adapter_index = 0;
    uint32_t output_index = 0;
    std::string adapter_description;  // DXGI_ADAPTER_DESC1.Description, UTF-8
    uint32_t vendor_id = 0;
    uint32_t device_id = 0;
    std::string name;       // DXGI_OUTPUT_DESC.DeviceName, "\\.\DISPLAY1", UTF-8
    bool attached = false;  // DXGI_OUTPUT_DESC.AttachedToDesktop
    int32_t left = 0;       // DXGI_OUTPUT_DESC.DesktopCoordinates
    int32_t top = 0;
    int32_t right = 0;
    int32_t bottom = 0;
    bool primary = false;  // the monitor is the primary one (MONITORINFOF_PRIMARY)
};

enum class SelectError {
    NoOutputs,    // nothing is attached to the desktop
    NoMatch,      // the selector names nothing in the list
    NotAttached,  // the selected output is not part of the desktop: nothing to duplicate
};

// `selector`:
//   "" or "auto"        the default above: not an emulated adapter, then primary, then first;
//   a number N          the N-th output of the list (0-based, enumeration order);
//   an output name      "\\.\DISPLAY2" or "DISPLAY2", case-insensitive;
//   other text          the first attached output (primary first) of the first adapter whose
//                       description contains it, case-insensitive ("nvidia", "Radeon").
// Returns the index into `outputs`. `why` says why that one (logged), or why none.
Result<size_t, SelectError> select_output(std::span<const OutputInfo> outputs,
                                          std::string_view selector, std::string* why);

// One line for logs and errors: "\\.\DISPLAY1 2560x1440 at 0,0 (primary) on NVIDIA ... [10de]".
std::string describe_output(const OutputInfo& output);

// DXGI_FORMAT values (dxgiformat.h) of the desktop images duplication can return.
constexpr uint32_t DXGI_FORMAT_VALUE_R16G16B16A16_FLOAT = 10;
constexpr uint32_t DXGI_FORMAT_VALUE_R10G10B10A2_UNORM = 24;
constexpr uint32_t DXGI_FORMAT_VALUE_R8G8B8A8_UNORM = 28;
constexpr uint32_t DXGI_FORMAT_VALUE_R8G8B8A8_UNORM_SRGB = 29;
constexpr uint32_t DXGI_FORMAT_VALUE_B8G8R8A8_UNORM = 87;
constexpr uint32_t DXGI_FORMAT_VALUE_B8G8R8A8_UNORM_SRGB = 91;

// The protocol format with the same bytes per pixel and channel order; Invalid for anything else.
protocol::Format format_from_dxgi(uint32_t dxgi_format);

}  // namespace periscope::agent::dxgi
