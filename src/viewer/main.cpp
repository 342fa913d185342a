// periscope-viewer: options, logging, then the App's loop.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "core/log.h"
#include "viewer/app.h"
#include "viewer/options.h"

int main(int argc, char** argv) {
    using namespace periscope;
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string message;
    auto parsed = viewer::parse_viewer_options(args, viewer::Environment::from_process(), &message);
    if (!parsed) {
        switch (parsed.error()) {
            case viewer::OptionsError::Help:
            case viewer::OptionsError::Version:
                std::printf("%s\n", message.c_str());
                return 0;
            case viewer::OptionsError::Usage:
            case viewer::OptionsError::Config:
                std::fprintf(stderr, "periscope-viewer: %s\n", message.c_str());
                return 2;
        }
    }
    const viewer::ViewerOptions& options = *parsed;
    LogLevel level = LogLevel::Info;
    (void)parse_log_level(options.log.c_str(), &level);
    set_log_level(level);
    if (!options.config_file.empty()) {
        PERISCOPE_LOG_INFO("viewer", "config file %s", options.config_file.c_str());
    }
    std::string detail;
    auto app = viewer::App::create(options, &detail);
    if (!app) {
        if (app.error() == viewer::AppError::BadOptions) {
            std::fprintf(stderr, "periscope-viewer: %s\n", detail.c_str());
            return 2;
        }
        PERISCOPE_LOG_ERROR("viewer", "%s: %s", viewer::to_string(app.error()), detail.c_str());
        return 1;
    }
    return (*app)->run();
}
