// The X11 back-end against a real Xvfb: what it captures must be exactly what the server itself
// reports for the root window, after full and damage grabs, resizes, and cursor changes.
#include "agent/capture/x11/x11_capture.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <functional>

#include "agent/capture/x11/x11_visual.h"
#include "core/clock.h"
#include "core/log.h"
#include "support/xvfb.h"
#include "unit/agent/x11/x11_test_client.h"

namespace periscope::agent {
namespace {

using test::X11TestClient;
using test::Xvfb;
using test::XvfbConfig;

// Generous: a loaded 2-core machine running sanitizers and several Xvfbs at once.
constexpr uint64_t WAIT_NS = 20000 * NS_PER_MS;

std::unique_ptr<X11Capture> open_capture(const std::string& display) {
    CaptureOptions options;
    options.display = display;
    std::string detail;
    auto capture = X11Capture::open(options, &detail);
    EXPECT_TRUE(capture) << detail;
    return capture ? std::move(*capture) : nullptr;
}

// Polls until `done` holds (checked after each poll, with everything seen so far); false on
// timeout or error.
bool poll_until(X11Capture& capture, CaptureEvents* seen,
                const std::function<bool(const CaptureEvents&)>& done, uint64_t wait_ns = WAIT_NS) {
    const uint64_t deadline = monotonic_ns() + wait_ns;
    while (monotonic_ns() < deadline) {
        auto events = capture.poll(50 * NS_PER_MS);
        if (!events) {
            return false;
        }
        seen->frame_damaged |= events->frame_damaged;
        seen->cursor_moved |= events->cursor_moved;
        seen->cursor_shape |= events->cursor_shape;
        seen->geometry_changed |= events->geometry_changed;
        if (done(*seen)) {
            return true;
        }
    }
    return false;
}

// Every byte of the frame equals the server's own image of the root.
::testing::AssertionResult same_as_server(const CapturedFrame& frame, X11TestClient& client) {
    uint32_t width = 0;
    uint32_t height = 0;
    const std::vector<std::byte> server = client.root_image(&width, &height);
    if (server.size() != size_t{width} * height * 4) {
        return ::testing::AssertionFailure() << "GetImage of the root failed";
    }
    if (frame.width != width || frame.height != height) {
        return ::testing::AssertionFailure() << "frame " << frame.width << "x" << frame.height
                                             << ", server " << width << "x" << height;
    }
    for (uint32_t y = 0; y < height; ++y) {
        const std::byte* a = frame.pixels + size_t{y} * frame.stride;
        const std::byte* b = server.data() + size_t{y} * width * 4;
        if (std::memcmp(a, b, size_t{width} * 4) != 0) {
            uint32_t x = 0;
            while (std::memcmp(a + x * 4, b + x * 4, 4) == 0) {
                ++x;
            }
            uint32_t got = 0;
            uint32_t want = 0;
            std::memcpy(&got, a + x * 4, 4);
            std::memcpy(&want, b + x * 4, 4);
            return ::testing::AssertionFailure()
                   << "first difference at " << x << "," << y << ": captured " << std::hex << got
                   << ", server " << want;
        }
    }
    return ::testing::AssertionSuccess();
}

bool damage_covers(const protocol::DamageList& damage, const protocol::Rect& r) {
    if (damage.is_full()) {
        return true;
    }
    // Every pixel of r lies in some damage rect (checked per pixel: the list may split r).
    for (uint32_t y = r.y; y < r.y + r.height; ++y) {
        for (uint32_t x = r.x; x < r.x + r.width; ++x) {
            bool inside = false;
            for (const protocol::Rect& d : damage.rects()) {
                inside = inside || protocol::contains(d, protocol::Rect{x, y, 1, 1});
            }
            if (!inside) {
                return false;
            }
        }
    }
    return true;
}

class X11CaptureTest : public ::testing::Test {
  protected:
    void start(const XvfbConfig& config = {}) {
        std::string error;
        m_xvfb = Xvfb::start(config, &error);
        ASSERT_TRUE(m_xvfb) << error;
        m_client = std::make_unique<X11TestClient>(m_xvfb->display());
        ASSERT_TRUE(m_client->ok());
    }
    void SetUp() override { start(); }

