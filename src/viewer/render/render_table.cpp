// The renderer table: an explicit list (no self-registering static initialisers), so what is
// built in and which back-end is the default can be read in one place.
#include <array>

#include "core/format.h"
#include "viewer/render/gl/gl_renderer.h"
#include "viewer/render/null/null_renderer.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer {
namespace {

constexpr std::array BACKENDS{
    RendererBackend{"gl", "OpenGL 3.3 core (libepoxy): PBO streaming, any protocol format",
                    &create_gl_backend},
    RendererBackend{"null", "draws nothing (tests of the viewer without a display)",
                    &create_null_renderer},
};

}  // namespace

const char* to_string(RenderError error) {
    switch (error) {
        case RenderError::Unavailable:
            return "renderer unavailable";
        case RenderError::ShaderFailed:
            return "shader failed to compile or link";
        case RenderError::OutOfMemory:
            return "out of graphics memory";
        case RenderError::InvalidArgument:
            return "invalid renderer argument";
    }
    return "unknown renderer error";
}

std::span<const RendererBackend> renderer_backends() {
    return BACKENDS;
}

Result<std::unique_ptr<Renderer>, RenderError> create_renderer(const std::string& name,
                                                               std::string* detail) {
    for (const RendererBackend& backend : BACKENDS) {
        if (name == backend.name) {
            std::string why;
            auto renderer = backend.create(&why);
            if (!renderer && detail != nullptr) {
                *detail = why;
            }
            return renderer;
        }
    }
    // Like an unknown capture back-end in the agent: nothing by that name can run here.
    if (detail != nullptr) {
        std::string known;
        for (const RendererBackend& backend : BACKENDS) {
            known += format_text("%s%s", known.empty() ? "" : ", ", backend.name);
        }
        *detail = format_text("unknown renderer '%s' (known: %s)", name.c_str(), known.c_str());
    }
    return fail(RenderError::Unavailable);
}

}  // namespace periscope::viewer
