// The platform-independent half of `periscope-agent service ...`: the sub-command, and Windows
// command lines built so that the agent started by the service receives exactly the arguments
// given to `service install`. Plain C++, unit-tested on Linux.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace periscope::agent::service {

constexpr const char* SERVICE_NAME = "PeriscopeAgent";
constexpr const char* SERVICE_DISPLAY_NAME = "Periscope agent";

enum class ServiceCommand { Install, Uninstall, Run, Status, Help };

struct ServiceArgs {
    ServiceCommand command = ServiceCommand::Help;
    // install: the agent's own arguments (everything after `install`, an optional leading `--`
    // dropped); run: the arguments the service passes on (after `run --`).
    std::vector<std::string> agent_args;
};

// `args` are the words after `service`. False with `error` set for an unknown sub-command or
// arguments where none belong (uninstall, status).
bool parse_service_args(const std::vector<std::string>& args, ServiceArgs* out, std::string* error);

// The usage text of `periscope-agent service`.
const char* service_usage();

// One argument quoted for a Windows command line, so that CommandLineToArgvW and the C runtime
// give it back unchanged: as it is when it has no blank and no quote, else in double quotes with
// backslashes doubled where they precede a quote.
std::string quote_argument(std::string_view arg);

// `program` and `args`, each quoted, separated by one space.
std::string build_command_line(std::string_view program, const std::vector<std::string>& args);

// The command line the service is registered with: `"exe" service run -- <agent args>`.
std::string service_command_line(std::string_view exe, const std::vector<std::string>& agent_args);

// Splits a command line the way CommandLineToArgvW does for the arguments after the program name
// (2n backslashes + quote -> n backslashes, toggles quoting; 2n+1 + quote -> n and a literal
// quote; "" inside quotes -> a literal quote). For tests, and for reading back a registered
// command line in `service status`.
std::vector<std::string> split_command_line(std::string_view line);

}  // namespace periscope::agent::service
