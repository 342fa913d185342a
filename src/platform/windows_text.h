// UTF-8 <-> UTF-16 for the W functions of the Win32 API. Windows only; internal to src/platform
// (back-end folders include it).
#pragma once

#include <string>
#include <string_view>

namespace periscope::platform {

std::wstring to_wide(std::string_view utf8);
std::string to_utf8(std::wstring_view wide);

}  // namespace periscope::platform