    std::unique_ptr<Xvfb> m_xvfb;
    std::unique_ptr<X11TestClient> m_client;
};

TEST_F(X11CaptureTest, FullGrabEqualsTheServersImage) {
    m_client->fill_noise(1);
    m_client->fill(10, 20, 300, 200, m_client->pixel(255, 0, 0));
    m_client->fill(500, 600, 64, 64, m_client->pixel(0, 0, 255));
    m_client->sync();
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    EXPECT_EQ(capture->format(), protocol::Format::BGRA8);
    EXPECT_EQ(capture->width(), 1280u);
    EXPECT_EQ(capture->height(), 1024u);
    EXPECT_NE(capture->describe().find("MIT-SHM"), std::string::npos) << capture->describe();
    EXPECT_TRUE(capture->shm_fd_passing()) << "Xvfb speaks MIT-SHM 1.2: no SysV fallback needed";

    auto first = capture->poll(0);  // everything is new after open()
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->frame_damaged);

    auto frame = capture->grab(true);
    ASSERT_TRUE(frame);
    const CapturedFrame& f = **frame;
    EXPECT_EQ(f.format, protocol::Format::BGRA8);
    EXPECT_TRUE(f.damage.is_full());
    EXPECT_EQ(f.bytes_read, uint64_t{1280} * 1024 * 4);
    EXPECT_GE(f.stride, f.width * 4);
    EXPECT_NE(f.timestamp_ns, 0u);
    EXPECT_TRUE(same_as_server(f, *m_client));
    // Red at (10, 20) in BGRA8 bytes.
    const std::byte* red = f.pixels + size_t{20} * f.stride + 10 * 4;
    EXPECT_EQ(red[0], std::byte{0});
    EXPECT_EQ(red[1], std::byte{0});
    EXPECT_EQ(red[2], std::byte{255});
}

TEST_F(X11CaptureTest, DamageGrabFetchesOnlyWhatChanged) {
    m_client->fill_noise(2);
    m_client->sync();
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    ASSERT_TRUE(capture->grab(false));  // the first grab is full whatever we ask

    struct Case {
        const char* what;
        std::vector<protocol::Rect> rects;
        uint64_t max_bytes;
    };
    const std::vector<Case> cases = {
        {"a 20x20 square", {{333, 444, 20, 20}}, 4 * 20 * 20 * 4},
        {"full-width rows", {{0, 600, 1280, 8}}, 4 * 1280 * 8 * 4},
        {"three scattered squares",
         {{5, 5, 10, 10}, {1200, 30, 16, 16}, {700, 1000, 24, 24}},
         4 * (100 + 256 + 576) * 4},
        {"touching the right and bottom edges", {{1270, 1014, 10, 10}}, 4 * 10 * 10 * 4},
        {"most of the screen", {{0, 0, 1100, 1000}}, uint64_t{1280} * 1024 * 4},
    };
    uint32_t colour = 1;
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        for (const protocol::Rect& r : c.rects) {
            m_client->fill(static_cast<int16_t>(r.x), static_cast<int16_t>(r.y),
                           static_cast<uint16_t>(r.width), static_cast<uint16_t>(r.height),
                           m_client->pixel(colour * 37 % 256, colour * 91 % 256, 200));
            ++colour;
        }
        m_client->sync();
        CaptureEvents seen;
        ASSERT_TRUE(
            poll_until(*capture, &seen, [](const CaptureEvents& e) { return e.frame_damaged; }));
        auto frame = capture->grab(false);
        ASSERT_TRUE(frame);
        const CapturedFrame& f = **frame;
        EXPECT_FALSE(f.damage.is_full());
        for (const protocol::Rect& r : c.rects) {
            EXPECT_TRUE(damage_covers(f.damage, r)) << r.x << "," << r.y;
        }
        EXPECT_GT(f.bytes_read, 0u);
        EXPECT_LE(f.bytes_read, c.max_bytes);
        EXPECT_TRUE(same_as_server(f, *m_client));
    }

