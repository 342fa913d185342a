// periscope-shm's two output forms of an inspection Report: text for people, JSON for scripts.
// Both render only the Report (never shared memory), and escape every string taken from the
// region or the file system.
#pragma once

#include <string>

#include "inspect.h"

namespace periscope::tools {

// The report as aligned "label  value" lines; ends with a "status" line naming the exit code and,
// with `with_message`, the reason it is not 0 (the binary prints that on stderr instead).
std::string render_text(const Report& report, bool with_message = true);

// The report as one JSON object (see docs/shm-tool.md for its members).
std::string render_json(const Report& report);

}  // namespace periscope::tools
