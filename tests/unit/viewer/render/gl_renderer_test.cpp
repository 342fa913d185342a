// The GL back-end on a private Xvfb (Mesa llvmpipe): what reaches the window, pixel by pixel.
#include "viewer/render/gl/gl_renderer.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "core/log.h"
#include "support/gl_window.h"
#include "support/xvfb.h"
#include "unit/viewer/render/gl_test_env.h"
#include "unit/viewer/render/render_checks.h"
#include "unit/viewer/render/test_frames.h"
#include "viewer/render/gl/gl_program.h"

namespace periscope::viewer {
namespace {

using protocol::Format;
using protocol::Rect;
using test::BLACK;
using test::Image;
using test::inside;
using test::Rgb;
using test::TestFrame;

constexpr uint32_t WINDOW_W = 128;
constexpr uint32_t WINDOW_H = 96;

protocol::DamageList full_damage() {
    protocol::DamageList d;
    d.set_full();
    return d;
}

// One X server, one window with a GL 3.3 core context, one renderer per test (SDL allows one
// window at a time in a process).
class GlRendererTest : public ::testing::Test {
  protected:
    void SetUp() override { start(GlRendererOptions{}); }
    void start(const GlRendererOptions& options) {
        std::string error;
        m_xvfb = periscope::test::Xvfb::start(periscope::test::XvfbConfig{}, &error);
        ASSERT_TRUE(m_xvfb) << error;
        test::single_threaded_gl_driver();
        m_window = periscope::test::GlWindow::open(m_xvfb->display(), WINDOW_W, WINDOW_H, &error);
        ASSERT_TRUE(m_window) << error;
        ASSERT_EQ(m_window->width(), static_cast<int>(WINDOW_W));
        ASSERT_EQ(m_window->height(), static_cast<int>(WINDOW_H));
        test::pin_gl_driver();
        auto created = GlRenderer::create(options, &error);
        ASSERT_TRUE(created) << error;
        m_renderer = std::move(*created);
    }
    void TearDown() override {
        m_renderer.reset();
        m_window.reset();
        m_xvfb.reset();
    }

    void configure_and_upload(const TestFrame& f) {
        ASSERT_TRUE(m_renderer->configure_frame(f.format, f.width, f.height));
        ASSERT_TRUE(m_renderer->upload(f.bytes.data(), f.stride, full_damage(), 0, f.height));
    }
    DrawParams params(WindowRect viewport, Filter filter = Filter::Nearest) const {
        DrawParams p;
        p.window_width = WINDOW_W;
        p.window_height = WINDOW_H;
        p.viewport = viewport;
        p.filter = filter;
        return p;
    }
    Image draw_and_read(const DrawParams& p) {
        m_renderer->draw(p);
        Image image;
        image.width = WINDOW_W;
        image.height = WINDOW_H;
        auto read = m_renderer->read_pixels(WINDOW_W, WINDOW_H, &image.rgba);
        EXPECT_TRUE(read);
        return image;
    }
    // The frame at 1:1 with its top-left corner at (left, top); black elsewhere.
    static auto one_to_one(const TestFrame& f, int32_t left, int32_t top) {
        return [&f, left, top](int32_t x, int32_t y) {
            return inside(x, y, left, top, static_cast<int32_t>(f.width),
                          static_cast<int32_t>(f.height))
                       ? f.at(static_cast<uint32_t>(x - left), static_cast<uint32_t>(y - top))
                       : BLACK;
        };
    }

