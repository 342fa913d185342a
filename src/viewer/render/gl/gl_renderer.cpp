#include "viewer/render/gl/gl_renderer.h"

#include <algorithm>
#include <cstring>

#include "core/format.h"
#include "core/log.h"
#include "viewer/render/gl/gl_formats.h"
#include "viewer/render/gl/gl_program.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "render.gl";

const char* gl_text(GLenum name) {
    const auto* text = reinterpret_cast<const char*>(glGetString(name));
    return text != nullptr ? text : "?";
}

// Errors left by earlier calls (ours or the overlay's) must not be blamed on the next check.
void drain_errors() {
    for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; ++i) {
    }
}

// The unpack state our uploads depend on, at its GL defaults (others may have changed it).
void default_unpack_state() {
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glPixelStorei(GL_UNPACK_SKIP_ROWS, 0);
    glPixelStorei(GL_UNPACK_SKIP_PIXELS, 0);
}

void set_filter(GLenum filter, GLenum* current) {
    if (*current == filter) {
        return;
    }
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, static_cast<GLint>(filter));
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, static_cast<GLint>(filter));
    *current = filter;
}

// A texture with no mipmaps (the default minifying filter would leave it incomplete), clamped.
GLuint new_texture() {
    GLuint texture = 0;
    glGenTextures(1, &texture);
    glBindTexture(GL_TEXTURE_2D, texture);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAX_LEVEL, 0);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    return texture;
}

Result<void, RenderError> allocation_result(const char* what, uint32_t width, uint32_t height) {
    const GLenum error = glGetError();
    if (error == GL_NO_ERROR) {
        return {};
    }
    PERISCOPE_LOG_ERROR(MODULE, "cannot allocate the %ux%u %s texture (GL error 0x%x)", width,
                        height, what, error);
    return fail(error == GL_OUT_OF_MEMORY ? RenderError::OutOfMemory
                                          : RenderError::InvalidArgument);
}

}  // namespace

GlRenderer::GlRenderer(const GlRendererOptions& options)
    : m_options(options), m_stream(options.pbo_mode, options.pbo_slots, options.pbo_reuse_idle) {}

Result<std::unique_ptr<GlRenderer>, RenderError> GlRenderer::create(
    const GlRendererOptions& options, std::string* detail) {
    std::string why;
    if (detail == nullptr) {
        detail = &why;
    }
    const char* version = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    if (version == nullptr) {
        *detail = "no OpenGL context is current";
        return fail(RenderError::Unavailable);
    }
    if (!epoxy_is_desktop_gl() || epoxy_gl_version() < 33) {
        *detail = format_text(
            "the gl renderer needs desktop OpenGL 3.3 or newer; this context is OpenGL %s on %s",
            version, gl_text(GL_RENDERER));
        return fail(RenderError::Unavailable);
    }
    std::unique_ptr<GlRenderer> r(new GlRenderer(options));
    const std::string renderer_name = gl_text(GL_RENDERER);
    r->m_upload_path = options.upload_path;
    if (r->m_upload_path == UploadPath::Auto) {
        const bool software = renderer_name.find("llvmpipe") != std::string::npos ||
                              renderer_name.find("softpipe") != std::string::npos ||
                              renderer_name.find("swrast") != std::string::npos;
        r->m_upload_path = software ? UploadPath::Direct : UploadPath::Pbo;
    }
    r->m_description = format_text("OpenGL %s on %s, %s uploads", version, renderer_name.c_str(),
                                   r->m_upload_path == UploadPath::Direct ? "direct" : "PBO");
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &r->m_max_texture_size);
    glGenVertexArrays(1, &r->m_vao);

    auto frame = build_program("frame", QUAD_VERTEX_SHADER, FRAME_FRAGMENT_SHADER, detail);
    if (!frame) {
        return fail(frame.error());
    }
    r->m_frame_program = *frame;
    auto cursor = build_program("cursor", QUAD_VERTEX_SHADER, CURSOR_FRAGMENT_SHADER, detail);
    if (!cursor) {
        return fail(cursor.error());
    }
    r->m_cursor_program = *cursor;
    for (const GLuint program : {r->m_frame_program, r->m_cursor_program}) {
        glUseProgram(program);
        glUniform1i(glGetUniformLocation(program, "u_texture"), 0);
    }
    glUseProgram(0);
    r->m_frame_rect = glGetUniformLocation(r->m_frame_program, "u_rect");
    GLint alpha_bits = 0;
    glGetFramebufferAttachmentParameteriv(GL_DRAW_FRAMEBUFFER, GL_BACK_LEFT,
                                          GL_FRAMEBUFFER_ATTACHMENT_ALPHA_SIZE, &alpha_bits);
    r->m_window_has_alpha = alpha_bits > 0;
    r->m_cursor_rect = glGetUniformLocation(r->m_cursor_program, "u_rect");
    return r;
}

