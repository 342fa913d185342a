#include "viewer/overlay/imgui_gl.h"

#include <epoxy/gl.h>
#include <imgui.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/format.h"
#include "core/log.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "overlay";

constexpr const char* VERTEX_SHADER = R"(#version 330 core
layout(location = 0) in vec2 a_position;
layout(location = 1) in vec2 a_uv;
layout(location = 2) in vec4 a_color;
uniform mat4 u_projection;
out vec2 v_uv;
out vec4 v_color;
void main() {
    v_uv = a_uv;
    v_color = a_color;
    gl_Position = u_projection * vec4(a_position, 0.0, 1.0);
}
)";

constexpr const char* FRAGMENT_SHADER = R"(#version 330 core
in vec2 v_uv;
in vec4 v_color;
uniform sampler2D u_texture;
out vec4 o_color;
void main() {
    o_color = v_color * texture(u_texture, v_uv);
}
)";

constexpr GLenum INDEX_TYPE = sizeof(ImDrawIdx) == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT;

// GL takes byte offsets into the bound buffer as pointers, and ImGui takes texture names as
// pointers: these integers are never dereferenced by us.
const void* buffer_offset(size_t bytes) {
    return reinterpret_cast<const void*>(bytes);  // NOLINT(performance-no-int-to-ptr)
}

ImTextureID texture_id(GLuint texture) {
    return reinterpret_cast<ImTextureID>(  // NOLINT(performance-no-int-to-ptr)
        static_cast<uintptr_t>(texture));
}

Unexpected<ImGuiGlError> report(ImGuiGlError error, std::string message, std::string* detail) {
    PERISCOPE_LOG_ERROR(MODULE, "%s: %s", to_string(error), message.c_str());
    if (detail != nullptr) {
        *detail = std::move(message);
    }
    return fail(error);
}

std::string shader_log(GLuint shader) {
    GLint length = 0;
    glGetShaderiv(shader, GL_INFO_LOG_LENGTH, &length);
    std::string text(static_cast<size_t>(length > 0 ? length : 0), '\0');
    GLsizei written = 0;
    if (length > 0) {
        glGetShaderInfoLog(shader, length, &written, text.data());
    }
    text.resize(static_cast<size_t>(written));
    return text.empty() ? std::string("(the driver gave no log)") : text;
}

std::string program_log(GLuint program) {
    GLint length = 0;
    glGetProgramiv(program, GL_INFO_LOG_LENGTH, &length);
    std::string text(static_cast<size_t>(length > 0 ? length : 0), '\0');
    GLsizei written = 0;
    if (length > 0) {
        glGetProgramInfoLog(program, length, &written, text.data());
    }
    text.resize(static_cast<size_t>(written));
    return text.empty() ? std::string("(the driver gave no log)") : text;
}

GLint get_integer(GLenum name) {
    GLint value = 0;
    glGetIntegerv(name, &value);
    return value;
}

void set_enabled(GLenum capability, GLboolean enabled) {
    if (enabled == GL_TRUE) {
        glEnable(capability);
    } else {
        glDisable(capability);
    }
}

// Everything render() changes. The element array binding is not here on purpose: it belongs to
// the bound vertex array object, so putting the caller's VAO back puts its index buffer back too.
struct SavedState {
    GLint program = 0;
    GLint vertex_array = 0;
    GLint array_buffer = 0;
    GLint active_texture = 0;
    GLint texture_2d = 0;  // on unit 0, the one we draw with
    GLint sampler = 0;     // on unit 0: a sampler object there would override our filtering
    GLint viewport[4] = {};
    GLint scissor_box[4] = {};
    GLint polygon_mode[2] = {};
    GLint blend_src_rgb = 0;
    GLint blend_dst_rgb = 0;
    GLint blend_src_alpha = 0;
    GLint blend_dst_alpha = 0;
    GLint blend_equation_rgb = 0;
    GLint blend_equation_alpha = 0;
    GLboolean blend = GL_FALSE;
    GLboolean cull_face = GL_FALSE;
    GLboolean depth_test = GL_FALSE;
    GLboolean stencil_test = GL_FALSE;
    GLboolean scissor_test = GL_FALSE;
    GLboolean primitive_restart = GL_FALSE;