    std::unique_ptr<periscope::test::Xvfb> m_xvfb;
    std::unique_ptr<periscope::test::GlWindow> m_window;
    std::unique_ptr<GlRenderer> m_renderer;
};

class GlFormatTest : public GlRendererTest, public ::testing::WithParamInterface<Format> {};

TEST_P(GlFormatTest, ShowsTheFrameAtOneToOne) {
    const Format format = GetParam();
    const TestFrame f = test::make_frame(format, 61, 37, 7);
    configure_and_upload(f);
    const bool eight_bit = format == Format::BGRA8 || format == Format::RGBA8;
    const Image image = draw_and_read(params({9, 5, 61, 37}));
    EXPECT_TRUE(test::image_matches(image, one_to_one(f, 9, 5), eight_bit ? 0 : 1));
    // Linear filtering at 1:1 must not blur either.
    const Image linear = draw_and_read(params({9, 5, 61, 37}, Filter::Linear));
    EXPECT_TRUE(test::image_matches(linear, one_to_one(f, 9, 5), eight_bit ? 0 : 1));
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, GlFormatTest,
                         ::testing::Values(Format::BGRA8, Format::RGBA8, Format::RGB10A2,
                                           Format::BGR10A2, Format::RGBA16F),
                         [](const auto& param_info) {
                             return std::string(protocol::to_string(param_info.param));
                         });

TEST_F(GlRendererTest, BlackUntilUploadedAndAfterReconfiguring) {
    ASSERT_TRUE(m_renderer->configure_frame(Format::BGRA8, 40, 30));
    const auto all_black = [](int32_t, int32_t) { return BLACK; };
    EXPECT_TRUE(test::image_matches(draw_and_read(params({4, 4, 40, 30})), all_black));

    const TestFrame f = test::make_frame(Format::BGRA8, 40, 30, 2);
    ASSERT_TRUE(m_renderer->upload(f.bytes.data(), f.stride, full_damage(), 0, 30));
    EXPECT_TRUE(test::image_matches(draw_and_read(params({4, 4, 40, 30})), one_to_one(f, 4, 4)));

    // Same geometry again, then another format: black both times.
    ASSERT_TRUE(m_renderer->configure_frame(Format::BGRA8, 40, 30));
    EXPECT_TRUE(test::image_matches(draw_and_read(params({4, 4, 40, 30})), all_black));
    ASSERT_TRUE(m_renderer->upload(f.bytes.data(), f.stride, full_damage(), 0, 30));
    ASSERT_TRUE(m_renderer->configure_frame(Format::RGBA16F, 40, 30));
    EXPECT_TRUE(test::image_matches(draw_and_read(params({4, 4, 40, 30})), all_black));
}

// BGRA8 and RGBA8 share a texture layout; the byte order must follow the format, not the texture.
TEST_F(GlRendererTest, ReconfiguringToTheOtherByteOrderShowsIt) {
    for (const Format format :
         {Format::BGRA8, Format::RGBA8, Format::BGRA8, Format::RGB10A2, Format::BGR10A2}) {
        const TestFrame f = test::make_frame(format, 40, 30, 20);
        configure_and_upload(f);
        const int tolerance = format == Format::BGRA8 || format == Format::RGBA8 ? 0 : 1;
        EXPECT_TRUE(test::image_matches(draw_and_read(params({1, 2, 40, 30})), one_to_one(f, 1, 2),
                                        tolerance))
            << protocol::to_string(format);
    }
}

TEST_F(GlRendererTest, DamageUploadChangesOnlyTheDamagedRects) {
    const TestFrame a = test::make_frame(Format::BGRA8, 50, 40, 1);
    const TestFrame b = test::make_frame(Format::BGRA8, 50, 40, 2);
    configure_and_upload(a);
    const Rect r1{3, 4, 10, 6};
    const Rect r2{30, 20, 7, 9};
    protocol::DamageList damage;
    damage.add(r1);
    damage.add(r2);
    ASSERT_TRUE(m_renderer->upload(b.bytes.data(), b.stride, damage, 0, 40));
    const Image image = draw_and_read(params({0, 0, 50, 40}));
    EXPECT_TRUE(test::image_matches(image, [&](int32_t x, int32_t y) {
        if (x >= 50 || y >= 40) {
            return BLACK;
        }
        const auto ux = static_cast<uint32_t>(x);
        const auto uy = static_cast<uint32_t>(y);
        const bool damaged = inside(x, y, 3, 4, 10, 6) || inside(x, y, 30, 20, 7, 9);
        return damaged ? b.at(ux, uy) : a.at(ux, uy);
    }));
}

TEST_F(GlRendererTest, UploadsInSeveralRowRangesAssembleTheFrame) {
    const TestFrame f = test::make_frame(Format::RGBA8, 70, 45, 3);
    ASSERT_TRUE(m_renderer->configure_frame(f.format, f.width, f.height));
    const auto full = full_damage();
    for (const auto& [from, to] :
         {std::pair{0u, 1u}, {1u, 13u}, {13u, 13u}, {13u, 44u}, {44u, 45u}}) {
        ASSERT_TRUE(m_renderer->upload(f.bytes.data(), f.stride, full, from, to));
    }
    EXPECT_TRUE(test::image_matches(draw_and_read(params({2, 3, 70, 45})), one_to_one(f, 2, 3)));

    // A damage rectangle that spans the ranges arrives in pieces, as its rows do.
    const TestFrame g = test::make_frame(Format::RGBA8, 70, 45, 4);
    protocol::DamageList damage;
    damage.add(Rect{5, 10, 20, 20});
    for (const auto& [from, to] : {std::pair{0u, 15u}, {15u, 16u}, {16u, 45u}}) {
        ASSERT_TRUE(m_renderer->upload(g.bytes.data(), g.stride, damage, from, to));
    }
    EXPECT_TRUE(
        test::image_matches(draw_and_read(params({0, 0, 70, 45})), [&](int32_t x, int32_t y) {
            if (x >= 70 || y >= 45) {
                return BLACK;
            }
            const auto ux = static_cast<uint32_t>(x);
            const auto uy = static_cast<uint32_t>(y);
            return inside(x, y, 5, 10, 20, 20) ? g.at(ux, uy) : f.at(ux, uy);
        }));
}

// The frame lives in shared memory a guest can change: the renderer may touch only the rows it is
// given. Here every row is a page of its own and the others are inaccessible.
TEST_F(GlRendererTest, UploadReadsOnlyTheRowsItIsGiven) {
    const auto page = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
    constexpr uint32_t W = 48;
    constexpr uint32_t H = 20;
    void* memory =
        mmap(nullptr, size_t{page} * H, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(memory, MAP_FAILED);
    auto* src = static_cast<std::byte*>(memory);
    const TestFrame f = test::make_frame(Format::BGRA8, W, H, 9);
    for (uint32_t y = 0; y < H; ++y) {
        std::memcpy(src + size_t{y} * page, f.bytes.data() + size_t{y} * f.stride, W * 4);
    }
    ASSERT_TRUE(m_renderer->configure_frame(Format::BGRA8, W, H));
    for (uint32_t y = 0; y < H; ++y) {
        if (y < 6 || y >= 11) {
            ASSERT_EQ(mprotect(src + size_t{y} * page, page, PROT_NONE), 0);
        }
    }
    ASSERT_TRUE(m_renderer->upload(src, page, full_damage(), 6, 11));
    munmap(memory, size_t{page} * H);
    EXPECT_TRUE(test::image_matches(draw_and_read(params({0, 0, W, H})), [&](int32_t x, int32_t y) {
        const bool given = x < static_cast<int32_t>(W) && y >= 6 && y < 11;
        return given ? f.at(static_cast<uint32_t>(x), static_cast<uint32_t>(y)) : BLACK;
    }));
}

TEST_F(GlRendererTest, NearestAtTwiceTheSizeMakesEachPixelATwoByTwoBlock) {
    const TestFrame f = test::make_frame(Format::BGRA8, 16, 12, 4);
    configure_and_upload(f);
    const Image image = draw_and_read(params({3, 5, 32, 24}, Filter::Nearest));
    EXPECT_TRUE(test::image_matches(image, [&](int32_t x, int32_t y) {
        if (!inside(x, y, 3, 5, 32, 24)) {
            return BLACK;  // letterbox
        }
        return f.at(static_cast<uint32_t>(x - 3) / 2, static_cast<uint32_t>(y - 5) / 2);
    }));
}

TEST_F(GlRendererTest, ViewportPartlyOutsideTheWindow) {
    const TestFrame f = test::make_frame(Format::BGRA8, 61, 37, 5);
    configure_and_upload(f);
    // Off the top-left corner.
    EXPECT_TRUE(
        test::image_matches(draw_and_read(params({-10, -6, 61, 37})), one_to_one(f, -10, -6)));
    // Past the bottom-right corner.
    const int32_t left = WINDOW_W - 20;
    const int32_t top = WINDOW_H - 15;
    EXPECT_TRUE(
        test::image_matches(draw_and_read(params({left, top, 61, 37})), one_to_one(f, left, top)));
    // Scaled 3x and off the left edge: each source pixel a 3x3 block.
    EXPECT_TRUE(
        test::image_matches(draw_and_read(params({-40, 10, 183, 111})), [&](int32_t x, int32_t y) {
            if (!inside(x, y, -40, 10, 183, 111)) {
                return BLACK;
            }
            return f.at(static_cast<uint32_t>(x + 40) / 3, static_cast<uint32_t>(y - 10) / 3);
        }));
}

TEST_F(GlRendererTest, FilterIsChosenPerDraw) {
    // Two pixels, black and white, stretched 32x: nearest keeps a hard edge, linear blends.
    const uint8_t pixels[8] = {0, 0, 0, 0, 255, 255, 255, 0};
    ASSERT_TRUE(m_renderer->configure_frame(Format::BGRA8, 2, 1));
    ASSERT_TRUE(
        m_renderer->upload(reinterpret_cast<const std::byte*>(pixels), 8, full_damage(), 0, 1));
    const auto hard_edge = [](int32_t x, int32_t y) {
        if (y >= 32 || x >= 64) {
            return BLACK;
        }
        return x < 32 ? BLACK : Rgb{255, 255, 255};
    };
    EXPECT_TRUE(
        test::image_matches(draw_and_read(params({0, 0, 64, 32}, Filter::Nearest)), hard_edge));
    const Image linear = draw_and_read(params({0, 0, 64, 32}, Filter::Linear));
    int between = 0;
    for (int32_t x = 0; x < 64; ++x) {
        const uint8_t v = linear.at(x, 10)[0];
        between += v > 10 && v < 245 ? 1 : 0;
        if (x > 0) {
            EXPECT_GE(v, linear.at(x - 1, 10)[0]) << "a ramp from black to white at x " << x;
        }
    }
    EXPECT_GE(between, 16) << "linear filtering blends the two pixels over half the width";
    EXPECT_TRUE(
        test::image_matches(draw_and_read(params({0, 0, 64, 32}, Filter::Nearest)), hard_edge));
}

struct CursorCase {
    Format format;
    bool premultiplied;
};

class GlCursorTest : public GlRendererTest, public ::testing::WithParamInterface<CursorCase> {};

// A 6x5 shape of varied colours and alphas (0 and 255 included) over a flat frame.
TEST_P(GlCursorTest, BlendsAtItsHotspot) {
    const CursorCase c = GetParam();
    std::vector<uint8_t> frame(40 * 30 * 4);
    const Rgb background{40, 180, 120};
    for (size_t i = 0; i < frame.size(); i += 4) {
        frame[i] = background[2];  // BGRA8
        frame[i + 1] = background[1];
        frame[i + 2] = background[0];
    }
    ASSERT_TRUE(m_renderer->configure_frame(Format::BGRA8, 40, 30));
    ASSERT_TRUE(m_renderer->upload(reinterpret_cast<const std::byte*>(frame.data()), 160,
                                   full_damage(), 0, 30));
    constexpr uint32_t CW = 6;
    constexpr uint32_t CH = 5;
    std::vector<uint8_t> shape(CW * CH * 4);
    std::vector<std::array<int, 4>> straight(CW * CH);  // r, g, b, a before premultiplying
    for (uint32_t i = 0; i < CW * CH; ++i) {
        const int a = i == 0 ? 0 : i == 1 ? 255 : static_cast<int>((i * 53) % 256);
        straight[i] = {static_cast<int>((i * 97) % 256), static_cast<int>((i * 31 + 100) % 256),
                       static_cast<int>((i * 71 + 7) % 256), a};
        int rgb[3];
        for (int k = 0; k < 3; ++k) {
            rgb[k] = c.premultiplied ? (straight[i][static_cast<size_t>(k)] * a + 127) / 255
                                     : straight[i][static_cast<size_t>(k)];
        }
        const bool bgra = c.format == Format::BGRA8;
        shape[i * 4] = static_cast<uint8_t>(bgra ? rgb[2] : rgb[0]);
        shape[i * 4 + 1] = static_cast<uint8_t>(rgb[1]);
        shape[i * 4 + 2] = static_cast<uint8_t>(bgra ? rgb[0] : rgb[2]);
        shape[i * 4 + 3] = static_cast<uint8_t>(a);
    }
    CursorImage cursor;
    cursor.width = CW;
    cursor.height = CH;
    cursor.hotspot_x = 2;
    cursor.hotspot_y = 1;
    cursor.format = c.format;
    cursor.premultiplied = c.premultiplied;
    cursor.pixels = reinterpret_cast<const std::byte*>(shape.data());
    ASSERT_TRUE(m_renderer->set_cursor(cursor));

    DrawParams p = params({10, 8, 40, 30}, Filter::Linear);
    p.cursor_visible = true;
    p.cursor_x = 20;
    p.cursor_y = 15;
    const Image image = draw_and_read(p);
    const int32_t left = 10 + 20 - 2;  // viewport + position - hotspot
    const int32_t top = 8 + 15 - 1;
    EXPECT_TRUE(test::image_matches(
        image,
        [&](int32_t x, int32_t y) {
            if (!inside(x, y, 10, 8, 40, 30)) {
                return BLACK;
            }
            if (!inside(x, y, left, top, CW, CH)) {
                return background;
            }
            const auto& s =
                straight[static_cast<size_t>(y - top) * CW + static_cast<size_t>(x - left)];
            Rgb out;
            for (size_t k = 0; k < 3; ++k) {
                out[k] =
                    static_cast<uint8_t>((s[k] * s[3] + background[k] * (255 - s[3]) + 127) / 255);
            }
            return out;
        },
        // Premultiplying in 8 bits loses up to half a step before blending.
        c.premultiplied ? 2 : 1));

    // Hidden: the frame alone.
    p.cursor_visible = false;
    EXPECT_TRUE(test::image_matches(draw_and_read(p), [&](int32_t x, int32_t y) {
        return inside(x, y, 10, 8, 40, 30) ? background : BLACK;
    }));
}

INSTANTIATE_TEST_SUITE_P(AlphaModes, GlCursorTest,
                         ::testing::Values(CursorCase{Format::BGRA8, false},
                                           CursorCase{Format::RGBA8, false},
                                           CursorCase{Format::BGRA8, true},
                                           CursorCase{Format::RGBA8, true}),
                         [](const auto& param_info) {
                             return std::string(protocol::to_string(param_info.param.format)) +
                                    (param_info.param.premultiplied ? "Premultiplied" : "Straight");
                         });

TEST_F(GlRendererTest, CursorScalesWithTheFrame) {
    const TestFrame f = test::make_frame(Format::BGRA8, 16, 12, 6);
    configure_and_upload(f);
    const uint8_t shape[2 * 2 * 4] = {255, 0, 0,   255, 0,   255, 0,   255,
                                      0,   0, 255, 255, 255, 255, 255, 255};  // RGBA8, opaque
    CursorImage cursor;
    cursor.width = 2;
    cursor.height = 2;
    cursor.hotspot_x = 1;
    cursor.hotspot_y = 1;
    cursor.format = Format::RGBA8;
    cursor.pixels = reinterpret_cast<const std::byte*>(shape);
    ASSERT_TRUE(m_renderer->set_cursor(cursor));
    DrawParams p = params({3, 5, 32, 24}, Filter::Nearest);
    p.cursor_visible = true;
    p.cursor_x = 4;
    p.cursor_y = 3;
    // Top-left at 3 + (4 - 1) * 2 = 9, 5 + (3 - 1) * 2 = 9; each shape pixel 2x2.
    EXPECT_TRUE(test::image_matches(draw_and_read(p), [&](int32_t x, int32_t y) {
        if (inside(x, y, 9, 9, 4, 4)) {
            const size_t i = static_cast<size_t>((y - 9) / 2 * 2 + (x - 9) / 2) * 4;
            return Rgb{shape[i], shape[i + 1], shape[i + 2]};
        }
        if (!inside(x, y, 3, 5, 32, 24)) {
            return BLACK;
        }
        return f.at(static_cast<uint32_t>(x - 3) / 2, static_cast<uint32_t>(y - 5) / 2);
    }));
}

TEST_F(GlRendererTest, WithoutTheFrameEverythingIsBlackEvenTheCursor) {
    const TestFrame f = test::make_frame(Format::BGRA8, 40, 30, 8);
    configure_and_upload(f);
    const std::vector<std::byte> white(8 * 8 * 4, std::byte{0xFF});
    CursorImage cursor;
    cursor.width = 8;
    cursor.height = 8;
    cursor.pixels = white.data();
    ASSERT_TRUE(m_renderer->set_cursor(cursor));
    DrawParams p = params({0, 0, 40, 30});
    p.cursor_visible = true;
    p.cursor_x = 5;
    p.cursor_y = 5;
    p.draw_frame = false;
    EXPECT_TRUE(test::image_matches(draw_and_read(p), [](int32_t, int32_t) { return BLACK; }));
}

TEST_F(GlRendererTest, RejectsBadArguments) {
    test::expect_rejects_bad_arguments(*m_renderer);
}

TEST_F(GlRendererTest, DescribesVersionAndRenderer) {
    const std::string text = m_renderer->describe();
    EXPECT_EQ(text.rfind("OpenGL ", 0), 0u) << text;
    EXPECT_NE(text.find(reinterpret_cast<const char*>(glGetString(GL_RENDERER))), std::string::npos)
        << text;
    EXPECT_STREQ(m_renderer->name(), "gl");
    // Auto: this test runs on Mesa's llvmpipe, a software rasteriser, where direct uploads win.
    const std::string gl_renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    if (gl_renderer.find("llvmpipe") != std::string::npos) {
        EXPECT_EQ(m_renderer->upload_path(), UploadPath::Direct);
        EXPECT_NE(text.find("direct uploads"), std::string::npos) << text;
    }
}

// The overlay draws after the renderer and relies on what header says draw() leaves; draw() must
// not depend on what the overlay left either.
TEST_F(GlRendererTest, DrawLeavesTheDocumentedStateWhateverItFound) {
    const TestFrame f = test::make_frame(Format::BGRA8, 40, 30, 10);
    configure_and_upload(f);
    const std::vector<std::byte> white(4 * 4 * 4, std::byte{0xFF});
    CursorImage cursor;
    cursor.width = 4;
    cursor.height = 4;
    cursor.pixels = white.data();
    ASSERT_TRUE(m_renderer->set_cursor(cursor));

    // Leftovers an overlay might leave behind.
    glEnable(GL_SCISSOR_TEST);
    glScissor(0, 0, 2, 2);
    glEnable(GL_BLEND);
    glBlendFunc(GL_ZERO, GL_ZERO);
    glViewport(1, 1, 3, 3);
    glColorMask(GL_FALSE, GL_TRUE, GL_FALSE, GL_TRUE);
    glActiveTexture(GL_TEXTURE3);
    GLuint junk = 0;
    glGenBuffers(1, &junk);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, junk);
    glBufferData(GL_PIXEL_UNPACK_BUFFER, 64, nullptr, GL_STREAM_DRAW);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 7);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 8);
    glActiveTexture(GL_TEXTURE0);

