#include "agent/options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "support/temp_dir.h"

namespace periscope::agent {
namespace {

Result<AgentOptions, OptionsError> parse(std::vector<std::string> args, std::string* message,
                                         Environment env = {}) {
    if (env.xdg_config_dirs.empty()) {
        env.xdg_config_dirs = "/nonexistent";  // keep the machine's own files out of the tests
    }
    return parse_agent_options(args, env, message);
}

TEST(AgentOptions, DefaultsAndCommandLine) {
    std::string message;
    auto o = parse({}, &message);
    ASSERT_TRUE(o) << message;
    EXPECT_EQ(o->capture, "auto");
    EXPECT_TRUE(o->shm.empty()) << "the PCI device by default";
    auto c = parse({"--capture", "synthetic", "--shm", "/dev/shm/x", "--shm-size", "32M", "--fps",
                    "30", "--synthetic-size=1280x720", "--synthetic-format", "rgba16f",
                    "--no-synthetic-cursor", "--buffers", "3", "--checksums"},
                   &message);
    ASSERT_TRUE(c) << message;
    EXPECT_EQ(c->capture, "synthetic");
    EXPECT_EQ(c->shm_size, 32u << 20);
    EXPECT_EQ(c->fps, 30);
    EXPECT_EQ(c->synthetic_width, 1280u);
    EXPECT_EQ(c->synthetic_height, 720u);
    EXPECT_EQ(c->synthetic_format, protocol::Format::RGBA16F);
    EXPECT_FALSE(c->synthetic_cursor);
    EXPECT_EQ(c->buffers, 3u);
    EXPECT_TRUE(c->checksums);
    EXPECT_TRUE(o->direct_capture) << "direct capture is on by default";
    auto d = parse({"--no-direct-capture"}, &message);
    ASSERT_TRUE(d) << message;
    EXPECT_FALSE(d->direct_capture);
}

TEST(AgentOptions, BadValuesSayWhat) {
    std::string message;
    EXPECT_EQ(parse({"--fps", "fast"}, &message).error(), OptionsError::Usage);
    EXPECT_NE(message.find("--fps"), std::string::npos);
    EXPECT_EQ(parse({"--bogus"}, &message).error(), OptionsError::Usage);
    EXPECT_NE(message.find("unknown option --bogus"), std::string::npos);
    EXPECT_EQ(parse({"--shm"}, &message).error(), OptionsError::Usage);
    EXPECT_EQ(parse({"--buffers", "1"}, &message).error(), OptionsError::Usage);
    EXPECT_EQ(parse({"--shm-size", "12Q", "--shm", "/dev/shm/x"}, &message).error(),
              OptionsError::Usage);
    EXPECT_EQ(parse({"--shm-size", "32M"}, &message).error(), OptionsError::Usage)
        << "a size without a file";
    EXPECT_EQ(parse({"--device", "#1", "--shm", "/dev/shm/x"}, &message).error(),
              OptionsError::Usage);
    EXPECT_EQ(parse({"stray"}, &message).error(), OptionsError::Usage);
}

TEST(AgentOptions, HelpListsEveryOption) {
    std::string message;
    EXPECT_EQ(parse({"--help"}, &message).error(), OptionsError::Help);
    for (const char* option :
         {"--capture", "--display", "--fps", "--shm", "--shm-size", "--device", "--buffers",
          "--synthetic-size", "--synthetic-fps", "--synthetic-format", "--no-synthetic-cursor",
          "--no-direct-capture", "--config", "--checksums", "--log", "--help", "--version",
          "Exit status"}) {
        EXPECT_NE(message.find(option), std::string::npos) << option;
    }
    EXPECT_EQ(parse({"--version"}, &message).error(), OptionsError::Version);
    EXPECT_NE(message.find("periscope-agent"), std::string::npos);
}

TEST(AgentOptions, ConfigFileMirrorsTheCommandLineWhichWins) {
    const test::TempDir dir("periscope-agent-config");
    ASSERT_TRUE(dir.ok());
    const std::string home = dir.file("config");
    ASSERT_EQ(system(("mkdir -p " + home + "/periscope").c_str()), 0);
    {
        std::ofstream out(home + "/periscope/agent.toml");
        out << "capture = \"synthetic\"\nfps = 25\nshm = \"/dev/shm/from-config\"\n"
               "shm-size = \"16M\"\nlog = \"warn\"\ndirect-capture = false\n[synthetic]\nsize = "
               "\"800x600\"\n"
               "cursor = false\nformat = \"RGB10A2\"\n";
    }
    Environment env;
    env.xdg_config_home = home;
    std::string message;
    auto o = parse({"--fps", "50"}, &message, env);
    ASSERT_TRUE(o) << message;
    EXPECT_EQ(o->config_file, home + "/periscope/agent.toml");
    EXPECT_EQ(o->capture, "synthetic");
    EXPECT_EQ(o->fps, 50) << "the command line wins";
    EXPECT_EQ(o->shm, "/dev/shm/from-config");
    EXPECT_EQ(o->shm_size, 16u << 20);
    EXPECT_EQ(o->log, "warn");
    EXPECT_FALSE(o->direct_capture);
    EXPECT_EQ(o->synthetic_width, 800u);
    EXPECT_FALSE(o->synthetic_cursor);
    EXPECT_EQ(o->synthetic_format, protocol::Format::RGB10A2);

    // Errors name the file and the key.
    {
        std::ofstream out(home + "/periscope/agent.toml");
        out << "fps = \"very\"\n";
    }
    EXPECT_EQ(parse({}, &message, env).error(), OptionsError::Config);
    EXPECT_NE(message.find("agent.toml: fps"), std::string::npos) << message;
    {
        std::ofstream out(home + "/periscope/agent.toml");
        out << "fps = = 3\n";
    }
    EXPECT_EQ(parse({}, &message, env).error(), OptionsError::Config);
    EXPECT_NE(message.find("agent.toml:1:"), std::string::npos) << message;
    // --config names another file explicitly.
    EXPECT_EQ(parse({"--config", "/nonexistent/agent.toml"}, &message, env).error(),
              OptionsError::Config);
}

TEST(AgentOptions, Sizes) {
    uint64_t bytes = 0;
    EXPECT_TRUE(options::parse_size("64M", &bytes));
    EXPECT_EQ(bytes, 64u << 20);
    EXPECT_TRUE(options::parse_size("1GiB", &bytes));
    EXPECT_EQ(bytes, 1u << 30);
    EXPECT_TRUE(options::parse_size("4096", &bytes));
    EXPECT_EQ(bytes, 4096u);
    EXPECT_FALSE(options::parse_size("M", &bytes));
    EXPECT_FALSE(options::parse_size("12T", &bytes));
    EXPECT_FALSE(options::parse_size("-5", &bytes));
}

}  // namespace
}  // namespace periscope::agent
