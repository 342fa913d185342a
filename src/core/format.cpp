#include "core/format.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace periscope {

std::string format_text(const char* format, ...) {
    va_list args;
    va_start(args, format);
    va_list copy;
    va_copy(copy, args);
    const int length = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    std::string text;
    if (length > 0) {
        text.resize(static_cast<size_t>(length) + 1);
        (void)std::vsnprintf(text.data(), text.size(), format, args);
        text.resize(static_cast<size_t>(length));
    }
    va_end(args);
    return text;
}

std::string errno_text(int error) {
    char buffer[256] = {};
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    // The GNU variant returns the text, in `buffer` or in static storage.
    return strerror_r(error, buffer, sizeof buffer);
#else
    if (strerror_r(error, buffer, sizeof buffer) != 0) {
        return format_text("errno %d", error);
    }
    return buffer;
#endif
}

}  // namespace periscope
