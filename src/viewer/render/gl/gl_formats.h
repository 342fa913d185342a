// How each protocol pixel format becomes a GL texture: the internal format, and the format/type
// pair glTexSubImage2D reads the shared-memory bytes with, unchanged.
//
// The texture must keep the guest's byte order, so an upload is a plain copy. Measured on llvmpipe
// (Mesa 22.3), where any conversion runs per pixel on the CPU:
// - BGRA8 uses the UNSIZED internal format GL_RGBA with GL_BGRA + GL_UNSIGNED_INT_8_8_8_8_REV: for
//   an unsized format Mesa picks the storage matching the upload (B8G8R8A8), so a 1920x1080 upload
//   is a memcpy (0.55 ms) and the texture can be blitted to the (also BGRA) window unconverted.
//   With the sized GL_RGBA8 the same upload converts every pixel (2.4 ms; 13.5 ms at 4K).
// - BGR10A2 has no unsized equivalent: it is uploaded as RGB10A2 (a copy; as GL_BGRA it took
//   147 ms at 4K) and red and blue are swapped back by the sampler (GL_TEXTURE_SWIZZLE_*, core in
//   3.3), which costs nothing on any GPU. A swizzled texture cannot take the blit fast path.
#pragma once

#include <epoxy/gl.h>

#include "protocol/layout.h"

namespace periscope::viewer {

struct GlPixelFormat {
    GLint internal_format = 0;
    GLenum format = 0;
    GLenum type = 0;
    bool swap_red_blue = false;  // the texture's red is the picture's blue: swizzle when sampling
};

// {0, 0, 0} for Format::Invalid or an unknown value.
constexpr GlPixelFormat gl_pixel_format(protocol::Format format) {
    switch (format) {
        case protocol::Format::BGRA8:
            return {GL_RGBA, GL_BGRA, GL_UNSIGNED_INT_8_8_8_8_REV, false};
        case protocol::Format::RGBA8:
            return {GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, false};
        // 2_10_10_10_REV puts the first component in the low 10 bits of the little-endian word:
        // R for RGB10A2, B for BGR10A2.
        case protocol::Format::RGB10A2:
            return {GL_RGB10_A2, GL_RGBA, GL_UNSIGNED_INT_2_10_10_10_REV, false};
        case protocol::Format::BGR10A2:
            return {GL_RGB10_A2, GL_RGBA, GL_UNSIGNED_INT_2_10_10_10_REV, true};
        case protocol::Format::RGBA16F:
            return {GL_RGBA16F, GL_RGBA, GL_HALF_FLOAT, false};
        case protocol::Format::Invalid:
            break;
    }
    return {};
}

}  // namespace periscope::viewer
