#include "json_writer.h"

#include <cstdio>
#include <utility>

namespace periscope::tools {
namespace {

void append_hex_byte(std::string& out, const char* prefix, unsigned char c) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%s%02X", prefix, static_cast<unsigned>(c));
    out += buffer;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    size_t i = 0;
    while (i < text.size()) {
        const size_t length = utf8_sequence_length(text, i);
        if (length == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (length > 1) {
            out.append(text.substr(i, length));
            i += length;
            continue;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    append_hex_byte(out, "\\u00", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

void JsonWriter::newline() {
    m_out += '\n';
    m_out.append(m_has_members.size() * 2, ' ');
}

void JsonWriter::before_value() {
    if (m_after_key) {
        m_after_key = false;
        return;
    }
    if (!m_has_members.empty()) {
        if (m_has_members.back()) {
            m_out += ',';
        }
        m_has_members.back() = true;
        newline();
    }
}

void JsonWriter::begin_object() {
    before_value();
    m_out += '{';
    m_has_members.push_back(false);
}

void JsonWriter::end_object() {
    const bool had_members = m_has_members.back();
    m_has_members.pop_back();
    if (had_members) {
        newline();
    }
    m_out += '}';
}

void JsonWriter::begin_array() {
    before_value();
    m_out += '[';
    m_has_members.push_back(false);
}

void JsonWriter::end_array() {
    const bool had_members = m_has_members.back();
    m_has_members.pop_back();
    if (had_members) {
        newline();
    }
    m_out += ']';
}

void JsonWriter::key(std::string_view name) {
    before_value();
    append_json_string(m_out, name);
    m_out += ": ";
    m_after_key = true;
}

void JsonWriter::string(std::string_view text) {
    before_value();
    append_json_string(m_out, text);
}

void JsonWriter::uint(uint64_t value) {
    before_value();
    m_out += std::to_string(value);
}

void JsonWriter::sint(int64_t value) {
    before_value();
    m_out += std::to_string(value);
}

void JsonWriter::boolean(bool value) {
    before_value();
    m_out += value ? "true" : "false";
}

void JsonWriter::null() {
    before_value();
    m_out += "null";
}

void JsonWriter::hex(uint64_t value) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%016llX", static_cast<unsigned long long>(value));
    string(buffer);
}

void JsonWriter::field_string(std::string_view name, std::string_view text) {
    key(name);
    string(text);
}
void JsonWriter::field_uint(std::string_view name, uint64_t value) {
    key(name);
    uint(value);
}
void JsonWriter::field_sint(std::string_view name, int64_t value) {
    key(name);
    sint(value);
}
void JsonWriter::field_bool(std::string_view name, bool value) {
    key(name);
    boolean(value);
}
void JsonWriter::field_null(std::string_view name) {
    key(name);
    null();
}
void JsonWriter::field_hex(std::string_view name, uint64_t value) {
    key(name);
    hex(value);
}
void JsonWriter::field_problem(std::string_view name, std::string_view text) {
    key(name);
    if (text.empty()) {
        null();
    } else {
        string(text);
    }
}

std::string JsonWriter::take() {
    m_out += '\n';
    return std::move(m_out);
}

}  // namespace periscope::tools
