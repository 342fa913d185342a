// The overlay against real OpenGL (Mesa llvmpipe on a private Xvfb): what the panels put in the
// back buffer, where, that hidden panels touch nothing, that the GL state the frame renderer
// relies on survives a draw, and which mouse events the overlay claims.
#include "viewer/overlay/overlay.h"

#include <dlfcn.h>
#include <epoxy/gl.h>
#include <gtest/gtest.h>
#include <link.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/gl_window.h"
#include "support/xvfb.h"

namespace periscope::viewer {
namespace {

using test::GlWindow;
using test::Xvfb;
using test::XvfbConfig;

constexpr int WIDTH = 800;
constexpr int HEIGHT = 600;

struct Rect {
    int x0;
    int y0;
    int x1;  // exclusive
    int y1;
};

// Mesa keeps two small allocations from the first draw until exit, and libGLX unloads the DRI
// driver when SDL closes the display, before LeakSanitizer looks: the leak then has an unnamed
// module and tests/sanitizers/lsan.supp's "swrast_dri" cannot match it. Pinning the driver keeps
// its name (the same leak shows for a bare triangle drawn without the overlay).
void keep_gl_driver_loaded() {
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void*) -> int {
            if (info->dlpi_name != nullptr && std::strstr(info->dlpi_name, "_dri.so") != nullptr) {
                dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
            }
            return 0;
        },
        nullptr);
}

// The back buffer as RGBA8 with the top row first (window coordinates, like SDL's mouse).
class Pixels {
  public:
    Pixels(int width, int height) : m_width(width), m_height(height) {
        m_data.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, m_data.data());
    }
    const uint8_t* at(int x, int y) const {
        const int gl_row = m_height - 1 - y;
        return m_data.data() + (static_cast<size_t>(gl_row) * static_cast<size_t>(m_width) +
                                static_cast<size_t>(x)) *
                                   4;
    }
    bool lit(int x, int y) const {
        const uint8_t* p = at(x, y);
        return p[0] != 0 || p[1] != 0 || p[2] != 0;
    }
    int count_lit(const Rect& r) const {
        int n = 0;
        for (int y = r.y0; y < r.y1; ++y) {
            for (int x = r.x0; x < r.x1; ++x) {
                n += lit(x, y) ? 1 : 0;
            }
        }
        return n;
    }
    int count_lit() const { return count_lit(Rect{0, 0, m_width, m_height}); }
    // The smallest rectangle holding every lit pixel; empty (x1 <= x0) if none.
    Rect lit_bounds() const {
        Rect r{m_width, m_height, 0, 0};
        for (int y = 0; y < m_height; ++y) {
            for (int x = 0; x < m_width; ++x) {
                if (lit(x, y)) {
                    r.x0 = std::min(r.x0, x);
                    r.y0 = std::min(r.y0, y);
                    r.x1 = std::max(r.x1, x + 1);
                    r.y1 = std::max(r.y1, y + 1);
                }
            }
        }
        return r;
    }
    // Amber-ish: what a problem state is highlighted with, and nothing else in the panels is.
    int count_amber() const {
        int n = 0;
        for (int y = 0; y < m_height; ++y) {
            for (int x = 0; x < m_width; ++x) {
                const uint8_t* p = at(x, y);
                n += (p[0] > 200 && p[1] > 100 && p[1] < 200 && p[2] < 100) ? 1 : 0;
            }
        }
        return n;
    }
    int count_different(const Pixels& other) const {
        int n = 0;
        for (size_t i = 0; i + 3 < m_data.size(); i += 4) {
            if (m_data[i] != other.m_data[i] || m_data[i + 1] != other.m_data[i + 1] ||
                m_data[i + 2] != other.m_data[i + 2]) {
                ++n;
            }
        }
        return n;
    }

  private:
    int m_width;
    int m_height;
    std::vector<uint8_t> m_data;
};

