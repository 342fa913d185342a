#include "viewer/render/gl/pbo_stream.h"

#include <algorithm>

#include "core/log.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "render.gl";
// Offsets handed out stay aligned for fast copies and for any texel type.
constexpr size_t ALIGN = 64;

size_t align_up(size_t n) {
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

// Errors left by earlier calls must not be blamed on ours.
void drain_errors() {
    for (int i = 0; i < 16 && glGetError() != GL_NO_ERROR; ++i) {
    }
}

}  // namespace

PboStream::PboStream(PboMode mode, uint32_t slots, bool reuse_idle)
    : m_mode(mode),
      m_slots(mode == PboMode::Ring ? std::max(slots, 2u) : 1u),
      m_reuse_idle(reuse_idle) {
    for (Slot& slot : m_slots) {
        glGenBuffers(1, &slot.buffer);
    }
}

PboStream::~PboStream() {
    for (Slot& slot : m_slots) {
        if (slot.fence != nullptr) {
            glDeleteSync(slot.fence);
        }
        glDeleteBuffers(1, &slot.buffer);
    }
}

void PboStream::set_capacity(size_t bytes) {
    m_capacity = align_up(bytes);
}

bool PboStream::busy(const Slot& slot) const {
    if (slot.fence == nullptr) {
        return false;
    }
    // Timeout 0: ask, never wait. The flush bit makes sure the fence can signal at all.
    const GLenum state = glClientWaitSync(slot.fence, GL_SYNC_FLUSH_COMMANDS_BIT, 0);
    return state == GL_TIMEOUT_EXPIRED;
}

// New storage for the bound buffer: the driver gives the old one back once the GPU is done with it.
bool PboStream::allocate(Slot& slot, size_t bytes) {
    drain_errors();
    glBufferData(GL_PIXEL_UNPACK_BUFFER, static_cast<GLsizeiptr>(bytes), nullptr, GL_STREAM_DRAW);
    if (glGetError() != GL_NO_ERROR) {
        PERISCOPE_LOG_ERROR(MODULE, "cannot allocate a %zu-byte pixel buffer", bytes);
        slot.size = 0;
        return false;
    }
    slot.size = bytes;
    slot.used = 0;
    if (slot.fence != nullptr) {
        glDeleteSync(slot.fence);
        slot.fence = nullptr;
    }
    return true;
}

Result<PboStream::Mapping, RenderError> PboStream::map(size_t bytes) {
    const size_t needed = align_up(bytes);
    ++m_stats.maps;
    GLbitfield access = GL_MAP_WRITE_BIT;
    if (m_mode == PboMode::Orphan) {
        Slot& slot = m_slots[0];
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, slot.buffer);
        if (!allocate(slot, needed)) {
            glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
            return fail(RenderError::OutOfMemory);
        }
        ++m_stats.orphaned;
        access |= GL_MAP_INVALIDATE_BUFFER_BIT;
    } else {
        Slot* slot = &m_slots[m_current];
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, slot->buffer);
        if (slot->used + needed > slot->size) {
            const size_t size = std::max(m_capacity, needed);
            if (m_reuse_idle && slot->size >= size && !busy(*slot)) {
                // The GPU is done with the buffer just filled: start it over. Its memory is the
                // warmest in the CPU's caches, and a software driver reads it right back.
                ++m_stats.recycled;
                slot->used = 0;
            } else {
                if (slot->size != 0) {
                    m_current = (m_current + 1) % static_cast<uint32_t>(m_slots.size());
                    slot = &m_slots[m_current];
                    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, slot->buffer);
                }
                const bool in_use = busy(*slot);
                if (in_use || slot->size < size) {
                    m_stats.orphaned += in_use ? 1 : 0;
                    if (!allocate(*slot, size)) {
                        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
                        return fail(RenderError::OutOfMemory);
                    }
                } else {
                    ++m_stats.recycled;
                    slot->used = 0;
                }
            }
        }
        // Nothing reads [used, used + needed) now: unsynchronised, the driver does not wait.
        access |= GL_MAP_INVALIDATE_RANGE_BIT | GL_MAP_UNSYNCHRONIZED_BIT;
    }
    Slot& slot = m_slots[m_current];
    const size_t offset = slot.used;
    void* data = glMapBufferRange(GL_PIXEL_UNPACK_BUFFER, static_cast<GLintptr>(offset),
                                  static_cast<GLsizeiptr>(needed), access);
    if (data == nullptr) {
        PERISCOPE_LOG_ERROR(MODULE, "cannot map %zu bytes of a pixel buffer (GL error 0x%x)",
                            needed, glGetError());
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
        return fail(RenderError::OutOfMemory);
    }
    slot.used = offset + needed;
    return Mapping{static_cast<std::byte*>(data), offset};
}

bool PboStream::unmap() {
    if (glUnmapBuffer(GL_PIXEL_UNPACK_BUFFER) != GL_TRUE) {
        PERISCOPE_LOG_WARN(MODULE, "the driver lost a pixel buffer's contents; upload dropped");
        return false;
    }
    return true;
}

void PboStream::release() {
    if (m_mode == PboMode::Ring) {
        Slot& slot = m_slots[m_current];
        if (slot.fence != nullptr) {
            glDeleteSync(slot.fence);
        }
        slot.fence = glFenceSync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0);
    }
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
}

}  // namespace periscope::viewer
