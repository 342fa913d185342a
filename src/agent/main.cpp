// periscope-agent: options, signals, the region, the capture back-end, then Agent::run.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/capture/capture_table.h"
#include "agent/options.h"
#include "core/log.h"
#include "platform/region.h"

namespace {

std::atomic<bool> g_stop{false};

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

}  // namespace

int main(int argc, char** argv) {
    using namespace periscope;
    const std::vector<std::string> args(argv + 1, argv + argc);
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
    std::string spec;
    if (!o.shm.empty()) {
        spec = o.shm.find('/') == std::string::npos ? "shm:" + o.shm : o.shm;
        region_options.create = o.shm_size != 0;
        region_options.size = o.shm_size;
    } else {
        spec = o.device.empty() ? "pci" : "pci:" + o.device;
    }
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
    config.pid = static_cast<uint32_t>(getpid());
    config.region_name = (*region)->description();
    config.region_fd = (*region)->fd();
    config.direct_capture = o.direct_capture;
    agent::Agent agent(**backend, (*region)->bytes(), config);
    auto result = agent.run(g_stop);
    if (!result) {
        PERISCOPE_LOG_ERROR("agent", "%s: exiting", agent::to_string(result.error()));
        return result.error() == agent::AgentError::SourceLost ? 3 : 1;
    }
    return 0;
}