std::vector<float> ramp(size_t count, float top) {
    std::vector<float> values(count);
    for (size_t i = 0; i < count; ++i) {
        values[i] = top * static_cast<float>(i) / static_cast<float>(count - 1);
    }
    return values;
}

OverlayModel make_model(const std::vector<float>& ages) {
    OverlayModel model;
    model.state = "connected: 1920x1080 BGRA8";
    model.guest = "test-guest";
    model.renderer = "gl: OpenGL 3.3 (llvmpipe)";
    model.presented_fps = 59.9;
    model.updates_per_second = 60.0;
    model.frames_dropped = 3;
    model.frame_age_ms = ages;
    model.frame_age_label = "frame age, agent post -> present (ms)";
    model.frame_age_p50_ms = 4.25;
    model.frame_age_p99_ms = 9.5;
    model.bindings = {{"ScrollLock+O", "toggle the stats overlay"},
                      {"ScrollLock+H", "toggle this help"},
                      {"ScrollLock+S", "save a screenshot"},
                      {"ScrollLock+Q", "quit"}};
    return model;
}

SDL_Event mouse_motion(int x, int y) {
    SDL_Event event{};
    event.type = SDL_MOUSEMOTION;
    event.motion.x = x;
    event.motion.y = y;
    return event;
}

SDL_Event mouse_button(bool down, int x, int y) {
    SDL_Event event{};
    event.type = down ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
    event.button.button = SDL_BUTTON_LEFT;
    event.button.state = down ? SDL_PRESSED : SDL_RELEASED;
    event.button.clicks = 1;
    event.button.x = x;
    event.button.y = y;
    return event;
}

SDL_Event mouse_wheel(int y) {
    SDL_Event event{};
    event.type = SDL_MOUSEWHEEL;
    event.wheel.y = y;
#if SDL_VERSION_ATLEAST(2, 0, 18)
    event.wheel.preciseY = static_cast<float>(y);
#endif
    event.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
    return event;
}

SDL_Event key(bool down, SDL_Scancode scancode) {
    SDL_Event event{};
    event.type = down ? SDL_KEYDOWN : SDL_KEYUP;
    event.key.state = down ? SDL_PRESSED : SDL_RELEASED;
    event.key.keysym.scancode = scancode;
    event.key.keysym.sym = SDL_GetKeyFromScancode(scancode);
    return event;
}

// Every piece of state the frame renderer may have left set and the overlay touches.
struct GlState {
    GLint program = 0;
    GLint vertex_array = 0;
    GLint array_buffer = 0;
    GLint element_buffer = 0;
    GLint active_texture = 0;
    GLint texture_on_active_unit = 0;
    GLint texture_on_unit0 = 0;
    GLint unpack_buffer = 0;
    GLint viewport[4] = {};
    GLint scissor_box[4] = {};
    GLint blend_src_rgb = 0;
    GLint blend_dst_rgb = 0;
    GLint blend_src_alpha = 0;
    GLint blend_dst_alpha = 0;
    GLint blend_equation_rgb = 0;
    GLint blend_equation_alpha = 0;
    GLboolean blend = GL_FALSE;
    GLboolean scissor_test = GL_FALSE;
    GLboolean cull_face = GL_FALSE;
    GLboolean depth_test = GL_FALSE;