    void save() {
        program = get_integer(GL_CURRENT_PROGRAM);
        vertex_array = get_integer(GL_VERTEX_ARRAY_BINDING);
        array_buffer = get_integer(GL_ARRAY_BUFFER_BINDING);
        active_texture = get_integer(GL_ACTIVE_TEXTURE);
        glActiveTexture(GL_TEXTURE0);
        texture_2d = get_integer(GL_TEXTURE_BINDING_2D);
        sampler = get_integer(GL_SAMPLER_BINDING);
        glGetIntegerv(GL_VIEWPORT, viewport);
        glGetIntegerv(GL_SCISSOR_BOX, scissor_box);
        glGetIntegerv(GL_POLYGON_MODE, polygon_mode);
        blend_src_rgb = get_integer(GL_BLEND_SRC_RGB);
        blend_dst_rgb = get_integer(GL_BLEND_DST_RGB);
        blend_src_alpha = get_integer(GL_BLEND_SRC_ALPHA);
        blend_dst_alpha = get_integer(GL_BLEND_DST_ALPHA);
        blend_equation_rgb = get_integer(GL_BLEND_EQUATION_RGB);
        blend_equation_alpha = get_integer(GL_BLEND_EQUATION_ALPHA);
        blend = glIsEnabled(GL_BLEND);
        cull_face = glIsEnabled(GL_CULL_FACE);
        depth_test = glIsEnabled(GL_DEPTH_TEST);
        stencil_test = glIsEnabled(GL_STENCIL_TEST);
        scissor_test = glIsEnabled(GL_SCISSOR_TEST);
        primitive_restart = glIsEnabled(GL_PRIMITIVE_RESTART);
    }

    void restore() const {
        glUseProgram(static_cast<GLuint>(program));
        glBindVertexArray(static_cast<GLuint>(vertex_array));
        glBindBuffer(GL_ARRAY_BUFFER, static_cast<GLuint>(array_buffer));
        // Unit 0 is still active from save()/setup: put its bindings back, then the active unit.
        glActiveTexture(GL_TEXTURE0);
        glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(texture_2d));
        glBindSampler(0, static_cast<GLuint>(sampler));
        glActiveTexture(static_cast<GLenum>(active_texture));
        glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
        glScissor(scissor_box[0], scissor_box[1], scissor_box[2], scissor_box[3]);
        // Core profile: polygon mode is set for both faces at once; the front value stands for
        // both.
        glPolygonMode(GL_FRONT_AND_BACK, static_cast<GLenum>(polygon_mode[0]));
        glBlendEquationSeparate(static_cast<GLenum>(blend_equation_rgb),
                                static_cast<GLenum>(blend_equation_alpha));
        glBlendFuncSeparate(static_cast<GLenum>(blend_src_rgb), static_cast<GLenum>(blend_dst_rgb),
                            static_cast<GLenum>(blend_src_alpha),
                            static_cast<GLenum>(blend_dst_alpha));
        set_enabled(GL_BLEND, blend);
        set_enabled(GL_CULL_FACE, cull_face);
        set_enabled(GL_DEPTH_TEST, depth_test);
        set_enabled(GL_STENCIL_TEST, stencil_test);
        set_enabled(GL_SCISSOR_TEST, scissor_test);
        set_enabled(GL_PRIMITIVE_RESTART, primitive_restart);
    }
};

}  // namespace

const char* to_string(ImGuiGlError error) {
    switch (error) {
        case ImGuiGlError::ShaderCompileFailed:
            return "overlay shader did not compile";
        case ImGuiGlError::ProgramLinkFailed:
            return "overlay shader program did not link";
    }
    return "unknown overlay GL error";
}