    // An upload in that state, then a draw.
    const TestFrame g = test::make_frame(Format::BGRA8, 40, 30, 11);
    ASSERT_TRUE(m_renderer->upload(g.bytes.data(), g.stride, full_damage(), 0, 30));
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, junk);
    glEnable(GL_SCISSOR_TEST);
    glColorMask(GL_FALSE, GL_TRUE, GL_FALSE, GL_TRUE);
    DrawParams p = params({6, 6, 40, 30});
    p.cursor_visible = true;
    p.cursor_x = 50;  // past the frame's right edge: drawn on the letterbox
    p.cursor_y = 2;
    m_renderer->draw(p);

    GLint value = -1;
    glGetIntegerv(GL_CURRENT_PROGRAM, &value);
    EXPECT_EQ(value, 0);
    glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &value);
    EXPECT_EQ(value, 0);
    glGetIntegerv(GL_ACTIVE_TEXTURE, &value);
    EXPECT_EQ(value, GL_TEXTURE0);
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &value);
    EXPECT_EQ(value, 0);
    glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &value);
    EXPECT_EQ(value, 0);
    glGetIntegerv(GL_DRAW_FRAMEBUFFER_BINDING, &value);
    EXPECT_EQ(value, 0);
    EXPECT_FALSE(glIsEnabled(GL_BLEND));
    EXPECT_FALSE(glIsEnabled(GL_SCISSOR_TEST));
    EXPECT_FALSE(glIsEnabled(GL_DEPTH_TEST));
    GLint viewport[4] = {};
    glGetIntegerv(GL_VIEWPORT, viewport);
    EXPECT_EQ(viewport[0], 0);
    EXPECT_EQ(viewport[1], 0);
    EXPECT_EQ(viewport[2], static_cast<GLint>(WINDOW_W));
    EXPECT_EQ(viewport[3], static_cast<GLint>(WINDOW_H));
    glGetIntegerv(GL_UNPACK_ROW_LENGTH, &value);
    EXPECT_EQ(value, 0);
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &value);
    EXPECT_EQ(value, 4);
    EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));
    glDeleteBuffers(1, &junk);

    Image image;
    image.width = WINDOW_W;
    image.height = WINDOW_H;
    ASSERT_TRUE(m_renderer->read_pixels(WINDOW_W, WINDOW_H, &image.rgba));
    EXPECT_TRUE(test::image_matches(image, [&](int32_t x, int32_t y) {
        if (inside(x, y, 6 + 50, 6 + 2, 4, 4)) {
            return Rgb{255, 255, 255};
        }
        return inside(x, y, 6, 6, 40, 30)
                   ? g.at(static_cast<uint32_t>(x - 6), static_cast<uint32_t>(y - 6))
                   : BLACK;
    }));
}

