// The renderer pieces that need no GL: the back-end table, the null back-end, and the arithmetic
// of uploads (which bytes of the shared frame are read and where they are packed).
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "unit/viewer/render/render_checks.h"
#include "unit/viewer/render/test_frames.h"
#include "viewer/render/arguments.h"
#include "viewer/render/null/null_renderer.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer {
namespace {

using protocol::Format;
using protocol::Rect;

TEST(RendererTable, ListsGlFirstThenNull) {
    const auto backends = renderer_backends();
    ASSERT_EQ(backends.size(), 2u);
    EXPECT_STREQ(backends[0].name, "gl");
    EXPECT_STREQ(backends[1].name, "null");
    for (const RendererBackend& b : backends) {
        EXPECT_NE(std::string(b.description), "");
        EXPECT_NE(b.create, nullptr);
    }
}

TEST(RendererTable, CreatesTheNullRendererByName) {
    std::string detail;
    auto r = create_renderer("null", &detail);
    ASSERT_TRUE(r) << detail;
    EXPECT_STREQ((*r)->name(), "null");
    EXPECT_NE((*r)->describe(), "");
}

TEST(RendererTable, UnknownNameListsTheKnownOnes) {
    std::string detail;
    auto r = create_renderer("vulkan", &detail);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), RenderError::Unavailable);
    EXPECT_NE(detail.find("unknown renderer 'vulkan'"), std::string::npos) << detail;
    EXPECT_NE(detail.find("gl, null"), std::string::npos) << detail;
}

TEST(RendererTable, EveryErrorHasItsOwnText) {
    const RenderError all[] = {RenderError::Unavailable, RenderError::ShaderFailed,
                               RenderError::OutOfMemory, RenderError::InvalidArgument};
    for (size_t i = 0; i < std::size(all); ++i) {
        for (size_t j = i + 1; j < std::size(all); ++j) {
            EXPECT_STRNE(to_string(all[i]), to_string(all[j]));
        }
    }
}

TEST(NullRenderer, RejectsWhatTheGlRendererRejects) {
    NullRenderer r;
    test::expect_rejects_bad_arguments(r);
}

TEST(NullRenderer, AcceptsAFrameAndReadsBackOpaqueBlack) {
    NullRenderer r;
    const auto frame = test::make_frame(Format::RGBA16F, 20, 10, 1);
    ASSERT_TRUE(r.configure_frame(Format::RGBA16F, 20, 10));
    protocol::DamageList full;
    full.set_full();
    ASSERT_TRUE(r.upload(frame.bytes.data(), frame.stride, full, 0, 10));
    DrawParams p;
    p.window_width = 7;
    p.window_height = 3;
    p.viewport = {0, 0, 7, 3};
    r.draw(p);
    std::vector<std::byte> rgba(5, std::byte{0x11});
    ASSERT_TRUE(r.read_pixels(7, 3, &rgba));
    ASSERT_EQ(rgba.size(), 7u * 3 * 4);
    for (size_t i = 0; i < rgba.size(); ++i) {
        EXPECT_EQ(std::to_integer<int>(rgba[i]), i % 4 == 3 ? 255 : 0) << "byte " << i;
    }
}

FrameGeometry geometry(Format format, uint32_t w, uint32_t h) {
    return FrameGeometry{format, w, h, protocol::bytes_per_pixel(format)};
}

TEST(UploadPlan, CutsRectanglesToTheRowsGiven) {
    std::byte src[1] = {};
    protocol::DamageList damage;
    damage.add(Rect{2, 1, 4, 3});    // rows 1..3
    damage.add(Rect{10, 5, 6, 10});  // rows 5..14
    damage.add(Rect{0, 20, 3, 2});   // rows 20..21: not in this call
    auto plan = plan_upload(geometry(Format::BGRA8, 32, 24), src, 128, damage, 2, 8);
    ASSERT_TRUE(plan);
    ASSERT_EQ(plan->count, 2u);
    EXPECT_EQ(plan->pieces[0].rect, (Rect{2, 2, 4, 2}));
    EXPECT_EQ(plan->pieces[0].offset, 0u);
    EXPECT_EQ(plan->pieces[1].rect, (Rect{10, 5, 6, 3}));
    EXPECT_EQ(plan->pieces[1].offset, RECT_ALIGN) << "4x2 BGRA8 = 32 bytes, padded";
    EXPECT_EQ(plan->total_bytes, RECT_ALIGN + RECT_ALIGN * 2) << "6x3x4 = 72 bytes, padded";
}

