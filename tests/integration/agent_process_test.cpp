// periscope-agent as a process, the way users and services run it: frames reach a consumer with
// valid checksums and code strips; SIGTERM ends it cleanly (exit 0, session stopped); a region too
// small says the size needed and the agent keeps running; set-up and usage errors exit 1 and 2.
#include "support/agent_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/code_strip.h"
#include "core/hash.h"
#include "platform/region.h"
#include "protocol/consumer.h"

namespace periscope {
namespace {

constexpr uint64_t MS = NS_PER_MS;
using Process = test::AgentProcess;

std::string shm_name(const char* tag) {
    return "/dev/shm/periscope-agent-" + std::string(tag) + "-" + std::to_string(getpid());
}

std::unique_ptr<platform::Region> open_when_there(const std::string& path) {
    const uint64_t deadline = monotonic_ns() + 5000 * MS;
    while (monotonic_ns() < deadline) {
        auto region = platform::open_region(path, {}, nullptr);
        if (region) {
            return std::move(region).value();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return nullptr;
}

bool wait_state(protocol::Consumer& consumer, protocol::ConsumerState state) {
    const uint64_t deadline = monotonic_ns() + 10000 * MS;
    while (monotonic_ns() < deadline) {
        if (consumer.poll(monotonic_ns()) == state) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

TEST(AgentProcess, FramesThenCleanStopOnSigterm) {
    const std::string shm = shm_name("frames");
    ::unlink(shm.c_str());
    Process agent;
    agent.start({"--capture", "synthetic", "--shm", shm, "--shm-size", "8M", "--synthetic-size",
                 "640x480", "--checksums"});
    auto region = open_when_there(shm);
    ASSERT_NE(region, nullptr) << agent.output();
    protocol::Consumer consumer(region->bytes(), protocol::ConsumerConfig{});
    ASSERT_TRUE(wait_state(consumer, protocol::ConsumerState::Attached)) << agent.output();
    std::vector<std::byte> frame(size_t{640} * 480 * 4);
    int verified = 0;
    uint64_t last_serial = 0;
    const uint64_t deadline = monotonic_ns() + 10000 * MS;
    while (verified < 20 && monotonic_ns() < deadline) {
        consumer.poll(monotonic_ns());
        if (!consumer.wait_new_frame(monotonic_ns() + 100 * MS, protocol::PollMode::LowCpu)) {
            continue;
        }
        auto info =
            consumer.read_frame(frame.data(), frame.size(), 640 * 4, monotonic_ns() + 2000 * MS);
        if (!info) {
            continue;
        }
        ASSERT_EQ(info->checksum, hash64(frame.data(), frame.size()));
        auto code = decode_code_strip(
            [&](uint32_t x, uint32_t y) {
                return frame[(size_t{y} * 640 + x) * 4] == std::byte{255};
            },
            640, 480);
        ASSERT_TRUE(code);
        EXPECT_GT(code->serial, last_serial);
        last_serial = code->serial;
        ++verified;
    }
    EXPECT_EQ(verified, 20);
    const std::string started = agent.output();
    EXPECT_NE(started.find("region " + shm), std::string::npos) << started;
    EXPECT_NE(started.find("synthetic 640x480 BGRA8"), std::string::npos) << started;
    kill(agent.pid, SIGTERM);
    EXPECT_EQ(agent.wait_exit(5000), 0) << agent.output();
    EXPECT_TRUE(wait_state(consumer, protocol::ConsumerState::Stopped));
    ::unlink(shm.c_str());
}

TEST(AgentProcess, RegionTooSmallNamesTheSizeAndKeepsRunning) {
    const std::string shm = shm_name("small");
    ::unlink(shm.c_str());
    Process agent;
    agent.start({"--capture", "synthetic", "--shm", shm, "--shm-size", "2M", "--synthetic-size",
                 "1920x1080"});
    auto region = open_when_there(shm);
    ASSERT_NE(region, nullptr) << agent.output();
    protocol::Consumer consumer(region->bytes(), protocol::ConsumerConfig{});
    ASSERT_TRUE(wait_state(consumer, protocol::ConsumerState::Attached)) << agent.output();
    const uint64_t needed = protocol::required_region_size(
        protocol::frame_bytes(1920, 1080, protocol::Format::BGRA8), 2);
    const uint64_t deadline = monotonic_ns() + 10000 * MS;
    while (agent.output().find("too small for 1920x1080") == std::string::npos &&
           monotonic_ns() < deadline) {
        consumer.poll(monotonic_ns());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::string said = agent.output();
    EXPECT_NE(said.find(std::to_string(needed)), std::string::npos) << said;
    EXPECT_NE(said.find("size=32M"), std::string::npos) << said;
    EXPECT_EQ(agent.wait_exit(500), -1) << "still running, waiting for a size that fits";
    EXPECT_EQ(consumer.poll(monotonic_ns()), protocol::ConsumerState::Attached);
    kill(agent.pid, SIGINT);
    EXPECT_EQ(agent.wait_exit(5000), 0);
    ::unlink(shm.c_str());
}

TEST(AgentProcess, SetUpAndUsageErrors) {
    Process missing;
    missing.start({"--capture", "synthetic", "--shm", "/dev/shm/periscope-surely-missing"});
    EXPECT_EQ(missing.wait_exit(5000), 1);
    EXPECT_NE(missing.output().find("/dev/shm/periscope-surely-missing"), std::string::npos)
        << missing.output();
    Process usage;
    usage.start({"--fps", "lots"});
    EXPECT_EQ(usage.wait_exit(5000), 2);
    EXPECT_NE(usage.output().find("--fps"), std::string::npos);
    Process help;
    help.start({"--help"});
    EXPECT_EQ(help.wait_exit(5000), 0);
    EXPECT_NE(help.output().find("usage: periscope-agent"), std::string::npos);
}

}  // namespace
}  // namespace periscope
