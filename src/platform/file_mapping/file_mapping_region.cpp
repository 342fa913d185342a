#include "platform/file_mapping/file_mapping_region.h"

#include <windows.h>

#include <string>
#include <utility>

#include "platform/error_detail.h"
#include "platform/windows_text.h"

namespace periscope::platform {

FileMappingRegion::FileMappingRegion(void* file, void* mapping, void* view, size_t size,
                                     std::string description)
    : m_file(file),
      m_mapping(mapping),
      m_view(view),
      m_size(size),
      m_description(std::move(description)) {}

FileMappingRegion::~FileMappingRegion() {
    UnmapViewOfFile(m_view);
    CloseHandle(m_mapping);
    CloseHandle(m_file);
}

Result<std::unique_ptr<FileMappingRegion>, RegionError> open_file_mapping_region(
    std::string_view argument, const RegionOptions& options, std::string* detail) {
    const std::string path(argument);
    if (path.empty()) {
        return report(RegionError::InvalidSpec, "file: needs a path (file:C:\\path\\to\\file)",
                      detail);
    }
    const std::wstring wide = to_wide(path);
    // Others may open it too (the viewer's side under Wine, a second inspector): share all.
    HANDLE file =
        CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE,
                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                    options.create ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE) {
        const DWORD error = GetLastError();
        const std::string text =
            format_text("cannot open %s: %s", path.c_str(), windows_error_text(error).c_str());
        switch (error) {
            case ERROR_FILE_NOT_FOUND:
            case ERROR_PATH_NOT_FOUND:
                return report(
                    RegionError::NotFound,
                    text + " (under Wine, Z:\\dev\\shm\\NAME is the host's /dev/shm/NAME)", detail);
            case ERROR_ACCESS_DENIED:
            case ERROR_SHARING_VIOLATION:
                return report(RegionError::PermissionDenied, text, detail);
            default:
                return report(RegionError::IoError, text, detail);
        }
    }
    LARGE_INTEGER file_size{};
    if (!GetFileSizeEx(file, &file_size)) {
        const DWORD error = GetLastError();
        CloseHandle(file);
        return report(RegionError::IoError,
                      format_text("cannot read the size of %s: %s", path.c_str(),
                                  windows_error_text(error).c_str()),
                      detail);
    }
    uint64_t size = static_cast<uint64_t>(file_size.QuadPart);
    if (options.create && options.size > size) {
        size = options.size;
    }
    if (size == 0 || size < options.min_size) {
        CloseHandle(file);
        return report(RegionError::TooSmall,
                      too_small_text(path, size, options.min_size, /*qemu_hint=*/false), detail);
    }
    HANDLE mapping =
        CreateFileMappingW(file, nullptr, PAGE_READWRITE, static_cast<DWORD>(size >> 32),
                           static_cast<DWORD>(size & 0xFFFFFFFFu), nullptr);
    if (mapping == nullptr) {
        const DWORD error = GetLastError();
        CloseHandle(file);
        return report(RegionError::MapFailed,
                      format_text("CreateFileMapping of %s (%s): %s", path.c_str(),
                                  format_size(size).c_str(), windows_error_text(error).c_str()),
                      detail);
    }
    void* view = MapViewOfFile(mapping, FILE_MAP_ALL_ACCESS, 0, 0, static_cast<SIZE_T>(size));
    if (view == nullptr) {
        const DWORD error = GetLastError();
        CloseHandle(mapping);
        CloseHandle(file);
        return report(RegionError::MapFailed,
                      format_text("MapViewOfFile of %s (%s): %s", path.c_str(),
                                  format_size(size).c_str(), windows_error_text(error).c_str()),
                      detail);
    }
    return std::make_unique<FileMappingRegion>(
        file, mapping, view, static_cast<size_t>(size),
        format_text("%s (%s)", path.c_str(), format_size(size).c_str()));
}

}  // namespace periscope::platform