TEST(UploadPlan, FullDamageIsWholeRows) {
    std::byte src[1] = {};
    protocol::DamageList full;
    full.set_full();
    auto plan = plan_upload(geometry(Format::RGBA16F, 30, 20), src, 240, full, 7, 20);
    ASSERT_TRUE(plan);
    ASSERT_EQ(plan->count, 1u);
    EXPECT_EQ(plan->pieces[0].rect, (Rect{0, 7, 30, 13}));
    EXPECT_EQ(plan->total_bytes, 30u * 8 * 13 + 16) << "3120 bytes rounded up to 64";

    auto empty = plan_upload(geometry(Format::RGBA16F, 30, 20), src, 240, full, 7, 7);
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->count, 0u);
}

TEST(UploadPlan, PacksExactlyTheDamagedPixels) {
    const auto frame = test::make_frame(Format::RGBA8, 40, 30, 5);
    protocol::DamageList damage;
    damage.add(Rect{3, 4, 5, 6});
    damage.add(Rect{20, 0, 20, 30});
    const FrameGeometry g = geometry(Format::RGBA8, 40, 30);
    auto plan = plan_upload(g, frame.bytes.data(), frame.stride, damage, 0, 30);
    ASSERT_TRUE(plan);
    ASSERT_EQ(plan->count, 2u);
    for (const CopyKind kind : {CopyKind::Memcpy, CopyKind::NonTemporal, CopyKind::Auto}) {
        std::vector<std::byte> packed(plan->total_bytes, std::byte{0});
        pack_upload(*plan, g, frame.bytes.data(), frame.stride, packed.data(), kind);
        for (uint32_t i = 0; i < plan->count; ++i) {
            const Rect& r = plan->pieces[i].rect;
            for (uint32_t y = 0; y < r.height; ++y) {
                const std::byte* want =
                    frame.bytes.data() + size_t{r.y + y} * frame.stride + size_t{r.x} * 4;
                const std::byte* got =
                    packed.data() + plan->pieces[i].offset + size_t{y} * r.width * 4;
                EXPECT_EQ(std::memcmp(want, got, r.width * 4), 0)
                    << "piece " << i << " row " << y << " kind " << to_string(kind);
            }
        }
    }
}

// Live shared memory: only the rows (and within them the rectangles) given may be read. Every row
// has its own page here and every other page is inaccessible, so a stray read crashes the test.
TEST(UploadPlan, ReadsOnlyTheDamagedRowsOfTheGivenRange) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    constexpr uint32_t HEIGHT = 24;
    for (const uint32_t width : {64u, static_cast<uint32_t>(page / 4)}) {  // padded rows; exact
        void* memory = mmap(nullptr, page * HEIGHT, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(memory, MAP_FAILED);
        auto* src = static_cast<std::byte*>(memory);
        for (uint32_t y = 0; y < HEIGHT; ++y) {
            std::memset(src + y * page, static_cast<int>(y + 1), page);
        }
        protocol::DamageList damage;
        damage.add(Rect{0, 3, width, 4});       // rows 3..6
        damage.add(Rect{width / 2, 10, 8, 9});  // rows 10..18
        const uint32_t from = 5;
        const uint32_t to = 12;
        for (uint32_t y = 0; y < HEIGHT; ++y) {
            const bool needed = y >= from && y < to && ((y >= 3 && y <= 6) || (y >= 10));
            if (!needed) {
                ASSERT_EQ(mprotect(src + y * page, page, PROT_NONE), 0);
            }
        }
        const FrameGeometry g = geometry(Format::BGRA8, width, HEIGHT);
        auto plan = plan_upload(g, src, static_cast<uint32_t>(page), damage, from, to);
        ASSERT_TRUE(plan);
        ASSERT_EQ(plan->count, 2u);
        std::vector<std::byte> packed(plan->total_bytes);
        pack_upload(*plan, g, src, static_cast<uint32_t>(page), packed.data(), CopyKind::Auto);
        EXPECT_EQ(std::to_integer<int>(packed[plan->pieces[0].offset]), 6) << "row 5 first";
        EXPECT_EQ(std::to_integer<int>(packed[plan->pieces[1].offset]), 11) << "row 10 first";
        munmap(memory, page * HEIGHT);
    }
}

}  // namespace
}  // namespace periscope::viewer
