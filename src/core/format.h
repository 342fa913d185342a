// printf-style formatting into a std::string, for messages built from numbers and paths.
#pragma once

#include <string>

// printf-style format checking. MinGW's `printf` archetype is the Microsoft runtime's, which knows
// no %zu or %llu; our formatting goes through MinGW's C99 printf (__USE_MINGW_ANSI_STDIO, set by
// libstdc++), so the checks must be the GNU ones there.
#if defined(__MINGW32__)
#define PERISCOPE_PRINTF_FORMAT(format_index, first_arg) \
    __attribute__((format(gnu_printf, format_index, first_arg)))
#else
#define PERISCOPE_PRINTF_FORMAT(format_index, first_arg) \
    __attribute__((format(printf, format_index, first_arg)))
#endif

namespace periscope {

std::string format_text(const char* format, ...) PERISCOPE_PRINTF_FORMAT(1, 2);

// strerror() for any thread (strerror itself may share one buffer between threads).
std::string errno_text(int error);

#if defined(_WIN32)
// The system's text for a GetLastError() code: "Access is denied (error 5)".
std::string windows_error_text(unsigned long error);
#endif

}  // namespace periscope
