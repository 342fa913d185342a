// `periscope-agent service install|uninstall|run|status` (Windows): a service that keeps the agent
// running in the active console session with the SYSTEM token, so the secure desktop (login
// screen, lock screen, UAC prompts) can be captured; usage in service_command.cpp.
//
//  - install: CreateService (own process, automatic start, LocalSystem) with the command line
//    `"<this exe>" service run -- <agent options>`; restart on failure; started at once.
//  - run (the service process): launches `"<this exe>" <agent options>` in the active console
//    session: its own SYSTEM token duplicated, the token's session id set to that session,
//    CreateProcessAsUser on winsta0\default. It restarts the agent when it exits (with a growing
//    pause if it keeps failing at once) and moves it when the console session changes (session
//    change notifications to the service control handler). Stopping the service ends the agent.
//  - Both log to %ProgramData%\Periscope\agent.log (the agent's output goes there too).
#pragma once

#include <string>
#include <vector>

namespace periscope::agent {

// `args`: the words after `service`. Returns the process exit status.
int run_service_command(const std::vector<std::string>& args);

}  // namespace periscope::agent
