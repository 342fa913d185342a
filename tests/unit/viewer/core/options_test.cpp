// periscope-viewer's options: defaults, the command line, the config file (same keys), errors
// that say what is wrong, and --help naming every option.
#include "viewer/options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "support/temp_dir.h"

namespace periscope::viewer {
namespace {

Result<ViewerOptions, OptionsError> parse(std::vector<std::string> args, std::string* message,
                                          Environment env = {}) {
    env.xdg_config_dirs = env.xdg_config_dirs.empty() ? "/nonexistent" : env.xdg_config_dirs;
    return parse_viewer_options(args, env, message);
}

TEST(ViewerOptions, DefaultsAndCommandLine) {
    std::string message;
    auto d = parse({}, &message);
    ASSERT_TRUE(d) << message;
    EXPECT_EQ(d->shm, "/dev/shm/periscope");
    EXPECT_EQ(d->scale, ScaleMode::Aspect);
    EXPECT_EQ(d->filter, Filter::Linear);
    EXPECT_TRUE(d->vsync);
    EXPECT_EQ(d->escape_key, "ScrollLock");
    auto o = parse({"--shm",
                    "/dev/shm/vm1",
                    "--scale",
                    "integer",
                    "--filter=nearest",
                    "--no-vsync",
                    "--fit-guest",
                    "--size",
                    "800x600",
                    "--screenshot",
                    "/tmp/s.png",
                    "--exit-after",
                    "5",
                    "--stats",
                    "-",
                    "--renderer",
                    "null",
                    "--escape-key",
                    "F12",
                    "--overlay"},
                   &message);
    ASSERT_TRUE(o) << message;
    EXPECT_EQ(o->shm, "/dev/shm/vm1");
    EXPECT_EQ(o->scale, ScaleMode::Integer);
    EXPECT_EQ(o->filter, Filter::Nearest);
    EXPECT_FALSE(o->vsync);
    EXPECT_TRUE(o->fit_guest);
    EXPECT_EQ(o->width, 800u);
    EXPECT_EQ(o->height, 600u);
    EXPECT_EQ(o->screenshot, "/tmp/s.png");
    EXPECT_EQ(o->exit_after, 5u);
    EXPECT_EQ(o->stats, "-");
    EXPECT_EQ(o->renderer, "null");
    EXPECT_EQ(o->escape_key, "F12");
    EXPECT_TRUE(o->overlay);
}

TEST(ViewerOptions, BadValuesSayWhat) {
    std::string message;
    EXPECT_EQ(parse({"--scale", "zoom"}, &message).error(), OptionsError::Usage);
    EXPECT_NE(message.find("aspect, stretch, integer or no-upscale"), std::string::npos) << message;
    EXPECT_EQ(parse({"--renderer", "vulkan"}, &message).error(), OptionsError::Usage);
    EXPECT_EQ(parse({"--size", "big"}, &message).error(), OptionsError::Usage);
    EXPECT_EQ(parse({"--bogus"}, &message).error(), OptionsError::Usage);
    EXPECT_NE(message.find("unknown option --bogus"), std::string::npos);
    EXPECT_EQ(parse({"--exit-after"}, &message).error(), OptionsError::Usage);
    EXPECT_NE(message.find("needs a value"), std::string::npos);
}

TEST(ViewerOptions, HelpNamesEveryOption) {
    std::string message;
    EXPECT_EQ(parse({"--help"}, &message).error(), OptionsError::Help);
    for (const char* option :
         {"--shm",      "--name",       "--scale",      "--filter",     "--no-vsync",
          "--renderer", "--size",       "--fit-guest",  "--fullscreen", "--borderless",
          "--overlay",  "--escape-key", "--screenshot", "--exit-after", "--exit-after-seconds",
          "--stats",    "--config",     "--log",        "--help",       "--version",
          "Keys",       "Exit status"}) {
        EXPECT_NE(message.find(option), std::string::npos) << option;
    }
}

TEST(ViewerOptions, ConfigFileMirrorsTheCommandLineWhichWins) {
    const test::TempDir temp("periscope-viewer-config");
    ASSERT_TRUE(temp.ok());
    const std::string& dir = temp.path();
    ASSERT_EQ(system(("mkdir -p " + dir + "/periscope").c_str()), 0);
    {
        std::ofstream out(dir + "/periscope/viewer.toml");
        out << "scale = \"stretch\"\nvsync = false\nsize = \"1024x768\"\nshm = \"/dev/shm/cfg\"\n";
    }
    Environment env;
    env.xdg_config_home = dir;
    std::string message;
    auto o = parse({"--scale", "integer"}, &message, env);
    {
        std::ofstream out(dir + "/periscope/viewer.toml");
        out << "scale = 3\n";
    }
    auto bad = parse({}, &message, env);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->config_file, dir + "/periscope/viewer.toml");
    EXPECT_EQ(o->scale, ScaleMode::Integer) << "the command line wins";
    EXPECT_FALSE(o->vsync);
    EXPECT_EQ(o->width, 1024u);
    EXPECT_EQ(o->shm, "/dev/shm/cfg");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), OptionsError::Config);
    EXPECT_NE(message.find("viewer.toml: scale"), std::string::npos) << message;
}

TEST(ViewerOptions, InputOptions) {
    std::string message;
    auto d = parse({}, &message);
    ASSERT_TRUE(d) << message;
    EXPECT_EQ(d->spice.kind, SpiceTarget::Kind::None) << "picture only unless asked";
    EXPECT_EQ(d->capture_on, CaptureOn::Click);
    EXPECT_TRUE(d->clipboard_to_guest);
    EXPECT_TRUE(d->clipboard_to_host);
    auto o = parse({"--spice", "unix:/run/vm.sock", "--spice-password", "s3cret", "--capture-on",
                    "focus", "--no-clipboard-to-host"},
                   &message);
    ASSERT_TRUE(o) << message;
    EXPECT_EQ(o->spice.kind, SpiceTarget::Kind::Unix);
    EXPECT_EQ(o->spice.path, "/run/vm.sock");
    EXPECT_EQ(o->spice_password, "s3cret");
    EXPECT_EQ(o->capture_on, CaptureOn::Focus);
    EXPECT_TRUE(o->clipboard_to_guest);
    EXPECT_FALSE(o->clipboard_to_host);
    auto n = parse({"--no-clipboard", "--spice", "localhost:5900"}, &message);
    ASSERT_TRUE(n) << message;
    EXPECT_FALSE(n->clipboard_to_guest);
    EXPECT_FALSE(n->clipboard_to_host);
    EXPECT_EQ(n->spice.port, 5900);

    auto bad = parse({"--spice", "unix:relative.sock"}, &message);
    ASSERT_FALSE(bad);
    EXPECT_NE(message.find("absolute"), std::string::npos) << message;
    bad = parse({"--capture-on", "hover"}, &message);
    ASSERT_FALSE(bad);
    EXPECT_NE(message.find("click, focus or manual"), std::string::npos) << message;
    EXPECT_NE(viewer_help_text().find("--spice TARGET"), std::string::npos);
    EXPECT_NE(viewer_help_text().find("--no-clipboard-to-host"), std::string::npos);
}

}  // namespace
}  // namespace periscope::viewer