    static GlState read() {
        GlState s;
        glGetIntegerv(GL_CURRENT_PROGRAM, &s.program);
        glGetIntegerv(GL_VERTEX_ARRAY_BINDING, &s.vertex_array);
        glGetIntegerv(GL_ARRAY_BUFFER_BINDING, &s.array_buffer);
        glGetIntegerv(GL_ELEMENT_ARRAY_BUFFER_BINDING, &s.element_buffer);
        glGetIntegerv(GL_ACTIVE_TEXTURE, &s.active_texture);
        glGetIntegerv(GL_TEXTURE_BINDING_2D, &s.texture_on_active_unit);
        glActiveTexture(GL_TEXTURE0);
        glGetIntegerv(GL_TEXTURE_BINDING_2D, &s.texture_on_unit0);
        glActiveTexture(static_cast<GLenum>(s.active_texture));
        glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &s.unpack_buffer);
        glGetIntegerv(GL_VIEWPORT, s.viewport);
        glGetIntegerv(GL_SCISSOR_BOX, s.scissor_box);
        glGetIntegerv(GL_BLEND_SRC_RGB, &s.blend_src_rgb);
        glGetIntegerv(GL_BLEND_DST_RGB, &s.blend_dst_rgb);
        glGetIntegerv(GL_BLEND_SRC_ALPHA, &s.blend_src_alpha);
        glGetIntegerv(GL_BLEND_DST_ALPHA, &s.blend_dst_alpha);
        glGetIntegerv(GL_BLEND_EQUATION_RGB, &s.blend_equation_rgb);
        glGetIntegerv(GL_BLEND_EQUATION_ALPHA, &s.blend_equation_alpha);
        s.blend = glIsEnabled(GL_BLEND);
        s.scissor_test = glIsEnabled(GL_SCISSOR_TEST);
        s.cull_face = glIsEnabled(GL_CULL_FACE);
        s.depth_test = glIsEnabled(GL_DEPTH_TEST);
        return s;
    }
};

void expect_same(const GlState& before, const GlState& after) {
    EXPECT_EQ(before.program, after.program);
    EXPECT_EQ(before.vertex_array, after.vertex_array);
    EXPECT_EQ(before.array_buffer, after.array_buffer);
    EXPECT_EQ(before.element_buffer, after.element_buffer);
    EXPECT_EQ(before.active_texture, after.active_texture);
    EXPECT_EQ(before.texture_on_active_unit, after.texture_on_active_unit);
    EXPECT_EQ(before.texture_on_unit0, after.texture_on_unit0);
    EXPECT_EQ(before.unpack_buffer, after.unpack_buffer);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(before.viewport[i], after.viewport[i]) << "viewport[" << i << "]";
        EXPECT_EQ(before.scissor_box[i], after.scissor_box[i]) << "scissor box[" << i << "]";
    }
    EXPECT_EQ(before.blend_src_rgb, after.blend_src_rgb);
    EXPECT_EQ(before.blend_dst_rgb, after.blend_dst_rgb);
    EXPECT_EQ(before.blend_src_alpha, after.blend_src_alpha);
    EXPECT_EQ(before.blend_dst_alpha, after.blend_dst_alpha);
    EXPECT_EQ(before.blend_equation_rgb, after.blend_equation_rgb);
    EXPECT_EQ(before.blend_equation_alpha, after.blend_equation_alpha);
    EXPECT_EQ(before.blend, after.blend);
    EXPECT_EQ(before.scissor_test, after.scissor_test);
    EXPECT_EQ(before.cull_face, after.cull_face);
    EXPECT_EQ(before.depth_test, after.depth_test);
}

// A program of the frame renderer's kind, to be current when the overlay draws.
GLuint make_program() {
    const char* vertex = "#version 330 core\nvoid main() { gl_Position = vec4(0.0); }\n";
    const char* fragment = "#version 330 core\nout vec4 c;\nvoid main() { c = vec4(1.0); }\n";
    GLuint vs = glCreateShader(GL_VERTEX_SHADER);
    glShaderSource(vs, 1, &vertex, nullptr);
    glCompileShader(vs);
    GLuint fs = glCreateShader(GL_FRAGMENT_SHADER);
    glShaderSource(fs, 1, &fragment, nullptr);
    glCompileShader(fs);
    GLuint program = glCreateProgram();
    glAttachShader(program, vs);
    glAttachShader(program, fs);
    glLinkProgram(program);
    glDeleteShader(vs);
    glDeleteShader(fs);
    GLint ok = GL_FALSE;
    glGetProgramiv(program, GL_LINK_STATUS, &ok);
    EXPECT_EQ(ok, GL_TRUE);
    return program;
}

class OverlayTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        // What tests/CMakeLists.txt means to set for every test, repeated here because the
        // ENVIRONMENT list it hands gtest_discover_tests keeps only its first entry: llvmpipe
        // rasterises on this thread, so ThreadSanitizer sees no threads of the uninstrumented
        // driver. Read when the first context is made; an explicit setting wins.
        setenv("LP_NUM_THREADS", "0", 0);
        s_xvfb = Xvfb::start(XvfbConfig{}, &s_error);
        if (s_xvfb != nullptr) {
            s_window = GlWindow::open(s_xvfb->display(), WIDTH, HEIGHT, &s_error);
        }
        if (s_window != nullptr) {
            keep_gl_driver_loaded();
        }
    }
    static void TearDownTestSuite() {
        s_window.reset();
        s_xvfb.reset();
    }

    void SetUp() override {
        ASSERT_NE(s_window, nullptr) << s_error;
        m_width = s_window->width();
        m_height = s_window->height();
        ASSERT_EQ(m_width, WIDTH);
        ASSERT_EQ(m_height, HEIGHT);
        std::string detail;
        auto overlay = Overlay::create(s_window->window(), &detail);
        ASSERT_TRUE(overlay) << to_string(overlay.error()) << ": " << detail;
        m_overlay = std::move(*overlay);
        clear();
    }
    void TearDown() override { m_overlay.reset(); }

    void clear() const {
        glViewport(0, 0, m_width, m_height);
        glDisable(GL_SCISSOR_TEST);
        glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    void draw(const OverlayModel& model) const {
        m_overlay->draw(model, static_cast<uint32_t>(m_width), static_cast<uint32_t>(m_height));
    }
    Pixels read() const { return {m_width, m_height}; }

    static std::unique_ptr<Xvfb> s_xvfb;
    static std::unique_ptr<GlWindow> s_window;
    static std::string s_error;
    int m_width = 0;
    int m_height = 0;
    std::unique_ptr<Overlay> m_overlay;
    std::vector<float> m_ages = ramp(300, 12.0f);
};

std::unique_ptr<Xvfb> OverlayTest::s_xvfb;
std::unique_ptr<GlWindow> OverlayTest::s_window;
std::string OverlayTest::s_error;

TEST_F(OverlayTest, NothingVisibleDrawsNothingAndWantsNoEvents) {
    EXPECT_FALSE(m_overlay->visible());
    EXPECT_FALSE(m_overlay->stats_visible());
    EXPECT_FALSE(m_overlay->help_visible());
    glViewport(1, 2, 30, 40);
    const GlState before = GlState::read();
    draw(make_model(m_ages));
    expect_same(before, GlState::read());
    glViewport(0, 0, m_width, m_height);
    EXPECT_EQ(read().count_lit(), 0);
    EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));

    EXPECT_FALSE(m_overlay->handle_event(mouse_motion(20, 20)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_button(true, 20, 20)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_motion(30, 30)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_button(false, 30, 30)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_wheel(1)));
    EXPECT_FALSE(m_overlay->handle_event(key(true, SDL_SCANCODE_A)));
    EXPECT_FALSE(m_overlay->handle_event(key(false, SDL_SCANCODE_A)));
}

TEST_F(OverlayTest, StatsPanelDrawsAtTheTopLeftOnly) {
    m_overlay->set_stats_visible(true);
    EXPECT_TRUE(m_overlay->stats_visible());
    EXPECT_TRUE(m_overlay->visible());
    draw(make_model(m_ages));  // one draw: the viewer may not present again
    const Pixels pixels = read();
    EXPECT_GT(pixels.count_lit(Rect{0, 0, WIDTH / 2, HEIGHT / 2}), 2000);
    EXPECT_EQ(pixels.count_lit(Rect{0, HEIGHT * 3 / 4, WIDTH, HEIGHT}), 0);
    EXPECT_EQ(pixels.count_lit(Rect{WIDTH * 3 / 4, 0, WIDTH, HEIGHT}), 0);
    const Rect bounds = pixels.lit_bounds();
    EXPECT_GE(bounds.x0, 5);
    EXPECT_LE(bounds.x0, 15);
    EXPECT_GE(bounds.y0, 5);
    EXPECT_LE(bounds.y0, 15);
    EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));
}

