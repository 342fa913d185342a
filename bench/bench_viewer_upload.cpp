// The viewer's frame upload against its alternatives, in a GL 3.3 window on Xvfb (Mesa llvmpipe
// unless the machine offers other GL):
//
//  (a) the gl renderer's upload() of a full BGRA8 frame: copy into its PBO ring, glTexSubImage2D
//      from the PBO; + glFinish so the work is done, not just queued;
//  (b) a naive glTexSubImage2D of the same bytes from client memory into a GL_RGBA8 texture as
//      GL_BGRA; + glFinish; (b') the same with the renderer's texture format (gl_formats.h: the
//      unsized GL_RGBA with GL_BGRA + GL_UNSIGNED_INT_8_8_8_8_REV, stored as the bytes come);
//  (c) memcpy of the same bytes: the machine's limit for touching them once;
//  plus the renderer with the alternatives its defaults were chosen against (the PBO ring that is
//  the default on GPUs, an orphaned PBO, a
//  ring that always moves on, non-temporal copies into the PBO), and a 64x64 damage rectangle.
// At 1920x1080 and 3840x2160, interleaved in batches so that drift hits every path alike.
// Percentiles are nearest-rank over all samples. LP_NUM_THREADS is left as the user has it.
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/percentiles.h"
#include "support/gl_window.h"
#include "support/xvfb.h"
#include "viewer/render/gl/gl_renderer.h"