    // Drawn but not polled for: the grab takes the damage, and the event that announced it,
    // read only during the grab, is not reported afterwards as news.
    m_client->fill(40, 50, 20, 20, m_client->pixel(9, 9, 9));
    m_client->sync();
    auto unannounced = capture->grab(false);
    ASSERT_TRUE(unannounced);
    EXPECT_TRUE(damage_covers((*unannounced)->damage, protocol::Rect{40, 50, 20, 20}));
    EXPECT_TRUE(same_as_server(**unannounced, *m_client));
    auto after = capture->poll(200 * NS_PER_MS);
    ASSERT_TRUE(after);
    EXPECT_FALSE(after->frame_damaged);

    // Nothing drawn: a grab fetches nothing and reports no damage.
    auto idle = capture->grab(false);
    ASSERT_TRUE(idle);
    EXPECT_TRUE((*idle)->damage.empty());
    EXPECT_EQ((*idle)->bytes_read, 0u);
}

TEST_F(X11CaptureTest, WindowsAppearingAndGoingAreCaptured) {
    m_client->fill_noise(3);
    m_client->sync();
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    ASSERT_TRUE(capture->grab(true));
    const xcb_window_t window =
        m_client->create_window(200, 150, 120, 90, m_client->pixel(0, 255, 0));
    m_client->sync();
    CaptureEvents seen;
    ASSERT_TRUE(
        poll_until(*capture, &seen, [](const CaptureEvents& e) { return e.frame_damaged; }));
    auto frame = capture->grab(false);
    ASSERT_TRUE(frame);
    EXPECT_TRUE(damage_covers((*frame)->damage, protocol::Rect{200, 150, 120, 90}));
    EXPECT_TRUE(same_as_server(**frame, *m_client));

    // Unmapped, the root shows through again (the server repaints it with the root background).
    m_client->destroy_window(window);
    m_client->sync();
    seen = CaptureEvents{};
    ASSERT_TRUE(
        poll_until(*capture, &seen, [](const CaptureEvents& e) { return e.frame_damaged; }));
    frame = capture->grab(false);
    ASSERT_TRUE(frame);
    EXPECT_TRUE(damage_covers((*frame)->damage, protocol::Rect{200, 150, 120, 90}));
    EXPECT_TRUE(same_as_server(**frame, *m_client));
}

TEST_F(X11CaptureTest, IdlePollWaitsAndReportsNothing) {
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    ASSERT_TRUE(capture->poll(0));  // the "everything is new" report after open()
    ASSERT_TRUE(capture->grab(true));
    const uint64_t start = monotonic_ns();
    auto events = capture->poll(200 * NS_PER_MS);
    const uint64_t elapsed = monotonic_ns() - start;
    ASSERT_TRUE(events);
    EXPECT_FALSE(events->frame_damaged || events->cursor_moved || events->cursor_shape ||
                 events->geometry_changed);
    EXPECT_GE(elapsed, 190 * NS_PER_MS);
    // A timeout of zero never waits.
    const uint64_t start0 = monotonic_ns();
    ASSERT_TRUE(capture->poll(0));
    EXPECT_LT(monotonic_ns() - start0, 1000 * NS_PER_MS);
}