GlRenderer::~GlRenderer() {
    glDeleteTextures(1, &m_frame_texture);
    glDeleteTextures(1, &m_cursor_texture);
    glDeleteFramebuffers(1, &m_clear_fbo);
    glDeleteFramebuffers(1, &m_blit_fbo);
    glDeleteProgram(m_frame_program);
    glDeleteProgram(m_cursor_program);
    glDeleteVertexArrays(1, &m_vao);
}

Result<void, RenderError> GlRenderer::configure_frame(protocol::Format format, uint32_t width,
                                                      uint32_t height) {
    auto frame = check_frame(format, width, height);
    if (!frame) {
        return fail(frame.error());
    }
    const auto limit = static_cast<uint32_t>(m_max_texture_size);
    if (width > limit || height > limit) {
        PERISCOPE_LOG_ERROR(MODULE, "a %ux%u frame exceeds this GPU's texture size limit %u", width,
                            height, limit);
        return fail(RenderError::Unavailable);
    }
    const GlPixelFormat gl_format = gl_pixel_format(format);
    // Not drawable (nor uploadable) until it is allocated and black.
    const FrameGeometry previous = m_frame;
    m_frame = FrameGeometry{};
    default_unpack_state();
    glActiveTexture(GL_TEXTURE0);
    if (m_frame_texture == 0) {
        m_frame_texture = new_texture();
        m_frame_filter = 0;
    } else {
        glBindTexture(GL_TEXTURE_2D, m_frame_texture);
    }
    if (m_frame_internal_format != gl_format.internal_format || previous.width != width ||
        previous.height != height) {
        drain_errors();
        glTexImage2D(GL_TEXTURE_2D, 0, gl_format.internal_format, static_cast<GLsizei>(width),
                     static_cast<GLsizei>(height), 0, gl_format.format, gl_format.type, nullptr);
        auto allocated = allocation_result("frame", width, height);
        if (!allocated) {
            m_frame_internal_format = 0;
            glBindTexture(GL_TEXTURE_2D, 0);
            return allocated;
        }
        m_frame_internal_format = gl_format.internal_format;
    }
    const GLint red = gl_format.swap_red_blue ? GL_BLUE : GL_RED;
    const GLint blue = gl_format.swap_red_blue ? GL_RED : GL_BLUE;
    const GLint swizzle[4] = {red, GL_GREEN, blue, GL_ALPHA};
    glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, swizzle);
    m_frame_swizzled = gl_format.swap_red_blue;
    glBindTexture(GL_TEXTURE_2D, 0);
    m_stream.set_capacity(size_t{width} * height * frame->bytes_per_pixel);
    m_frame = *frame;
    if (!clear_frame_texture()) {
        m_frame = FrameGeometry{};
        return fail(RenderError::OutOfMemory);
    }
    return {};
}

