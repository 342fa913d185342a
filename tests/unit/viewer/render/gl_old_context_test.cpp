// The GL back-end refuses a context older than 3.3 with a sentence saying so. Mesa makes one when
// told to (MESA_GL_VERSION_OVERRIDE, read at the first context a process creates).
#include <SDL.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "support/xvfb.h"
#include "unit/viewer/render/gl_test_env.h"
#include "viewer/render/gl/gl_renderer.h"

namespace periscope::viewer {
namespace {

TEST(GlOldContext, CreateFailsWithUnavailableAndSaysWhy) {
    std::string error;
    auto xvfb = periscope::test::Xvfb::start(periscope::test::XvfbConfig{}, &error);
    ASSERT_TRUE(xvfb) << error;
    setenv("MESA_GL_VERSION_OVERRIDE", "3.0", 1);
    test::single_threaded_gl_driver();
    setenv("DISPLAY", xvfb->display().c_str(), 1);
    ASSERT_EQ(SDL_InitSubSystem(SDL_INIT_VIDEO), 0) << SDL_GetError();
    // No profile or version asked for: a legacy context, which the override caps at 3.0.
    SDL_Window* window =
        SDL_CreateWindow("periscope-test-old", 0, 0, 64, 64, SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    ASSERT_NE(window, nullptr) << SDL_GetError();
    SDL_GLContext context = SDL_GL_CreateContext(window);
    ASSERT_NE(context, nullptr) << SDL_GetError();
    test::pin_gl_driver();

    const char* version = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    ASSERT_NE(version, nullptr);
    if (epoxy_gl_version() >= 33) {
        GTEST_SKIP() << "the driver ignored MESA_GL_VERSION_OVERRIDE: " << version;
    }
    std::string detail;
    auto renderer = GlRenderer::create(GlRendererOptions{}, &detail);
    EXPECT_FALSE(renderer);
    if (!renderer) {
        EXPECT_EQ(renderer.error(), RenderError::Unavailable);
    }
    EXPECT_NE(detail.find("needs desktop OpenGL 3.3"), std::string::npos) << detail;
    EXPECT_NE(detail.find(version), std::string::npos) << detail;

    SDL_GL_DeleteContext(context);
    SDL_DestroyWindow(window);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

}  // namespace
}  // namespace periscope::viewer
