#include "support/gl_window.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <cstring>

namespace periscope::test {

std::unique_ptr<GlWindow> GlWindow::open(const std::string& display, int width, int height,
                                         std::string* error) {
    // SDL reads $DISPLAY when its video subsystem starts.
    setenv("DISPLAY", display.c_str(), 1);
    // llvmpipe rasterises on the calling thread: ThreadSanitizer then sees no threads of an
    // uninstrumented driver. Tests are not about GL speed; a caller that set it keeps its value.
    setenv("LP_NUM_THREADS", "0", 0);
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        *error = std::string("SDL video: ") + SDL_GetError();
        return nullptr;
    }
    std::unique_ptr<GlWindow> w(new GlWindow());
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    w->m_window = SDL_CreateWindow("periscope-test", 0, 0, width, height,
                                   SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    if (w->m_window == nullptr) {
        *error = std::string("SDL window: ") + SDL_GetError();
        return nullptr;
    }
    w->m_context = SDL_GL_CreateContext(w->m_window);
    if (w->m_context == nullptr) {
        *error = std::string("GL 3.3 core context: ") + SDL_GetError();
        return nullptr;
    }
    // Mesa's DRI driver keeps two small allocations until exit, and libGLX unloads the driver
    // when SDL closes the display, before LeakSanitizer looks: the report then names no module
    // and tests/sanitizers/lsan.supp cannot match it. Keeping the driver loaded keeps its name.
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void*) {
            if (info->dlpi_name != nullptr && std::strstr(info->dlpi_name, "_dri.so") != nullptr) {
                (void)dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
            }
            return 0;
        },
        nullptr);
    return w;
}

GlWindow::~GlWindow() {
    if (m_context != nullptr) {
        SDL_GL_DeleteContext(m_context);
    }
    if (m_window != nullptr) {
        SDL_DestroyWindow(m_window);
    }
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

int GlWindow::width() const {
    int w = 0;
    int h = 0;
    SDL_GL_GetDrawableSize(m_window, &w, &h);
    return w;
}

int GlWindow::height() const {
    int w = 0;
    int h = 0;
    SDL_GL_GetDrawableSize(m_window, &w, &h);
    return h;
}

}  // namespace periscope::test
