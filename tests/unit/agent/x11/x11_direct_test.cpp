// Direct capture against a real Xvfb: the X server writes into a shared region the test lends it,
// at the places a real protocol Producer chooses. The frame a consumer then reads must equal the
// server's own image of the root, the write pointer must advance in steps, and the bytes fetched
// must stay close to what changed.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "agent/capture/x11/x11_capture.h"
#include "core/clock.h"
#include "platform/region.h"
#include "protocol/consumer.h"
#include "protocol/producer.h"
#include "support/xvfb.h"
#include "unit/agent/x11/x11_test_client.h"

namespace periscope::agent {
namespace {

constexpr uint64_t WAIT_NS = 20000 * NS_PER_MS;
constexpr uint32_t WIDTH = 1280;
constexpr uint32_t HEIGHT = 1024;

// The agent's sink, recording what the back-end reported.
class RecordingSink final : public FrameSink {
  public:
    explicit RecordingSink(protocol::Producer& producer) : m_producer(producer) {}
    Result<protocol::FrameTarget, protocol::Error> begin(
        const protocol::FrameDesc& desc, const protocol::DamageList& damage) override {
        ++begins;
        rows.clear();
        frame_damage = damage;
        if (refuse) {
            return fail(*refuse);
        }
        auto target = m_producer.begin_frame(desc, damage);
        if (target) {
            last_target = *target;
        }
        return target;
    }
    void rows_done(uint32_t r) override {
        rows.push_back(r);
        m_producer.rows_done(r);
    }

    int begins = 0;
    std::vector<uint32_t> rows;
    protocol::DamageList frame_damage;
    protocol::FrameTarget last_target;
    std::optional<protocol::Error> refuse;

  private:
    protocol::Producer& m_producer;
};

class X11DirectTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string error;
        m_xvfb = test::Xvfb::start(test::XvfbConfig{}, &error);
        ASSERT_TRUE(m_xvfb) << error;
        m_client = std::make_unique<test::X11TestClient>(m_xvfb->display());
        ASSERT_TRUE(m_client->ok());
        m_client->fill_noise(5);
        m_client->sync();

        platform::RegionOptions options;
        options.size = protocol::required_region_size(uint64_t{WIDTH} * HEIGHT * 4, 2);
        auto region = platform::open_region("memfd:direct-test", options, &error);
        ASSERT_TRUE(region) << error;
        m_region = std::move(*region);
        protocol::ProducerConfig config;
        config.buffer_count = 2;
        config.expected_frame_bytes = uint64_t{WIDTH} * HEIGHT * 4;
        auto producer = protocol::Producer::create(m_region->bytes(), config);
        ASSERT_TRUE(producer);
        m_producer = std::move(*producer);
        m_sink = std::make_unique<RecordingSink>(*m_producer);

        CaptureOptions capture_options;
        capture_options.display = m_xvfb->display();
        auto capture = X11Capture::open(capture_options, &error);
        ASSERT_TRUE(capture) << error;
        m_capture = std::move(*capture);
        std::string why;
        ASSERT_TRUE(m_capture->use_region(shared(), &why)) << why;
        EXPECT_TRUE(m_capture->direct());
        EXPECT_NE(m_capture->describe().find("direct into the region"), std::string::npos);
    }

    SharedRegion shared() const {
        return SharedRegion{m_region->fd(), m_region->bytes().data(), m_region->bytes().size()};
    }

    // Polls until an event satisfies `want`; false on timeout or a poll error.
    template <class Want>
    bool poll_until(Want want) {
        const uint64_t deadline = monotonic_ns() + WAIT_NS;
        while (monotonic_ns() < deadline) {
            auto events = m_capture->poll(50 * NS_PER_MS);
            if (!events) {
                return false;
            }
            if (want(*events)) {
                return true;
            }
        }
        return false;
    }

    Result<DirectGrab, CaptureError> grab(bool full) {
        auto g = m_capture->grab_into(full, *m_sink);
        m_producer->end_frame();
        return g;
    }