TEST_F(X11CaptureTest, CursorShapeAndPosition) {
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    auto first = capture->poll(0);
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->cursor_moved);

    std::vector<std::vector<std::byte>> shapes;
    for (const uint16_t glyph : {uint16_t{150}, uint16_t{34}}) {  // watch, crosshair
        SCOPED_TRACE(glyph);
        m_client->set_root_cursor(glyph);
        CaptureEvents seen;
        // The shape the back-end has must become a new one (not just any notify).
        ASSERT_TRUE(poll_until(*capture, &seen, [&](const CaptureEvents& e) {
            const CursorShape* s = capture->cursor_shape();
            return e.cursor_shape && s != nullptr && (shapes.empty() || s->pixels != shapes.back());
        }));
        const CursorShape* shape = capture->cursor_shape();
        ASSERT_NE(shape, nullptr);
        EXPECT_GT(shape->width, 0u);
        EXPECT_GT(shape->height, 0u);
        EXPECT_LT(shape->hotspot_x, shape->width);
        EXPECT_LT(shape->hotspot_y, shape->height);
        EXPECT_EQ(shape->format, protocol::Format::BGRA8);
        EXPECT_TRUE(shape->premultiplied);
        ASSERT_EQ(shape->pixels.size(), size_t{shape->width} * shape->height * 4);
        bool opaque = false;
        for (size_t i = 3; i < shape->pixels.size(); i += 4) {
            opaque = opaque || shape->pixels[i] != std::byte{0};
        }
        EXPECT_TRUE(opaque) << "the cursor image is fully transparent";
        shapes.push_back(shape->pixels);
    }
    EXPECT_NE(shapes[0], shapes[1]);

    // Cursors set by clients that exit at once (xsetroot): a server with the SECURITY extension
    // refuses their image to everyone else. Whatever this server does, the back-end carries on
    // with a shape and a position.
    for (const char* name : {"watch", "crosshair"}) {
        ASSERT_EQ(m_xvfb->run({"xsetroot", "-cursor_name", name}), 0);
        // Not a condition we can wait for (it may never come): a bounded look, asserting nothing.
        CaptureEvents ignored;
        (void)poll_until(
            *capture, &ignored, [](const CaptureEvents& e) { return e.cursor_shape; },
            1000 * NS_PER_MS);
        EXPECT_NE(capture->cursor_shape(), nullptr);
    }

    // Someone else moves the pointer: the back-end notices.
    m_client->fake_motion(300, 200);
    CaptureEvents seen;
    ASSERT_TRUE(poll_until(*capture, &seen, [&](const CaptureEvents& e) {
        return e.cursor_moved && capture->cursor_position().x == 300 &&
               capture->cursor_position().y == 200;
    }));
    EXPECT_TRUE(capture->cursor_position().visible);

    // A consumer moves it through the back-end.
    capture->move_cursor(700, 500);
    seen = CaptureEvents{};
    ASSERT_TRUE(poll_until(*capture, &seen, [&](const CaptureEvents& e) {
        return e.cursor_moved && capture->cursor_position().x == 700 &&
               capture->cursor_position().y == 500;
    }));
    EXPECT_EQ(m_client->pointer(), (std::pair<int32_t, int32_t>{700, 500}));
}

TEST_F(X11CaptureTest, RandrResizeThenReconfigure) {
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    ASSERT_TRUE(capture->grab(true));
    for (auto [w, h] : {std::pair{1024u, 768u}, std::pair{1280u, 1024u}}) {
        SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
        ASSERT_EQ(m_xvfb->set_size(w, h), 0);
        CaptureEvents seen;
        ASSERT_TRUE(
            poll_until(*capture, &seen, [](const CaptureEvents& e) { return e.geometry_changed; }));
        ASSERT_TRUE(capture->reconfigure());
        EXPECT_EQ(capture->width(), w);
        EXPECT_EQ(capture->height(), h);
        // Reported until adopted, not after.
        auto after = capture->poll(0);
        ASSERT_TRUE(after);
        EXPECT_FALSE(after->geometry_changed);

        m_client->fill_noise(w);
        m_client->sync();
        auto frame = capture->grab(false);
        ASSERT_TRUE(frame);
        EXPECT_TRUE((*frame)->damage.is_full());
        EXPECT_EQ((*frame)->width, w);
        EXPECT_EQ((*frame)->height, h);
        EXPECT_TRUE(same_as_server(**frame, *m_client));

        // Damage grabs work at the new size.
        m_client->fill(static_cast<int16_t>(w - 30), static_cast<int16_t>(h - 30), 30, 30,
                       m_client->pixel(1, 2, 3));
        m_client->sync();
        seen = CaptureEvents{};
        ASSERT_TRUE(
            poll_until(*capture, &seen, [](const CaptureEvents& e) { return e.frame_damaged; }));
        frame = capture->grab(false);
        ASSERT_TRUE(frame);
        EXPECT_FALSE((*frame)->damage.is_full());
        EXPECT_TRUE(same_as_server(**frame, *m_client));
    }
}

