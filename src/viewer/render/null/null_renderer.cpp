#include "viewer/render/null/null_renderer.h"

namespace periscope::viewer {

Result<void, RenderError> NullRenderer::configure_frame(protocol::Format format, uint32_t width,
                                                        uint32_t height) {
    auto frame = check_frame(format, width, height);
    if (!frame) {
        return fail(frame.error());
    }
    m_frame = *frame;
    return {};
}

Result<void, RenderError> NullRenderer::upload(const std::byte* src, uint32_t stride,
                                               const protocol::DamageList& damage,
                                               uint32_t rows_from, uint32_t rows_to) {
    auto plan = plan_upload(m_frame, src, stride, damage, rows_from, rows_to);
    if (!plan) {
        return fail(plan.error());
    }
    return {};
}

Result<void, RenderError> NullRenderer::set_cursor(const CursorImage& cursor) {
    return check_cursor(cursor);
}

void NullRenderer::draw(const DrawParams&) {}

Result<void, RenderError> NullRenderer::read_pixels(uint32_t width, uint32_t height,
                                                    std::vector<std::byte>* rgba) {
    auto checked = check_read(width, height, rgba);
    if (!checked) {
        return checked;
    }
    // Opaque black, as a window that was only ever cleared.
    rgba->assign(size_t{width} * height * 4, std::byte{0});
    for (size_t i = 3; i < rgba->size(); i += 4) {
        (*rgba)[i] = std::byte{0xFF};
    }
    return {};
}

Result<std::unique_ptr<Renderer>, RenderError> create_null_renderer(std::string*) {
    return std::unique_ptr<Renderer>(std::make_unique<NullRenderer>());
}

}  // namespace periscope::viewer
