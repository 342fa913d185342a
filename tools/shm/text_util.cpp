#include "text_util.h"

#include <cstdarg>
#include <cstdio>

namespace periscope::tools {
namespace {

bool is_continuation(unsigned char c) {
    return (c & 0xC0) == 0x80;
}

}  // namespace

std::string format_size(uint64_t bytes) {
    const auto n = static_cast<unsigned long long>(bytes);
    if (bytes >= MIB && bytes % MIB == 0) {
        return format_text("%llu MiB", n / MIB);
    }
    if (bytes >= MIB) {
        return format_text("%.2f MB, %.2f MiB", static_cast<double>(bytes) / 1e6,
                           static_cast<double>(bytes) / static_cast<double>(MIB));
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
        return format_text("%llu KiB", n / 1024);
    }
    return format_text("%llu bytes", n);
}

size_t utf8_sequence_length(std::string_view text, size_t at) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80) {
        return 1;
    }
    size_t length = 0;
    unsigned char min_second = 0x80;
    unsigned char max_second = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) {
            min_second = 0xA0;  // overlong below U+0800
        } else if (lead == 0xED) {
            max_second = 0x9F;  // UTF-16 surrogates
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) {
            min_second = 0x90;  // overlong below U+10000
        } else if (lead == 0xF4) {
            max_second = 0x8F;  // above U+10FFFF
        }
    } else {
        return 0;  // a stray continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (text.size() - at < length) {
        return 0;
    }
    if (byte(1) < min_second || byte(1) > max_second) {
        return 0;
    }
    for (size_t i = 2; i < length; ++i) {
        if (!is_continuation(byte(i))) {
            return 0;
        }
    }
    return length;
}

std::string terminal_safe(std::string_view text, bool quote) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        const size_t length = utf8_sequence_length(text, i);
        const auto c = static_cast<unsigned char>(text[i]);
        // U+0080..U+009F (C2 80..C2 9F) are C1 controls; some terminals act on them (CSI).
        const bool c1 = length == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
        if (length == 0 || c1 || (length == 1 && (c < 0x20 || c == 0x7F))) {
            const size_t n = length == 0 ? 1 : length;
            for (size_t k = 0; k < n; ++k) {
                out += format_text("\\x%02X",
                                   static_cast<unsigned>(static_cast<unsigned char>(text[i + k])));
            }
            i += n;
            continue;
        }
        if (c == '\\') {
            out += "\\\\";
        } else if (quote && c == '"') {
            out += "\\\"";
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

std::string magic_ascii(uint64_t magic) {
    std::string text;
    for (int i = 0; i < 8; ++i) {
        const auto c = static_cast<char>((magic >> (8 * i)) & 0xFF);
        if (c < 0x20 || c > 0x7E) {
            return {};
        }
        text += c;
    }
    return text;
}

}  // namespace periscope::tools
