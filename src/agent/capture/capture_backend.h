// The contract between the agent core and a capture back-end (X11, synthetic, later DXGI/GDI).
// Design: docs/design/agent.md.
//
// Threads and ownership:
//  - One thread, the agent's main loop, calls every method, in any order after open() succeeded.
//    Back-ends need no locks; they may run helper threads of their own, hidden behind this API.
//  - The back-end owns the pixel memory of the frame it returns from grab(); the pointer stays
//    valid until the next grab(), reconfigure() or the back-end's destruction.
//  - The agent core owns the protocol Producer. Back-ends see the shared region only if they take
//    part in direct capture (use_region/grab_into below), and then only as memory to write
//    pixels into at the places the producer names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "protocol/damage.h"
#include "protocol/error.h"
#include "protocol/layout.h"
#include "protocol/producer.h"

namespace periscope::agent {

enum class CaptureError {
    Unavailable,     // the source cannot be opened here (no X display, missing extension, ...)
    ConnectionLost,  // the source went away (X server exited); the agent stops or waits
    Failed,          // a capture request failed; the next one may succeed
};
const char* to_string(CaptureError error);

// One frame as the back-end captured it: the whole current picture, and what changed in it since
// the previous frame it returned (full after open(), reconfigure() or grab(full = true)).
struct CapturedFrame {
    protocol::Format format = protocol::Format::BGRA8;
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t stride = 0;
    const std::byte* pixels = nullptr;  // width x height at stride, owned by the back-end
    protocol::DamageList damage;
    uint64_t timestamp_ns = 0;  // monotonic clock, when the picture was taken
    uint64_t bytes_read = 0;    // bytes fetched from the source for this frame (damage accounting)
};

struct CursorShape {
    uint32_t width = 0;
    uint32_t height = 0;
    uint32_t hotspot_x = 0;
    uint32_t hotspot_y = 0;
    protocol::Format format = protocol::Format::BGRA8;  // BGRA8 or RGBA8
    bool premultiplied = false;
    std::vector<std::byte> pixels;  // width * 4 bytes per row, tightly packed
};

struct CursorPosition {
    int32_t x = 0;  // hotspot position in frame pixels
    int32_t y = 0;
    bool visible = true;
};

// What poll() saw since the last call.
struct CaptureEvents {
    bool frame_damaged = false;     // the picture changed: grab() has something new
    bool cursor_moved = false;      // cursor_position() changed
    bool cursor_shape = false;      // cursor_shape() changed
    bool geometry_changed = false;  // resolution or format changed: call reconfigure()
};

// Direct capture (docs/design/agent.md): the shared region as a back-end may lend it to its source.
struct SharedRegion {
    int fd = -1;                // maps the region from offset 0; owned by the agent, valid while
                                // the back-end lives (a back-end that needs it longer dups it)
    std::byte* base = nullptr;  // the agent's own mapping of it
    uint64_t size = 0;
};

// Where grab_into() puts a frame: the agent's side, the protocol Producer behind it. Called only
// from inside grab_into(), on the agent's thread.
class FrameSink {
  public:
    virtual ~FrameSink() = default;
    // Posts the frame (post before copy) and says where to write what: `to_copy` sorted by top
    // row, all inside the shared region. An error means nothing is to be written.
    virtual Result<protocol::FrameTarget, protocol::Error> begin(
        const protocol::FrameDesc& desc, const protocol::DamageList& damage) = 0;
    // Rows [0, rows) of the frame are final.
    virtual void rows_done(uint32_t rows) = 0;
};

struct DirectGrab {
    bool posted = false;  // false: sink.begin() refused (see `error`), nothing was written
    protocol::Error error = protocol::Error::InvalidArgument;
    protocol::FrameDesc desc;
    uint64_t bytes_read = 0;  // bytes fetched from the source
};

class CaptureBackend {
  public:
    virtual ~CaptureBackend() = default;
    // "x11", "synthetic"
    virtual const char* name() const = 0;
    // One line for the log: source, size, format, extensions in use.
    virtual std::string describe() const = 0;
    // Current geometry (valid after open()).
    virtual protocol::Format format() const = 0;
    virtual uint32_t width() const = 0;
    virtual uint32_t height() const = 0;

    // Waits up to timeout_ns for anything new (never longer), then says what happened.
    virtual Result<CaptureEvents, CaptureError> poll(uint64_t timeout_ns) = 0;
    // Takes the picture: only what changed since the last grab unless `full`.
    virtual Result<const CapturedFrame*, CaptureError> grab(bool full) = 0;
    // Adopts a new resolution or format after poll() reported geometry_changed.
    virtual Result<void, CaptureError> reconfigure() = 0;

    virtual CursorPosition cursor_position() const = 0;
    virtual const CursorShape* cursor_shape() const = 0;  // nullptr until one is known
    // A consumer asked to move the pointer (frame pixels). Back-ends that cannot, ignore it.
    virtual void move_cursor(int32_t x, int32_t y) = 0;

    // --- Optional: direct capture. Back-ends that cannot keep these defaults. ---
    // Offered once by the agent. True: the source now writes into the region and the agent calls
    // grab_into() instead of grab(). False: `why` says why not (logged), the copy path stays.
    virtual bool use_region(const SharedRegion& region, std::string* why) {
        (void)region;
        *why = "this source cannot write into the region";
        return false;
    }
    // Like grab(), but the pixels go where `sink` says: takes the damage (all if `full`), calls
    // sink.begin() once and, if it accepts, writes its `to_copy` and reports rows as they land.
    // The caller ends the frame afterwards, also when this fails after begin().
    virtual Result<DirectGrab, CaptureError> grab_into(bool full, FrameSink& sink) {
        (void)full;
        (void)sink;
        return fail(CaptureError::Failed);
    }
};

}  // namespace periscope::agent