struct LogCount {
    int x11_errors = 0;
    std::string last;
};

void count_log(LogLevel level, const char* module, const char* text, void* context) {
    auto* count = static_cast<LogCount*>(context);
    if (level == LogLevel::Error && std::strcmp(module, "x11") == 0) {
        ++count->x11_errors;
        count->last = text;
    }
}

TEST_F(X11CaptureTest, ServerExitIsConnectionLost) {
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    ASSERT_TRUE(capture->grab(true));
    LogCount log;
    set_log_sink(&count_log, &log);
    m_client.reset();
    m_xvfb->stop();

    const uint64_t deadline = monotonic_ns() + WAIT_NS;
    Result<CaptureEvents, CaptureError> events = CaptureEvents{};
    while (events && monotonic_ns() < deadline) {
        events = capture->poll(50 * NS_PER_MS);
    }
    ASSERT_FALSE(events);
    EXPECT_EQ(events.error(), CaptureError::ConnectionLost);
    auto frame = capture->grab(true);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error(), CaptureError::ConnectionLost);
    auto re = capture->reconfigure();
    ASSERT_FALSE(re);
    EXPECT_EQ(re.error(), CaptureError::ConnectionLost);
    capture->move_cursor(1, 1);  // ignored, no crash
    capture.reset();
    set_log_sink(nullptr, nullptr);
    EXPECT_EQ(log.x11_errors, 1) << log.last;
}

TEST_F(X11CaptureTest, ServerExitDuringGrabIsConnectionLost) {
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    ASSERT_TRUE(capture->grab(true));
    m_client.reset();
    m_xvfb->stop(SIGKILL);
    // No poll() first: the request itself meets the dead socket.
    auto frame = capture->grab(true);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error(), CaptureError::ConnectionLost);
}

TEST_F(X11CaptureTest, Depth30IsBgr10a2) {
    m_client.reset();
    m_xvfb.reset();
    std::string error;
    XvfbConfig config;
    config.width = 640;
    config.height = 480;
    config.depth = 30;
    m_xvfb = Xvfb::start(config, &error);
    if (!m_xvfb) {
        GTEST_SKIP() << "Xvfb refuses depth 30: " << error;
    }
    m_client = std::make_unique<X11TestClient>(m_xvfb->display());
    ASSERT_TRUE(m_client->ok());
    ASSERT_EQ(m_client->depth(), 30);
    m_client->fill_noise(30);
    m_client->fill(100, 100, 50, 50, m_client->pixel(255, 0, 128));
    m_client->sync();
    auto capture = open_capture(m_xvfb->display());
    ASSERT_TRUE(capture);
    EXPECT_EQ(capture->format(), protocol::Format::BGR10A2);
    auto frame = capture->grab(true);
    ASSERT_TRUE(frame);
    EXPECT_EQ((*frame)->format, protocol::Format::BGR10A2);
    EXPECT_TRUE(same_as_server(**frame, *m_client));
    uint32_t value = 0;
    std::memcpy(&value, (*frame)->pixels + size_t{120} * (*frame)->stride + 120 * 4, 4);
    EXPECT_EQ(value & 0x3fffffffu, 1023u << 20 | 0u << 10 | 514u) << std::hex << value;
}

