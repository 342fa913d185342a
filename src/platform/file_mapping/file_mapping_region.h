// "file:PATH" (Windows): an existing file mapped with CreateFileMapping/MapViewOfFile, for tests
// and demos without the IVSHMEM driver. Under Wine, Z:\dev\shm\NAME is the Linux host's
// /dev/shm/NAME and the mapping shares its bytes live with Linux processes mapping that file.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "platform/region.h"

namespace periscope::platform {

class FileMappingRegion final : public Region {
  public:
    // Owns the three: the view is unmapped, then the mapping and the file handles closed.
    // (HANDLEs as void*: windows.h stays out of headers.)
    FileMappingRegion(void* file, void* mapping, void* view, size_t size, std::string description);
    ~FileMappingRegion() override;
    FileMappingRegion(const FileMappingRegion&) = delete;
    FileMappingRegion& operator=(const FileMappingRegion&) = delete;

    std::span<std::byte> bytes() override { return {static_cast<std::byte*>(m_view), m_size}; }
    const std::string& description() const override { return m_description; }
    // No descriptor another process could map: direct capture is an X11 (MIT-SHM) matter.
    int fd() const override { return -1; }

  private:
    void* m_file;
    void* m_mapping;
    void* m_view;
    size_t m_size;
    std::string m_description;
};

// options.create: create the file if missing; options.size: grow it to at least that (a mapping
// larger than its file extends the file).
Result<std::unique_ptr<FileMappingRegion>, RegionError> open_file_mapping_region(
    std::string_view argument, const RegionOptions& options, std::string* detail);

}  // namespace periscope::platform
