// A strict little JSON parser for the tests of periscope-shm --json (RFC 8259: no trailing commas,
// no control characters in strings, well-formed UTF-8, valid escapes and surrogate pairs, no
// duplicate keys, nothing after the value). It builds a tree so tests can check values too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace periscope::test {

struct Json {
    enum class Type { Null, Bool, Number, String, Array, Object };
    Type type = Type::Null;
    bool boolean = false;
    std::string text;         // String: the decoded value; Number: the literal
    std::vector<Json> items;  // Array elements, or Object member values
    // Object member names, parallel to `items` (a pair<string, Json> member would need Json
    // complete here).
    std::vector<std::string> keys;

    bool has(std::string_view key) const {
        for (const auto& k : keys) {
            if (k == key) {
                return true;
            }
        }
        return false;
    }
    // A missing key or index yields a shared Null (the test's EXPECTs then fail visibly).
    const Json& operator[](std::string_view key) const {
        if (type != Type::Object) {
            return null_value();
        }
        for (size_t i = 0; i < keys.size(); ++i) {
            if (keys[i] == key) {
                return items[i];
            }
        }
        return null_value();
    }
    const Json& operator[](size_t index) const {
        return type == Type::Array && index < items.size() ? items[index] : null_value();
    }
    bool is_null() const { return type == Type::Null; }
    uint64_t u64() const { return type == Type::Number ? std::stoull(text) : UINT64_MAX; }
    int64_t i64() const { return type == Type::Number ? std::stoll(text) : INT64_MIN; }
    const std::string& str() const { return text; }

    static const Json& null_value() {
        static const Json value;
        return value;
    }
};

class JsonParser {
  public:
    // Parses `input` into `out`; on failure returns false with `error` saying where and why.
    static bool parse(std::string_view input, Json* out, std::string* error) {
        JsonParser p(input);
        if (!p.value(out, 0)) {
            *error = p.m_error + " at offset " + std::to_string(p.m_at);
            return false;
        }
        p.skip_space();
        if (p.m_at != input.size()) {
            *error = "trailing characters at offset " + std::to_string(p.m_at);
            return false;
        }
        return true;
    }

  private:
    explicit JsonParser(std::string_view input) : m_in(input) {}

    static constexpr int MAX_DEPTH = 64;

