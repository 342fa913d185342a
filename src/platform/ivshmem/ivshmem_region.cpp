#include "platform/ivshmem/ivshmem_region.h"

#include <windows.h>
// After windows.h, whose types they use:
#include <setupapi.h>
#include <winioctl.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "platform/error_detail.h"
#include "platform/ivshmem/ivshmem_spec.h"
#include "platform/windows_text.h"

namespace periscope::platform {
namespace {

// The driver's interface, from virtio-win's ivshmem/Public.h (kvm-guest-drivers-windows): the
// device interface GUID {df576976-569d-4672-95a0-f57e4ea0b210} and the IOCTLs, all
// CTL_CODE(FILE_DEVICE_UNKNOWN, function, METHOD_BUFFERED, FILE_ANY_ACCESS).
constexpr GUID IVSHMEM_INTERFACE = {
    0xdf576976, 0x569d, 0x4672, {0x95, 0xa0, 0xf5, 0x7e, 0x4e, 0xa0, 0xb2, 0x10}};
constexpr DWORD IOCTL_REQUEST_SIZE =
    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
constexpr DWORD IOCTL_REQUEST_MMAP =
    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS);
constexpr DWORD IOCTL_RELEASE_MMAP =
    CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS);
static_assert(IOCTL_REQUEST_SIZE == 0x222004 && IOCTL_REQUEST_MMAP == 0x222008 &&
              IOCTL_RELEASE_MMAP == 0x22200C);

// REQUEST_MMAP's input (IVSHMEM_MMAP_CONFIG) and output (IVSHMEM_MMAP, 64-bit layout). The driver
// insists on these exact sizes.
struct MmapConfig {
    uint8_t cache_mode;
};
struct MmapReply {
    uint16_t peer_id;
    uint64_t size;
    void* ptr;
    uint16_t vectors;
};
static_assert(sizeof(MmapConfig) == 1);
static_assert(offsetof(MmapReply, size) == 8 && offsetof(MmapReply, ptr) == 16 &&
              offsetof(MmapReply, vectors) == 24 && sizeof(MmapReply) == 32);

constexpr const char* DRIVER_HINT =
    "install the virtio-win IVSHMEM driver: docs/windows-guest.md (without it the device shows "
    "in Device Manager as \"PCI standard RAM Controller\")";

struct Device {
    std::string path;
    HANDLE handle = INVALID_HANDLE_VALUE;
    uint64_t size = 0;
};

class DeviceList {
  public:
    ~DeviceList() {
        for (Device& device : m_devices) {
            if (device.handle != INVALID_HANDLE_VALUE) {
                CloseHandle(device.handle);
            }
        }
    }
    std::vector<Device>& devices() { return m_devices; }

  private:
    std::vector<Device> m_devices;
};

// Every present device with the interface, opened, with its size. `failures` collects devices
// that are present but could not be opened or asked (they are left out).
Result<void, RegionError> enumerate(DeviceList* list, std::string* failures, std::string* detail) {
    HDEVINFO info = SetupDiGetClassDevsW(&IVSHMEM_INTERFACE, nullptr, nullptr,
                                         DIGCF_PRESENT | DIGCF_DEVICEINTERFACE);
    if (info == INVALID_HANDLE_VALUE) {
        return report(RegionError::IoError,
                      "SetupDiGetClassDevs: " + windows_error_text(GetLastError()), detail);
    }
    for (DWORD index = 0;; ++index) {
        SP_DEVICE_INTERFACE_DATA data{};
        data.cbSize = sizeof data;
        if (!SetupDiEnumDeviceInterfaces(info, nullptr, &IVSHMEM_INTERFACE, index, &data)) {
            break;  // ERROR_NO_MORE_ITEMS, or nothing more we could read
        }
        DWORD needed = 0;
        SetupDiGetDeviceInterfaceDetailW(info, &data, nullptr, 0, &needed, nullptr);
        if (needed < sizeof(SP_DEVICE_INTERFACE_DETAIL_DATA_W)) {
            continue;
        }
        // The detail struct is variable-length: allocate it aligned, as the struct it starts with.
        std::vector<uint64_t> storage((needed + sizeof(uint64_t) - 1) / sizeof(uint64_t));
        auto* detail_data = reinterpret_cast<SP_DEVICE_INTERFACE_DETAIL_DATA_W*>(storage.data());
        detail_data->cbSize = sizeof(SP_DEVICE_INTERFACE_DETAIL_DATA_W);
        if (!SetupDiGetDeviceInterfaceDetailW(info, &data, detail_data, needed, nullptr, nullptr)) {
            continue;
        }
        Device device;
        device.path = to_utf8(detail_data->DevicePath);
        // No access rights needed: the driver serves IOCTLs declared FILE_ANY_ACCESS.
        device.handle =
            CreateFileW(detail_data->DevicePath, 0, 0, nullptr, OPEN_EXISTING, 0, nullptr);
        if (device.handle == INVALID_HANDLE_VALUE) {
            *failures += format_text("; %s: %s", device.path.c_str(),
                                     windows_error_text(GetLastError()).c_str());
            continue;
        }
        uint64_t size = 0;
        DWORD returned = 0;
        if (!DeviceIoControl(device.handle, IOCTL_REQUEST_SIZE, nullptr, 0, &size, sizeof size,
                             &returned, nullptr) ||
            returned != sizeof size) {
            *failures += format_text("; %s: IOCTL_IVSHMEM_REQUEST_SIZE: %s", device.path.c_str(),
                                     windows_error_text(GetLastError()).c_str());
            CloseHandle(device.handle);
            continue;
        }
        device.size = size;
        list->devices().push_back(std::move(device));
    }
    SetupDiDestroyDeviceInfoList(info);
    return {};
}

}  // namespace

