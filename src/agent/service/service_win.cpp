// The Windows service: see service.h.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
// windows.h first: these use its types.
#include <userenv.h>
#include <wtsapi32.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/service/service.h"
#include "agent/service/service_command.h"
#include "core/format.h"

namespace periscope::agent {
namespace {

using service::ServiceArgs;
using service::ServiceCommand;

constexpr DWORD NO_SESSION = 0xFFFFFFFF;
constexpr uint64_t LOG_ROTATE_BYTES = uint64_t{10} * 1024 * 1024;

std::wstring wide(const std::string& text) {
    if (text.empty()) {
        return {};
    }
    const int n =
        MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
    std::wstring out(static_cast<size_t>(n), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), n);
    return out;
}

std::string narrow(const wchar_t* text) {
    const int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
    if (n <= 1) {
        return {};
    }
    std::string out(static_cast<size_t>(n), '\0');
    WideCharToMultiByte(CP_UTF8, 0, text, -1, out.data(), n, nullptr, nullptr);
    out.resize(static_cast<size_t>(n) - 1);
    return out;
}

std::string last_error() {
    return windows_error_text(GetLastError());
}

std::string own_exe() {
    std::vector<wchar_t> path(MAX_PATH);
    while (true) {
        const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
        if (n == 0) {
            return {};
        }
        if (n < path.size()) {
            return narrow(path.data());
        }
        path.resize(path.size() * 2);  // truncated: a long path
    }
}

// %ProgramData%\Periscope, created if missing.
std::string log_directory() {
    wchar_t buffer[MAX_PATH] = {};
    const DWORD n = GetEnvironmentVariableW(L"ProgramData", buffer, MAX_PATH);
    std::string base = n > 0 && n < MAX_PATH ? narrow(buffer) : std::string("C:\\ProgramData");
    std::string dir = base + "\\Periscope";
    CreateDirectoryW(wide(dir).c_str(), nullptr);  // fails harmlessly when it exists
    return dir;
}

// The service's log, shared with the agents it starts (they inherit the handle as stdout and
// stderr). Opened for appending: every write lands at the end, whoever writes.
class ServiceLog {
  public:
    bool open() {
        const std::string path = log_directory() + "\\agent.log";
        WIN32_FILE_ATTRIBUTE_DATA attributes{};
        if (GetFileAttributesExW(wide(path).c_str(), GetFileExInfoStandard, &attributes) &&
            ((uint64_t{attributes.nFileSizeHigh} << 32) | attributes.nFileSizeLow) >
                LOG_ROTATE_BYTES) {
            MoveFileExW(wide(path).c_str(), wide(path + ".1").c_str(), MOVEFILE_REPLACE_EXISTING);
        }
        SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
        m_file =
            CreateFileW(wide(path).c_str(), FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE,
                        &inherit, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
        return m_file != INVALID_HANDLE_VALUE;
    }
    ~ServiceLog() {
        if (m_file != INVALID_HANDLE_VALUE) {
            CloseHandle(m_file);
        }
    }
    HANDLE handle() const { return m_file; }
    // `this` is argument 1 to the format check.
    void write(const char* format, ...) PERISCOPE_PRINTF_FORMAT(2, 3);

  private:
    HANDLE m_file = INVALID_HANDLE_VALUE;
};

void ServiceLog::write(const char* format, ...) {
    if (m_file == INVALID_HANDLE_VALUE) {
        return;
    }
    SYSTEMTIME t{};
    GetLocalTime(&t);
    char text[1024];
    va_list list;
    va_start(list, format);
    std::vsnprintf(text, sizeof text, format, list);
    va_end(list);
    const std::string line =
        format_text("%04u-%02u-%02u %02u:%02u:%02u.%03u service: %s\r\n", t.wYear, t.wMonth, t.wDay,
                    t.wHour, t.wMinute, t.wSecond, t.wMilliseconds, text);
    DWORD written = 0;
    WriteFile(m_file, line.data(), static_cast<DWORD>(line.size()), &written, nullptr);
}

// ---- The service process (`service run`) ----

struct ServiceState {
    SERVICE_STATUS_HANDLE status_handle = nullptr;
    SERVICE_STATUS status{};
    HANDLE stop_event = nullptr;
    HANDLE session_event = nullptr;  // signalled on every session change notification
    std::vector<std::string> agent_args;
    ServiceLog log;
};

ServiceState& state() {
    static ServiceState s;
    return s;
}

void report(DWORD current, DWORD exit_code = NO_ERROR, DWORD wait_hint_ms = 0) {
    ServiceState& s = state();
    s.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    s.status.dwCurrentState = current;
    s.status.dwWin32ExitCode = exit_code;
    s.status.dwWaitHint = wait_hint_ms;
    s.status.dwControlsAccepted =
        current == SERVICE_RUNNING
            ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_SESSIONCHANGE
            : 0;
    ++s.status.dwCheckPoint;
    SetServiceStatus(s.status_handle, &s.status);
}

DWORD WINAPI control_handler(DWORD control, DWORD event_type, LPVOID /*data*/, LPVOID /*ctx*/) {
    ServiceState& s = state();
    switch (control) {
        case SERVICE_CONTROL_STOP:
        case SERVICE_CONTROL_SHUTDOWN:
            report(SERVICE_STOP_PENDING, NO_ERROR, 10000);
            SetEvent(s.stop_event);
            return NO_ERROR;
        case SERVICE_CONTROL_SESSIONCHANGE:
            // Console connect/disconnect, logon, logoff, lock...: the supervisor compares the
            // active console session with the agent's and moves the agent if they differ.
            (void)event_type;
            SetEvent(s.session_event);
            return NO_ERROR;
        case SERVICE_CONTROL_INTERROGATE:
            return NO_ERROR;
        default:
            return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

// An agent process in one session.
struct Agent {
    HANDLE process = nullptr;
    DWORD session = NO_SESSION;
    DWORD pid = 0;
    ULONGLONG started_ms = 0;

    bool running() const { return process != nullptr; }
    void stop(ServiceLog& log, const char* why) {
        if (process == nullptr) {
            return;
        }
        // The agent has no console to send a Ctrl event to across sessions: it is terminated.
        // Consumers see its heartbeat stop within a second and re-attach to the next one.
        log.write("stopping the agent (pid %lu, session %lu): %s", pid, session, why);
        TerminateProcess(process, 0);
        WaitForSingleObject(process, 5000);
        CloseHandle(process);
        process = nullptr;
    }
};

// Starts `"<exe>" <agent args>` in `session` with a copy of our (SYSTEM) token moved into it, on
// winsta0\default: the interactive desktop, from which the agent follows desktop switches.
bool launch_agent(DWORD session, Agent* agent, std::string* error) {
    ServiceState& s = state();
    HANDLE own = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(),
                          TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY |
                              TOKEN_ADJUST_DEFAULT | TOKEN_ADJUST_SESSIONID,
                          &own)) {
        *error = "OpenProcessToken: " + last_error();
        return false;
    }
    HANDLE token = nullptr;
    const BOOL duplicated = DuplicateTokenEx(own, MAXIMUM_ALLOWED, nullptr, SecurityIdentification,
                                             TokenPrimary, &token);
    CloseHandle(own);
    if (!duplicated) {
        *error = "DuplicateTokenEx: " + last_error();
        return false;
    }
    // Needs SeTcbPrivilege, which LocalSystem holds.
    if (!SetTokenInformation(token, TokenSessionId, &session, sizeof session)) {
        *error = "SetTokenInformation(TokenSessionId): " + last_error();
        CloseHandle(token);
        return false;
    }
    void* environment = nullptr;
    if (!CreateEnvironmentBlock(&environment, token, FALSE)) {
        environment = nullptr;  // inherit ours instead
    }

    const std::string exe = own_exe();
    std::wstring command = wide(service::build_command_line(exe, s.agent_args));
    std::wstring desktop = L"winsta0\\default";
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    startup.lpDesktop = desktop.data();
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = nullptr;
    startup.hStdOutput = s.log.handle();
    startup.hStdError = s.log.handle();
    PROCESS_INFORMATION info{};
    const BOOL created = CreateProcessAsUserW(token, wide(exe).c_str(), command.data(), nullptr,
                                              nullptr, s.log.handle() != INVALID_HANDLE_VALUE,
                                              CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT,
                                              environment, nullptr, &startup, &info);
    const DWORD create_error = GetLastError();
    if (environment != nullptr) {
        DestroyEnvironmentBlock(environment);
    }
    CloseHandle(token);
    if (!created) {
        *error = "CreateProcessAsUser: " + windows_error_text(create_error);
        return false;
    }
    CloseHandle(info.hThread);
    agent->process = info.hProcess;
    agent->session = session;
    agent->pid = info.dwProcessId;
    agent->started_ms = GetTickCount64();
    return true;
}

// The supervisor loop: keeps one agent running in the active console session until stopped.
void supervise() {
    ServiceState& s = state();
    Agent agent;
    DWORD backoff_ms = 1000;
    ULONGLONG next_start_ms = 0;
    while (true) {
        const DWORD console = WTSGetActiveConsoleSessionId();
        if (agent.running() && agent.session != console) {
            agent.stop(s.log, "the console session changed");
            next_start_ms = 0;
        }
        if (!agent.running() && console != NO_SESSION && GetTickCount64() >= next_start_ms) {
            std::string error;
            if (launch_agent(console, &agent, &error)) {
                s.log.write("agent started in session %lu (pid %lu)", console, agent.pid);
            } else {
                s.log.write("cannot start the agent in session %lu: %s", console, error.c_str());
                next_start_ms = GetTickCount64() + backoff_ms;
                backoff_ms = std::min<DWORD>(backoff_ms * 2, 30000);
            }
        }
        HANDLE handles[3] = {s.stop_event, s.session_event, agent.process};
        const DWORD count = agent.running() ? 3 : 2;
        DWORD timeout = 5000;  // also polls the console session (no session at boot, etc.)
        if (!agent.running() && next_start_ms > GetTickCount64()) {
            timeout =
                static_cast<DWORD>(std::min<ULONGLONG>(next_start_ms - GetTickCount64(), timeout));
        }
        const DWORD woke = WaitForMultipleObjects(count, handles, FALSE, timeout);
        if (woke == WAIT_OBJECT_0) {
            agent.stop(s.log, "the service is stopping");
            return;
        }
        if (woke == WAIT_OBJECT_0 + 2) {
            DWORD code = 0;
            GetExitCodeProcess(agent.process, &code);
            const ULONGLONG lived_ms = GetTickCount64() - agent.started_ms;
            s.log.write("the agent (pid %lu) exited with status %lu after %llu ms", agent.pid, code,
                        static_cast<unsigned long long>(lived_ms));
            CloseHandle(agent.process);
            agent.process = nullptr;
            // An agent that dies at once (bad options, no ivshmem driver) is not restarted in a
            // tight loop; one that ran for a while is restarted after a second.
            backoff_ms = lived_ms < 10000 ? std::min<DWORD>(backoff_ms * 2, 30000) : 1000;
            next_start_ms = GetTickCount64() + backoff_ms;
        }
        // Session events and time-outs: the loop re-reads the console session.
    }
}

void WINAPI service_main(DWORD /*argc*/, LPWSTR* /*argv*/) {
    ServiceState& s = state();
    const std::wstring name = wide(service::SERVICE_NAME);
    s.status_handle = RegisterServiceCtrlHandlerExW(name.c_str(), control_handler, nullptr);
    if (s.status_handle == nullptr) {
        s.log.write("RegisterServiceCtrlHandlerEx: %s", last_error().c_str());
        return;
    }
    report(SERVICE_START_PENDING, NO_ERROR, 3000);
    s.stop_event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    s.session_event = CreateEventW(nullptr, FALSE, FALSE, nullptr);
    if (s.stop_event == nullptr || s.session_event == nullptr) {
        s.log.write("CreateEvent: %s", last_error().c_str());
        report(SERVICE_STOPPED, GetLastError());
        return;
    }
    report(SERVICE_RUNNING);
    s.log.write("running; agent options: %s",
                service::build_command_line("periscope-agent", s.agent_args).c_str());
    supervise();
    s.log.write("stopped");
    report(SERVICE_STOPPED);
}

int run(const ServiceArgs& args) {
    ServiceState& s = state();
    s.agent_args = args.agent_args;
    s.log.open();
    std::wstring name = wide(service::SERVICE_NAME);
    SERVICE_TABLE_ENTRYW table[] = {{name.data(), service_main}, {nullptr, nullptr}};
    if (!StartServiceCtrlDispatcherW(table)) {
        const DWORD error = GetLastError();
        if (error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
            std::fprintf(stderr,
                         "periscope-agent: 'service run' is what the service control manager "
                         "starts; use 'periscope-agent service install' instead\n");
            return 2;
        }
        std::fprintf(stderr, "periscope-agent: StartServiceCtrlDispatcher: %s\n",
                     windows_error_text(error).c_str());
        return 1;
    }
    return 0;
}

// ---- install / uninstall / status ----

class ScHandle {
  public:
    explicit ScHandle(SC_HANDLE h) : m_handle(h) {}
    ~ScHandle() {
        if (m_handle != nullptr) {
            CloseServiceHandle(m_handle);
        }
    }
    ScHandle(const ScHandle&) = delete;
    ScHandle& operator=(const ScHandle&) = delete;
    SC_HANDLE get() const { return m_handle; }
    explicit operator bool() const { return m_handle != nullptr; }