// With an alpha channel in the window, frames (whatever alpha they carry) and cursors keep it at 1:
// a compositor would otherwise show the desktop through the guest's screen.
class GlAlphaWindowTest : public GlRendererTest {
  protected:
    void SetUp() override {
        std::string error;
        m_xvfb = periscope::test::Xvfb::start(periscope::test::XvfbConfig{}, &error);
        ASSERT_TRUE(m_xvfb) << error;
        // GlWindow sets no alpha size; attributes set before it opens persist (SDL's video
        // subsystem is reference-counted, so ours stays up until TearDown).
        setenv("DISPLAY", m_xvfb->display().c_str(), 1);
        test::single_threaded_gl_driver();
        ASSERT_EQ(SDL_InitSubSystem(SDL_INIT_VIDEO), 0) << SDL_GetError();
        m_video = true;
        SDL_GL_SetAttribute(SDL_GL_ALPHA_SIZE, 8);
        m_window = periscope::test::GlWindow::open(m_xvfb->display(), WINDOW_W, WINDOW_H, &error);
        ASSERT_TRUE(m_window) << error;
        test::pin_gl_driver();
        auto created = GlRenderer::create(GlRendererOptions{}, &error);
        ASSERT_TRUE(created) << error;
        m_renderer = std::move(*created);
    }
    void TearDown() override {
        m_renderer.reset();
        m_window.reset();
        if (m_video) {
            SDL_QuitSubSystem(SDL_INIT_VIDEO);  // before its X server goes
        }
        m_xvfb.reset();
    }
    bool m_video = false;
};

