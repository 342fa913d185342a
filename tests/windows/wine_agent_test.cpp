// periscope-agent.exe (cross-built with mingw-w64, build/windows) under Wine on Xvfb: it maps a
// /dev/shm file through Z:\dev\shm\NAME, finds that Wine's DXGI has no Desktop Duplication, falls
// back to GDI, captures an X client's window drawing a known pattern, and the Linux viewer on
// another X server presents it: the pattern must be in the viewer's screenshot, pixel for pixel.
//
// Wine maps Z:\dev\shm\NAME with the host's mmap(MAP_SHARED) of /dev/shm/NAME, so the agent and
// the viewer share the bytes live, as QEMU and the viewer do with ivshmem. The viewer runs on a
// second Xvfb: on the captured one its window would cover the client (and show itself).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "protocol/layout.h"
// agent_process.h's default program: the agent here is Wine running the .exe, named every time.
#define PERISCOPE_AGENT PERISCOPE_WINE
#include "support/agent_process.h"
#include "support/temp_dir.h"
#include "support/xvfb.h"
#include "test_pattern.h"
#include "viewer/render/png.h"

namespace periscope {
namespace {

constexpr uint32_t SCREEN_W = 1024;
constexpr uint32_t SCREEN_H = 768;

uint64_t ms_since(uint64_t start_ns) {
    return (monotonic_ns() - start_ns) / NS_PER_MS;
}

// Polls `done` every 100 ms until it returns true or `timeout_ms` passed.
template <class Done>
bool wait_for(uint64_t timeout_ms, Done done) {
    const uint64_t start = monotonic_ns();
    while (!done()) {
        if (ms_since(start) > timeout_ms) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return true;
}

// A /dev/shm file for the region, removed however the test ends.
struct ShmFile {
    std::string name = "periscope-wine-test-" + std::to_string(getpid());
    std::string path = "/dev/shm/" + name;
    explicit ShmFile(uint64_t size) {
        std::ofstream(path).close();
        std::filesystem::resize_file(path, size);
    }
    ~ShmFile() { std::filesystem::remove(path); }
};

// The test client's window, pixel-exact, at its place in the screenshot (1:1). The pointer, which
// Xvfb leaves in the middle of the screen (over the window), may be drawn on it by the viewer:
// one cursor's worth of pixels may differ.
bool pattern_in(const std::string& png, std::string* why) {
    uint32_t w = 0;
    uint32_t h = 0;
    std::vector<std::byte> rgba;
    std::string unread;  // (not there yet: asked again in 100 ms, no need to log it)
    if (!viewer::read_png(png, &w, &h, &rgba, &unread) || w < SCREEN_W || h < SCREEN_H) {
        *why = "no screenshot of the screen's size yet";
        return false;
    }
    const size_t wrong = vm::pattern_mismatches(rgba.data(), w, vm::WINDOW_X, vm::WINDOW_Y);
    *why = std::to_string(wrong) + " of " + std::to_string(vm::WINDOW_WIDTH * vm::WINDOW_HEIGHT) +
           " pixels differ";
    return wrong <= 32 * 32;
}

TEST(WineAgent, GdiCaptureOfAnXClientReachesTheLinuxViewer) {
    // Fail, never skip: `./x test` builds the .exe first, so a missing one is a broken build.
    ASSERT_TRUE(std::filesystem::exists(PERISCOPE_WINDOWS_AGENT))
        << PERISCOPE_WINDOWS_AGENT << " is missing: build it with ./x build windows";
    ASSERT_EQ(access(PERISCOPE_WINE, X_OK), 0)
        << "no Wine at " << PERISCOPE_WINE << ": ./x deps installs wine64";

    test::TempDir dir("periscope-wine");
    ASSERT_TRUE(dir.ok());
    std::string error;
    test::XvfbConfig screen;
    screen.width = SCREEN_W;
    screen.height = SCREEN_H;
    auto captured = test::Xvfb::start(screen, &error);
    ASSERT_TRUE(captured) << error;
    auto shown = test::Xvfb::start(screen, &error);
    ASSERT_TRUE(shown) << error;

    // The X client with the known picture, on the screen the agent captures.
    setenv("DISPLAY", captured->display().c_str(), 1);
    const std::string client_log = dir.file("client.log");
    test::AgentProcess client;
    client.start({"--log", client_log}, PERISCOPE_TEST_CLIENT);
    ASSERT_TRUE(
        wait_for(10000, [&] { return client.output().find("mapped") != std::string::npos; }))
        << "the test client never mapped its window: " << client.output();

    // The region: sized as the protocol asks for two frames of the screen (shm-protocol.md §8).
    const uint64_t frame = protocol::frame_bytes(SCREEN_W, SCREEN_H, protocol::Format::BGRA8);
    ShmFile shm(protocol::required_region_size(frame, 2));

    // The agent, under Wine. The prefix lives in the build tree and is reused: the first run
    // creates it (~10 s); no Mono/Gecko installers (they would wait for a click on the screen).
    setenv("WINEPREFIX", PERISCOPE_WINE_PREFIX, 1);
    setenv("WINEDEBUG", "-all", 1);
    setenv("WINEDLLOVERRIDES", "mscoree,mshtml=", 1);
    const uint64_t start = monotonic_ns();
    test::AgentProcess agent;
    agent.start({PERISCOPE_WINDOWS_AGENT, "--capture", "auto", "--shm-file",
                 "Z:\\dev\\shm\\" + shm.name, "--log", "info"},
                PERISCOPE_WINE);
    const bool publishing = wait_for(120000, [&] {
        return agent.output().find("agent: publishing") != std::string::npos ||
               agent.wait_exit(0) != -1;
    });
    const std::string log = agent.output();
    ASSERT_TRUE(publishing && log.find("agent: publishing") != std::string::npos)
        << "the agent did not start publishing:\n"
        << log;
    std::printf("[ wine     ] agent publishing after %llu ms\n",
                static_cast<unsigned long long>(ms_since(start)));
    // Wine's DXGI has no Desktop Duplication: auto must say so and fall back to GDI.
    EXPECT_NE(log.find("capture: falling back to gdi (dxgi: "), std::string::npos) << log;
    EXPECT_NE(log.find("capturing GDI: primary screen 1024x768"), std::string::npos) << log;
    EXPECT_NE(log.find("region Z:\\dev\\shm\\" + shm.name), std::string::npos) << log;

    // The Linux viewer on the other screen, 1:1, writing what it presents.
    setenv("DISPLAY", shown->display().c_str(), 1);
    setenv("LP_NUM_THREADS", "0", 1);
    setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    const std::string png = dir.file("viewer.png");
    test::AgentProcess viewer;
    viewer.start(
        {"--shm", shm.path, "--size", std::to_string(SCREEN_W) + "x" + std::to_string(SCREEN_H),
         "--scale", "no-upscale", "--filter", "nearest", "--no-vsync", "--screenshot", png},
        PERISCOPE_VIEWER);
    std::string why;
    const uint64_t shown_start = monotonic_ns();
    const bool found = wait_for(60000, [&] { return pattern_in(png, &why); });
    EXPECT_TRUE(found) << why << "\nagent:\n" << agent.output() << "\nviewer:\n" << viewer.output();
    std::printf("[ wine     ] pattern in the viewer's screenshot after %llu ms (%s)\n",
                static_cast<unsigned long long>(ms_since(shown_start)), why.c_str());
}

}  // namespace
}  // namespace periscope
