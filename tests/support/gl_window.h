// A hidden SDL window with an OpenGL 3.3 core context on a test's own Xvfb (Mesa llvmpipe: real
// OpenGL without a GPU). SDL allows one video subsystem per process: make one GlWindow at a time.
#pragma once

#include <SDL.h>

#include <memory>
#include <string>

namespace periscope::test {

class GlWindow {
  public:
    // `display` like ":90". nullptr with `error` set if SDL or the context cannot start.
    static std::unique_ptr<GlWindow> open(const std::string& display, int width, int height,
                                          std::string* error);
    ~GlWindow();
    GlWindow(const GlWindow&) = delete;
    GlWindow& operator=(const GlWindow&) = delete;

    SDL_Window* window() const { return m_window; }
    // Drawable size in pixels.
    int width() const;
    int height() const;
    void swap() const { SDL_GL_SwapWindow(m_window); }

  private:
    GlWindow() = default;
    SDL_Window* m_window = nullptr;
    SDL_GLContext m_context = nullptr;
};

}  // namespace periscope::test
