#include "core/format.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#if defined(_WIN32)
#include <windows.h>
#endif

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
#elif defined(_WIN32)
    if (strerror_s(buffer, sizeof buffer, error) != 0) {
        return format_text("errno %d", error);
    }
    return buffer;
#else
    if (strerror_r(error, buffer, sizeof buffer) != 0) {
        return format_text("errno %d", error);
    }
    return buffer;
#endif
}

#if defined(_WIN32)
std::string windows_error_text(unsigned long error) {
    char buffer[512] = {};
    // The ANSI variant: messages go into logs and std::string, which are narrow.
    DWORD length = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                                  nullptr, error, 0, buffer, sizeof buffer, nullptr);
    while (length > 0 && (buffer[length - 1] == '\n' || buffer[length - 1] == '\r' ||
                          buffer[length - 1] == ' ' || buffer[length - 1] == '.')) {
        buffer[--length] = '\0';
    }
    if (length == 0) {
        return format_text("error %lu", error);
    }
    return format_text("%s (error %lu)", buffer, error);
}
#endif

}  // namespace periscope
