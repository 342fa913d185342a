// The harness's output: one JSON object per line on stdout, flushed per line so a test reading
// the pipe sees each event as it happens; logs on stderr. Lines are written under a lock, so a
// callback on spice-server's worker thread cannot interleave with the main thread.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace periscope::spice_harness {

class JsonLine {
  public:
    explicit JsonLine(std::string_view ev);
    JsonLine& str(std::string_view key, std::string_view value);
    JsonLine& num(std::string_view key, int64_t value);
    JsonLine& boolean(std::string_view key, bool value);
    JsonLine& str_array(std::string_view key, const std::vector<std::string>& values);
    // Writes the line to stdout and flushes it.
    void emit();

  private:
    void key(std::string_view name);
    std::string m_text;
};

// Shorthand for {"ev":"error","what":...}, also logged.
void emit_error(const std::string& what);

void log_line(const char* format, ...) __attribute__((format(printf, 1, 2)));

std::string json_escape(std::string_view text);
std::string base64_encode(std::span<const uint8_t> bytes);
// Strict: nullopt on a character outside the alphabet or wrong padding.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace periscope::spice_harness