namespace periscope::bench {
namespace {

using viewer::GlRenderer;
using viewer::GlRendererOptions;

void print_row(const char* name, const Summary& s, const std::string& note = "") {
    std::printf("  %-44s %10s %10s %10s %10s  n=%-5llu %s\n", name, format_ns(s.p50).c_str(),
                format_ns(s.p99).c_str(), format_ns(s.p999).c_str(), format_ns(s.max).c_str(),
                static_cast<unsigned long long>(s.count), note.c_str());
}

std::string ratio(const Summary& a, const Summary& b) {
    char text[64];
    std::snprintf(text, sizeof text, "%.2f (p50), %.2f (p99)", a.p50 / b.p50, a.p99 / b.p99);
    return text;
}

// Shared memory, like the region the agent writes frames into.
struct SharedFrame {
    explicit SharedFrame(size_t n) : size(n) {
        void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        bytes = p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
        for (size_t i = 0; bytes != nullptr && i < n; ++i) {
            bytes[i] = std::byte{static_cast<uint8_t>(i * 131 + (i >> 12))};
        }
    }
    ~SharedFrame() {
        if (bytes != nullptr) {
            munmap(bytes, size);
        }
    }
    size_t size;
    std::byte* bytes = nullptr;
};

std::unique_ptr<GlRenderer> make_renderer(const GlRendererOptions& options, uint32_t w,
                                          uint32_t h) {
    std::string detail;
    auto r = GlRenderer::create(options, &detail);
    if (!r) {
        std::printf("  gl renderer: %s\n", detail.c_str());
        return nullptr;
    }
    if (!(*r)->configure_frame(protocol::Format::BGRA8, w, h)) {
        std::printf("  gl renderer: cannot configure %ux%u\n", w, h);
        return nullptr;
    }
    return std::move(*r);
}

struct Timed {
    std::vector<uint64_t> total;  // until glFinish returned
    std::vector<uint64_t> call;   // until upload() returned: what the viewer's loop waits for
};

void time_upload(GlRenderer& r, const SharedFrame& src, uint32_t stride,
                 const protocol::DamageList& damage, uint32_t h, Timed* out) {
    const uint64_t start = monotonic_ns();
    const bool ok = static_cast<bool>(r.upload(src.bytes, stride, damage, 0, h));
    const uint64_t returned = monotonic_ns();
    glFinish();
    const uint64_t done = monotonic_ns();
    if (ok) {
        out->call.push_back(returned - start);
        out->total.push_back(done - start);
    }
}

void bench_resolution(uint32_t w, uint32_t h, int samples) {
    std::printf("\n%ux%u BGRA8 (%.1f MB a frame)\n  %-44s %10s %10s %10s %10s\n", w, h,
                static_cast<double>(size_t{w} * h * 4) / 1e6, "", "p50", "p99", "p99.9", "max");
    const uint32_t stride = w * 4;
    const size_t bytes = size_t{stride} * h;
    SharedFrame src(bytes);
    if (src.bytes == nullptr) {
        std::printf("  cannot map %zu bytes\n", bytes);
        return;
    }
    std::vector<std::byte> destination(bytes, std::byte{1});

    // (a): the renderer as the viewer creates it (upload path Auto: direct on a software
    // rasteriser, the PBO ring on a GPU); the alternatives all go through a PBO.
    auto ring = make_renderer(GlRendererOptions{}, w, h);
    GlRendererOptions pbo_options;
    pbo_options.upload_path = viewer::UploadPath::Pbo;
    auto pbo = make_renderer(pbo_options, w, h);
    GlRendererOptions orphan_options = pbo_options;
    orphan_options.pbo_mode = viewer::PboMode::Orphan;
    auto orphan = make_renderer(orphan_options, w, h);
    GlRendererOptions rotate_options = pbo_options;
    rotate_options.pbo_reuse_idle = false;
    auto rotate = make_renderer(rotate_options, w, h);
    GlRendererOptions streaming = pbo_options;
    streaming.pbo_copy = CopyKind::NonTemporal;
    auto copy = make_renderer(streaming, w, h);
    if (!ring || !pbo || !orphan || !rotate || !copy) {
        return;
    }
    std::printf("  (a) uploads: %s\n", ring->upload_path() == viewer::UploadPath::Direct
                                           ? "direct (software rasteriser)"
                                           : "PBO ring");
    // (b) as a first implementation would write it (GL_RGBA8 from GL_BGRA), and (b') with the
    // renderer's texture format: the same work as (a) without the PBO.
    struct Naive {
        GLuint texture = 0;
        GLint internal_format = 0;
        GLenum format = 0;
        GLenum type = 0;
    } naive{0, GL_RGBA8, GL_BGRA, GL_UNSIGNED_BYTE},
        naive_same{0, GL_RGBA, GL_BGRA, GL_UNSIGNED_INT_8_8_8_8_REV};
    for (Naive* n : {&naive, &naive_same}) {
        glGenTextures(1, &n->texture);
        glBindTexture(GL_TEXTURE_2D, n->texture);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexImage2D(GL_TEXTURE_2D, 0, n->internal_format, static_cast<GLsizei>(w),
                     static_cast<GLsizei>(h), 0, n->format, n->type, nullptr);
    }
    glBindTexture(GL_TEXTURE_2D, 0);
    auto naive_upload = [&](const Naive& n, uint32_t x, uint32_t y, uint32_t rw, uint32_t rh) {
        glBindTexture(GL_TEXTURE_2D, n.texture);
        glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<GLint>(w));
        glTexSubImage2D(GL_TEXTURE_2D, 0, static_cast<GLint>(x), static_cast<GLint>(y),
                        static_cast<GLsizei>(rw), static_cast<GLsizei>(rh), n.format, n.type,
                        src.bytes + size_t{y} * stride + size_t{x} * 4);
        glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
        glBindTexture(GL_TEXTURE_2D, 0);
        glFinish();
    };
    auto time_naive = [&](const Naive& n, uint32_t x, uint32_t y, uint32_t rw, uint32_t rh,
                          std::vector<uint64_t>* out) {
        const uint64_t start = monotonic_ns();
        naive_upload(n, x, y, rw, rh);
        out->push_back(monotonic_ns() - start);
    };

    protocol::DamageList full;
    full.set_full();
    // Every path once before measuring: first touches of new memory are not the steady state.
    for (int i = 0; i < 3; ++i) {
        Timed warm;
        time_upload(*ring, src, stride, full, h, &warm);
        time_upload(*orphan, src, stride, full, h, &warm);
        time_upload(*pbo, src, stride, full, h, &warm);
        time_upload(*rotate, src, stride, full, h, &warm);
        time_upload(*copy, src, stride, full, h, &warm);
        naive_upload(naive, 0, 0, w, h);
        naive_upload(naive_same, 0, 0, w, h);
        std::memcpy(destination.data(), src.bytes, bytes);
    }