Result<std::unique_ptr<ImGuiGl>, ImGuiGlError> ImGuiGl::create(std::string* detail) {
    std::unique_ptr<ImGuiGl> gl(new ImGuiGl());
    auto built = gl->build_program(detail);
    if (!built) {
        return fail(built.error());
    }
    gl->create_buffers();
    gl->upload_font_atlas();
    ImGuiIO& io = ImGui::GetIO();
    io.BackendRendererName = "periscope_gl33";
    // We honour ImDrawCmd::VtxOffset (glDrawElementsBaseVertex), so 16-bit indices can address
    // meshes beyond 64K vertices.
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
    return gl;
}

ImGuiGl::~ImGuiGl() {
    if (m_font_texture != 0) {
        ImGui::GetIO().Fonts->SetTexID(nullptr);
        glDeleteTextures(1, &m_font_texture);
    }
    if (m_vao != 0) {
        glDeleteVertexArrays(1, &m_vao);
    }
    if (m_vbo != 0) {
        glDeleteBuffers(1, &m_vbo);
    }
    if (m_ebo != 0) {
        glDeleteBuffers(1, &m_ebo);
    }
    if (m_program != 0) {
        glDeleteProgram(m_program);
    }
}

Result<void, ImGuiGlError> ImGuiGl::build_program(std::string* detail) {
    struct Stage {
        GLenum type;
        const char* name;
        const char* source;
    };
    const Stage stages[] = {{GL_VERTEX_SHADER, "vertex", VERTEX_SHADER},
                            {GL_FRAGMENT_SHADER, "fragment", FRAGMENT_SHADER}};
    GLuint shaders[2] = {0, 0};
    auto delete_shaders = [&shaders]() {
        for (GLuint shader : shaders) {
            if (shader != 0) {
                glDeleteShader(shader);
            }
        }
    };
    for (size_t i = 0; i < 2; ++i) {
        shaders[i] = glCreateShader(stages[i].type);
        glShaderSource(shaders[i], 1, &stages[i].source, nullptr);
        glCompileShader(shaders[i]);
        GLint ok = GL_FALSE;
        glGetShaderiv(shaders[i], GL_COMPILE_STATUS, &ok);
        if (ok != GL_TRUE) {
            std::string log = shader_log(shaders[i]);
            delete_shaders();
            return report(ImGuiGlError::ShaderCompileFailed,
                          format_text("%s shader: %s", stages[i].name, log.c_str()), detail);
        }
    }
    m_program = glCreateProgram();
    glAttachShader(m_program, shaders[0]);
    glAttachShader(m_program, shaders[1]);
    glLinkProgram(m_program);
    GLint ok = GL_FALSE;
    glGetProgramiv(m_program, GL_LINK_STATUS, &ok);
    // Once linked (or not) the program keeps what it needs; the shader objects can go.
    glDetachShader(m_program, shaders[0]);
    glDetachShader(m_program, shaders[1]);
    delete_shaders();
    if (ok != GL_TRUE) {
        std::string log = program_log(m_program);
        glDeleteProgram(m_program);
        m_program = 0;
        return report(ImGuiGlError::ProgramLinkFailed, log, detail);
    }
    m_projection_location = glGetUniformLocation(m_program, "u_projection");
    m_texture_location = glGetUniformLocation(m_program, "u_texture");
    return {};
}

void ImGuiGl::create_buffers() {
    const GLint old_vertex_array = get_integer(GL_VERTEX_ARRAY_BINDING);
    const GLint old_array_buffer = get_integer(GL_ARRAY_BUFFER_BINDING);

    glGenVertexArrays(1, &m_vao);
    glGenBuffers(1, &m_vbo);
    glGenBuffers(1, &m_ebo);
    glBindVertexArray(m_vao);
    glBindBuffer(GL_ARRAY_BUFFER, m_vbo);
    // The index buffer binding is recorded in our VAO: bound once here, never again.
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, m_ebo);
    const auto stride = static_cast<GLsizei>(sizeof(ImDrawVert));
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, stride,
                          buffer_offset(offsetof(ImDrawVert, pos)));
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, stride,
                          buffer_offset(offsetof(ImDrawVert, uv)));
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, stride,
                          buffer_offset(offsetof(ImDrawVert, col)));

    glBindVertexArray(static_cast<GLuint>(old_vertex_array));
    glBindBuffer(GL_ARRAY_BUFFER, static_cast<GLuint>(old_array_buffer));
}