TEST_F(OverlayTest, HelpPanelDrawsCentred) {
    m_overlay->set_help_visible(true);
    EXPECT_TRUE(m_overlay->help_visible());
    EXPECT_FALSE(m_overlay->stats_visible());
    draw(make_model(m_ages));
    const Pixels pixels = read();
    EXPECT_GT(
        pixels.count_lit(Rect{WIDTH / 2 - 40, HEIGHT / 2 - 20, WIDTH / 2 + 40, HEIGHT / 2 + 20}),
        500);
    const int corner = 120;
    EXPECT_EQ(pixels.count_lit(Rect{0, 0, corner, corner}), 0);
    EXPECT_EQ(pixels.count_lit(Rect{WIDTH - corner, 0, WIDTH, corner}), 0);
    EXPECT_EQ(pixels.count_lit(Rect{0, HEIGHT - corner, corner, HEIGHT}), 0);
    EXPECT_EQ(pixels.count_lit(Rect{WIDTH - corner, HEIGHT - corner, WIDTH, HEIGHT}), 0);
    const Rect bounds = pixels.lit_bounds();
    EXPECT_NEAR((bounds.x0 + bounds.x1) / 2.0, WIDTH / 2.0, 3.0);
    EXPECT_NEAR((bounds.y0 + bounds.y1) / 2.0, HEIGHT / 2.0, 3.0);
}

TEST_F(OverlayTest, HidingPanelsStopsDrawingThem) {
    const OverlayModel model = make_model(m_ages);
    m_overlay->set_stats_visible(true);
    m_overlay->set_help_visible(true);
    draw(model);
    EXPECT_GT(read().count_lit(), 2000);

    m_overlay->set_help_visible(false);
    clear();
    draw(model);
    const Pixels stats_only = read();
    EXPECT_GT(stats_only.count_lit(Rect{0, 0, WIDTH / 2, HEIGHT / 2}), 2000);
    EXPECT_EQ(stats_only.count_lit(Rect{WIDTH * 3 / 4, 0, WIDTH, HEIGHT}), 0);

    m_overlay->set_stats_visible(false);
    EXPECT_FALSE(m_overlay->visible());
    clear();
    draw(model);
    EXPECT_EQ(read().count_lit(), 0);

    // Shown again: right on the first draw after being hidden.
    m_overlay->set_help_visible(true);
    clear();
    draw(model);
    EXPECT_GT(
        read().count_lit(Rect{WIDTH / 2 - 40, HEIGHT / 2 - 20, WIDTH / 2 + 40, HEIGHT / 2 + 20}),
        500);
}

