// GLSL programs of the GL back-end: compiling and linking with the driver's log kept, and the two
// programs the renderer draws with (frame: opaque textured quad; cursor: textured quad as is, the
// blend function decides straight or premultiplied). Main thread, GL context current.
#pragma once

#include <epoxy/gl.h>

#include <string>

#include "core/result.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer {

// Builds a program from vertex and fragment source. On failure: ShaderFailed, the driver's info
// log logged (once, here) and in *detail, e.g. "frame program: fragment shader: 0:3(2): error:
// ...".
Result<GLuint, RenderError> build_program(const char* name, const char* vertex_source,
                                          const char* fragment_source, std::string* detail);

// Both draw a quad of 4 vertices (GL_TRIANGLE_STRIP, no attributes: a VAO must be bound) over
// `u_rect` = (left, bottom, right, top) in normalised device coordinates, the texture on unit 0
// upright (its first row at the top).
extern const char* const QUAD_VERTEX_SHADER;
extern const char* const FRAME_FRAGMENT_SHADER;   // rgb of the texture, alpha 1: frames are opaque
extern const char* const CURSOR_FRAGMENT_SHADER;  // the texel as is

}  // namespace periscope::viewer
