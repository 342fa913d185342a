// The OpenGL 3.3 core back-end (libepoxy). Design: docs/design/viewer.md §Renderer contract.
//
// Main thread only, with the caller's GL context current for every call, including the
// destructor (it deletes the GL objects).
//
// Uploads copy the damaged rows out of shared memory into a PBO stream (pbo_stream.h) and
// glTexSubImage2D from there; the frame texture keeps the protocol format's own bytes
// (gl_formats.h).
//
// GL state after draw(), which the overlay drawn next can rely on: framebuffer 0 bound, viewport
// the whole window, program 0, vertex array 0, GL_TEXTURE0 active with texture 0 bound, blending,
// scissor, depth, stencil and face culling disabled, colour writes on, GL_PIXEL_UNPACK_BUFFER 0.
// draw() itself sets everything it depends on, whatever the overlay left. The other methods leave
// the same bindings (0) behind; configure_frame also leaves the scissor test off and the clear
// colour black. upload and set_cursor set the unpack pixel-store state to the GL defaults they rely
// on (alignment 4, row length and skips 0) and leave it so; read_pixels does the same for the pack
// state.
#pragma once

#include <epoxy/gl.h>

#include <memory>
#include <string>

#include "core/copy.h"
#include "viewer/render/arguments.h"
#include "viewer/render/gl/pbo_stream.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer {

// The defaults were chosen by measuring them against the others with bench/bench_viewer_upload.cpp.
struct GlRendererOptions {
    PboMode pbo_mode = PboMode::Ring;
    uint32_t pbo_slots = 3;
    bool pbo_reuse_idle = true;  // start a full ring buffer over when the GPU is done with it
    // How rows are copied into the PBO. Cached copies measured faster on llvmpipe at 1080p and 4K
    // alike (the driver reads the copy right back); NonTemporal is there to measure on GPUs that
    // hand out write-combined PBO memory.
    CopyKind pbo_copy = CopyKind::Memcpy;
};

class GlRenderer final : public Renderer {
  public:
    // Unavailable (with a sentence in *detail) below OpenGL 3.3 or on OpenGL ES; ShaderFailed with
    // the driver's log.
    static Result<std::unique_ptr<GlRenderer>, RenderError> create(const GlRendererOptions& options,
                                                                   std::string* detail);
    ~GlRenderer() override;
    GlRenderer(const GlRenderer&) = delete;
    GlRenderer& operator=(const GlRenderer&) = delete;

    const char* name() const override { return "gl"; }
    std::string describe() const override { return m_description; }
    Result<void, RenderError> configure_frame(protocol::Format format, uint32_t width,
                                              uint32_t height) override;
    Result<void, RenderError> upload(const std::byte* src, uint32_t stride,
                                     const protocol::DamageList& damage, uint32_t rows_from,
                                     uint32_t rows_to) override;
    Result<void, RenderError> set_cursor(const CursorImage& cursor) override;
    void draw(const DrawParams& params) override;
    Result<void, RenderError> read_pixels(uint32_t width, uint32_t height,
                                          std::vector<std::byte>* rgba) override;

    const PboStats& pbo_stats() const { return m_stream.stats(); }

  private:
    GlRenderer(const GlRendererOptions& options);
    bool clear_frame_texture();
    void draw_quad(GLuint program, GLint rect_uniform, GLuint texture, const double window_rect[4],
                   const DrawParams& params) const;

    GlRendererOptions m_options;
    std::string m_description;
    GLint m_max_texture_size = 0;
    GLuint m_vao = 0;
    GLuint m_frame_program = 0;
    GLint m_frame_rect = -1;
    GLuint m_cursor_program = 0;
    GLint m_cursor_rect = -1;
    GLuint m_clear_fbo = 0;

    FrameGeometry m_frame;  // format Invalid until configure_frame succeeds
    GLuint m_frame_texture = 0;
    GLint m_frame_internal_format = 0;
    GLenum m_frame_filter = 0;  // the texture's current filter, to set it only when it changes
    PboStream m_stream;

    GLuint m_cursor_texture = 0;
    CursorImage m_cursor;  // pixels not kept (nullptr): the texture has them
    GLenum m_cursor_filter = 0;
};

// The table's entry (render_table.cpp): default options.
Result<std::unique_ptr<Renderer>, RenderError> create_gl_backend(std::string* detail);

}  // namespace periscope::viewer
