// PNG files for screenshots (the viewer's --screenshot) and for tests reading them back. libpng's
// simplified API underneath. Any thread; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace periscope::viewer {

enum class PngError {
    InvalidArgument,  // a size of 0 or above 16384, or a buffer that is not width * height * 4
    IoError,          // the file could not be created, written, renamed or opened (errno text)
    BadFile,          // not a PNG, or one libpng could not decode
};
const char* to_string(PngError error);

// Writes `rgba` (RGBA8, top row first, width * 4 bytes a row) as a PNG at `path`, through
// `path.tmp-<pid>` and rename(), so a reader sees the old file or the new one, never half of one.
// What went wrong (with the path and errno text) goes to *detail if given, else to the log, at
// most 20 times a thread: a screenshot rewritten every 100 ms can fail as often.
Result<void, PngError> write_png(const std::string& path, uint32_t width, uint32_t height,
                                 std::span<const std::byte> rgba, std::string* detail = nullptr);

// Reads any PNG as RGBA8, top row first (tests). Failures as for write_png.
Result<void, PngError> read_png(const std::string& path, uint32_t* width, uint32_t* height,
                                std::vector<std::byte>* rgba, std::string* detail = nullptr);

}  // namespace periscope::viewer
