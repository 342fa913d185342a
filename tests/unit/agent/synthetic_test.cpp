#include <gtest/gtest.h>

#include <cstring>

#include "agent/capture/synthetic/synthetic_capture.h"
#include "core/clock.h"
#include "core/code_strip.h"

namespace periscope::agent {
namespace {

CaptureOptions options(uint32_t w, uint32_t h, protocol::Format f = protocol::Format::BGRA8,
                       double fps = 200) {
    CaptureOptions o;
    o.width = w;
    o.height = h;
    o.format = f;
    o.fps = fps;
    return o;
}

std::optional<CodeStripValue> decode(const CapturedFrame& frame) {
    const auto white = encode_pixel(frame.format, 255, 255, 255);
    const uint32_t bpp = protocol::bytes_per_pixel(frame.format);
    return decode_code_strip(
        [&](uint32_t x, uint32_t y) {
            return std::memcmp(frame.pixels + uint64_t{y} * frame.stride + uint64_t{x} * bpp,
                               white.data(), bpp) == 0;
        },
        frame.width, frame.height);
}

Result<const CapturedFrame*, CaptureError> next_frame(SyntheticCapture& s, bool full = false) {
    for (int i = 0; i < 1000; ++i) {
        auto events = s.poll(50 * NS_PER_MS);
        if (events && events->frame_damaged) {
            return s.grab(full);
        }
    }
    return fail(CaptureError::Failed);
}

TEST(Synthetic, CodeStripCarriesSerialAndTimestampInEveryFormat) {
    for (auto f : {protocol::Format::BGRA8, protocol::Format::RGBA8, protocol::Format::RGB10A2,
                   protocol::Format::BGR10A2, protocol::Format::RGBA16F}) {
        SyntheticCapture s(options(320, 240, f));
        for (uint64_t serial = 1; serial <= 3; ++serial) {
            const uint64_t before = monotonic_ns();
            auto frame = next_frame(s);
            ASSERT_TRUE(frame);
            auto value = decode(**frame);
            ASSERT_TRUE(value) << protocol::to_string(f);
            EXPECT_EQ(value->serial, serial);
            EXPECT_GE(value->timestamp_ns, before);
            EXPECT_EQ(value->timestamp_ns, (*frame)->timestamp_ns);
            EXPECT_EQ((*frame)->stride, 320 * protocol::bytes_per_pixel(f));
        }
    }
}

TEST(Synthetic, FirstFrameFullThenOnlyWhatMoved) {
    SyntheticCapture s(options(640, 480));
    auto first = next_frame(s);
    ASSERT_TRUE(first);
    EXPECT_TRUE((*first)->damage.is_full());
    auto second = next_frame(s);
    ASSERT_TRUE(second);
    ASSERT_FALSE((*second)->damage.is_full());
    EXPECT_LT((*second)->damage.total_area(), 640u * 480 / 4);
    EXPECT_LT((*second)->bytes_read, 640u * 480 * 4 / 4);
    auto forced = next_frame(s, true);
    ASSERT_TRUE(forced);
    EXPECT_TRUE((*forced)->damage.is_full());
}

TEST(Synthetic, PollSleepsBetweenFrames) {
    SyntheticCapture s(options(320, 240, protocol::Format::BGRA8, 10));  // 100 ms per frame
    ASSERT_TRUE(next_frame(s));
    const uint64_t start = monotonic_ns();
    auto events = s.poll(20 * NS_PER_MS);
    ASSERT_TRUE(events);
    EXPECT_FALSE(events->frame_damaged) << "nothing is due 20 ms after a frame at 10 fps";
    EXPECT_GE(monotonic_ns() - start, 15 * NS_PER_MS) << "it waited rather than spinning";
}

TEST(Synthetic, ResizeIsAGeometryChange) {
    SyntheticCapture s(options(320, 240));
    ASSERT_TRUE(next_frame(s));
    s.request_resize(640, 360);
    auto events = s.poll(0);
    ASSERT_TRUE(events);
    EXPECT_TRUE(events->geometry_changed);
    ASSERT_TRUE(s.reconfigure());
    auto frame = next_frame(s);
    ASSERT_TRUE(frame);
    EXPECT_EQ((*frame)->width, 640u);
    EXPECT_EQ((*frame)->height, 360u);
    EXPECT_TRUE((*frame)->damage.is_full());
}

TEST(Synthetic, CursorMovesAndFollowsConsumerRequests) {
    SyntheticCapture s(options(320, 240));
    ASSERT_NE(s.cursor_shape(), nullptr);
    EXPECT_EQ(s.cursor_shape()->pixels.size(), size_t{24} * 24 * 4);
    ASSERT_TRUE(next_frame(s));
    const CursorPosition a = s.cursor_position();
    ASSERT_TRUE(next_frame(s));
    const CursorPosition b = s.cursor_position();
    EXPECT_TRUE(a.x != b.x || a.y != b.y);
    s.move_cursor(7, 9);
    auto events = s.poll(0);
    ASSERT_TRUE(events);
    EXPECT_TRUE(events->cursor_moved);
    EXPECT_EQ(s.cursor_position().x, 7);
    EXPECT_EQ(s.cursor_position().y, 9);
}

TEST(Synthetic, ImpossibleOptionsAreRefusedWithAReason) {
    std::string detail;
    EXPECT_FALSE(open_synthetic_capture(options(10, 10), &detail));
    EXPECT_NE(detail.find("synthetic"), std::string::npos);
    auto bad_format = options(320, 240);
    bad_format.format = protocol::Format::Invalid;
    EXPECT_FALSE(open_synthetic_capture(bad_format, &detail));
    EXPECT_TRUE(open_synthetic_capture(options(320, 240), &detail));
}

}  // namespace
}  // namespace periscope::agent