TEST_F(GlAlphaWindowTest, FramesAndCursorsLeaveTheWindowOpaque) {
    GLint bits = 0;
    glGetFramebufferAttachmentParameteriv(GL_FRAMEBUFFER, GL_BACK_LEFT,
                                          GL_FRAMEBUFFER_ATTACHMENT_ALPHA_SIZE, &bits);
    ASSERT_GE(bits, 8) << "no alpha channel in this visual: nothing to check";
    for (const Format format : {Format::BGRA8, Format::RGB10A2, Format::RGBA16F}) {
        // make_frame gives every pixel a random alpha, 0 included.
        const TestFrame f = test::make_frame(format, 40, 30, 12);
        configure_and_upload(f);
        const std::vector<uint8_t> shape = {255, 255, 255, 128, 0, 0, 0, 0,
                                            10,  20,  30,  0,   9, 9, 9, 9};
        CursorImage cursor;
        cursor.width = 2;
        cursor.height = 2;
        cursor.pixels = reinterpret_cast<const std::byte*>(shape.data());
        ASSERT_TRUE(m_renderer->set_cursor(cursor));
        DrawParams p = params({5, 5, 40, 30});
        p.cursor_visible = true;
        p.cursor_x = 3;
        p.cursor_y = 3;
        const Image image = draw_and_read(p);
        uint32_t transparent = 0;
        for (uint32_t y = 0; y < WINDOW_H; ++y) {
            for (uint32_t x = 0; x < WINDOW_W; ++x) {
                transparent +=
                    image.alpha(static_cast<int32_t>(x), static_cast<int32_t>(y)) != 255 ? 1 : 0;
            }
        }
        EXPECT_EQ(transparent, 0u) << protocol::to_string(format);
        EXPECT_TRUE(test::near(image.at(5, 5), f.at(0, 0), 1)) << "the frame is drawn";
        EXPECT_TRUE(test::near(image.at(44, 34), f.at(39, 29), 1)) << "the frame is drawn";
    }
}

