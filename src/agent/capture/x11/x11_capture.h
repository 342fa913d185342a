// The X11 capture back-end: an X screen's root window over XCB.
//
//  - Pixels: MIT-SHM. One segment holds the full-screen image (the frame's `pixels`) and, after
//    it, a scratch area. A full grab is one ShmGetImage straight into the image. A damage grab
//    fetches each damaged rectangle: rectangles spanning whole rows land straight in the image
//    (a packed sub-image of full rows *is* those rows), others land packed in the scratch area and
//    their rows are copied into the image. All requests of a grab are pipelined (one round trip).
//  - Damage: a DAMAGE object on the root at level NonEmpty. The server sends one event when the
//    damage goes from empty to non-empty, however much is drawn afterwards (RawRectangles would
//    send one event per drawing request: thousands per frame under load). grab() moves the
//    accumulated region into an XFIXES region (DamageSubtract) and fetches its rectangles in the
//    same round trip; drawing after the subtract raises a new event, so nothing is lost.
//  - Cursor: XFIXES cursor notify events give shape changes (the image is fetched once per
//    change); the position is sampled with QueryPointer (x11_cursor.h says why and how often).
//  - Geometry: RandR screen change notify (and root ConfigureNotify when RandR is absent).
//
//  - Direct capture (x11_direct.cpp, docs/design/agent.md): once the agent lends the shared region
//    (use_region), the server writes frames straight into the producer's buffers: whole-row
//    rectangles in place, in strips so the write pointer advances; narrower ones through the
//    scratch area. The segment then holds only the scratch area.
#pragma once

#include <xcb/damage.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/capture/capture_backend.h"
#include "agent/capture/capture_table.h"
#include "agent/capture/x11/x11_cursor.h"
#include "agent/capture/x11/x11_shm.h"
#include "core/log.h"

namespace periscope::agent {

class X11Capture final : public CaptureBackend {
  public:
    static Result<std::unique_ptr<X11Capture>, CaptureError> open(const CaptureOptions& options,
                                                                  std::string* detail);
    ~X11Capture() override;
    X11Capture(const X11Capture&) = delete;
    X11Capture& operator=(const X11Capture&) = delete;

    const char* name() const override { return "x11"; }
    std::string describe() const override;
    protocol::Format format() const override { return m_format; }
    uint32_t width() const override { return m_width; }
    uint32_t height() const override { return m_height; }

    Result<CaptureEvents, CaptureError> poll(uint64_t timeout_ns) override;
    Result<const CapturedFrame*, CaptureError> grab(bool full) override;
    Result<void, CaptureError> reconfigure() override;
    bool use_region(const SharedRegion& region, std::string* why) override;
    Result<DirectGrab, CaptureError> grab_into(bool full, FrameSink& sink) override;

    CursorPosition cursor_position() const override { return m_cursor; }
    const CursorShape* cursor_shape() const override { return m_have_shape ? &m_shape : nullptr; }
    void move_cursor(int32_t x, int32_t y) override;

    // For tests and describe().
    bool shm_fd_passing() const { return m_shm && m_shm->fd_passing(); }
    bool direct() const { return m_lent != nullptr; }

  private:
    X11Capture() = default;
    Result<void, CaptureError> connect(const CaptureOptions& options, std::string* detail);
    Result<void, CaptureError> query_extensions(std::string* detail);
    Result<void, CaptureError> allocate_image(std::string* detail);
    // True if the connection is broken; logs that once.
    bool lost(const char* during);
    void drain_events(bool read_socket, CaptureEvents* events);
    void handle_event(const xcb_generic_event_t& event, CaptureEvents* events);
    void note_root_size(uint32_t width, uint32_t height, CaptureEvents* events);
    bool fetch_cursor_shape(CaptureEvents* events);
    void sample_pointer(uint64_t now, CaptureEvents* events);
    void update_visibility(CaptureEvents* events);
    // Moves the server's accumulated damage to us. `full`: the whole screen is fetched anyway, so
    // the damage is only reset (no round trip) and the list returned is full.
    Result<protocol::DamageList, CaptureError> take_damage(bool full);
    // ShmGetImage of the damage (or the whole screen) into the image; `bytes_read` = pixel bytes
    // the server sent.
    Result<void, CaptureError> fetch(const protocol::DamageList& damage, bool whole,
                                     uint64_t* bytes_read);
    // Direct capture: splits `to_copy` into requests into the lent region (whole rows) or the
    // scratch area, sorted by top row; false if the target lies outside the region.
    bool plan_direct(const protocol::FrameTarget& target);
    Result<void, CaptureError> fetch_direct(const protocol::FrameTarget& target, FrameSink& sink,
                                            uint64_t* bytes_read);

    xcb_connection_t* m_connection = nullptr;
    std::string m_display;  // as given or from $DISPLAY, for messages
    xcb_window_t m_root = 0;
    uint8_t m_depth = 0;
    protocol::Format m_format = protocol::Format::Invalid;
    uint32_t m_width = 0;
    uint32_t m_height = 0;
    uint32_t m_stride = 0;

    bool m_shm_fd = false;  // server speaks MIT-SHM 1.2 (fd passing)
    std::unique_ptr<X11ShmSegment> m_shm;
    size_t m_image_bytes = 0;     // the image at offset 0 of the segment
    size_t m_scratch_offset = 0;  // then the scratch area for packed sub-images
    size_t m_scratch_bytes = 0;

    // Direct capture: the shared region as the server sees it, and the plan of one grab_into().
    struct DirectPiece {
        protocol::Rect rect;
        uint32_t offset = 0;   // in the region (in place) or in our segment (scratch)
        bool scratch = false;  // packed in the scratch area: rows are copied into the buffer
    };
    std::unique_ptr<X11ShmSegment> m_lent;
    std::byte* m_lent_base = nullptr;
    uint64_t m_lent_size = 0;
    std::vector<DirectPiece> m_pieces;
    std::vector<xcb_shm_get_image_cookie_t> m_cookies;

    uint8_t m_damage_event = 0;  // first event codes of the extensions
    uint8_t m_xfixes_event = 0;
    uint8_t m_randr_event = 0;
    bool m_have_randr = false;
    bool m_have_xtest = false;
    xcb_damage_damage_t m_damage = 0;
    xcb_xfixes_region_t m_region = 0;
    // Damage events older than our last subtract describe damage we already took.
    uint32_t m_subtract_sequence = 0;
    bool m_subtracted = false;

    CapturedFrame m_frame;
    bool m_need_full = true;
    CaptureEvents m_pending;  // reported by the next poll()
    bool m_geometry_pending = false;

    CursorPosition m_cursor;
    CursorShape m_shape;
    bool m_have_shape = false;
    bool m_shape_visible = true;  // the cursor image is not empty
    bool m_on_screen = true;      // the pointer is on our screen
    bool m_cursor_dirty = false;  // a cursor notify arrived: fetch the image
    bool m_cursor_refusal_logged = false;
    PointerSchedule m_pointer;

    bool m_lost_logged = false;
    RateLimitedLog m_error_log;
};

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_x11_capture(
    const CaptureOptions& options, std::string* detail);

}  // namespace periscope::agent
