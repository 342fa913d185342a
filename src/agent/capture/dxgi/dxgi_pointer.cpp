#include "agent/capture/dxgi/dxgi_pointer.h"

#include <algorithm>
#include <vector>

#include "protocol/layout.h"

namespace periscope::agent::dxgi {
namespace {

// Where a crop of `crop` pixels out of `size` starts so that it holds the hotspot `hot`: at 0
// while the hotspot lies in the first `crop` pixels (arrows: hotspot top-left), else centred on
// it as far as the image allows.
uint32_t crop_origin(int32_t hot, uint32_t size, uint32_t crop) {
    if (crop >= size) {
        return 0;
    }
    const auto h = static_cast<uint32_t>(std::clamp<int64_t>(hot, 0, int64_t{size} - 1));
    if (h < crop) {
        return 0;
    }
    return std::min(h - crop / 2, size - crop);
}

uint32_t crop_hotspot(int32_t hot, uint32_t size, uint32_t origin, uint32_t crop) {
    const auto h = static_cast<uint32_t>(std::clamp<int64_t>(hot, 0, int64_t{size} - 1));
    return std::min(h - std::min(h, origin), crop - 1);
}

bool bit(const std::byte* row, uint32_t x) {
    return (std::to_integer<uint32_t>(row[x / 8]) & (0x80u >> (x % 8))) != 0;
}

void put(std::byte* p, uint8_t b, uint8_t g, uint8_t r, uint8_t a) {
    p[0] = std::byte{b};
    p[1] = std::byte{g};
    p[2] = std::byte{r};
    p[3] = std::byte{a};
}

uint8_t premultiply(uint8_t c, uint8_t a) {
    return static_cast<uint8_t>((uint32_t{c} * a + 127) / 255);
}

}  // namespace

const char* to_string(PointerShapeError error) {
    switch (error) {
        case PointerShapeError::UnknownType:
            return "unknown pointer shape type";
        case PointerShapeError::Empty:
            return "empty pointer shape";
        case PointerShapeError::BadPitch:
            return "pointer shape pitch shorter than a row";
        case PointerShapeError::BufferTooSmall:
            return "pointer shape larger than its buffer";
    }
    return "?";
}

Result<void, PointerShapeError> convert_pointer_shape(const PointerShapeInfo& info,
                                                      std::span<const std::byte> buffer,
                                                      uint32_t max_dim, CursorShape* out) {
    const bool mono = info.type == POINTER_SHAPE_MONOCHROME;
    if (!mono && info.type != POINTER_SHAPE_COLOR && info.type != POINTER_SHAPE_MASKED_COLOR) {
        return fail(PointerShapeError::UnknownType);
    }
    const uint32_t width = info.width;
    const uint32_t rows = mono ? info.height / 2 : info.height;
    if (width == 0 || rows == 0) {
        return fail(PointerShapeError::Empty);
    }
    // 64-bit arithmetic throughout: width, height and pitch are 32-bit values we did not choose.
    const uint64_t row_bytes = mono ? (uint64_t{width} + 7) / 8 : uint64_t{width} * 4;
    if (info.pitch < row_bytes) {
        return fail(PointerShapeError::BadPitch);
    }
    const uint64_t buffer_rows = mono ? uint64_t{rows} * 2 : rows;
    if (uint64_t{info.pitch} * (buffer_rows - 1) + row_bytes > buffer.size()) {
        return fail(PointerShapeError::BufferTooSmall);
    }

    if (max_dim == 0) {
        max_dim = protocol::DEFAULT_CURSOR_MAX_DIM;
    }
    const uint32_t cw = std::min(width, max_dim);
    const uint32_t ch = std::min(rows, max_dim);
    const uint32_t x0 = crop_origin(info.hotspot_x, width, cw);
    const uint32_t y0 = crop_origin(info.hotspot_y, rows, ch);

    out->width = cw;
    out->height = ch;
    out->hotspot_x = crop_hotspot(info.hotspot_x, width, x0, cw);
    out->hotspot_y = crop_hotspot(info.hotspot_y, rows, y0, ch);
    out->format = protocol::Format::BGRA8;
    out->premultiplied = true;
    out->pixels.assign(size_t{cw} * ch * 4, std::byte{0});

    // Pixels that XOR the screen with something other than 0: drawn in a second pass.
    std::vector<uint8_t> invert(size_t{cw} * ch, 0);
    bool any_invert = false;
    const std::byte* base = buffer.data();
    for (uint32_t y = 0; y < ch; ++y) {
        std::byte* dst = out->pixels.data() + size_t{y} * cw * 4;
        if (mono) {
            const std::byte* and_row = base + uint64_t{info.pitch} * (y0 + y);
            const std::byte* xor_row = base + uint64_t{info.pitch} * (rows + y0 + y);
            for (uint32_t x = 0; x < cw; ++x, dst += 4) {
                const bool a = bit(and_row, x0 + x);
                const bool o = bit(xor_row, x0 + x);
                if (!a) {
                    const uint8_t v = o ? 0xFF : 0x00;
                    put(dst, v, v, v, 0xFF);
                } else if (o) {
                    invert[size_t{y} * cw + x] = 1;
                    any_invert = true;
                }  // AND 1, XOR 0: transparent, already zero
            }
        } else {
            const std::byte* src = base + uint64_t{info.pitch} * (y0 + y) + uint64_t{x0} * 4;
            for (uint32_t x = 0; x < cw; ++x, dst += 4, src += 4) {
                const auto b = std::to_integer<uint8_t>(src[0]);
                const auto g = std::to_integer<uint8_t>(src[1]);
                const auto r = std::to_integer<uint8_t>(src[2]);
                const auto a = std::to_integer<uint8_t>(src[3]);
                if (info.type == POINTER_SHAPE_COLOR) {
                    put(dst, premultiply(b, a), premultiply(g, a), premultiply(r, a), a);
                } else if (a == 0) {
                    put(dst, b, g, r, 0xFF);  // mask 0: the colour replaces the screen pixel
                } else if ((b | g | r) != 0) {
                    // Mask 0xFF (only 0 and 0xFF are allowed; anything else is read as 0xFF).
                    invert[size_t{y} * cw + x] = 1;
                    any_invert = true;
                }  // XOR with 0: transparent
            }
        }
    }
    if (!any_invert) {
        return {};
    }
    for (uint32_t y = 0; y < ch; ++y) {
        for (uint32_t x = 0; x < cw; ++x) {
            std::byte* p = out->pixels.data() + (size_t{y} * cw + x) * 4;
            if (invert[size_t{y} * cw + x] != 0) {
                put(p, 0, 0, 0, 0xFF);
                continue;
            }
            if (p[3] != std::byte{0}) {
                continue;  // an opaque or translucent pixel of the shape itself
            }
            bool touches = false;
            for (int dy = -1; dy <= 1 && !touches; ++dy) {
                for (int dx = -1; dx <= 1 && !touches; ++dx) {
                    const int64_t nx = int64_t{x} + dx;
                    const int64_t ny = int64_t{y} + dy;
                    touches = nx >= 0 && ny >= 0 && nx < cw && ny < ch &&
                              invert[static_cast<size_t>(ny) * cw + static_cast<size_t>(nx)] != 0;
                }
            }
            if (touches) {
                put(p, 0xFF, 0xFF, 0xFF, 0xFF);
            }
        }
    }
    return {};
}

}  // namespace periscope::agent::dxgi