void ImGuiGl::upload_font_atlas() {
    ImGuiIO& io = ImGui::GetIO();
    unsigned char* pixels = nullptr;
    int width = 0;
    int height = 0;
    // One byte per texel (a quarter of RGBA); the swizzle below turns it into white + alpha.
    io.Fonts->GetTexDataAsAlpha8(&pixels, &width, &height);

    // The frame renderer streams through a pixel unpack buffer and may leave one bound, which
    // would make glTexImage2D read from it: unbind it, and use tightly packed rows.
    const GLint old_texture = get_integer(GL_TEXTURE_BINDING_2D);
    const GLint old_unpack_buffer = get_integer(GL_PIXEL_UNPACK_BUFFER_BINDING);
    const GLint old_alignment = get_integer(GL_UNPACK_ALIGNMENT);
    const GLint old_row_length = get_integer(GL_UNPACK_ROW_LENGTH);
    const GLint old_skip_pixels = get_integer(GL_UNPACK_SKIP_PIXELS);
    const GLint old_skip_rows = get_integer(GL_UNPACK_SKIP_ROWS);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glPixelStorei(GL_UNPACK_SKIP_PIXELS, 0);
    glPixelStorei(GL_UNPACK_SKIP_ROWS, 0);

    glGenTextures(1, &m_font_texture);
    glBindTexture(GL_TEXTURE_2D, m_font_texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    const GLint swizzle[4] = {GL_ONE, GL_ONE, GL_ONE, GL_RED};
    glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, swizzle);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, width, height, 0, GL_RED, GL_UNSIGNED_BYTE, pixels);
    io.Fonts->SetTexID(texture_id(m_font_texture));
    // The texture has the pixels now; ImGui only needs the glyph tables it keeps besides.
    io.Fonts->ClearTexData();

    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(old_texture));
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, static_cast<GLuint>(old_unpack_buffer));
    glPixelStorei(GL_UNPACK_ALIGNMENT, old_alignment);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, old_row_length);
    glPixelStorei(GL_UNPACK_SKIP_PIXELS, old_skip_pixels);
    glPixelStorei(GL_UNPACK_SKIP_ROWS, old_skip_rows);
}

void ImGuiGl::setup_state(const ImDrawData& draw_data, uint32_t framebuffer_width,
                          uint32_t framebuffer_height) {
    glEnable(GL_BLEND);
    glBlendEquation(GL_FUNC_ADD);
    // ImGui's vertex colours carry straight alpha; the destination alpha is kept meaningful for
    // screenshots that read the back buffer.
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    glDisable(GL_CULL_FACE);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    glDisable(GL_PRIMITIVE_RESTART);
    glEnable(GL_SCISSOR_TEST);
    glPolygonMode(GL_FRONT_AND_BACK, GL_FILL);
    glViewport(0, 0, static_cast<GLsizei>(framebuffer_width),
               static_cast<GLsizei>(framebuffer_height));

    // Orthographic projection of ImGui's display rectangle (y down) onto clip space (y up).
    const float left = draw_data.DisplayPos.x;
    const float right = draw_data.DisplayPos.x + draw_data.DisplaySize.x;
    const float top = draw_data.DisplayPos.y;
    const float bottom = draw_data.DisplayPos.y + draw_data.DisplaySize.y;
    const float projection[16] = {
        2.0f / (right - left),
        0.0f,
        0.0f,
        0.0f,
        0.0f,
        2.0f / (top - bottom),
        0.0f,
        0.0f,
        0.0f,
        0.0f,
        -1.0f,
        0.0f,
        (right + left) / (left - right),
        (top + bottom) / (bottom - top),
        0.0f,
        1.0f,
    };
    glUseProgram(m_program);
    glUniformMatrix4fv(m_projection_location, 1, GL_FALSE, projection);
    glUniform1i(m_texture_location, 0);
    glActiveTexture(GL_TEXTURE0);
    glBindSampler(0, 0);
    glBindVertexArray(m_vao);
    glBindBuffer(GL_ARRAY_BUFFER, m_vbo);
}

