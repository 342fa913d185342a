// Small text helpers for periscope-shm: printf into a std::string, sizes for humans, and making
// untrusted bytes (consumer names, file names) safe to show.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/format.h"

namespace periscope::tools {

constexpr uint64_t MIB = 1024 * 1024;

// "32 MiB", "17.13 MB (16.34 MiB)"-style: exact binary units when they are exact, both
// otherwise, because the design doc quotes decimal MB and QEMU wants MiB.
std::string format_size(uint64_t bytes);

// Length of the well-formed UTF-8 sequence starting at text[at], or 0 if it is not one (overlong
// forms, surrogates and code points above U+10FFFF are not well-formed).
size_t utf8_sequence_length(std::string_view text, size_t at);

// `text` made safe to print on a terminal: control characters (C0, DEL, C1) and invalid UTF-8
// bytes become \xNN, a backslash becomes \\ and, if `quote` is set, `"` becomes \". A hostile
// consumer name could otherwise carry escape sequences that rewrite the user's terminal.
std::string terminal_safe(std::string_view text, bool quote = false);

// The magic as text when all 8 bytes are printable ASCII ("PERISCOP"), else empty.
std::string magic_ascii(uint64_t magic);

}  // namespace periscope::tools