TEST_F(OverlayTest, DrawRestoresTheGlState) {
    const GLuint program = make_program();
    GLuint vertex_array = 0;
    GLuint buffers[3] = {};
    GLuint textures[2] = {};
    glGenVertexArrays(1, &vertex_array);
    glGenBuffers(3, buffers);
    glGenTextures(2, textures);
    glBindVertexArray(vertex_array);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, buffers[1]);
    glBindBuffer(GL_ARRAY_BUFFER, buffers[0]);
    // The frame renderer streams through a pixel unpack buffer.
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, buffers[2]);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, textures[0]);
    glActiveTexture(GL_TEXTURE3);
    glBindTexture(GL_TEXTURE_2D, textures[1]);
    glUseProgram(program);
    m_overlay->set_stats_visible(true);
    m_overlay->set_help_visible(true);
    const OverlayModel model = make_model(m_ages);

    // Everything off, odd viewport.
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glViewport(7, 9, 300, 200);
    GlState before = GlState::read();
    draw(model);
    expect_same(before, GlState::read());

    // Everything on, with unusual functions.
    glEnable(GL_BLEND);
    glBlendEquationSeparate(GL_FUNC_SUBTRACT, GL_MAX);
    glBlendFuncSeparate(GL_ONE, GL_ZERO, GL_DST_COLOR, GL_SRC_COLOR);
    glEnable(GL_SCISSOR_TEST);
    glScissor(1, 2, 3, 4);
    glEnable(GL_CULL_FACE);
    glEnable(GL_DEPTH_TEST);
    glViewport(0, 0, m_width, m_height);
    before = GlState::read();
    draw(model);
    expect_same(before, GlState::read());
    EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));

    // It drew despite the state it found (scissor box, cull face, depth test).
    glUseProgram(0);
    glBindVertexArray(0);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_BLEND);
    clear();
    glEnable(GL_SCISSOR_TEST);
    glScissor(1, 2, 3, 4);
    glEnable(GL_CULL_FACE);
    glEnable(GL_DEPTH_TEST);
    draw(model);
    glDisable(GL_SCISSOR_TEST);
    EXPECT_GT(read().count_lit(), 2000);

    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glDeleteProgram(program);
    glDeleteVertexArrays(1, &vertex_array);
    glDeleteBuffers(3, buffers);
    glDeleteTextures(2, textures);
    glActiveTexture(GL_TEXTURE0);
}

// The frame renderer may leave its streaming pixel buffer bound and its own unpack settings set
// when the overlay is made: the font atlas must still come from memory, tightly packed.
TEST_F(OverlayTest, CreateIgnoresAndKeepsTheUnpackState) {
    m_overlay.reset();
    GLuint pixel_buffer = 0;
    glGenBuffers(1, &pixel_buffer);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, pixel_buffer);
    glBufferData(GL_PIXEL_UNPACK_BUFFER, 64, nullptr, GL_STREAM_DRAW);  // far smaller than a font
    glPixelStorei(GL_UNPACK_ALIGNMENT, 8);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 3);
    ASSERT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));

    std::string detail;
    auto overlay = Overlay::create(s_window->window(), &detail);
    ASSERT_TRUE(overlay) << detail;
    m_overlay = std::move(*overlay);
    EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));
    GLint value = 0;
    glGetIntegerv(GL_PIXEL_UNPACK_BUFFER_BINDING, &value);
    EXPECT_EQ(value, static_cast<GLint>(pixel_buffer));
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &value);
    EXPECT_EQ(value, 8);
    glGetIntegerv(GL_UNPACK_ROW_LENGTH, &value);
    EXPECT_EQ(value, 3);

    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    glDeleteBuffers(1, &pixel_buffer);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    // The text comes out: the atlas holds glyphs, not whatever the buffer had.
    m_overlay->set_help_visible(true);
    clear();
    draw(make_model(m_ages));
    EXPECT_GT(
        read().count_lit(Rect{WIDTH / 2 - 40, HEIGHT / 2 - 20, WIDTH / 2 + 40, HEIGHT / 2 + 20}),
        500);
}

