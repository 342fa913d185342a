// periscope-viewer as a process on a real X server (Xvfb) with real OpenGL (Mesa llvmpipe), fed
// by a protocol Producer in this test: what it presents (its --screenshot) must be the frame
// pixel for pixel at 1:1, follow the scaling geometry, show the cursor where the producer puts it
// (also without a new frame), follow a resolution change and an agent restart, and survive a
// region full of garbage or mutated while it reads.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <random>
#include <thread>

#include "core/clock.h"
#include "platform/region.h"
#include "protocol/producer.h"
#include "support/agent_process.h"
#include "support/xvfb.h"
#include "viewer/render/png.h"

namespace periscope {
namespace {

constexpr uint64_t MS = NS_PER_MS;

struct Image {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<std::byte> bgra;
    // A pattern in which every pixel of a 256x256 block differs from its neighbours.
    static Image pattern(uint32_t w, uint32_t h, uint32_t seed) {
        Image i{w, h, std::vector<std::byte>(size_t{w} * h * 4)};
        for (uint32_t y = 0; y < h; ++y) {
            for (uint32_t x = 0; x < w; ++x) {
                std::byte* p = &i.bgra[(size_t{y} * w + x) * 4];
                p[0] = std::byte(static_cast<uint8_t>(x + seed));
                p[1] = std::byte(static_cast<uint8_t>(y * 3 + seed));
                p[2] = std::byte(static_cast<uint8_t>((x ^ y) + seed * 7));
                p[3] = std::byte{255};
            }
        }
        return i;
    }
    // RGBA of pixel (x, y), as a screenshot stores it.
    uint32_t rgba(uint32_t x, uint32_t y) const {
        const std::byte* p = &bgra[(size_t{y} * width + x) * 4];
        return std::to_integer<uint32_t>(p[2]) | std::to_integer<uint32_t>(p[1]) << 8 |
               std::to_integer<uint32_t>(p[0]) << 16 | 0xFF000000u;
    }
};

struct Shot {
    uint32_t width = 0;
    uint32_t height = 0;
    std::vector<std::byte> rgba;
    uint32_t at(uint32_t x, uint32_t y) const {
        uint32_t v = 0;
        std::memcpy(&v, &rgba[(size_t{y} * width + x) * 4], 4);
        return v;  // little-endian: R | G << 8 | B << 16 | A << 24
    }
};

class ViewerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string error;
        test::XvfbConfig config;
        config.width = 1280;
        config.height = 1024;
        m_xvfb = test::Xvfb::start(config, &error);
        ASSERT_TRUE(m_xvfb) << error;
        const std::string tag = std::to_string(getpid()) + "-" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name();
        m_shm = "/dev/shm/periscope-viewer-test-" + tag;
        m_png = "/tmp/periscope-viewer-test-" + tag + ".png";
        ::unlink(m_shm.c_str());
        ::unlink(m_png.c_str());
        platform::RegionOptions o;
        o.create = true;
        o.size = 8 << 20;
        auto region = platform::open_region(m_shm, o, &error);
        ASSERT_TRUE(region) << error;
        m_region = std::move(region).value();
    }
    void TearDown() override {
        m_producer.reset();
        ::unlink(m_shm.c_str());
        ::unlink(m_png.c_str());
    }

