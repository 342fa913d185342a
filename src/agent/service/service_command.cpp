#include "agent/service/service_command.h"

namespace periscope::agent::service {

bool parse_service_args(const std::vector<std::string>& args, ServiceArgs* out,
                        std::string* error) {
    *out = ServiceArgs{};
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        out->command = ServiceCommand::Help;
        return true;
    }
    const std::string& verb = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (!rest.empty() && rest[0] == "--") {
        rest.erase(rest.begin());
    }
    if (verb == "install") {
        out->command = ServiceCommand::Install;
    } else if (verb == "run") {
        out->command = ServiceCommand::Run;
    } else if (verb == "uninstall" || verb == "status") {
        out->command = verb == "status" ? ServiceCommand::Status : ServiceCommand::Uninstall;
        if (!rest.empty()) {
            *error = "'service " + verb + "' takes no arguments";
            return false;
        }
    } else {
        *error = "unknown service command '" + verb + "' (install, uninstall, run, status)";
        return false;
    }
    out->agent_args = std::move(rest);
    return true;
}

const char* service_usage() {
    return R"(Usage: periscope-agent service COMMAND

Runs periscope-agent as a Windows service that starts the agent in the active console session, so
the login screen, the lock screen and UAC prompts are captured too.

  install [AGENT OPTIONS]  register the service (automatic start, LocalSystem) and start it; the
                           agent it launches gets AGENT OPTIONS (e.g. --device #0), and reads
                           %ProgramData%\periscope\agent.toml as usual
  uninstall                stop the service and remove it
  status                   whether it is installed and running, and its command line
  run                      what the service control manager starts (not for interactive use)

The service and the agents it starts log to %ProgramData%\Periscope\agent.log.
Must be run from an elevated (administrator) prompt, except status.
)";
}

std::string quote_argument(std::string_view arg) {
    if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string_view::npos) {
        return std::string(arg);
    }
    std::string out = "\"";
    size_t backslashes = 0;
    for (char c : arg) {
        if (c == '\\') {
            ++backslashes;
            continue;
        }
        if (c == '"') {
            // Backslashes before a quote are escapes: double them, then escape the quote.
            out.append(backslashes * 2 + 1, '\\');
        } else {
            out.append(backslashes, '\\');
        }
        backslashes = 0;
        out += c;
    }
    // Before the closing quote, too.
    out.append(backslashes * 2, '\\');
    out += '"';
    return out;
}

std::string build_command_line(std::string_view program, const std::vector<std::string>& args) {
    std::string line = quote_argument(program);
    for (const std::string& a : args) {
        line += ' ';
        line += quote_argument(a);
    }
    return line;
}

std::string service_command_line(std::string_view exe, const std::vector<std::string>& agent_args) {
    std::vector<std::string> args{"service", "run", "--"};
    args.insert(args.end(), agent_args.begin(), agent_args.end());
    // The program is always quoted: an unquoted path with blanks ("C:\Program Files\...") would
    // let Windows try C:\Program.exe first.
    // (Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on "..." + string.)
    std::string line;
    line.reserve(exe.size() + 2);
    line += '"';
    line.append(exe);
    line += '"';
    for (const std::string& a : args) {
        line += ' ';
        line += quote_argument(a);
    }
    return line;
}

std::vector<std::string> split_command_line(std::string_view line) {
    std::vector<std::string> out;
    size_t i = 0;
    const size_t n = line.size();
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v'; };
    while (true) {
        while (i < n && blank(line[i])) {
            ++i;
        }
        if (i >= n) {
            break;
        }
        std::string arg;
        bool quoted = false;
        while (i < n && (quoted || !blank(line[i]))) {
            if (line[i] == '\\') {
                size_t backslashes = 0;
                while (i < n && line[i] == '\\') {
                    ++backslashes;
                    ++i;
                }
                if (i < n && line[i] == '"') {
                    arg.append(backslashes / 2, '\\');
                    if (backslashes % 2 == 1) {
                        arg += '"';
                        ++i;
                    }
                } else {
                    arg.append(backslashes, '\\');
                }
                continue;
            }
            if (line[i] == '"') {
                if (quoted && i + 1 < n && line[i + 1] == '"') {
                    arg += '"';  // "" inside quotes: a literal quote
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                ++i;
                continue;
            }
            arg += line[i++];
        }
        out.push_back(std::move(arg));
    }
    return out;
}

}  // namespace periscope::agent::service