// Uploads keep landing correctly while the PBO stream cycles (ring) or reallocates (orphan):
// random damage in random row ranges, checked against a model of the texture after each frame.
struct StreamCase {
    PboMode mode;
    bool reuse_idle;
    const char* name;
    UploadPath path = UploadPath::Pbo;
};

class GlStreamTest : public GlRendererTest, public ::testing::WithParamInterface<StreamCase> {
  protected:
    void SetUp() override {
        GlRendererOptions options;
        options.pbo_mode = GetParam().mode;
        options.pbo_reuse_idle = GetParam().reuse_idle;
        options.pbo_slots = 2;
        options.upload_path = GetParam().path;
        start(options);
        ASSERT_EQ(m_renderer->upload_path(), GetParam().path);
    }
};

TEST_P(GlStreamTest, ManyPartialUploadsMatchAModel) {
    constexpr uint32_t W = 64;
    constexpr uint32_t H = 48;
    ASSERT_TRUE(m_renderer->configure_frame(Format::RGBA8, W, H));
    std::vector<Rgb> model(W * H, BLACK);
    uint32_t state = 99;
    auto next = [&state](uint32_t n) {
        state = state * 1103515245u + 12345u;
        return (state >> 8) % n;
    };
    for (uint32_t frame = 0; frame < 24; ++frame) {
        const TestFrame f = test::make_frame(Format::RGBA8, W, H, 100 + frame);
        protocol::DamageList damage;
        if (frame % 5 == 0) {
            damage.set_full();
        } else {
            for (uint32_t i = 0, n = 1 + next(4); i < n; ++i) {
                const uint32_t x = next(W - 1);
                const uint32_t y = next(H - 1);
                damage.add(Rect{x, y, 1 + next(W - x), 1 + next(H - y)});
            }
        }
        // Rows arrive in two to four steps.
        uint32_t from = 0;
        while (from < H) {
            const uint32_t to = std::min(H, from + 1 + next(H / 2));
            ASSERT_TRUE(m_renderer->upload(f.bytes.data(), f.stride, damage, from, to));
            from = to;
        }
        const auto areas = damage.is_full()
                               ? std::vector<Rect>{Rect{0, 0, W, H}}
                               : std::vector<Rect>(damage.rects().begin(), damage.rects().end());
        for (const Rect& r : areas) {
            for (uint32_t y = r.y; y < r.y + r.height; ++y) {
                for (uint32_t x = r.x; x < r.x + r.width; ++x) {
                    model[y * W + x] = f.at(x, y);
                }
            }
        }
        ASSERT_TRUE(test::image_matches(
            draw_and_read(params({0, 0, W, H})),
            [&](int32_t x, int32_t y) {
                return x < static_cast<int32_t>(W) && y < static_cast<int32_t>(H)
                           ? model[static_cast<size_t>(y) * W + static_cast<size_t>(x)]
                           : BLACK;
            }))
            << "frame " << frame;
    }
    const PboStats& stats = m_renderer->pbo_stats();
    if (GetParam().path == UploadPath::Direct) {
        EXPECT_EQ(stats.maps, 0u) << "direct uploads never touch the PBO";
        return;
    }
    EXPECT_GT(stats.maps, 24u);
    if (GetParam().mode == PboMode::Ring) {
        EXPECT_GT(stats.recycled + stats.orphaned, 0u) << "the ring went round";
    } else {
        EXPECT_EQ(stats.orphaned, stats.maps);
    }
}