TEST_F(OverlayTest, WantsTheMouseOnlyOverAVisiblePanel) {
    m_overlay->set_stats_visible(true);
    draw(make_model(m_ages));
    const Rect panel = read().lit_bounds();
    ASSERT_LT(panel.x0, 30);
    ASSERT_LT(panel.y0, 30);
    ASSERT_GT(panel.x1, 100);
    ASSERT_GT(panel.y1, 60);
    const int inside_x = (panel.x0 + panel.x1) / 2;
    const int inside_y = (panel.y0 + panel.y1) / 2;

    EXPECT_TRUE(m_overlay->handle_event(mouse_motion(inside_x, inside_y)));
    EXPECT_TRUE(m_overlay->handle_event(mouse_wheel(-1)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_motion(WIDTH - 20, HEIGHT - 20)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_wheel(-1)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_motion(panel.x1 + 5, inside_y)));

    // A drag that starts on the guest stays the guest's across the panel...
    EXPECT_FALSE(m_overlay->handle_event(mouse_button(true, WIDTH - 20, HEIGHT - 20)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_motion(inside_x, inside_y)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_button(false, inside_x, inside_y)));
    // ...and one that starts on the panel stays the overlay's outside it.
    EXPECT_TRUE(m_overlay->handle_event(mouse_button(true, inside_x, inside_y)));
    EXPECT_TRUE(m_overlay->handle_event(mouse_motion(WIDTH - 20, HEIGHT - 20)));
    EXPECT_TRUE(m_overlay->handle_event(mouse_button(false, WIDTH - 20, HEIGHT - 20)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_motion(WIDTH - 30, HEIGHT - 30)));

    // The keyboard belongs to the guest: the panels have nothing to type into.
    EXPECT_FALSE(m_overlay->handle_event(key(true, SDL_SCANCODE_DOWN)));
    EXPECT_FALSE(m_overlay->handle_event(key(false, SDL_SCANCODE_DOWN)));

    // Hidden: the same spot is the guest's again.
    m_overlay->set_stats_visible(false);
    EXPECT_FALSE(m_overlay->handle_event(mouse_motion(inside_x, inside_y)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_button(true, inside_x, inside_y)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_button(false, inside_x, inside_y)));
}

TEST_F(OverlayTest, HelpPanelWantsTheMouseInTheCentre) {
    m_overlay->set_help_visible(true);
    draw(make_model(m_ages));
    EXPECT_TRUE(m_overlay->handle_event(mouse_motion(WIDTH / 2, HEIGHT / 2)));
    EXPECT_FALSE(m_overlay->handle_event(mouse_motion(20, 20)));
}

TEST_F(OverlayTest, FrameAgeGraphFollowsTheData) {
    m_overlay->set_stats_visible(true);
    // The same values in the opposite order: same scale and caption, only the curve differs.
    const std::vector<float> rising = ramp(300, 12.0f);
    const std::vector<float> falling(rising.rbegin(), rising.rend());
    OverlayModel model = make_model(rising);

    draw(model);
    const Pixels first = read();
    clear();
    draw(model);
    const Pixels again = read();
    // Same data, same picture: the difference below comes from the data alone.
    EXPECT_EQ(first.count_different(again), 0);

    model.frame_age_ms = falling;
    clear();
    draw(model);
    const Pixels changed = read();
    EXPECT_GT(first.count_different(changed), 50);
}

TEST_F(OverlayTest, ProblemStateIsHighlighted) {
    m_overlay->set_stats_visible(true);
    OverlayModel model = make_model(m_ages);
    model.state = "waiting for /dev/shm/periscope: no such file (fix: start the agent)";
    draw(model);
    EXPECT_EQ(read().count_amber(), 0);

    model.state_is_problem = true;
    clear();
    draw(model);
    EXPECT_GT(read().count_amber(), 50);
}

TEST_F(OverlayTest, OnlyOneOverlayAtATime) {
    std::string detail;
    auto second = Overlay::create(s_window->window(), &detail);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), OverlayError::ContextFailed);
    EXPECT_FALSE(detail.empty());
    // The first one is unharmed.
    m_overlay->set_stats_visible(true);
    draw(make_model(m_ages));
    EXPECT_GT(read().count_lit(), 2000);
}

TEST_F(OverlayTest, EmptyModelDraws) {
    m_overlay->set_stats_visible(true);
    m_overlay->set_help_visible(true);
    draw(OverlayModel{});
    EXPECT_GT(read().count_lit(), 500);
    EXPECT_EQ(glGetError(), static_cast<GLenum>(GL_NO_ERROR));
}

}  // namespace
}  // namespace periscope::viewer
