// The cursor: its shape from XFIXES, its position sampled with QueryPointer.
//
// Why sampling: no extension we may use reports pointer motion to a client that does not own the
// window under the pointer (core MotionNotify goes to the deepest window that selects it, XFIXES
// has no position events, XInput2 raw motion would need xcb-xinput, which is not installed). A
// QueryPointer round trip costs a few microseconds on a local socket, so we sample every
// POINTER_ACTIVE_INTERVAL_NS while the pointer moves and back off to POINTER_IDLE_INTERVAL_NS once
// it has rested for POINTER_IDLE_AFTER_NS, which keeps an idle desktop at ~125 round trips/s.
#pragma once

#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include <cstdint>

#include "agent/capture/capture_backend.h"
#include "core/clock.h"

namespace periscope::agent {

constexpr uint64_t POINTER_ACTIVE_INTERVAL_NS = 2 * NS_PER_MS;
constexpr uint64_t POINTER_IDLE_INTERVAL_NS = 8 * NS_PER_MS;
constexpr uint64_t POINTER_IDLE_AFTER_NS = 1000 * NS_PER_MS;

// XFIXES cursor images are premultiplied ARGB32 words; stored as B, G, R, A bytes (BGRA8) on
// any host. Returns false for an empty image (a hidden cursor).
bool cursor_shape_from_image(const xcb_xfixes_get_cursor_image_reply_t& image, CursorShape* shape);

// When to sample the pointer next.
class PointerSchedule {
  public:
    // The pointer was sampled at `now`; `moved` = it was somewhere else than at the last sample.
    void sampled(uint64_t now, bool moved);
    // Sample at the next chance (someone just moved the pointer).
    void expedite() { m_next_ns = 0; }
    uint64_t next_ns() const { return m_next_ns; }
    bool due(uint64_t now) const { return now >= m_next_ns; }

  private:
    uint64_t m_next_ns = 0;
    uint64_t m_last_motion_ns = 0;
};

}  // namespace periscope::agent
