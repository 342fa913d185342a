#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "core/clock.h"

namespace periscope {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
std::mutex g_sink_mutex;
LogSink g_sink = nullptr;
void* g_sink_context = nullptr;
std::atomic<bool> g_has_sink{false};
const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Debug:
            return "debug";
        case LogLevel::Info:
            return "info";
        case LogLevel::Warn:
            return "warn";
        case LogLevel::Error:
            return "error";
        case LogLevel::Off:
            return "off";
    }
    return "?";
}
}  // namespace

void set_log_level(LogLevel level) {
    g_level.store(static_cast<int>(level));
}
LogLevel log_level() {
    return static_cast<LogLevel>(g_level.load());
}

void set_log_sink(LogSink sink, void* context) {
    const std::lock_guard<std::mutex> lock(g_sink_mutex);
    g_sink = sink;
    g_sink_context = context;
    g_has_sink.store(sink != nullptr);
}

bool parse_log_level(const char* text, LogLevel* out) {
    for (int i = 0; i <= static_cast<int>(LogLevel::Off); ++i) {
        if (std::strcmp(text, level_name(static_cast<LogLevel>(i))) == 0) {
            *out = static_cast<LogLevel>(i);
            return true;
        }
    }
    return false;
}

void log_message(LogLevel level, const char* module, const char* format, ...) {
    const bool printed = static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
    if (!printed && !g_has_sink.load(std::memory_order_relaxed)) {
        return;  // nothing to format for
    }
    char text[1024];
    va_list args;
    va_start(args, format);
    // The analyzer misses the va_start above.
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    (void)std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    {
        const std::lock_guard<std::mutex> lock(g_sink_mutex);
        if (g_sink != nullptr) {
            g_sink(level, module, text, g_sink_context);
        }
    }
    if (!printed) {
        return;
    }
    const uint64_t ms = monotonic_ns() / 1000000;
    // One fprintf per line so lines from several threads do not interleave.
    (void)std::fprintf(stderr, "[%6llu.%03llu] %-5s %s: %s\n",
                       static_cast<unsigned long long>(ms / 1000),
                       static_cast<unsigned long long>(ms % 1000), level_name(level), module, text);
}

bool RateLimitedLog::allow() {
    if (m_count < m_limit) {
        ++m_count;
        return true;
    }
    if (m_count == m_limit) {
        ++m_count;
        log_message(LogLevel::Warn, "log", "further messages of this kind suppressed");
    }
    return false;
}

}  // namespace periscope
