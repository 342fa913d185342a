// How each protocol pixel format becomes a GL texture: the internal format, and the format/type
// pair glTexSubImage2D reads the shared-memory bytes with, unchanged.
//
// Why BGR-ordered formats are uploaded as RGB and swapped back by the sampler
// (GL_TEXTURE_SWIZZLE_*, core in 3.3): a sized internal format fixes the texture's own layout, and
// Mesa then keeps RGBA8 / RGB10_A2 in R-first order, converting GL_BGRA uploads pixel by pixel on
// the CPU. Measured on llvmpipe (Mesa 22.3), a 3840x2160 naive upload: BGRA8 as GL_BGRA 13.5 ms,
// as GL_RGBA 2.3 ms (a memcpy); BGR10A2 as GL_BGRA 147 ms, as GL_RGBA 2.3 ms. Handing the bytes
// over as they are and swapping red and blue when sampling costs nothing on any GPU.
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
            return {GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, true};
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