    Timed a, pbo_ring, orphaned, rotated, other;
    std::vector<uint64_t> b, b_same, c;
    const int batch = samples / 4 > 0 ? samples / 4 : 1;
    for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < batch; ++i) {
            time_upload(*ring, src, stride, full, h, &a);
        }
        for (int i = 0; i < batch; ++i) {
            time_naive(naive, 0, 0, w, h, &b);
        }
        for (int i = 0; i < batch; ++i) {
            time_naive(naive_same, 0, 0, w, h, &b_same);
        }
        for (int i = 0; i < batch; ++i) {
            const uint64_t start = monotonic_ns();
            std::memcpy(destination.data(), src.bytes, bytes);
            asm volatile("" : : "r"(destination.data()) : "memory");
            c.push_back(monotonic_ns() - start);
        }
        for (int i = 0; i < batch; ++i) {
            time_upload(*pbo, src, stride, full, h, &pbo_ring);
        }
        for (int i = 0; i < batch; ++i) {
            time_upload(*orphan, src, stride, full, h, &orphaned);
        }
        for (int i = 0; i < batch; ++i) {
            time_upload(*rotate, src, stride, full, h, &rotated);
        }
        for (int i = 0; i < batch; ++i) {
            time_upload(*copy, src, stride, full, h, &other);
        }
    }
    const Summary sa = summarize(a.total);
    const Summary sb = summarize(b);
    const Summary sc = summarize(c);
    print_row("(a) renderer upload, full frame + glFinish", sa);
    print_row("    of which upload() itself", summarize(a.call));
    print_row("(b) naive glTexSubImage2D GL_BGRA + glFinish", sb);
    const Summary sb2 = summarize(b_same);
    print_row("(b') naive, the renderer's texture format + glFinish", sb2);
    print_row("(c) memcpy of the same bytes", sc);
    std::printf("  a/b  %s\n  a/b' %s\n  a/c  %s\n", ratio(sa, sb).c_str(), ratio(sa, sb2).c_str(),
                ratio(sa, sc).c_str());
    const Summary sp = summarize(pbo_ring.total);
    print_row("alternative: PBO ring + glFinish", sp, "vs (a) " + ratio(sp, sa));
    const Summary so = summarize(orphaned.total);
    print_row("alternative: orphaned PBO + glFinish", so, "vs (a) " + ratio(so, sa));
    const Summary sr = summarize(rotated.total);
    print_row("alternative: ring, always rotate + glFinish", sr, "vs (a) " + ratio(sr, sa));
    const Summary sm = summarize(other.total);
    print_row("alternative: streaming copies + glFinish", sm, "vs (a) " + ratio(sm, sa));
    const viewer::PboStats& stats = pbo->pbo_stats();
    std::printf("  ring: %llu maps, %llu buffers recycled, %llu found busy (orphaned)\n",
                static_cast<unsigned long long>(stats.maps),
                static_cast<unsigned long long>(stats.recycled),
                static_cast<unsigned long long>(stats.orphaned));

    // A 64x64 rectangle changed, somewhere new each time.
    Timed small;
    std::vector<uint64_t> small_naive, small_same;
    for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < batch * 4; ++i) {
            const auto k = static_cast<uint32_t>(round * batch * 4 + i);
            const uint32_t x = (k * 97) % (w - 64);
            const uint32_t y = (k * 61) % (h - 64);
            protocol::DamageList damage;
            damage.add(protocol::Rect{x, y, 64, 64});
            time_upload(*ring, src, stride, damage, h, &small);
            time_naive(naive, x, y, 64, 64, &small_naive);
            time_naive(naive_same, x, y, 64, 64, &small_same);
        }
    }
    const Summary s64 = summarize(small.total);
    const Summary n64 = summarize(small_naive);
    const Summary m64 = summarize(small_same);
    print_row("(a) renderer upload, 64x64 damage + glFinish", s64);
    print_row("(b) naive 64x64 GL_BGRA + glFinish", n64);
    print_row("(b') naive 64x64, the renderer's texture format", m64);
    std::printf("  a/b  %s\n  a/b' %s\n", ratio(s64, n64).c_str(), ratio(s64, m64).c_str());
    glDeleteTextures(1, &naive.texture);
    glDeleteTextures(1, &naive_same.texture);
}

}  // namespace
}  // namespace periscope::bench

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    std::string error;
    auto xvfb = periscope::test::Xvfb::start(periscope::test::XvfbConfig{}, &error);
    if (!xvfb) {
        std::printf("Xvfb did not start: %s\n", error.c_str());
        return 1;
    }
    auto window = periscope::test::GlWindow::open(xvfb->display(), 64, 64, &error);
    if (!window) {
        std::printf("no GL window: %s\n", error.c_str());
        return 1;
    }
    std::printf("periscope viewer upload benchmark (%s, Xvfb %s)\n",
                reinterpret_cast<const char*>(glGetString(GL_RENDERER)), xvfb->display().c_str());
    periscope::bench::bench_resolution(1920, 1080, quick ? 8 : 200);
    periscope::bench::bench_resolution(3840, 2160, quick ? 8 : 100);
    return 0;
}
