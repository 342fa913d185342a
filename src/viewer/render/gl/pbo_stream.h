// Pixel buffer objects that frame rows are copied into before GL sees them, so the CPU never waits
// for the GPU to finish reading an earlier upload.
//
// Ring (the default): a few buffers, each a frame in size, filled front to back by successive
// uploads (mapped unsynchronised: a range not written since the buffer was recycled is not being
// read). When the current buffer is full it is started over if a fence (asked, never waited for)
// says the GPU is done with it (`reuse_idle`: a software driver always is, and its memory is then
// still in the CPU's caches), else the stream moves to the next buffer, which gets fresh storage
// (orphaned) if it is still in use too. Storage stays allocated, so no page is faulted in twice.
// Orphan: one buffer given new storage for every upload (glBufferData(NULL)); kept for the
// benchmark's comparison (bench/bench_viewer_upload.cpp): on Mesa every upload then pays for new
// pages, 1.7x the ring's time for a 4K frame.
//
// Main thread, GL context current. Leaves GL_PIXEL_UNPACK_BUFFER bound between map() and
// release(); release() unbinds it.
#pragma once

#include <epoxy/gl.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/result.h"
#include "viewer/render/renderer.h"

namespace periscope::viewer {

enum class PboMode { Ring, Orphan };

struct PboStats {
    uint64_t maps = 0;
    uint64_t recycled = 0;  // ring: a full buffer started over, the GPU done with it
    uint64_t orphaned = 0;  // ring: the next buffer was still in use; orphan: every map
};

class PboStream {
  public:
    PboStream(PboMode mode, uint32_t slots, bool reuse_idle = true);
    ~PboStream();
    PboStream(const PboStream&) = delete;
    PboStream& operator=(const PboStream&) = delete;

    // The size each ring buffer gets when it is (re)allocated: a whole frame, so that one frame's
    // uploads fit in one buffer. Existing buffers are resized when next used.
    void set_capacity(size_t bytes);

    struct Mapping {
        std::byte* data = nullptr;  // write-only (may be uncached memory): never read it
        size_t offset = 0;          // of `data` in the bound GL_PIXEL_UNPACK_BUFFER
    };
    // Binds a buffer as GL_PIXEL_UNPACK_BUFFER with `bytes` of it mapped for writing. OutOfMemory
    // (logged) if the driver cannot.
    Result<Mapping, RenderError> map(size_t bytes);
    // Unmaps; the buffer stays bound for the glTexSubImage2D calls that read it. false if the
    // driver lost the contents (glUnmapBuffer said so; logged).
    bool unmap();
    // After the glTexSubImage2D calls: fences them (so the buffer is not reused before they are
    // done) and unbinds the buffer.
    void release();

    const PboStats& stats() const { return m_stats; }

  private:
    struct Slot {
        GLuint buffer = 0;
        size_t size = 0;  // of its storage
        size_t used = 0;  // bytes handed out since it was recycled
        GLsync fence = nullptr;
    };
    bool busy(const Slot& slot) const;
    bool allocate(Slot& slot, size_t bytes);

    PboMode m_mode;
    std::vector<Slot> m_slots;
    bool m_reuse_idle;
    uint32_t m_current = 0;
    size_t m_capacity = 0;
    PboStats m_stats;
};

}  // namespace periscope::viewer