// The fallback for servers without fd passing (or in another IPC namespace): a SysV segment.
TEST_F(X11CaptureTest, SysvSegmentFallbackWorks) {
    m_client->fill(0, 0, 64, 64, m_client->pixel(10, 20, 30));
    m_client->sync();
    xcb_connection_t* c = m_client->connection();
    std::free(xcb_shm_query_version_reply(c, xcb_shm_query_version(c), nullptr));
    std::string detail;
    auto segment = X11ShmSegment::create(c, 64 * 64 * 4, false, &detail);
    ASSERT_TRUE(segment) << detail;
    EXPECT_FALSE((*segment)->fd_passing());
    const xcb_window_t root = xcb_setup_roots_iterator(xcb_get_setup(c)).data->root;
    auto* reply =
        xcb_shm_get_image_reply(c,
                                xcb_shm_get_image(c, root, 0, 0, 64, 64, ~0u,
                                                  XCB_IMAGE_FORMAT_Z_PIXMAP, (*segment)->id(), 0),
                                nullptr);
    ASSERT_NE(reply, nullptr);
    std::free(reply);
    uint32_t pixel = 0;
    std::memcpy(&pixel, (*segment)->data() + (63 * 64 + 63) * 4, 4);
    EXPECT_EQ(pixel & 0xffffffu, m_client->pixel(10, 20, 30));
}

TEST(X11CaptureOpen, NoServerIsUnavailableAndNamesTheDisplay) {
    CaptureOptions options;
    options.display = ":1234";
    std::string detail;
    auto capture = open_x11_capture(options, &detail);
    ASSERT_FALSE(capture);
    EXPECT_EQ(capture.error(), CaptureError::Unavailable);
    EXPECT_NE(detail.find(":1234"), std::string::npos) << detail;
}

TEST(X11CaptureOpen, NoDisplayAnywhereMentionsDollarDisplay) {
    const char* saved = std::getenv("DISPLAY");
    const std::string restore = saved != nullptr ? saved : "";
    unsetenv("DISPLAY");
    std::string detail;
    auto capture = open_x11_capture(CaptureOptions{}, &detail);
    if (saved != nullptr) {
        setenv("DISPLAY", restore.c_str(), 1);
    }
    ASSERT_FALSE(capture);
    EXPECT_EQ(capture.error(), CaptureError::Unavailable);
    EXPECT_NE(detail.find("$DISPLAY"), std::string::npos) << detail;
}

TEST(X11Visual, FormatsFromMasks) {
    X11VisualInfo v;
    v.visual_class = XCB_VISUAL_CLASS_TRUE_COLOR;
    v.bits_per_pixel = 32;
    v.scanline_pad = 32;
    v.depth = 24;
    v.red_mask = 0xff0000;
    v.green_mask = 0xff00;
    v.blue_mask = 0xff;
    std::string detail;
    EXPECT_EQ(format_for_visual(v, &detail), protocol::Format::BGRA8);
    v.depth = 32;
    EXPECT_EQ(format_for_visual(v, &detail), protocol::Format::BGRA8);
    v.depth = 30;
    v.red_mask = 0x3ff00000;
    v.green_mask = 0xffc00;
    v.blue_mask = 0x3ff;
    EXPECT_EQ(format_for_visual(v, &detail), protocol::Format::BGR10A2);
    v.depth = 16;
    v.bits_per_pixel = 16;
    v.red_mask = 0xf800;
    v.green_mask = 0x7e0;
    v.blue_mask = 0x1f;
    EXPECT_EQ(format_for_visual(v, &detail), protocol::Format::Invalid);
    EXPECT_NE(detail.find("depth 16"), std::string::npos) << detail;
    v = X11VisualInfo{};
    v.visual_class = XCB_VISUAL_CLASS_PSEUDO_COLOR;
    v.depth = 8;
    v.bits_per_pixel = 8;
    EXPECT_EQ(format_for_visual(v, &detail), protocol::Format::Invalid);
}

}  // namespace
}  // namespace periscope::agent
