#include "viewer/render/png.h"

#include <png.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/format.h"
#include "core/log.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "png";
constexpr uint32_t MAX_SIDE = 16384;

// Per thread, so that the functions share no state between threads.
thread_local RateLimitedLog g_log;

Unexpected<PngError> report(PngError error, const std::string& text, std::string* detail) {
    if (detail != nullptr) {
        *detail = text;
    } else if (g_log.allow()) {
        PERISCOPE_LOG_ERROR(MODULE, "%s", text.c_str());
    }
    return fail(error);
}

}  // namespace

const char* to_string(PngError error) {
    switch (error) {
        case PngError::InvalidArgument:
            return "invalid image";
        case PngError::IoError:
            return "file error";
        case PngError::BadFile:
            return "not a readable PNG file";
    }
    return "unknown PNG error";
}

Result<void, PngError> write_png(const std::string& path, uint32_t width, uint32_t height,
                                 std::span<const std::byte> rgba, std::string* detail) {
    if (width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE ||
        rgba.size() != size_t{width} * height * 4) {
        return report(PngError::InvalidArgument,
                      format_text("%s: cannot write a %ux%u image from %zu bytes", path.c_str(),
                                  width, height, rgba.size()),
                      detail);
    }
    const std::string temporary =
        format_text("%s.tmp-%d", path.c_str(), static_cast<int>(getpid()));
    FILE* file = std::fopen(temporary.c_str(), "wb");
    if (file == nullptr) {
        const int error = errno;
        return report(PngError::IoError,
                      format_text("cannot write PNG %s: creating %s: %s", path.c_str(),
                                  temporary.c_str(), errno_text(error).c_str()),
                      detail);
    }
    png_image image;
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_RGBA;
    // Screenshots are rewritten often: favour speed over size.
    image.flags = PNG_IMAGE_FLAG_FAST;
    errno = 0;
    const bool encoded = png_image_write_to_stdio(&image, file, 0, rgba.data(),
                                                  static_cast<png_int_32>(width * 4), nullptr) != 0;
    int error = errno;
    std::string what;
    if (!encoded) {
        what = format_text("libpng: %s", image.message);
    }
    png_image_free(&image);
    // fclose flushes: a full disk may only show here.
    if (std::fclose(file) != 0 && what.empty()) {
        error = errno;
        what = "closing " + temporary;
    }
    if (what.empty() && std::rename(temporary.c_str(), path.c_str()) != 0) {
        error = errno;
        what = "renaming " + temporary;
    }
    if (!what.empty()) {
        ::unlink(temporary.c_str());
        return report(PngError::IoError,
                      format_text("cannot write PNG %s: %s: %s", path.c_str(), what.c_str(),
                                  error != 0 ? errno_text(error).c_str() : "no system error"),
                      detail);
    }
    return {};
}

Result<void, PngError> read_png(const std::string& path, uint32_t* width, uint32_t* height,
                                std::vector<std::byte>* rgba, std::string* detail) {
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
        const int error = errno;
        return report(
            PngError::IoError,
            format_text("cannot read PNG %s: %s", path.c_str(), errno_text(error).c_str()), detail);
    }
    png_image image;
    std::memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    std::string problem;
    if (png_image_begin_read_from_stdio(&image, file) == 0) {
        problem = image.message;
    } else if (image.width == 0 || image.height == 0 || image.width > MAX_SIDE ||
               image.height > MAX_SIDE) {
        problem =
            format_text("%ux%u is larger than this reader accepts", image.width, image.height);
        png_image_free(&image);
    } else {
        image.format = PNG_FORMAT_RGBA;
        rgba->resize(PNG_IMAGE_SIZE(image));
        if (png_image_finish_read(&image, nullptr, rgba->data(), 0, nullptr) == 0) {
            problem = image.message;
        }
    }
    std::fclose(file);
    if (!problem.empty()) {
        rgba->clear();
        return report(PngError::BadFile,
                      format_text("cannot read PNG %s: %s", path.c_str(), problem.c_str()), detail);
    }
    *width = image.width;
    *height = image.height;
    return {};
}

}  // namespace periscope::viewer
