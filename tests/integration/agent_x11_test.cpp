// periscope-agent capturing a real X server (Xvfb started by the test), end to end: what a consumer
// receives through the shared region is compared with the X server's own image of the root
// window. Damage, cursor shape and position, a RandR resolution change, and the X server going
// away (the agent exits with status 3, the session marked stopped).
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "core/clock.h"
#include "platform/region.h"
#include "protocol/consumer.h"
#include "support/agent_process.h"
#include "support/xvfb.h"
#include "unit/agent/x11/x11_test_client.h"

namespace periscope {
namespace {

constexpr uint64_t MS = NS_PER_MS;

struct Rig {
    std::unique_ptr<test::Xvfb> xvfb;
    std::unique_ptr<test::X11TestClient> client;
    test::AgentProcess agent;
    std::string shm;
    std::unique_ptr<platform::Region> region;
    std::unique_ptr<protocol::Consumer> consumer;
    std::vector<std::byte> frame;
    protocol::FrameInfo info;

    // `direct`: the X server writes into the region (the default); false: --no-direct-capture.
    explicit Rig(const char* tag, bool direct = true) {
        test::XvfbConfig config;
        config.width = 800;
        config.height = 600;
        std::string error;
        xvfb = test::Xvfb::start(config, &error);
        EXPECT_NE(xvfb, nullptr) << error;
        if (!xvfb) {
            return;
        }
        client = std::make_unique<test::X11TestClient>(xvfb->display());
        client->fill_noise(7);
        client->fill(100, 100, 200, 50, client->pixel(255, 0, 0));
        client->sync();
        shm = "/dev/shm/periscope-agent-x11-" + std::string(tag) + "-" + std::to_string(getpid());
        ::unlink(shm.c_str());
        std::vector<std::string> args = {"--capture", "x11", "--display",  xvfb->display(),
                                         "--shm",     shm,   "--shm-size", "8M"};
        if (!direct) {
            args.emplace_back("--no-direct-capture");
        }
        agent.start(args);
        const uint64_t deadline = monotonic_ns() + 10000 * MS;
        while (!region && monotonic_ns() < deadline) {
            auto r = platform::open_region(shm, {}, nullptr);
            if (r) {
                region = std::move(r).value();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        EXPECT_NE(region, nullptr) << agent.output();
        if (region) {
            consumer =
                std::make_unique<protocol::Consumer>(region->bytes(), protocol::ConsumerConfig{});
        }
    }
    ~Rig() { ::unlink(shm.c_str()); }
    bool ready() const { return consumer != nullptr; }

    // Takes frames until one satisfies `want` (10 s).
    template <class Want>
    bool frame_where(Want want) {
        const uint64_t deadline = monotonic_ns() + 10000 * MS;
        while (monotonic_ns() < deadline) {
            consumer->poll(monotonic_ns());
            if (!consumer->wait_new_frame(monotonic_ns() + 100 * MS, protocol::PollMode::LowCpu)) {
                continue;
            }
            auto got = consumer->acquire();
            if (!got || !consumer->wait_rows(got->height, monotonic_ns() + 2000 * MS)) {
                continue;
            }
            frame.assign(consumer->frame_data(),
                         consumer->frame_data() + uint64_t{got->stride} * got->height);
            if (consumer->release() && want(*got)) {
                info = *got;
                return true;
            }
        }
        return false;
    }
    // The frame equals the server's image of the root (the latest frame, so retry a few times
    // while the agent catches up with drawing).
    bool equals_server_image() {
        for (int attempt = 0; attempt < 50; ++attempt) {
            uint32_t w = 0, h = 0;
            const auto server = client->root_image(&w, &h);
            if (w == info.width && h == info.height && server.size() == frame.size() &&
                std::memcmp(server.data(), frame.data(), frame.size()) == 0) {
                return true;
            }
            frame_where([](const protocol::FrameInfo&) { return true; });
        }
        return false;
    }
};

// The picture, damage and resolution tests run twice: with direct capture and with the copy path.
class AgentX11Paths : public ::testing::TestWithParam<bool> {
  protected:
    bool direct() const { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(CapturePath, AgentX11Paths, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                             return param.param ? "Direct" : "Copy";
                         });

TEST_P(AgentX11Paths, ConsumerReceivesExactlyTheServersPicture) {
    Rig rig(direct() ? "pixels-direct" : "pixels-copy", direct());
    ASSERT_TRUE(rig.ready());
    ASSERT_TRUE(rig.frame_where([](const protocol::FrameInfo& i) { return i.damage.is_full(); }));
    EXPECT_EQ(rig.info.width, 800u);
    EXPECT_EQ(rig.info.height, 600u);
    EXPECT_EQ(rig.info.format, protocol::Format::BGRA8);
    EXPECT_TRUE(rig.equals_server_image());
    const std::string log = rig.agent.output();
    EXPECT_NE(log.find(rig.xvfb->display()), std::string::npos) << "names the display: " << log;
    const char* path =
        direct() ? "direct capture: the x11 source writes frames into" : "frames are copied into";
    EXPECT_NE(log.find(path), std::string::npos) << "says how frames travel: " << log;
}

TEST_P(AgentX11Paths, DamageCoversASmallChange) {
    Rig rig(direct() ? "damage-direct" : "damage-copy", direct());
    ASSERT_TRUE(rig.ready());
    ASSERT_TRUE(rig.frame_where([](const protocol::FrameInfo&) { return true; }));
    // Let the first burst settle, then change 20x20 pixels.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    while (rig.consumer->has_new_frame()) {
        rig.frame_where([](const protocol::FrameInfo&) { return true; });
    }
    rig.client->fill(400, 300, 20, 20, rig.client->pixel(0, 255, 0));
    rig.client->sync();
    const protocol::Rect changed{400, 300, 20, 20};
    ASSERT_TRUE(rig.frame_where([&](const protocol::FrameInfo& i) {
        if (i.damage.is_full()) {
            return false;
        }
        for (const protocol::Rect& r : i.damage.rects()) {
            if (protocol::contains(r, changed)) {
                return true;
            }
        }
        return false;
    }));
    EXPECT_LE(rig.info.damage.total_area(), 4u * 20 * 20) << "only about what changed";
    EXPECT_TRUE(rig.equals_server_image());
}

TEST(AgentX11, CursorShapeAndPositionReachTheConsumer) {
    Rig rig("cursor");
    ASSERT_TRUE(rig.ready());
    ASSERT_TRUE(rig.frame_where([](const protocol::FrameInfo&) { return true; }));
    auto shape_after = [&](uint16_t glyph, uint64_t not_serial) -> std::optional<uint64_t> {
        rig.client->set_root_cursor(glyph);
        const uint64_t deadline = monotonic_ns() + 10000 * MS;
        while (monotonic_ns() < deadline) {
            rig.consumer->poll(monotonic_ns());
            auto p = rig.consumer->read_cursor();
            if (p && p->shape_serial != 0 && p->shape_serial != not_serial) {
                auto shape = rig.consumer->read_cursor_shape(*p);
                if (shape && shape->info.width > 0 && !shape->pixels.empty()) {
                    return p->shape_serial;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return std::nullopt;
    };
    auto watch = shape_after(150, 0);  // XC_watch
    ASSERT_TRUE(watch);
    auto crosshair = shape_after(34, *watch);  // XC_crosshair
    ASSERT_TRUE(crosshair) << "a new shape after xsetroot-style change";
    rig.client->fake_motion(123, 234);
    bool moved = false;
    const uint64_t deadline = monotonic_ns() + 10000 * MS;
    while (!moved && monotonic_ns() < deadline) {
        rig.consumer->poll(monotonic_ns());
        auto p = rig.consumer->read_cursor();
        moved = p && p->x == 123 && p->y == 234;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(moved);
}

TEST_P(AgentX11Paths, RandrResolutionChangeIsFollowed) {
    Rig rig(direct() ? "randr-direct" : "randr-copy", direct());
    ASSERT_TRUE(rig.ready());
    ASSERT_TRUE(rig.frame_where([](const protocol::FrameInfo&) { return true; }));
    ASSERT_EQ(rig.xvfb->set_size(640, 480), 0);
    ASSERT_TRUE(rig.frame_where([](const protocol::FrameInfo& i) { return i.width == 640; }));
    EXPECT_EQ(rig.info.height, 480u);
    EXPECT_TRUE(rig.equals_server_image());
}

TEST(AgentX11, XServerGoingAwayEndsTheAgentWithStatus3) {
    Rig rig("gone");
    ASSERT_TRUE(rig.ready());
    ASSERT_TRUE(rig.frame_where([](const protocol::FrameInfo&) { return true; }));
    rig.client.reset();
    rig.xvfb->stop();
    EXPECT_EQ(rig.agent.wait_exit(10000), 3) << rig.agent.output();
    EXPECT_NE(rig.agent.output().find("capture source"), std::string::npos) << rig.agent.output();
    const uint64_t deadline = monotonic_ns() + 5000 * MS;
    while (rig.consumer->poll(monotonic_ns()) != protocol::ConsumerState::Stopped &&
           monotonic_ns() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(rig.consumer->state(), protocol::ConsumerState::Stopped)
        << "the session is marked stopped on the way out";
}

}  // namespace
}  // namespace periscope