INSTANTIATE_TEST_SUITE_P(Modes, GlStreamTest,
                         ::testing::Values(StreamCase{PboMode::Ring, true, "Ring"},
                                           StreamCase{PboMode::Ring, false, "RingRotating"},
                                           StreamCase{PboMode::Orphan, false, "Orphan"},
                                           StreamCase{PboMode::Ring, true, "Direct",
                                                      UploadPath::Direct}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(GlRendererTest, ABrokenShaderFailsWithTheDriversLog) {
    std::vector<std::string> errors;
    set_log_sink(
        [](LogLevel level, const char*, const char* text, void* context) {
            if (level == LogLevel::Error) {
                static_cast<std::vector<std::string>*>(context)->push_back(text);
            }
        },
        &errors);
    std::string detail;
    auto program = build_program("test", QUAD_VERTEX_SHADER,
                                 "#version 330 core\nout vec4 o_color;\nvoid main() {\n"
                                 "    o_color = undeclared_thing;\n}\n",
                                 &detail);
    set_log_sink(nullptr, nullptr);
    ASSERT_FALSE(program);
    EXPECT_EQ(program.error(), RenderError::ShaderFailed);
    EXPECT_NE(detail.find("test program: fragment shader"), std::string::npos) << detail;
    EXPECT_NE(detail.find("undeclared_thing"), std::string::npos) << "the driver's log: " << detail;
    ASSERT_EQ(errors.size(), 1u) << "logged once";
    EXPECT_EQ(errors[0], detail);
}

}  // namespace
}  // namespace periscope::viewer
