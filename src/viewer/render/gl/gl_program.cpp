#include "viewer/render/gl/gl_program.h"

#include <vector>

#include "core/format.h"
#include "core/log.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "render.gl";

std::string shader_log(GLuint shader) {
    GLint length = 0;
    glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &length);
    std::vector<char> text(static_cast<size_t>(length > 0 ? length : 1), '\0');
    glGetShaderInfoLog(shader, static_cast<GLsizei>(text.size()), nullptr, text.data());
    return text.data();
}

std::string program_log(GLuint program) {
    GLint length = 0;
    glGetProgramiv(program, GL_INFO_LOG_LENGTH, &length);
    std::vector<char> text(static_cast<size_t>(length > 0 ? length : 1), '\0');
    glGetProgramInfoLog(program, static_cast<GLsizei>(text.size()), nullptr, text.data());
    return text.data();
}

// 0 on failure with *error set to what the driver said.
GLuint compile(GLenum stage, const char* source, std::string* error) {
    const GLuint shader = glCreateShader(stage);
    glShaderSource(shader, 1, &source, nullptr);
    glCompileShader(shader);
    GLint ok = GL_FALSE;
    glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
    if (ok != GL_TRUE) {
        *error = format_text("%s shader: %s", stage == GL_VERTEX_SHADER ? "vertex" : "fragment",
                             shader_log(shader).c_str());
        glDeleteShader(shader);
        return 0;
    }
    return shader;
}

}  // namespace

Result<GLuint, RenderError> build_program(const char* name, const char* vertex_source,
                                          const char* fragment_source, std::string* detail) {
    std::string error;
    const GLuint vertex = compile(GL_VERTEX_SHADER, vertex_source, &error);
    const GLuint fragment = vertex != 0 ? compile(GL_FRAGMENT_SHADER, fragment_source, &error) : 0;
    GLuint program = 0;
    if (vertex != 0 && fragment != 0) {
        program = glCreateProgram();
        glAttachShader(program, vertex);
        glAttachShader(program, fragment);
        glBindFragDataLocation(program, 0, "o_color");
        glLinkProgram(program);
        // The program keeps what it needs; the shader objects can go now.
        glDetachShader(program, vertex);
        glDetachShader(program, fragment);
        GLint ok = GL_FALSE;
        glGetProgramiv(program, GL_LINK_STATUS, &ok);
        if (ok != GL_TRUE) {
            error = "link: " + program_log(program);
            glDeleteProgram(program);
            program = 0;
        }
    }
    if (vertex != 0) {
        glDeleteShader(vertex);
    }
    if (fragment != 0) {
        glDeleteShader(fragment);
    }
    if (program == 0) {
        // Drivers end their logs with a newline; one log line reads better without it.
        while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) {
            error.pop_back();
        }
        const std::string text = format_text("%s program: %s", name, error.c_str());
        PERISCOPE_LOG_ERROR(MODULE, "%s", text.c_str());
        if (detail != nullptr) {
            *detail = text;
        }
        return fail(RenderError::ShaderFailed);
    }
    return program;
}

const char* const QUAD_VERTEX_SHADER = R"(#version 330 core
uniform vec4 u_rect;
out vec2 v_uv;
void main() {
    // Strip order 0..3: bottom-left, bottom-right, top-left, top-right.
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    v_uv = vec2(corner.x, 1.0 - corner.y);
    gl_Position = vec4(mix(u_rect.xy, u_rect.zw, corner), 0.0, 1.0);
}
)";

const char* const FRAME_FRAGMENT_SHADER = R"(#version 330 core
uniform sampler2D u_texture;
in vec2 v_uv;
out vec4 o_color;
void main() {
    o_color = vec4(texture(u_texture, v_uv).rgb, 1.0);
}
)";

const char* const CURSOR_FRAGMENT_SHADER = R"(#version 330 core
uniform sampler2D u_texture;
in vec2 v_uv;
out vec4 o_color;
void main() {
    o_color = texture(u_texture, v_uv);
}
)";

}  // namespace periscope::viewer