    // The buffer the last frame went to equals the server's image of the root.
    ::testing::AssertionResult buffer_matches_server() {
        uint32_t w = 0;
        uint32_t h = 0;
        const auto server = m_client->root_image(&w, &h);
        const protocol::FrameTarget& t = m_sink->last_target;
        if (w != WIDTH || h != HEIGHT || t.stride != WIDTH * 4) {
            return ::testing::AssertionFailure() << "geometry " << w << "x" << h;
        }
        for (uint32_t y = 0; y < h; ++y) {
            if (std::memcmp(t.data + size_t{y} * t.stride, server.data() + size_t{y} * w * 4,
                            size_t{w} * 4) != 0) {
                return ::testing::AssertionFailure() << "row " << y << " differs";
            }
        }
        return ::testing::AssertionSuccess();
    }

    std::unique_ptr<test::Xvfb> m_xvfb;
    std::unique_ptr<test::X11TestClient> m_client;
    std::unique_ptr<platform::Region> m_region;
    std::unique_ptr<protocol::Producer> m_producer;
    std::unique_ptr<RecordingSink> m_sink;
    std::unique_ptr<X11Capture> m_capture;
};

TEST_F(X11DirectTest, FullFrameLandsInTheBufferAndTheConsumerGetsTheServersPicture) {
    protocol::Consumer consumer(m_region->bytes(), protocol::ConsumerConfig{});
    consumer.poll(monotonic_ns());
    auto g = grab(true);
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->posted);
    EXPECT_EQ(g->bytes_read, uint64_t{WIDTH} * HEIGHT * 4);
    EXPECT_EQ(g->desc.width, WIDTH);
    EXPECT_EQ(g->desc.height, HEIGHT);
    EXPECT_TRUE(m_sink->frame_damage.is_full());
    EXPECT_TRUE(buffer_matches_server());

    // Rows were reported in strips (5 MiB in 4 MiB pieces), increasing, ending at the height.
    ASSERT_GE(m_sink->rows.size(), 2u);
    for (size_t i = 1; i < m_sink->rows.size(); ++i) {
        EXPECT_GT(m_sink->rows[i], m_sink->rows[i - 1]);
    }
    EXPECT_EQ(m_sink->rows.back(), HEIGHT);

    std::vector<std::byte> frame(size_t{WIDTH} * HEIGHT * 4);
    auto info =
        consumer.read_frame(frame.data(), frame.size(), WIDTH * 4, monotonic_ns() + WAIT_NS);
    ASSERT_TRUE(info) << protocol::to_string(info.error());
    uint32_t w = 0;
    uint32_t h = 0;
    EXPECT_EQ(m_client->root_image(&w, &h), frame);
}

TEST_F(X11DirectTest, DamageGrabsFetchLittleAndKeepBothBuffersExact) {
    ASSERT_TRUE(grab(true));   // buffer A: the whole picture; B is stale
    ASSERT_TRUE(grab(false));  // nothing changed, but B receives its stale area: both current
    struct Case {
        const char* what;
        protocol::Rect rect;
    };
    const std::vector<Case> cases = {
        {"a 20x20 square", {333, 444, 20, 20}},
        {"full-width rows", {0, 600, WIDTH, 8}},
        {"a caret", {700, 300, 2, 16}},
        {"the right and bottom edges", {WIDTH - 10, HEIGHT - 10, 10, 10}},
        {"most of the screen (past the scratch area: widened to rows)", {0, 0, 1100, 1000}},
        {"a 64x64 square", {64, 64, 64, 64}},
    };
    uint64_t previous_bytes = 0;
    uint32_t colour = 1;
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        m_client->fill(static_cast<int16_t>(c.rect.x), static_cast<int16_t>(c.rect.y),
                       static_cast<uint16_t>(c.rect.width), static_cast<uint16_t>(c.rect.height),
                       m_client->pixel(colour * 37 % 256, colour * 91 % 256, 200));
        ++colour;
        m_client->sync();
        ASSERT_TRUE(poll_until([](const CaptureEvents& e) { return e.frame_damaged; }));
        auto g = grab(false);
        ASSERT_TRUE(g);
        ASSERT_TRUE(g->posted);
        EXPECT_FALSE(m_sink->frame_damage.is_full());
        EXPECT_TRUE(buffer_matches_server());
        // The buffer receives this change and the previous one (it missed that frame); whole-row
        // widening costs at most a full row per row of the rectangle.
        const uint64_t bytes = protocol::area(c.rect) * 4;
        const uint64_t widened = uint64_t{WIDTH} * c.rect.height * 4;
        EXPECT_GT(g->bytes_read, 0u);
        EXPECT_LE(g->bytes_read, 4 * bytes + previous_bytes + (bytes > 1000000 ? widened : 0));
        previous_bytes = g->bytes_read;
    }
    // Nothing drawn: both buffers are current after two more grabs, then nothing is fetched.
    ASSERT_TRUE(grab(false));
    auto idle = grab(false);
    ASSERT_TRUE(idle);
    EXPECT_TRUE(idle->posted);
    EXPECT_EQ(idle->bytes_read, 0u);
}