// Black, opaque: render to the texture (every format here is colour-renderable in GL 3.3); zeros
// through the upload path if a driver refuses the framebuffer.
bool GlRenderer::clear_frame_texture() {
    if (m_clear_fbo == 0) {
        glGenFramebuffers(1, &m_clear_fbo);
    }
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, m_clear_fbo);
    glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
                           m_frame_texture, 0);
    const bool complete = glCheckFramebufferStatus(GL_DRAW_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
    if (complete) {
        glDisable(GL_SCISSOR_TEST);
        glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
        glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    glFramebufferTexture2D(GL_DRAW_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, 0, 0);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    if (complete) {
        return true;
    }
    const size_t bytes = size_t{m_frame.width} * m_frame.height * m_frame.bytes_per_pixel;
    auto mapping = m_stream.map(bytes);
    if (!mapping) {
        return false;
    }
    std::memset(mapping->data, 0, bytes);
    if (!m_stream.unmap()) {
        m_stream.release();
        return false;
    }
    const GlPixelFormat gl_format = gl_pixel_format(m_frame.format);
    glBindTexture(GL_TEXTURE_2D, m_frame_texture);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, static_cast<GLsizei>(m_frame.width),
                    static_cast<GLsizei>(m_frame.height), gl_format.format, gl_format.type,
                    reinterpret_cast<const void*>(static_cast<uintptr_t>(mapping->offset)));
    m_stream.release();
    glBindTexture(GL_TEXTURE_2D, 0);
    return true;
}

Result<void, RenderError> GlRenderer::upload(const std::byte* src, uint32_t stride,
                                             const protocol::DamageList& damage, uint32_t rows_from,
                                             uint32_t rows_to) {
    auto plan = plan_upload(m_frame, src, stride, damage, rows_from, rows_to);
    if (!plan) {
        return fail(plan.error());
    }
    if (plan->count == 0) {
        return {};
    }
    default_unpack_state();
    const GlPixelFormat gl_format = gl_pixel_format(m_frame.format);
    if (m_upload_path == UploadPath::Direct && stride % m_frame.bytes_per_pixel == 0) {
        glActiveTexture(GL_TEXTURE0);
        glBindTexture(GL_TEXTURE_2D, m_frame_texture);
        glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<GLint>(stride / m_frame.bytes_per_pixel));
        for (uint32_t i = 0; i < plan->count; ++i) {
            const protocol::Rect& r = plan->pieces[i].rect;
            // plan_upload checked every rectangle against the frame, and the caller the frame
            // against the mapping: these bytes are inside it.
            const std::byte* first =
                src + size_t{r.y} * stride + size_t{r.x} * m_frame.bytes_per_pixel;
            glTexSubImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(r.x), static_cast<GLint>(r.y),
                            static_cast<GLsizei>(r.width), static_cast<GLsizei>(r.height),
                            gl_format.format, gl_format.type, first);
        }
        glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
        glBindTexture(GL_TEXTURE_2D, 0);
        return {};
    }
    // The guest's bytes are copied before GL sees them: the driver reads our copy, which it may
    // transfer later, when the guest has long moved on.
    auto mapping = m_stream.map(plan->total_bytes);
    if (!mapping) {
        return fail(mapping.error());
    }
    pack_upload(*plan, m_frame, src, stride, mapping->data, m_options.pbo_copy);
    if (!m_stream.unmap()) {
        m_stream.release();
        return fail(RenderError::OutOfMemory);
    }
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, m_frame_texture);
    for (uint32_t i = 0; i < plan->count; ++i) {
        const UploadPiece& piece = plan->pieces[i];
        // Offsets into the bound pixel buffer are passed where a pointer would go.
        const auto offset = static_cast<uintptr_t>(mapping->offset + piece.offset);
        glTexSubImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(piece.rect.x),
                        static_cast<GLint>(piece.rect.y), static_cast<GLsizei>(piece.rect.width),
                        static_cast<GLsizei>(piece.rect.height), gl_format.format, gl_format.type,
                        reinterpret_cast<const void*>(offset));
    }
    m_stream.release();
    glBindTexture(GL_TEXTURE_2D, 0);
    return {};
}

