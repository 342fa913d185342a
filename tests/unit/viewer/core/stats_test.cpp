// The viewer's statistics: rates, drops from serial gaps, percentiles and the JSON for --stats.
#include "viewer/stats.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace periscope::viewer {
namespace {

TEST(ViewerStats, CountsDropsFromSerialGapsAndDiscards) {
    Stats s;
    s.frame_received(7, 1);
    s.frame_received(7, 2);
    s.frame_received(7, 5);  // 3 and 4 never reached us
    s.frame_discarded();
    s.frame_received(9, 1);  // a new session starts over: no gap
    EXPECT_EQ(s.received(), 4u);
    EXPECT_EQ(s.dropped(), 3u);
}

TEST(ViewerStats, RatesOverOneSecondWindows) {
    Stats s;
    s.tick(1000 * NS_PER_MS);
    for (int i = 0; i < 30; ++i) {
        s.frame_received(1, static_cast<uint64_t>(i + 1));
        s.frame_presented({.age_ns = 5 * static_cast<int64_t>(NS_PER_MS), .upload_ns = 1000});
    }
    s.tick(1500 * NS_PER_MS);
    EXPECT_EQ(s.presented_fps(), 0) << "not a full second yet";
    s.tick(2000 * NS_PER_MS);
    EXPECT_DOUBLE_EQ(s.presented_fps(), 30);
    EXPECT_DOUBLE_EQ(s.received_fps(), 30);
}

TEST(ViewerStats, RecentAgesAndPercentiles) {
    Stats s;
    for (int i = 1; i <= 400; ++i) {
        s.frame_presented({.age_ns = static_cast<int64_t>(i) * static_cast<int64_t>(NS_PER_MS)});
    }
    ASSERT_EQ(s.recent_age_ms().size(), Stats::RECENT);
    EXPECT_FLOAT_EQ(s.recent_age_ms().front(), 101.0f) << "oldest first, the last 300";
    EXPECT_FLOAT_EQ(s.recent_age_ms().back(), 400.0f);
    EXPECT_NEAR(s.age_percentile_ms(50), 250.5, 1.0);
    const std::string json = s.to_json();
    EXPECT_NE(json.find("\"frames_presented\": 400"), std::string::npos) << json;
    EXPECT_NE(json.find("\"frame_age_ms\": {\"count\": 400, \"p50\": 201."), std::string::npos)
        << json;
}

}  // namespace
}  // namespace periscope::viewer
