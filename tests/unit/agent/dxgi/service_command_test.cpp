// `periscope-agent service ...`: argument handling and Windows command-line quoting (the Windows
// service itself lives in src/agent/service/service_win.cpp; these parts are plain C++).
#include "agent/service/service_command.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace periscope::agent::service {
namespace {

TEST(ServiceCommand, ParsesSubcommands) {
    ServiceArgs a;
    std::string error;
    ASSERT_TRUE(parse_service_args({}, &a, &error));
    EXPECT_EQ(a.command, ServiceCommand::Help);
    ASSERT_TRUE(parse_service_args({"install", "--device", "#0", "--fps", "60"}, &a, &error));
    EXPECT_EQ(a.command, ServiceCommand::Install);
    EXPECT_EQ(a.agent_args, (std::vector<std::string>{"--device", "#0", "--fps", "60"}));
    ASSERT_TRUE(parse_service_args({"run", "--", "--capture", "dxgi"}, &a, &error));
    EXPECT_EQ(a.command, ServiceCommand::Run);
    EXPECT_EQ(a.agent_args, (std::vector<std::string>{"--capture", "dxgi"}));
    ASSERT_TRUE(parse_service_args({"status"}, &a, &error));
    EXPECT_EQ(a.command, ServiceCommand::Status);
    ASSERT_TRUE(parse_service_args({"uninstall"}, &a, &error));
    EXPECT_EQ(a.command, ServiceCommand::Uninstall);
    EXPECT_FALSE(parse_service_args({"status", "x"}, &a, &error));
    EXPECT_FALSE(parse_service_args({"start"}, &a, &error));
    EXPECT_NE(error.find("start"), std::string::npos);
}

TEST(ServiceCommand, QuotesOnlyWhenNeeded) {
    EXPECT_EQ(quote_argument("--fps"), "--fps");
    EXPECT_EQ(quote_argument("C:\\dir\\file"), "C:\\dir\\file");  // backslashes alone are literal
    EXPECT_EQ(quote_argument(""), "\"\"");
    EXPECT_EQ(quote_argument("a b"), "\"a b\"");
    EXPECT_EQ(quote_argument("say \"hi\""), "\"say \\\"hi\\\"\"");
    // Backslashes before a quote or the closing quote are doubled.
    EXPECT_EQ(quote_argument("C:\\Program Files\\"), "\"C:\\Program Files\\\\\"");
    EXPECT_EQ(quote_argument("a\\\"b"), "\"a\\\\\\\"b\"");
}

TEST(ServiceCommand, SplitsLikeCommandLineToArgvW) {
    EXPECT_EQ(split_command_line("a  b\tc"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(split_command_line("\"a b\" c"), (std::vector<std::string>{"a b", "c"}));
    EXPECT_EQ(split_command_line("a\\\\\\\"b"), (std::vector<std::string>{"a\\\"b"}));
    EXPECT_EQ(split_command_line("\"a\\\\\" b"), (std::vector<std::string>{"a\\", "b"}));
    EXPECT_EQ(split_command_line("a\\b"), (std::vector<std::string>{"a\\b"}));
    EXPECT_EQ(split_command_line("\"\""), (std::vector<std::string>{""}));
    EXPECT_TRUE(split_command_line("   ").empty());
}

TEST(ServiceCommand, ArgumentsSurviveTheRoundTrip) {
    const std::vector<std::string> args{
        "--shm-file", "C:\\Program Files\\periscope\\shm", "",          "trailing\\",
        "quote\"in",  "\\\\server\\share\\x y\\",          "tab\there", "#0"};
    const std::string line = build_command_line("C:\\Program Files\\periscope-agent.exe", args);
    const auto back = split_command_line(line);
    ASSERT_EQ(back.size(), args.size() + 1) << line;
    EXPECT_EQ(back[0], "C:\\Program Files\\periscope-agent.exe");
    for (size_t i = 0; i < args.size(); ++i) {
        EXPECT_EQ(back[i + 1], args[i]) << line;
    }
}

TEST(ServiceCommand, ServiceCommandLineRunsTheAgentWithItsOptions) {
    const std::string line = service_command_line(
        "C:\\Program Files\\Periscope\\periscope-agent.exe", {"--device", "#1", "--log", "debug"});
    EXPECT_EQ(line.rfind("\"C:\\Program Files\\Periscope\\periscope-agent.exe\" ", 0), 0u) << line;
    const auto words = split_command_line(line);
    ASSERT_EQ(words.size(), 8u);
    EXPECT_EQ(words[1], "service");
    EXPECT_EQ(words[2], "run");
    EXPECT_EQ(words[3], "--");
    // What `service run` receives after "service" parses back into the agent's options.
    ServiceArgs a;
    std::string error;
    ASSERT_TRUE(
        parse_service_args(std::vector<std::string>(words.begin() + 2, words.end()), &a, &error));
    EXPECT_EQ(a.command, ServiceCommand::Run);
    EXPECT_EQ(a.agent_args, (std::vector<std::string>{"--device", "#1", "--log", "debug"}));
}

}  // namespace
}  // namespace periscope::agent::service
