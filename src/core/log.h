// Logging: one line per event to stderr, with level, module and a monotonic timestamp.
// Errors are logged once, where they start; callers up the stack only pass the enum on.
#pragma once

#include <cstdarg>
#include <cstdint>

#include "core/format.h"

namespace periscope {

enum class LogLevel : int { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

void set_log_level(LogLevel level);
LogLevel log_level();
// Parses "debug", "info", "warn", "error", "off"; returns false on anything else.
bool parse_log_level(const char* text, LogLevel* out);

void log_message(LogLevel level, const char* module, const char* format, ...)
    PERISCOPE_PRINTF_FORMAT(3, 4);

// Where messages go besides stderr: tests install one to check what users are told. The sink is
// called under a lock, so it sees one message at a time; nullptr removes it.
using LogSink = void (*)(LogLevel level, const char* module, const char* text, void* context);
void set_log_sink(LogSink sink, void* context);

// Logs at most `limit` messages for one call site, then one "suppressing" line; for errors a
// hostile peer can trigger at frame rate, so the log cannot be flooded.
class RateLimitedLog {
  public:
    explicit RateLimitedLog(uint32_t limit = 20) : m_limit(limit) {}
    bool allow();

  private:
    uint32_t m_limit;
    uint32_t m_count = 0;
};

}  // namespace periscope

#define PERISCOPE_LOG_DEBUG(module, ...) \
    ::periscope::log_message(::periscope::LogLevel::Debug, module, __VA_ARGS__)
#define PERISCOPE_LOG_INFO(module, ...) \
    ::periscope::log_message(::periscope::LogLevel::Info, module, __VA_ARGS__)
#define PERISCOPE_LOG_WARN(module, ...) \
    ::periscope::log_message(::periscope::LogLevel::Warn, module, __VA_ARGS__)
#define PERISCOPE_LOG_ERROR(module, ...) \
    ::periscope::log_message(::periscope::LogLevel::Error, module, __VA_ARGS__)
