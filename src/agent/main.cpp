// periscope-agent: options, signals, the region, the capture back-end, then Agent::run.
#if defined(_WIN32)
#include <windows.h>
#else
#include <signal.h>
#include <unistd.h>
#endif

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/capture/capture_table.h"
#include "agent/options.h"
#include "core/log.h"
#include "platform/region.h"
#if PERISCOPE_HAVE_SERVICE
#include "agent/service/service.h"
#endif

namespace {

std::atomic<bool> g_stop{false};

#if defined(_WIN32)
std::atomic<bool> g_finished{false};

BOOL WINAPI on_console_event(DWORD event) {
    g_stop.store(true);
    if (event == CTRL_CLOSE_EVENT || event == CTRL_LOGOFF_EVENT || event == CTRL_SHUTDOWN_EVENT) {
        // Windows ends the process when this returns: give the loop a moment to mark the session
        // stopped, so the viewer says "agent stopped" rather than waiting for the heartbeat.
        for (int i = 0; i < 200 && !g_finished.load(); ++i) {
            Sleep(10);
        }
    }
    return TRUE;
}

void install_signal_handlers() {
    SetConsoleCtrlHandler(on_console_event, TRUE);
}

uint32_t process_id() {
    return static_cast<uint32_t>(GetCurrentProcessId());
}
#else
void on_signal(int /*signal*/) {
    g_stop.store(true);
}

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocking poll() returns at once
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    // A write to an X server that just died must be an error the back-end reports (exit 3),
    // not a signal that kills the agent without marking the session stopped.
    signal(SIGPIPE, SIG_IGN);
}

uint32_t process_id() {
    return static_cast<uint32_t>(getpid());
}
#endif

// The region spec for the options: a file (--shm, --shm-file) or the ivshmem device.
std::string region_spec(const periscope::agent::AgentOptions& o) {
#if defined(_WIN32)
    const std::string& file = o.shm_file.empty() ? o.shm : o.shm_file;
    if (!file.empty()) {
        return "file:" + file;
    }
    return o.device.empty() ? "ivshmem" : "ivshmem:" + o.device;
#else
    if (!o.shm_file.empty()) {
        // Taken as it is: a bare name is a file in the current directory, not /dev/shm/NAME.
        return o.shm_file.find('/') == std::string::npos ? "shm:./" + o.shm_file
                                                         : "shm:" + o.shm_file;
    }
    if (!o.shm.empty()) {
        return o.shm.find('/') == std::string::npos ? "shm:" + o.shm : o.shm;
    }
    return o.device.empty() ? "pci" : "pci:" + o.device;
#endif
}

}  // namespace

int main(int argc, char** argv) {
    using namespace periscope;
    const std::vector<std::string> args(argv + 1, argv + argc);
#if PERISCOPE_HAVE_SERVICE
    if (!args.empty() && args[0] == "service") {
        return agent::run_service_command(std::vector<std::string>(args.begin() + 1, args.end()));
    }
#endif
    std::string message;
    auto parsed = agent::parse_agent_options(args, agent::Environment::from_process(), &message);
    if (!parsed) {
        switch (parsed.error()) {
            case agent::OptionsError::Help:
            case agent::OptionsError::Version:
                std::printf("%s\n", message.c_str());
                return 0;
            case agent::OptionsError::Usage:
            case agent::OptionsError::Config:
                std::fprintf(stderr, "periscope-agent: %s\n", message.c_str());
                return 2;
        }
    }
    const agent::AgentOptions& o = *parsed;
    LogLevel level = LogLevel::Info;
    parse_log_level(o.log.c_str(), &level);
    set_log_level(level);
    if (!o.config_file.empty()) {
        PERISCOPE_LOG_INFO("agent", "config file %s", o.config_file.c_str());
    }

    platform::RegionOptions region_options;
    const std::string spec = region_spec(o);
    region_options.create = o.shm_size != 0;
    region_options.size = o.shm_size;
    std::string detail;
    auto region = platform::open_region(spec, region_options, &detail);
    if (!region) {
        return 1;  // the platform module logged why, with what to do about it
    }
    PERISCOPE_LOG_INFO("agent", "region %s", (*region)->description().c_str());

    agent::CaptureOptions capture_options;
    capture_options.display = o.display;
    capture_options.width = o.synthetic_width;
    capture_options.height = o.synthetic_height;
    capture_options.fps = o.synthetic_fps;
    capture_options.format = o.synthetic_format;
    capture_options.cursor = o.synthetic_cursor;
    auto backend = agent::open_capture(o.capture, capture_options, &detail);
    if (!backend) {
        std::fprintf(stderr, "periscope-agent: %s\n", detail.c_str());
        return 1;
    }

    install_signal_handlers();
    agent::AgentConfig config;
    config.max_fps = o.fps;
    config.buffers = o.buffers;
    config.checksums = o.checksums;
    config.pid = process_id();
    config.region_name = (*region)->description();
    config.region_fd = (*region)->fd();
    config.direct_capture = o.direct_capture;
    agent::Agent agent(**backend, (*region)->bytes(), config);
    auto result = agent.run(g_stop);
#if defined(_WIN32)
    g_finished.store(true);
#endif
    if (!result) {
        PERISCOPE_LOG_ERROR("agent", "%s: exiting", agent::to_string(result.error()));
        return result.error() == agent::AgentError::SourceLost ? 3 : 1;
    }
    return 0;
}