  private:
    SC_HANDLE m_handle;
};

int fail_with(const char* what) {
    const DWORD error = GetLastError();
    std::fprintf(stderr, "periscope-agent: %s: %s%s\n", what, windows_error_text(error).c_str(),
                 error == ERROR_ACCESS_DENIED ? " (run it from an elevated prompt)" : "");
    return 1;
}

bool wait_for_state(SC_HANDLE service, DWORD wanted, DWORD timeout_ms) {
    const ULONGLONG until = GetTickCount64() + timeout_ms;
    SERVICE_STATUS status{};
    while (QueryServiceStatus(service, &status)) {
        if (status.dwCurrentState == wanted) {
            return true;
        }
        if (GetTickCount64() >= until) {
            return false;
        }
        Sleep(200);
    }
    return false;
}

int install(const ServiceArgs& args) {
    const std::string exe = own_exe();
    const std::string command = service::service_command_line(exe, args.agent_args);
    ScHandle manager(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE));
    if (!manager) {
        return fail_with("opening the service control manager");
    }
    const std::wstring name = wide(service::SERVICE_NAME);
    const std::wstring display = wide(service::SERVICE_DISPLAY_NAME);
    const std::wstring path = wide(command);
    // LocalSystem (no account given): it alone may put a process into another session and see
    // the secure desktop.
    ScHandle svc(CreateServiceW(manager.get(), name.c_str(), display.c_str(), SERVICE_ALL_ACCESS,
                                SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL,
                                path.c_str(), nullptr, nullptr, nullptr, nullptr, nullptr));
    if (!svc) {
        if (GetLastError() == ERROR_SERVICE_EXISTS) {
            std::fprintf(stderr,
                         "periscope-agent: the service is installed already ('service uninstall' "
                         "first to change its options)\n");
            return 1;
        }
        return fail_with("creating the service");
    }
    std::wstring description =
        L"Captures this machine's display for the Periscope viewer on the VM host (shared "
        L"memory through the IVSHMEM driver).";
    SERVICE_DESCRIPTIONW desc{description.data()};
    ChangeServiceConfig2W(svc.get(), SERVICE_CONFIG_DESCRIPTION, &desc);
    // If the service process itself dies, the service control manager restarts it.
    SC_ACTION actions[3] = {
        {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 30000}};
    SERVICE_FAILURE_ACTIONSW failure{};
    failure.dwResetPeriod = 3600;
    failure.cActions = 3;
    failure.lpsaActions = actions;
    ChangeServiceConfig2W(svc.get(), SERVICE_CONFIG_FAILURE_ACTIONS, &failure);
    std::printf("installed service %s: %s\n", service::SERVICE_NAME, command.c_str());
    if (!StartServiceW(svc.get(), 0, nullptr)) {
        return fail_with("starting the service");
    }
    wait_for_state(svc.get(), SERVICE_RUNNING, 10000);
    std::printf("started; log: %s\\agent.log\n", log_directory().c_str());
    return 0;
}

int uninstall() {
    ScHandle manager(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!manager) {
        return fail_with("opening the service control manager");
    }
    const std::wstring name = wide(service::SERVICE_NAME);
    ScHandle svc(
        OpenServiceW(manager.get(), name.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
    if (!svc) {
        if (GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST) {
            std::printf("service %s is not installed\n", service::SERVICE_NAME);
            return 0;
        }
        return fail_with("opening the service");
    }
    SERVICE_STATUS status{};
    if (ControlService(svc.get(), SERVICE_CONTROL_STOP, &status)) {
        if (!wait_for_state(svc.get(), SERVICE_STOPPED, 15000)) {
            std::fprintf(stderr, "periscope-agent: the service did not stop within 15 s\n");
        }
    }
    if (!DeleteService(svc.get())) {
        return fail_with("deleting the service");
    }
    std::printf("service %s removed\n", service::SERVICE_NAME);
    return 0;
}

int status() {
    ScHandle manager(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!manager) {
        return fail_with("opening the service control manager");
    }
    const std::wstring name = wide(service::SERVICE_NAME);
    ScHandle svc(
        OpenServiceW(manager.get(), name.c_str(), SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG));
    if (!svc) {
        if (GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST) {
            std::printf("service %s: not installed\n", service::SERVICE_NAME);
            return 3;
        }
        return fail_with("opening the service");
    }
    SERVICE_STATUS_PROCESS process{};
    DWORD needed = 0;
    const char* state_text = "unknown";
    if (QueryServiceStatusEx(svc.get(), SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&process),
                             sizeof process, &needed)) {
        switch (process.dwCurrentState) {
            case SERVICE_STOPPED:
                state_text = "stopped";
                break;
            case SERVICE_START_PENDING:
                state_text = "starting";
                break;
            case SERVICE_STOP_PENDING:
                state_text = "stopping";
                break;
            case SERVICE_RUNNING:
                state_text = "running";
                break;
            default:
                break;
        }
    }
    std::printf("service %s: %s", service::SERVICE_NAME, state_text);
    if (process.dwProcessId != 0) {
        std::printf(" (pid %lu)", process.dwProcessId);
    }
    std::printf("\n");
    QueryServiceConfigW(svc.get(), nullptr, 0, &needed);
    std::vector<BYTE> buffer(needed);
    auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data());
    if (needed > 0 && QueryServiceConfigW(svc.get(), config, needed, &needed)) {
        std::printf("command line: %s\n", narrow(config->lpBinaryPathName).c_str());
    }
    std::printf("log: %s\\agent.log\n", log_directory().c_str());
    return process.dwCurrentState == SERVICE_RUNNING ? 0 : 3;
}

}  // namespace

int run_service_command(const std::vector<std::string>& args) {
    ServiceArgs parsed;
    std::string error;
    if (!service::parse_service_args(args, &parsed, &error)) {
        std::fprintf(stderr, "periscope-agent: %s\n\n%s", error.c_str(), service::service_usage());
        return 2;
    }
    switch (parsed.command) {
        case ServiceCommand::Help:
            std::printf("%s", service::service_usage());
            return 0;
        case ServiceCommand::Install:
            return install(parsed);
        case ServiceCommand::Uninstall:
            return uninstall();
        case ServiceCommand::Status:
            return status();
        case ServiceCommand::Run:
            return run(parsed);
    }
    return 2;
}

}  // namespace periscope::agent
