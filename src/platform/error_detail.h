// Building the one-sentence `detail` a failed open hands to the user, and logging it once.
// Internal to src/platform.
#pragma once

#include <cstdint>
#include <string>

#include "core/format.h"
#include "core/result.h"
#include "platform/region.h"

namespace periscope::platform {

constexpr uint64_t MIB = uint64_t{1024} * 1024;

// "64 MiB", "1.5 MiB", "12 KiB", "100 bytes": for descriptions.
std::string format_size(uint64_t bytes);

// "1048576 bytes (1.00 MiB)": for errors, where the exact number matters.
std::string format_bytes_and_mib(uint64_t bytes);

// Logs `message` as the error's origin and hands it to the caller's `detail`.
// Logs `message` (unless a QuietReports is active on this thread), stores it in `detail`.
Unexpected<RegionError> report(RegionError error, std::string message, std::string* detail);

// While one lives, report() on this thread only fills `detail`: the caller reports failures
// itself (RegionOptions::quiet). Thread-local, so concurrent opens do not affect each other.
class QuietReports {
  public:
    explicit QuietReports(bool quiet);
    ~QuietReports();
    QuietReports(const QuietReports&) = delete;
    QuietReports& operator=(const QuietReports&) = delete;

  private:
    bool m_previous;
};

// "`what` is N bytes (x MiB) but M bytes (y MiB) are needed", or "`what` is empty" when
// `needed` says nothing more; with `qemu_hint`, then "; give QEMU a larger size= ...".
std::string too_small_text(const std::string& what, uint64_t actual, uint64_t needed,
                           bool qemu_hint);

#if !defined(_WIN32)
// For EACCES/EPERM on `path`: the errno text, the file's owner and mode, who we are, and `fix`
// (or the generic chown/chmod advice if `fix` is empty).
std::string permission_text(const char* action, const std::string& path, int error,
                            const std::string& fix);
#endif

}  // namespace periscope::platform