TEST_F(X11DirectTest, RefusedFrameWritesNothingAndTheNextIsFull) {
    ASSERT_TRUE(grab(true));
    m_sink->refuse = protocol::Error::FrameTooLarge;
    auto refused = grab(false);
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->posted);
    EXPECT_EQ(refused->error, protocol::Error::FrameTooLarge);
    EXPECT_EQ(refused->bytes_read, 0u);
    EXPECT_TRUE(m_sink->rows.empty());
    m_sink->refuse.reset();
    auto next = grab(false);
    ASSERT_TRUE(next);
    EXPECT_TRUE(next->posted);
    EXPECT_TRUE(m_sink->frame_damage.is_full());
    EXPECT_TRUE(buffer_matches_server());
}

TEST_F(X11DirectTest, ResizeKeepsCapturingDirectly) {
    ASSERT_TRUE(grab(true));
    ASSERT_EQ(m_xvfb->set_size(1024, 768), 0);
    ASSERT_TRUE(poll_until([](const CaptureEvents& e) { return e.geometry_changed; }));
    ASSERT_TRUE(m_capture->reconfigure());
    EXPECT_TRUE(m_capture->direct());
    auto g = grab(false);
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->posted);
    EXPECT_EQ(g->desc.width, 1024u);
    EXPECT_EQ(g->desc.height, 768u);
    EXPECT_EQ(g->bytes_read, uint64_t{1024} * 768 * 4);
    uint32_t w = 0;
    uint32_t h = 0;
    const auto server = m_client->root_image(&w, &h);
    ASSERT_EQ(w, 1024u);
    EXPECT_EQ(std::memcmp(m_sink->last_target.data, server.data(), server.size()), 0);
}

TEST(X11DirectRefusal, RegionWithoutDescriptorKeepsTheCopyPath) {
    std::string error;
    auto xvfb = test::Xvfb::start(test::XvfbConfig{}, &error);
    ASSERT_TRUE(xvfb) << error;
    CaptureOptions options;
    options.display = xvfb->display();
    auto capture = X11Capture::open(options, &error);
    ASSERT_TRUE(capture) << error;
    platform::RegionOptions region_options;
    region_options.size = 1 << 20;
    auto region = platform::open_region("mem:", region_options, &error);
    ASSERT_TRUE(region) << error;
    std::string why;
    EXPECT_FALSE((*capture)->use_region(
        SharedRegion{(*region)->fd(), (*region)->bytes().data(), (*region)->bytes().size()}, &why));
    EXPECT_NE(why.find("descriptor"), std::string::npos) << why;
    EXPECT_FALSE((*capture)->direct());
    auto frame = (*capture)->grab(true);  // the copy path still works
    ASSERT_TRUE(frame);
    EXPECT_EQ((*frame)->bytes_read, uint64_t{1280} * 1024 * 4);
}

}  // namespace
}  // namespace periscope::agent