IvshmemRegion::IvshmemRegion(void* device, void* base, size_t size, std::string description)
    : m_device(device), m_base(base), m_size(size), m_description(std::move(description)) {}

IvshmemRegion::~IvshmemRegion() {
    DWORD returned = 0;
    DeviceIoControl(m_device, IOCTL_RELEASE_MMAP, nullptr, 0, nullptr, 0, &returned, nullptr);
    CloseHandle(m_device);
}

Result<std::unique_ptr<IvshmemRegion>, RegionError> open_ivshmem_region(
    std::string_view argument, const RegionOptions& options, std::string* detail) {
    std::string message;
    auto spec = parse_ivshmem_spec(argument, &message);
    if (!spec) {
        return report(spec.error(), "ivshmem:" + std::string(argument) + ": " + message, detail);
    }
    DeviceList list;
    std::string failures;
    if (auto listed = enumerate(&list, &failures, detail); !listed) {
        return fail(listed.error());
    }
    std::vector<uint64_t> sizes;
    for (const Device& device : list.devices()) {
        sizes.push_back(device.size);
    }
    if (sizes.empty()) {
        if (!failures.empty()) {
            return report(RegionError::PermissionDenied,
                          "IVSHMEM devices are present but none could be used" + failures +
                              " (is another agent running? the driver maps a device for one "
                              "program at a time)",
                          detail);
        }
        return report(RegionError::NotFound,
                      format_text("no IVSHMEM device found; %s; the VM needs an ivshmem-plain "
                                  "device (docs/setup.md)",
                                  DRIVER_HINT),
                      detail);
    }
    auto chosen = choose_ivshmem_device(*spec, sizes, &message);
    if (!chosen) {
        return report(chosen.error(), message + failures, detail);
    }
    Device& device = list.devices()[*chosen];
    if (device.size < options.min_size) {
        return report(RegionError::TooSmall,
                      too_small_text(format_text("IVSHMEM device #%zu", *chosen), device.size,
                                     options.min_size, /*qemu_hint=*/true),
                      detail);
    }
    const IvshmemCache cache = spec->cache.value_or(
        options.write_combining ? IvshmemCache::WriteCombined : IvshmemCache::Cached);
    MmapConfig config{static_cast<uint8_t>(cache)};
    MmapReply reply{};
    DWORD returned = 0;
    if (!DeviceIoControl(device.handle, IOCTL_REQUEST_MMAP, &config, sizeof config, &reply,
                         sizeof reply, &returned, nullptr) ||
        returned != sizeof reply || reply.ptr == nullptr) {
        const DWORD error = GetLastError();
        std::string why = windows_error_text(error);
        if (error == ERROR_NOT_READY) {  // the driver's STATUS_DEVICE_NOT_READY
            why +=
                " (the device has no shared memory yet: with ivshmem-doorbell, is the "
                "ivshmem server running on the host?)";
        } else {
            // Its STATUS_DEVICE_ALREADY_ATTACHED has no Win32 code of its own to test for.
            why +=
                " (the driver maps a device for one program at a time: is another agent, or "
                "Looking Glass, running?)";
        }
        return report(RegionError::MapFailed,
                      format_text("IOCTL_IVSHMEM_REQUEST_MMAP (%s) on IVSHMEM device #%zu: %s",
                                  to_string(cache), *chosen, why.c_str()),
                      detail);
    }
    const uint64_t size = reply.size < device.size ? reply.size : device.size;
    auto region = std::make_unique<IvshmemRegion>(
        device.handle, reply.ptr, static_cast<size_t>(size),
        format_text("ivshmem #%zu (%s, %s)", *chosen, format_size(size).c_str(), to_string(cache)));
    device.handle = INVALID_HANDLE_VALUE;  // the region owns it now
    return region;
}

}  // namespace periscope::platform
