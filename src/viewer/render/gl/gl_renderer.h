// The OpenGL 3.3 core back-end (libepoxy). Design: docs/design/viewer.md §Renderer contract.
//
// Main thread only, with the caller's GL context current for every call, including the
// destructor (it deletes the GL objects).
//
// Uploads copy the damaged rows out of shared memory into a PBO stream (pbo_stream.h) and
// glTexSubImage2D from there, or, on a software rasteriser, hand the rows to glTexSubImage2D
// straight from shared memory (UploadPath); the frame texture keeps the protocol format's own
// bytes (gl_formats.h).
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

// How damaged rows reach the texture.
// - Pbo: copied into a pixel buffer object, then glTexSubImage2D from it. On a GPU the driver
//   then transfers from the PBO asynchronously (DMA), and our copy is the only CPU pass.
// - Direct: glTexSubImage2D from the shared memory itself. A software rasteriser copies client
//   memory into the texture at once, so the PBO only adds a second CPU copy: measured on
//   llvmpipe, a 3840x2160 frame takes 6.4 ms direct and 16 ms through the PBO (memcpy: 6.4 ms).
//   Reading guest memory in the driver is safe for the same reason our own copy is: only pixel
//   bytes are read, at offsets validated against the mapping; a guest changing them tears a
//   picture, nothing more (docs/design/viewer.md, "Threat model").
// - Auto: Direct on software rasterisers (llvmpipe, softpipe, swrast), Pbo elsewhere.
enum class UploadPath : uint8_t { Auto, Pbo, Direct };

// The defaults were chosen by measuring them against the others with bench/bench_viewer_upload.cpp.
struct GlRendererOptions {
    UploadPath upload_path = UploadPath::Auto;
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
    // The path Auto resolved to (never Auto).
    UploadPath upload_path() const { return m_upload_path; }

  private:
    GlRenderer(const GlRendererOptions& options);
    bool clear_frame_texture();
    bool blit_frame(const DrawParams& params);
    void draw_quad(GLuint program, GLint rect_uniform, GLuint texture, const double window_rect[4],
                   const DrawParams& params) const;

    GlRendererOptions m_options;
    UploadPath m_upload_path = UploadPath::Pbo;
    std::string m_description;
    GLint m_max_texture_size = 0;
    GLuint m_vao = 0;
    GLuint m_frame_program = 0;
    GLint m_frame_rect = -1;
    GLuint m_cursor_program = 0;
    GLint m_cursor_rect = -1;
    GLuint m_clear_fbo = 0;
    GLuint m_blit_fbo = 0;
    bool m_window_has_alpha = false;  // the default framebuffer keeps alpha: blits must reset it //
                                      // the frame texture as a read framebuffer, for the 1:1 blit

    FrameGeometry m_frame;  // format Invalid until configure_frame succeeds
    GLuint m_frame_texture = 0;
    GLint m_frame_internal_format = 0;
    bool m_frame_swizzled = false;  // red and blue swapped by the sampler: no blit
    GLenum m_frame_filter = 0;      // the texture's current filter, to set it only when it changes
    PboStream m_stream;

    GLuint m_cursor_texture = 0;
    CursorImage m_cursor;  // pixels not kept (nullptr): the texture has them
    GLenum m_cursor_filter = 0;
};

// The table's entry (render_table.cpp): default options.
Result<std::unique_ptr<Renderer>, RenderError> create_gl_backend(std::string* detail);

}  // namespace periscope::viewer