    void start_producer() {
        m_producer.reset();
        protocol::ProducerConfig config;
        config.expected_frame_bytes = 640 * 480 * 4;
        auto p = protocol::Producer::create(m_region->bytes(), config);
        ASSERT_TRUE(p);
        m_producer = std::move(p).value();
        m_producer->service(monotonic_ns());
    }
    void publish(const Image& image) {
        ASSERT_TRUE(m_producer->publish(
            {protocol::Format::BGRA8, image.width, image.height, monotonic_ns()}, image.bgra.data(),
            image.width * 4, full()));
    }
    static protocol::DamageList full() {
        protocol::DamageList d;
        d.set_full();
        return d;
    }
    void start_viewer(std::vector<std::string> extra) {
        setenv("DISPLAY", m_xvfb->display().c_str(), 1);
        // The viewer (a child) inherits it: llvmpipe without threads, for ThreadSanitizer.
        setenv("LP_NUM_THREADS", "0", 1);
        // Under the asan preset: Mesa's driver leaks two allocations that LeakSanitizer can only
        // attribute after it was unloaded (see tests/support/gl_window.cpp), which would turn the
        // viewer's exit status into a failure. Our own leaks are checked in-process by the GL
        // renderer and overlay tests; memory errors are still fatal here.
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
        std::vector<std::string> args = {"--shm",      m_shm,      "--screenshot", m_png,
                                         "--no-vsync", "--filter", "nearest"};
        args.insert(args.end(), extra.begin(), extra.end());
        m_viewer.start(args, PERISCOPE_VIEWER);
    }
    // Services the producer (its heartbeat) and reads the screenshot until `want` holds (15 s).
    template <class Want>
    bool shot_where(Want want) {
        const uint64_t deadline = monotonic_ns() + 15000 * MS;
        while (monotonic_ns() < deadline) {
            if (m_producer) {
                m_producer->service(monotonic_ns());
            }
            Shot s;
            if (viewer::read_png(m_png, &s.width, &s.height, &s.rgba) && want(s)) {
                m_shot = std::move(s);
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }
    static bool equals(const Shot& s, const Image& image, int32_t x0, int32_t y0, uint32_t scale) {
        for (uint32_t y = 0; y < image.height; ++y) {
            for (uint32_t x = 0; x < image.width; ++x) {
                for (uint32_t k = 0; k < scale * scale; ++k) {
                    const uint32_t sx = static_cast<uint32_t>(x0) + x * scale + k % scale;
                    const uint32_t sy = static_cast<uint32_t>(y0) + y * scale + k / scale;
                    if (sx >= s.width || sy >= s.height || s.at(sx, sy) != image.rgba(x, y)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    std::unique_ptr<test::Xvfb> m_xvfb;
    std::string m_shm;
    std::string m_png;
    std::unique_ptr<platform::Region> m_region;
    std::unique_ptr<protocol::Producer> m_producer;
    test::AgentProcess m_viewer;
    Shot m_shot;
};

TEST_F(ViewerTest, OneToOneIsPixelExact) {
    start_producer();
    const Image image = Image::pattern(320, 240, 1);
    publish(image);
    start_viewer({"--size", "320x240", "--scale", "no-upscale"});
    ASSERT_TRUE(shot_where([&](const Shot& s) {
        return s.width == 320 && s.height == 240 && equals(s, image, 0, 0, 1);
    })) << m_viewer.output();
    EXPECT_NE(m_viewer.output().find("guest resolution 320x240 BGRA8"), std::string::npos);
}

TEST_F(ViewerTest, IntegerScalingDoublesEachPixelAndCentres) {
    start_producer();
    const Image image = Image::pattern(320, 240, 2);
    publish(image);
    // 700x500 holds 2x (640x480) at (30, 10); the border stays black.
    start_viewer({"--size", "700x500", "--scale", "integer"});
    ASSERT_TRUE(shot_where([&](const Shot& s) {
        return s.width == 700 && s.height == 500 && equals(s, image, 30, 10, 2);
    })) << m_viewer.output();
    EXPECT_EQ(m_shot.at(5, 5), 0xFF000000u);
    EXPECT_EQ(m_shot.at(695, 495), 0xFF000000u);
}

TEST_F(ViewerTest, AspectKeepsTheRatioWithBlackBars) {
    start_producer();
    const Image image = Image::pattern(320, 240, 3);
    publish(image);
    // 4:3 in 640x400: aspect gives 533x400 at x = 53 (pillarbox left and right).
    start_viewer({"--size", "640x400", "--scale", "aspect"});
    ASSERT_TRUE(shot_where([&](const Shot& s) {
        return s.width == 640 && s.at(20, 200) == 0xFF000000u && s.at(620, 200) == 0xFF000000u &&
               s.at(60, 5) != 0xFF000000u && s.at(580, 395) != 0xFF000000u;
    })) << m_viewer.output();
    // The frame's top-left pixel lands at the viewport's corner (nearest filter).
    EXPECT_EQ(m_shot.at(53, 0), image.rgba(0, 0));
    EXPECT_EQ(m_viewer.wait_exit(0), -1) << "still running";
}

TEST_F(ViewerTest, CursorIsDrawnAndMovesWithoutANewFrame) {
    start_producer();
    const Image image = Image::pattern(320, 240, 4);
    publish(image);
    std::vector<std::byte> red(8 * 8 * 4);
    for (size_t i = 0; i < red.size(); i += 4) {
        red[i] = std::byte{0};  // BGRA: opaque red
        red[i + 1] = std::byte{0};
        red[i + 2] = std::byte{255};
        red[i + 3] = std::byte{255};
    }
    protocol::CursorImage cursor;
    cursor.width = 8;
    cursor.height = 8;
    cursor.pixels = red.data();
    cursor.stride = 32;
    ASSERT_TRUE(m_producer->set_cursor_shape(cursor));
    m_producer->set_cursor_position(50, 60, true, monotonic_ns());
    start_viewer({"--size", "320x240", "--scale", "no-upscale"});
    const uint32_t RED = 0xFF0000FFu;
    ASSERT_TRUE(shot_where([&](const Shot& s) {
        return s.width == 320 && s.at(50, 60) == RED && s.at(57, 67) == RED &&
               s.at(58, 60) == image.rgba(58, 60);
    })) << m_viewer.output();
    m_producer->set_cursor_position(200, 100, true, monotonic_ns());  // no frame posted
    ASSERT_TRUE(shot_where([&](const Shot& s) {
        return s.at(200, 100) == RED && s.at(207, 107) == RED && s.at(50, 60) == image.rgba(50, 60);
    })) << m_viewer.output();
    m_producer->set_cursor_position(200, 100, false, monotonic_ns());  // hidden
    ASSERT_TRUE(shot_where([&](const Shot& s) { return s.at(200, 100) == image.rgba(200, 100); }));
}

TEST_F(ViewerTest, ResolutionChangeAndAgentRestartAreFollowed) {
    start_producer();
    const Image first = Image::pattern(320, 240, 5);
    publish(first);
    start_viewer({"--size", "320x240", "--scale", "no-upscale", "--fit-guest"});
    ASSERT_TRUE(shot_where([&](const Shot& s) { return equals(s, first, 0, 0, 1); }))
        << m_viewer.output();
    const Image smaller = Image::pattern(200, 150, 6);
    publish(smaller);  // the window follows the guest (--fit-guest)
    ASSERT_TRUE(shot_where([&](const Shot& s) {
        return s.width == 200 && s.height == 150 && equals(s, smaller, 0, 0, 1);
    })) << m_viewer.output();
    start_producer();  // the agent restarts: a new session in the same file
    const Image after = Image::pattern(200, 150, 7);
    publish(after);
    ASSERT_TRUE(shot_where([&](const Shot& s) { return equals(s, after, 0, 0, 1); }))
        << m_viewer.output();
    EXPECT_EQ(m_viewer.wait_exit(0), -1) << "the same viewer process throughout";
}

TEST_F(ViewerTest, GarbageRegionIsReportedNeverCrashes) {
    std::mt19937_64 rng(11);
    for (std::byte& b : m_region->bytes()) {
        b = std::byte(static_cast<uint8_t>(rng()));
    }
    start_viewer({"--exit-after-seconds", "2", "--size", "320x240"});
    EXPECT_EQ(m_viewer.wait_exit(30000), 0) << m_viewer.output();
    EXPECT_NE(m_viewer.output().find("waiting for the agent"), std::string::npos)
        << m_viewer.output();
}

// The guest's resolution does not fit the region: the agent cannot post a frame, and the viewer
// says which size the region needs (the agent says the same in the guest).
TEST_F(ViewerTest, RegionTooSmallForTheGuestSaysTheSizeNeeded) {
    start_producer();  // 8 MiB: buffers for 640x480, not for 1920x1080
    start_viewer({"--exit-after-seconds", "2", "--size", "320x240"});
    const Image big = Image::pattern(1920, 1080, 5);
    const uint64_t end = monotonic_ns() + 1500 * MS;
    while (monotonic_ns() < end) {
        m_producer->service(monotonic_ns());
        EXPECT_EQ(m_producer
                      ->publish({protocol::Format::BGRA8, big.width, big.height, monotonic_ns()},
                                big.bgra.data(), big.width * 4, full())
                      .error(),
                  protocol::Error::FrameTooLarge);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(m_viewer.wait_exit(30000), 0) << m_viewer.output();
    const std::string needed =
        std::to_string(protocol::required_region_size(uint64_t{1920} * 1080 * 4, 2));
    EXPECT_NE(m_viewer.output().find("too small for the guest's 1920x1080 BGRA8: it needs " +
                                     needed + " bytes"),
              std::string::npos)
        << m_viewer.output();
}

TEST_F(ViewerTest, RegionMutatedWhileReadIsSurvived) {
    start_producer();
    start_viewer({"--exit-after-seconds", "4", "--size", "320x240"});
    // A hostile guest: frames keep coming while random bytes anywhere in the region change.
    std::mt19937_64 rng(12);
    const auto bytes = m_region->bytes();
    uint32_t seed = 0;
    const uint64_t end = monotonic_ns() + 3500 * MS;
    while (monotonic_ns() < end) {
        m_producer->service(monotonic_ns());
        const Image image = Image::pattern(64 + (seed % 3) * 32, 48, seed);
        (void)m_producer->publish(
            {protocol::Format::BGRA8, image.width, image.height, monotonic_ns()}, image.bgra.data(),
            image.width * 4, full());
        ++seed;
        for (int i = 0; i < 64; ++i) {
            bytes[rng() % bytes.size()] = std::byte(static_cast<uint8_t>(rng()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(m_viewer.wait_exit(30000), 0) << m_viewer.output();
}

}  // namespace
}  // namespace periscope
