// printf-style formatting into a std::string, for messages built from numbers and paths.
#pragma once

#include <string>

namespace periscope {

std::string format_text(const char* format, ...) __attribute__((format(printf, 1, 2)));

// strerror() for any thread (strerror itself may share one buffer between threads).
std::string errno_text(int error);

}  // namespace periscope
