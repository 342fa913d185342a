// The harness's stdin commands, one per line: read without blocking the main loop (a 4 MiB
// base64 line arrives in many reads) and executed in order.
#pragma once

#include <functional>
#include <string>

typedef struct RedsState SpiceServer;

namespace periscope::spice_harness {

class VdagentDevice;

struct CommandContext {
    VdagentDevice* agent = nullptr;
    SpiceServer* server = nullptr;
    std::function<void()> quit;  // `quit` and end of input
};

// Executes one line ("set utf8 aGk=", "grab utf8 png", ...); emits {"ev":"ok","cmd":...} or an
// error event.
void run_command(const std::string& line, CommandContext& context);

// Watches stdin on the default main context; each complete line goes to run_command.
void watch_stdin(CommandContext* context);

}  // namespace periscope::spice_harness