Result<void, RenderError> GlRenderer::set_cursor(const CursorImage& cursor) {
    auto checked = check_cursor(cursor);
    if (!checked) {
        return checked;
    }
    default_unpack_state();
    glActiveTexture(GL_TEXTURE0);
    if (m_cursor_texture == 0) {
        m_cursor_texture = new_texture();
        m_cursor_filter = 0;
    } else {
        glBindTexture(GL_TEXTURE_2D, m_cursor_texture);
    }
    drain_errors();
    // Shapes are small and already a private copy (the caller took them out of the region).
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, static_cast<GLsizei>(cursor.width),
                 static_cast<GLsizei>(cursor.height), 0,
                 cursor.format == protocol::Format::BGRA8 ? GL_BGRA : GL_RGBA, GL_UNSIGNED_BYTE,
                 cursor.pixels);
    auto allocated = allocation_result("cursor", cursor.width, cursor.height);
    glBindTexture(GL_TEXTURE_2D, 0);
    if (!allocated) {
        m_cursor = CursorImage{};
        return allocated;
    }
    m_cursor = cursor;
    m_cursor.pixels = nullptr;
    return {};
}

void GlRenderer::draw_quad(GLuint program, GLint rect_uniform, GLuint texture,
                           const double window_rect[4], const DrawParams& params) const {
    // Window pixels (origin top left) to normalised device coordinates (origin centre, y up).
    const double w = params.window_width;
    const double h = params.window_height;
    const double left = 2.0 * window_rect[0] / w - 1.0;
    const double right = 2.0 * (window_rect[0] + window_rect[2]) / w - 1.0;
    const double top = 1.0 - 2.0 * window_rect[1] / h;
    const double bottom = 1.0 - 2.0 * (window_rect[1] + window_rect[3]) / h;
    glUseProgram(program);
    glUniform4f(rect_uniform, static_cast<float>(left), static_cast<float>(bottom),
                static_cast<float>(right), static_cast<float>(top));
    glBindTexture(GL_TEXTURE_2D, texture);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

// At 1:1 the frame is copied, not drawn: both filters give the same pixels there, and a software
// rasteriser runs the fragment shader per pixel (llvmpipe, 1920x1080: shader quad + swap 6.9 ms
// nearest, 13.5 ms linear; blit + swap 1.4 ms, of which the swap alone is 1.2 ms). The frame's
// rows are top-down and GL's bottom-up, so the blit flips, which keeps it a row copy.
bool GlRenderer::blit_frame(const DrawParams& params) {
    const WindowRect& v = params.viewport;
    if (m_frame_swizzled || v.width != m_frame.width || v.height != m_frame.height) {
        return false;
    }
    if (m_blit_fbo == 0) {
        glGenFramebuffers(1, &m_blit_fbo);
    }
    glBindFramebuffer(GL_READ_FRAMEBUFFER, m_blit_fbo);
    glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D,
                           m_frame_texture, 0);
    if (glCheckFramebufferStatus(GL_READ_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE) {
        glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
        return false;
    }
    // Window y grows downwards, GL's upwards: frame row 0 goes to the top of the viewport.
    const auto x0 = static_cast<GLint>(v.x);
    const auto top = static_cast<GLint>(params.window_height) - static_cast<GLint>(v.y);
    const auto bottom = top - static_cast<GLint>(v.height);
    glBlitFramebuffer(0, 0, static_cast<GLint>(m_frame.width), static_cast<GLint>(m_frame.height),
                      x0, top, x0 + static_cast<GLint>(v.width), bottom, GL_COLOR_BUFFER_BIT,
                      GL_NEAREST);
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    if (m_window_has_alpha) {
        // The blit copied the guest's alpha (often 0 for BGRX-style captures); a window with an
        // alpha channel would let a compositor show through it. The shader path writes 1.
        glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
        glEnable(GL_SCISSOR_TEST);
        glScissor(x0, bottom, static_cast<GLsizei>(v.width), static_cast<GLsizei>(v.height));
        glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        glDisable(GL_SCISSOR_TEST);
        glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    }
    return true;
}

void GlRenderer::draw(const DrawParams& params) {
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(0, 0, static_cast<GLsizei>(params.window_width),
               static_cast<GLsizei>(params.window_height));
    glDisable(GL_SCISSOR_TEST);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_STENCIL_TEST);
    glDisable(GL_CULL_FACE);
    glDisable(GL_BLEND);
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    glActiveTexture(GL_TEXTURE0);

    const WindowRect& v = params.viewport;
    const bool frame_visible = params.draw_frame && m_frame.bytes_per_pixel != 0 &&
                               params.window_width != 0 && params.window_height != 0 &&
                               v.width != 0 && v.height != 0;
    if (frame_visible) {
        glBindVertexArray(m_vao);
        const GLenum filter = params.filter == Filter::Nearest ? GL_NEAREST : GL_LINEAR;
        if (!blit_frame(params)) {
            glBindTexture(GL_TEXTURE_2D, m_frame_texture);
            set_filter(filter, &m_frame_filter);
            const double frame_rect[4] = {static_cast<double>(v.x), static_cast<double>(v.y),
                                          static_cast<double>(v.width),
                                          static_cast<double>(v.height)};
            draw_quad(m_frame_program, m_frame_rect, m_frame_texture, frame_rect, params);
        }

        if (params.cursor_visible && m_cursor.width != 0) {
            // Frame pixels to window pixels, the cursor scaled like the frame.
            const double sx = static_cast<double>(v.width) / m_frame.width;
            const double sy = static_cast<double>(v.height) / m_frame.height;
            const double left = static_cast<double>(params.cursor_x) - m_cursor.hotspot_x;
            const double top = static_cast<double>(params.cursor_y) - m_cursor.hotspot_y;
            const double cursor_rect[4] = {v.x + left * sx, v.y + top * sy, m_cursor.width * sx,
                                           m_cursor.height * sy};
            glBindTexture(GL_TEXTURE_2D, m_cursor_texture);
            set_filter(filter, &m_cursor_filter);
            glEnable(GL_BLEND);
            glBlendEquation(GL_FUNC_ADD);
            // The window's own alpha stays 1 (an alpha visual would otherwise show through).
            glBlendFuncSeparate(m_cursor.premultiplied ? GL_ONE : GL_SRC_ALPHA,
                                GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
            draw_quad(m_cursor_program, m_cursor_rect, m_cursor_texture, cursor_rect, params);
            glDisable(GL_BLEND);
        }
    }
    glUseProgram(0);
    glBindVertexArray(0);
    glBindTexture(GL_TEXTURE_2D, 0);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
}

Result<void, RenderError> GlRenderer::read_pixels(uint32_t width, uint32_t height,
                                                  std::vector<std::byte>* rgba) {
    auto checked = check_read(width, height, rgba);
    if (!checked) {
        return checked;
    }
    glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
    glReadBuffer(GL_BACK);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glPixelStorei(GL_PACK_ROW_LENGTH, 0);
    glPixelStorei(GL_PACK_SKIP_ROWS, 0);
    glPixelStorei(GL_PACK_SKIP_PIXELS, 0);
    const size_t row = size_t{width} * 4;
    rgba->resize(row * height);
    glReadPixels(0, 0, static_cast<GLsizei>(width), static_cast<GLsizei>(height), GL_RGBA,
                 GL_UNSIGNED_BYTE, rgba->data());
    // GL's first row is the bottom one.
    for (uint32_t y = 0; y < height / 2; ++y) {
        std::swap_ranges(rgba->begin() + static_cast<ptrdiff_t>(y * row),
                         rgba->begin() + static_cast<ptrdiff_t>((y + 1) * row),
                         rgba->begin() + static_cast<ptrdiff_t>((height - 1 - y) * row));
    }
    return {};
}

Result<std::unique_ptr<Renderer>, RenderError> create_gl_backend(std::string* detail) {
    auto renderer = GlRenderer::create(GlRendererOptions{}, detail);
    if (!renderer) {
        return fail(renderer.error());
    }
    return std::unique_ptr<Renderer>(std::move(*renderer));
}

}  // namespace periscope::viewer
