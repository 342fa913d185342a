// The null rendering back-end: checks every argument exactly as the GL back-end does (same
// InvalidArgument cases), keeps nothing, draws nothing, and reads back black. It needs no GL
// context, so tests of the viewer's loop run without a display. Main thread only, like every
// back-end (renderer.h).
#pragma once

#include <memory>
#include <string>

#include "viewer/render/arguments.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer {

class NullRenderer final : public Renderer {
  public:
    const char* name() const override { return "null"; }
    std::string describe() const override { return "null renderer (draws nothing)"; }
    Result<void, RenderError> configure_frame(protocol::Format format, uint32_t width,
                                              uint32_t height) override;
    Result<void, RenderError> upload(const std::byte* src, uint32_t stride,
                                     const protocol::DamageList& damage, uint32_t rows_from,
                                     uint32_t rows_to) override;
    Result<void, RenderError> set_cursor(const CursorImage& cursor) override;
    void draw(const DrawParams& params) override;
    Result<void, RenderError> read_pixels(uint32_t width, uint32_t height,
                                          std::vector<std::byte>* rgba) override;

  private:
    FrameGeometry m_frame;
};

Result<std::unique_ptr<Renderer>, RenderError> create_null_renderer(std::string* detail);

}  // namespace periscope::viewer
