// A minimal JSON writer for periscope-shm's --json output (no external JSON library). Strings
// come from an untrusted region (consumer names) and from file names, which are bytes, not
// necessarily UTF-8: the writer always produces valid UTF-8 JSON whatever it is given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text_util.h"

namespace periscope::tools {

// Appends `text` as a quoted JSON string: `"` `\` and control characters escaped, invalid UTF-8
// bytes replaced by U+FFFD.
void append_json_string(std::string& out, std::string_view text);

// Pretty-printed (2-space) output, keys in the order written. Misuse (a value without a key in
// an object) is a programming error of this tool, not of the input, and is not checked.
class JsonWriter {
  public:
    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    void key(std::string_view name);

    void string(std::string_view text);
    void uint(uint64_t value);
    void sint(int64_t value);
    void boolean(bool value);
    void null();
    // 0x-prefixed, 16 hex digits: ids and magics do not survive a double-based parser as numbers.
    void hex(uint64_t value);

    // An object member in one call.
    void field_string(std::string_view name, std::string_view text);
    void field_uint(std::string_view name, uint64_t value);
    void field_sint(std::string_view name, int64_t value);
    void field_bool(std::string_view name, bool value);
    void field_null(std::string_view name);
    void field_hex(std::string_view name, uint64_t value);
    // A string member, or null when `text` is empty (used for "problem": null = valid).
    void field_problem(std::string_view name, std::string_view text);

    // The document; ends with a newline once the outermost value is closed.
    std::string take();

  private:
    void before_value();
    void newline();

    std::string m_out;
    std::vector<bool> m_has_members;  // per open container: written anything yet?
    bool m_after_key = false;
};

}  // namespace periscope::tools