    bool fail(const char* why) {
        m_error = why;
        return false;
    }
    bool at_end() const { return m_at >= m_in.size(); }
    char peek() const { return at_end() ? '\0' : m_in[m_at]; }
    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            ++m_at;
        }
    }
    bool literal(std::string_view word) {
        if (m_in.substr(m_at, word.size()) != word) {
            return fail("bad literal");
        }
        m_at += word.size();
        return true;
    }

    bool value(Json* out, int depth) {
        if (depth > MAX_DEPTH) {
            return fail("too deep");
        }
        skip_space();
        switch (peek()) {
            case '{':
                return object(out, depth);
            case '[':
                return array(out, depth);
            case '"':
                out->type = Json::Type::String;
                return string(&out->text);
            case 't':
                out->type = Json::Type::Bool;
                out->boolean = true;
                return literal("true");
            case 'f':
                out->type = Json::Type::Bool;
                out->boolean = false;
                return literal("false");
            case 'n':
                out->type = Json::Type::Null;
                return literal("null");
            default:
                out->type = Json::Type::Number;
                return number(&out->text);
        }
    }

    bool object(Json* out, int depth) {
        out->type = Json::Type::Object;
        ++m_at;
        skip_space();
        if (peek() == '}') {
            ++m_at;
            return true;
        }
        for (;;) {
            skip_space();
            std::string key;
            if (peek() != '"' || !string(&key)) {
                return fail("expected a key");
            }
            if (out->has(key)) {
                return fail("duplicate key");
            }
            skip_space();
            if (peek() != ':') {
                return fail("expected ':'");
            }
            ++m_at;
            Json member;
            if (!value(&member, depth + 1)) {
                return false;
            }
            out->keys.push_back(std::move(key));
            out->items.push_back(std::move(member));
            skip_space();
            if (peek() == ',') {
                ++m_at;
                continue;
            }
            if (peek() == '}') {
                ++m_at;
                return true;
            }
            return fail("expected ',' or '}'");
        }
    }

    bool array(Json* out, int depth) {
        out->type = Json::Type::Array;
        ++m_at;
        skip_space();
        if (peek() == ']') {
            ++m_at;
            return true;
        }
        for (;;) {
            Json item;
            if (!value(&item, depth + 1)) {
                return false;
            }
            out->items.push_back(std::move(item));
            skip_space();
            if (peek() == ',') {
                ++m_at;
                continue;
            }
            if (peek() == ']') {
                ++m_at;
                return true;
            }
            return fail("expected ',' or ']'");
        }
    }

    bool digits() {
        const size_t start = m_at;
        while (!at_end() && peek() >= '0' && peek() <= '9') {
            ++m_at;
        }
        return m_at > start;
    }

    bool number(std::string* out) {
        const size_t start = m_at;
        if (peek() == '-') {
            ++m_at;
        }
        if (peek() == '0') {
            ++m_at;
        } else if (!digits()) {
            return fail("bad number");
        }
        if (peek() == '.') {
            ++m_at;
            if (!digits()) {
                return fail("bad fraction");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++m_at;
            if (peek() == '+' || peek() == '-') {
                ++m_at;
            }
            if (!digits()) {
                return fail("bad exponent");
            }
        }
        *out = std::string(m_in.substr(start, m_at - start));
        return true;
    }

    bool hex4(uint32_t* out) {
        if (m_in.size() - m_at < 4) {
            return fail("short \\u escape");
        }
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = m_in[m_at++];
            v <<= 4;
            if (c >= '0' && c <= '9') {
                v |= static_cast<uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                v |= static_cast<uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                v |= static_cast<uint32_t>(c - 'A' + 10);
            } else {
                return fail("bad \\u escape");
            }
        }
        *out = v;
        return true;
    }

    static void append_utf8(std::string* out, uint32_t cp) {
        if (cp < 0x80) {
            *out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            *out += static_cast<char>(0xC0 | (cp >> 6));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *out += static_cast<char>(0xE0 | (cp >> 12));
            *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            *out += static_cast<char>(0xF0 | (cp >> 18));
            *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // Raw (unescaped) bytes must be well-formed UTF-8.
    bool raw_utf8(std::string* out) {
        const auto lead = static_cast<unsigned char>(peek());
        size_t n = 0;
        uint32_t cp = 0;
        if (lead >= 0xC2 && lead <= 0xDF) {
            n = 2;
            cp = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            n = 3;
            cp = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            n = 4;
            cp = lead & 0x07;
        } else {
            return fail("invalid UTF-8 lead byte");
        }
        if (m_in.size() - m_at < n) {
            return fail("truncated UTF-8");
        }
        for (size_t i = 1; i < n; ++i) {
            const auto c = static_cast<unsigned char>(m_in[m_at + i]);
            if ((c & 0xC0) != 0x80) {
                return fail("invalid UTF-8 continuation");
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        const uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return fail("ill-formed UTF-8");
        }
        out->append(m_in.substr(m_at, n));
        m_at += n;
        return true;
    }

    bool string(std::string* out) {
        ++m_at;  // opening quote
        out->clear();
        for (;;) {
            if (at_end()) {
                return fail("unterminated string");
            }
            const auto c = static_cast<unsigned char>(peek());
            if (c == '"') {
                ++m_at;
                return true;
            }
            if (c < 0x20) {
                return fail("control character in string");
            }
            if (c >= 0x80) {
                if (!raw_utf8(out)) {
                    return false;
                }
                continue;
            }
            ++m_at;
            if (c != '\\') {
                *out += static_cast<char>(c);
                continue;
            }
            const char e = peek();
            ++m_at;
            switch (e) {
                case '"':
                    *out += '"';
                    break;
                case '\\':
                    *out += '\\';
                    break;
                case '/':
                    *out += '/';
                    break;
                case 'b':
                    *out += '\b';
                    break;
                case 'f':
                    *out += '\f';
                    break;
                case 'n':
                    *out += '\n';
                    break;
                case 'r':
                    *out += '\r';
                    break;
                case 't':
                    *out += '\t';
                    break;
                case 'u': {
                    uint32_t cp = 0;
                    if (!hex4(&cp)) {
                        return false;
                    }
                    if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        return fail("lone low surrogate");
                    }
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        uint32_t low = 0;
                        if (m_in.substr(m_at, 2) != "\\u") {
                            return fail("lone high surrogate");
                        }
                        m_at += 2;
                        if (!hex4(&low) || low < 0xDC00 || low > 0xDFFF) {
                            return fail("bad surrogate pair");
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default:
                    return fail("bad escape");
            }
        }
    }

    std::string_view m_in;
    size_t m_at = 0;
    std::string m_error;
};

}  // namespace periscope::test
