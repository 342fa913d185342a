// Scaling modes and the window <-> frame mapping: where the picture goes must follow from the
// sizes alone, exactly, for every mode.
#include "viewer/geometry.h"

#include <gtest/gtest.h>

namespace periscope::viewer {
namespace {

void expect_rect(const WindowRect& r, int32_t x, int32_t y, uint32_t w, uint32_t h) {
    EXPECT_EQ(r.x, x);
    EXPECT_EQ(r.y, y);
    EXPECT_EQ(r.width, w);
    EXPECT_EQ(r.height, h);
}

TEST(Geometry, AspectFitsAndCentres) {
    // 16:9 frame in a 4:3 window: full width, letterbox top and bottom.
    expect_rect(fit_frame(1920, 1080, 1024, 768, ScaleMode::Aspect), 0, 96, 1024, 576);
    // 4:3 frame in a 16:9 window: full height, pillarbox.
    expect_rect(fit_frame(1024, 768, 1920, 1080, ScaleMode::Aspect), 240, 0, 1440, 1080);
    // Same aspect: exactly the window, upscaled.
    expect_rect(fit_frame(640, 360, 1280, 720, ScaleMode::Aspect), 0, 0, 1280, 720);
}

TEST(Geometry, StretchFillsTheWindow) {
    expect_rect(fit_frame(1920, 1080, 1024, 768, ScaleMode::Stretch), 0, 0, 1024, 768);
}

TEST(Geometry, IntegerUsesWholeMultiplesOnly) {
    expect_rect(fit_frame(640, 480, 1920, 1080, ScaleMode::Integer), 320, 60, 1280, 960);
    expect_rect(fit_frame(640, 480, 640, 480, ScaleMode::Integer), 0, 0, 640, 480);
    // Below 1x there is no whole multiple: like aspect.
    expect_rect(fit_frame(1920, 1080, 960, 1080, ScaleMode::Integer), 0, 270, 960, 540);
}

TEST(Geometry, NoUpscaleNeverEnlarges) {
    expect_rect(fit_frame(800, 600, 1920, 1080, ScaleMode::NoUpscale), 560, 240, 800, 600);
    expect_rect(fit_frame(3840, 2160, 1920, 1080, ScaleMode::NoUpscale), 0, 0, 1920, 1080);
}

TEST(Geometry, EmptySizesGiveAnEmptyRect) {
    expect_rect(fit_frame(0, 1080, 1024, 768, ScaleMode::Aspect), 0, 0, 0, 0);
    expect_rect(fit_frame(1920, 1080, 0, 768, ScaleMode::Stretch), 0, 0, 0, 0);
}

TEST(Geometry, MappingRoundTripsAndRejectsOutside) {
    const WindowRect v = fit_frame(1920, 1080, 1024, 768, ScaleMode::Aspect);  // 0,96 1024x576
    const PointD w = frame_to_window(v, 1920, 1080, PointD{960, 540});
    EXPECT_DOUBLE_EQ(w.x, 512);
    EXPECT_DOUBLE_EQ(w.y, 96 + 288);
    auto f = window_to_frame(v, 1920, 1080, w, false);
    ASSERT_TRUE(f);
    EXPECT_DOUBLE_EQ(f->x, 960);
    EXPECT_DOUBLE_EQ(f->y, 540);
    EXPECT_FALSE(window_to_frame(v, 1920, 1080, PointD{10, 50}, false)) << "in the letterbox";
    auto clamped = window_to_frame(v, 1920, 1080, PointD{-5, 50}, true);
    ASSERT_TRUE(clamped);
    EXPECT_EQ(clamped->x, 0);
    EXPECT_EQ(clamped->y, 0);
    auto far = window_to_frame(v, 1920, 1080, PointD{5000, 5000}, true);
    ASSERT_TRUE(far);
    EXPECT_LT(far->x, 1920);
    EXPECT_LT(far->y, 1080);
}

TEST(Geometry, ModeNamesRoundTripAndCycle) {
    ScaleMode m = ScaleMode::Aspect;
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(parse_scale_mode(to_string(m)), m);
        m = next_scale_mode(m);
    }
    EXPECT_EQ(m, ScaleMode::Aspect) << "the cycle visits all four";
    EXPECT_FALSE(parse_scale_mode("zoom"));
}

}  // namespace
}  // namespace periscope::viewer