void ImGuiGl::render(const ImDrawData& draw_data, uint32_t framebuffer_width,
                     uint32_t framebuffer_height) {
    if (framebuffer_width == 0 || framebuffer_height == 0 || draw_data.CmdListsCount <= 0 ||
        draw_data.DisplaySize.x <= 0.0f || draw_data.DisplaySize.y <= 0.0f) {
        return;
    }
    SavedState saved;
    saved.save();
    setup_state(draw_data, framebuffer_width, framebuffer_height);

    const ImVec2 origin = draw_data.DisplayPos;
    const ImVec2 scale = draw_data.FramebufferScale;
    const auto fb_width = static_cast<float>(framebuffer_width);
    const auto fb_height = static_cast<float>(framebuffer_height);
    for (int n = 0; n < draw_data.CmdListsCount; ++n) {
        const ImDrawList* list = draw_data.CmdLists[n];
        // Orphaning each time (glBufferData, not SubData): the driver hands out fresh storage
        // instead of waiting for draws still reading the previous contents.
        glBufferData(GL_ARRAY_BUFFER,
                     static_cast<GLsizeiptr>(list->VtxBuffer.Size) *
                         static_cast<GLsizeiptr>(sizeof(ImDrawVert)),
                     list->VtxBuffer.Data, GL_STREAM_DRAW);
        glBufferData(GL_ELEMENT_ARRAY_BUFFER,
                     static_cast<GLsizeiptr>(list->IdxBuffer.Size) *
                         static_cast<GLsizeiptr>(sizeof(ImDrawIdx)),
                     list->IdxBuffer.Data, GL_STREAM_DRAW);
        for (int c = 0; c < list->CmdBuffer.Size; ++c) {
            const ImDrawCmd& cmd = list->CmdBuffer[c];
            if (cmd.UserCallback != nullptr) {
                if (cmd.UserCallback == ImDrawCallback_ResetRenderState) {
                    setup_state(draw_data, framebuffer_width, framebuffer_height);
                } else {
                    cmd.UserCallback(list, &cmd);
                }
                continue;
            }
            // Clip rectangle: display coordinates -> framebuffer pixels, clamped to it.
            float x0 = (cmd.ClipRect.x - origin.x) * scale.x;
            float y0 = (cmd.ClipRect.y - origin.y) * scale.y;
            float x1 = (cmd.ClipRect.z - origin.x) * scale.x;
            float y1 = (cmd.ClipRect.w - origin.y) * scale.y;
            x0 = x0 < 0.0f ? 0.0f : x0;
            y0 = y0 < 0.0f ? 0.0f : y0;
            x1 = x1 > fb_width ? fb_width : x1;
            y1 = y1 > fb_height ? fb_height : y1;
            if (x1 <= x0 || y1 <= y0 || cmd.ElemCount == 0) {
                continue;
            }
            // GL's scissor origin is the bottom-left corner.
            glScissor(static_cast<GLint>(x0), static_cast<GLint>(fb_height - y1),
                      static_cast<GLsizei>(x1 - x0), static_cast<GLsizei>(y1 - y0));
            glBindTexture(GL_TEXTURE_2D,
                          static_cast<GLuint>(reinterpret_cast<uintptr_t>(cmd.GetTexID())));
            glDrawElementsBaseVertex(
                GL_TRIANGLES, static_cast<GLsizei>(cmd.ElemCount), INDEX_TYPE,
                buffer_offset(static_cast<size_t>(cmd.IdxOffset) * sizeof(ImDrawIdx)),
                static_cast<GLint>(cmd.VtxOffset));
        }
    }
    saved.restore();
}

}  // namespace periscope::viewer
