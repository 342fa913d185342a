#include "json_out.h"

#include <cstdio>
#include <mutex>

#include "json_writer.h"

namespace periscope::spice_harness {

namespace {

std::mutex g_output_lock;

constexpr char BASE64_ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

}  // namespace

JsonLine::JsonLine(std::string_view ev) {
    m_text = "{\"ev\":\"" + json_escape(ev) + "\"";
}

void JsonLine::key(std::string_view name) {
    m_text += ",\"";
    m_text += json_escape(name);
    m_text += "\":";
}

JsonLine& JsonLine::str(std::string_view name, std::string_view value) {
    key(name);
    m_text += '"';
    m_text += json_escape(value);
    m_text += '"';
    return *this;
}

JsonLine& JsonLine::num(std::string_view name, int64_t value) {
    key(name);
    m_text += std::to_string(value);
    return *this;
}

JsonLine& JsonLine::boolean(std::string_view name, bool value) {
    key(name);
    m_text += value ? "true" : "false";
    return *this;
}

JsonLine& JsonLine::str_array(std::string_view name, const std::vector<std::string>& values) {
    key(name);
    m_text += '[';
    for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) {
            m_text += ',';
        }
        m_text += '"';
        m_text += json_escape(values[i]);
        m_text += '"';
    }
    m_text += ']';
    return *this;
}

void JsonLine::emit() {
    m_text += "}\n";
    std::lock_guard<std::mutex> lock(g_output_lock);
    std::fwrite(m_text.data(), 1, m_text.size(), stdout);
    std::fflush(stdout);
}

void emit_error(const std::string& what) {
    log_line("error: %s", what.c_str());
    JsonLine("error").str("what", what).emit();
}

void log_line(const char* format, ...) {
    char buffer[1024];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buffer, sizeof(buffer), format, args);
    va_end(args);
    std::lock_guard<std::mutex> lock(g_output_lock);
    std::fprintf(stderr, "spice-harness: %s\n", buffer);
}

std::string json_escape(std::string_view text) {
    // The inspector's JSON string writer (tools/shm), without its quotes.
    std::string quoted;
    tools::append_json_string(quoted, text);
    return quoted.substr(1, quoted.size() - 2);
}

std::string base64_encode(std::span<const uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const uint32_t v =
            (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out += BASE64_ALPHABET[(v >> 18) & 63];
        out += BASE64_ALPHABET[(v >> 12) & 63];
        out += BASE64_ALPHABET[(v >> 6) & 63];
        out += BASE64_ALPHABET[v & 63];
    }
    const size_t rest = bytes.size() - i;
    if (rest > 0) {
        uint32_t v = uint32_t{bytes[i]} << 16;
        if (rest == 2) {
            v |= uint32_t{bytes[i + 1]} << 8;
        }
        out += BASE64_ALPHABET[(v >> 18) & 63];
        out += BASE64_ALPHABET[(v >> 12) & 63];
        out += rest == 2 ? BASE64_ALPHABET[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::vector<uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + static_cast<size_t>(k)];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                ++pad;
            } else if (pad > 0 || (v[k] = base64_value(c)) < 0) {
                return std::nullopt;  // a character after '=' or outside the alphabet
            }
        }
        const uint32_t word = (static_cast<uint32_t>(v[0]) << 18) |
                              (static_cast<uint32_t>(v[1]) << 12) |
                              (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
        out.push_back(static_cast<uint8_t>(word >> 16));
        if (pad < 2) {
            out.push_back(static_cast<uint8_t>(word >> 8));
        }
        if (pad < 1) {
            out.push_back(static_cast<uint8_t>(word));
        }
    }
    return out;
}

}  // namespace periscope::spice_harness
