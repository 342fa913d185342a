#include "agent/capture/x11/x11_capture.h"

#include <poll.h>
#include <xcb/randr.h>
#include <xcb/shm.h>
#include <xcb/xtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "agent/capture/x11/x11_reply.h"
#include "agent/capture/x11/x11_visual.h"
#include "core/align.h"
#include "core/clock.h"
#include "core/format.h"

namespace periscope::agent {
namespace {

constexpr const char* MODULE = "x11";

const char* connection_error_text(int error) {
    switch (error) {
        case XCB_CONN_ERROR:
            return "no server answers there, or it refused us (is it running? authorised?)";
        case XCB_CONN_CLOSED_EXT_NOTSUPPORTED:
            return "an extension is not supported";
        case XCB_CONN_CLOSED_MEM_INSUFFICIENT:
            return "out of memory";
        case XCB_CONN_CLOSED_REQ_LEN_EXCEED:
            return "a request was too long for the server";
        case XCB_CONN_CLOSED_PARSE_ERR:
            return "the display name is not valid";
        case XCB_CONN_CLOSED_INVALID_SCREEN:
            return "the display has no such screen";
        case XCB_CONN_CLOSED_FDPASSING_FAILED:
            return "passing a file descriptor failed";
        default:
            return "unknown connection error";
    }
}

bool any(const CaptureEvents& e) {
    return e.frame_damaged || e.cursor_moved || e.cursor_shape || e.geometry_changed;
}

// A server damage rectangle (int16 origin) in frame coordinates, clipped to the frame.
protocol::Rect frame_rect(const xcb_rectangle_t& r, uint32_t width, uint32_t height) {
    int32_t x = r.x;
    int32_t y = r.y;
    int32_t w = r.width;
    int32_t h = r.height;
    if (x < 0) {
        w += x;
        x = 0;
    }
    if (y < 0) {
        h += y;
        y = 0;
    }
    if (w <= 0 || h <= 0) {
        return protocol::Rect{0, 0, 0, 0};
    }
    return protocol::clip(protocol::Rect{static_cast<uint32_t>(x), static_cast<uint32_t>(y),
                                         static_cast<uint32_t>(w), static_cast<uint32_t>(h)},
                          width, height);
}

}  // namespace

Result<std::unique_ptr<X11Capture>, CaptureError> X11Capture::open(const CaptureOptions& options,
                                                                   std::string* detail) {
    std::unique_ptr<X11Capture> capture(new X11Capture());
    // Whatever fails while opening, this source cannot be used here: Unavailable.
    if (!capture->connect(options, detail) || !capture->query_extensions(detail) ||
        !capture->allocate_image(detail)) {
        return fail(CaptureError::Unavailable);
    }
    CaptureEvents ignored;
    capture->fetch_cursor_shape(&ignored);
    capture->sample_pointer(monotonic_ns(), &ignored);
    if (xcb_connection_has_error(capture->m_connection) != 0) {
        *detail = format_text("the connection to X display %s broke while opening it",
                              capture->m_display.c_str());
        return fail(CaptureError::Unavailable);
    }
    // The first poll() reports everything as new: the agent sends cursor and a full frame.
    capture->m_pending.frame_damaged = true;
    capture->m_pending.cursor_moved = true;
    capture->m_pending.cursor_shape = capture->m_have_shape;
    return capture;
}

Result<void, CaptureError> X11Capture::connect(const CaptureOptions& options, std::string* detail) {
    const char* env = std::getenv("DISPLAY");
    const char* name = options.display.empty() ? nullptr : options.display.c_str();
    if (name == nullptr && (env == nullptr || *env == '\0')) {
        *detail = "no X display: $DISPLAY is not set and no display name was given";
        return fail(CaptureError::Unavailable);
    }
    m_display = name != nullptr ? name : env;
    const char* source = name != nullptr ? "" : " (from $DISPLAY)";
    int screen_number = 0;
    m_connection = xcb_connect(name, &screen_number);
    if (const int error = xcb_connection_has_error(m_connection); error != 0) {
        *detail = format_text("cannot connect to X display '%s'%s: %s", m_display.c_str(), source,
                              connection_error_text(error));
        return fail(CaptureError::Unavailable);
    }

    const xcb_setup_t* setup = xcb_get_setup(m_connection);
    xcb_screen_iterator_t screens = xcb_setup_roots_iterator(setup);
    for (int i = 0; i < screen_number && screens.rem > 0; ++i) {
        xcb_screen_next(&screens);
    }
    if (screens.rem <= 0) {
        *detail = format_text("X display '%s' has no screen %d", m_display.c_str(), screen_number);
        return fail(CaptureError::Unavailable);
    }
    const xcb_screen_t& screen = *screens.data;
    m_root = screen.root;
    m_depth = screen.root_depth;

    X11VisualInfo visual;
    visual.depth = screen.root_depth;
    visual.lsb_first = setup->image_byte_order == XCB_IMAGE_ORDER_LSB_FIRST;
    bool found_visual = false;
    for (auto depths = xcb_screen_allowed_depths_iterator(&screen); depths.rem > 0 && !found_visual;
         xcb_depth_next(&depths)) {
        for (auto visuals = xcb_depth_visuals_iterator(depths.data); visuals.rem > 0;
             xcb_visualtype_next(&visuals)) {
            if (visuals.data->visual_id == screen.root_visual) {
                visual.red_mask = visuals.data->red_mask;
                visual.green_mask = visuals.data->green_mask;
                visual.blue_mask = visuals.data->blue_mask;
                visual.visual_class = visuals.data->_class;
                found_visual = true;
                break;
            }
        }
    }
    for (auto formats = xcb_setup_pixmap_formats_iterator(setup); formats.rem > 0;
         xcb_format_next(&formats)) {
        if (formats.data->depth == screen.root_depth) {
            visual.bits_per_pixel = formats.data->bits_per_pixel;
            visual.scanline_pad = formats.data->scanline_pad;
        }
    }
    if (!found_visual) {
        *detail = format_text("X display '%s': the root visual is not listed by the server",
                              m_display.c_str());
        return fail(CaptureError::Unavailable);
    }
    std::string why;
    m_format = format_for_visual(visual, &why);
    if (m_format == protocol::Format::Invalid) {
        *detail = format_text("X display '%s': %s", m_display.c_str(), why.c_str());
        return fail(CaptureError::Unavailable);
    }
    return {};
}

Result<void, CaptureError> X11Capture::query_extensions(std::string* detail) {
    xcb_connection_t* c = m_connection;
    xcb_prefetch_extension_data(c, &xcb_shm_id);
    xcb_prefetch_extension_data(c, &xcb_damage_id);
    xcb_prefetch_extension_data(c, &xcb_xfixes_id);
    xcb_prefetch_extension_data(c, &xcb_randr_id);
    xcb_prefetch_extension_data(c, &xcb_test_id);
    const xcb_query_extension_reply_t* shm = xcb_get_extension_data(c, &xcb_shm_id);
    const xcb_query_extension_reply_t* damage = xcb_get_extension_data(c, &xcb_damage_id);
    const xcb_query_extension_reply_t* xfixes = xcb_get_extension_data(c, &xcb_xfixes_id);
    const xcb_query_extension_reply_t* randr = xcb_get_extension_data(c, &xcb_randr_id);
    const xcb_query_extension_reply_t* xtest = xcb_get_extension_data(c, &xcb_test_id);
    for (auto [reply, ext] :
         {std::pair{shm, "MIT-SHM"}, std::pair{damage, "DAMAGE"}, std::pair{xfixes, "XFIXES"}}) {
        if (reply == nullptr || reply->present == 0) {
            *detail = format_text("X display '%s' lacks the %s extension, which capture needs",
                                  m_display.c_str(), ext);
            return fail(CaptureError::Unavailable);
        }
    }
    m_damage_event = damage->first_event;
    m_xfixes_event = xfixes->first_event;
    m_have_randr = randr != nullptr && randr->present != 0;
    m_randr_event = m_have_randr ? randr->first_event : 0;
    m_have_xtest = xtest != nullptr && xtest->present != 0;

    // DAMAGE and XFIXES serve a client only after it announced the version it speaks.
    const auto shm_cookie = xcb_shm_query_version(c);
    const auto damage_cookie =
        xcb_damage_query_version(c, XCB_DAMAGE_MAJOR_VERSION, XCB_DAMAGE_MINOR_VERSION);
    const auto xfixes_cookie =
        xcb_xfixes_query_version(c, XCB_XFIXES_MAJOR_VERSION, XCB_XFIXES_MINOR_VERSION);
    xcb_randr_query_version_cookie_t randr_cookie{};
    if (m_have_randr) {
        randr_cookie = xcb_randr_query_version(c, XCB_RANDR_MAJOR_VERSION, XCB_RANDR_MINOR_VERSION);
    }
    XcbReply<xcb_shm_query_version_reply_t> shm_version(
        xcb_shm_query_version_reply(c, shm_cookie, nullptr));
    XcbReply<xcb_damage_query_version_reply_t> damage_version(
        xcb_damage_query_version_reply(c, damage_cookie, nullptr));
    XcbReply<xcb_xfixes_query_version_reply_t> xfixes_version(
        xcb_xfixes_query_version_reply(c, xfixes_cookie, nullptr));
    if (m_have_randr) {
        XcbReply<xcb_randr_query_version_reply_t> randr_version(
            xcb_randr_query_version_reply(c, randr_cookie, nullptr));
        m_have_randr = randr_version != nullptr;
    }
    if (!shm_version || !damage_version || !xfixes_version) {
        *detail =
            format_text("X display '%s': an extension version query failed", m_display.c_str());
        return fail(CaptureError::Unavailable);
    }
    if (xfixes_version->major_version < 2) {
        *detail = format_text("X display '%s' has XFIXES %u.%u; capture needs 2.0 or newer",
                              m_display.c_str(), xfixes_version->major_version,
                              xfixes_version->minor_version);
        return fail(CaptureError::Unavailable);
    }
    m_shm_fd = shm_version->major_version > 1 ||
               (shm_version->major_version == 1 && shm_version->minor_version >= 2);

    m_region = xcb_generate_id(c);
    const auto region_cookie = xcb_xfixes_create_region_checked(c, m_region, 0, nullptr);
    m_damage = xcb_generate_id(c);
    const auto damage_create =
        xcb_damage_create_checked(c, m_damage, m_root, XCB_DAMAGE_REPORT_LEVEL_NON_EMPTY);
    xcb_xfixes_select_cursor_input(c, m_root, XCB_XFIXES_CURSOR_NOTIFY_MASK_DISPLAY_CURSOR);
    if (m_have_randr) {
        xcb_randr_select_input(c, m_root, XCB_RANDR_NOTIFY_MASK_SCREEN_CHANGE);
    }
    // Root ConfigureNotify: a size change seen even without RandR. Event masks are per client,
    // so this does not disturb the window manager's.
    const uint32_t mask = XCB_EVENT_MASK_STRUCTURE_NOTIFY;
    xcb_change_window_attributes(c, m_root, XCB_CW_EVENT_MASK, &mask);
    XcbReply<xcb_generic_error_t> region_error(xcb_request_check(c, region_cookie));
    XcbReply<xcb_generic_error_t> damage_error(xcb_request_check(c, damage_create));
    if (region_error || damage_error) {
        if (region_error) {
            m_region = 0;
        }
        if (damage_error) {
            m_damage = 0;
        }
        *detail = format_text("X display '%s': creating the %s failed (X error %u)",
                              m_display.c_str(), region_error ? "XFIXES region" : "DAMAGE object",
                              region_error ? region_error->error_code : damage_error->error_code);
        return fail(CaptureError::Unavailable);
    }
    return {};
}

Result<void, CaptureError> X11Capture::allocate_image(std::string* detail) {
    XcbReply<xcb_get_geometry_reply_t> geometry(
        xcb_get_geometry_reply(m_connection, xcb_get_geometry(m_connection, m_root), nullptr));
    if (!geometry) {
        *detail =
            format_text("X display '%s': cannot read the root window's size", m_display.c_str());
        return fail(xcb_connection_has_error(m_connection) != 0 ? CaptureError::ConnectionLost
                                                                : CaptureError::Failed);
    }
    const uint32_t width = geometry->width;
    const uint32_t height = geometry->height;
    if (width == 0 || height == 0 || width > protocol::MAX_DIMENSION ||
        height > protocol::MAX_DIMENSION) {
        *detail = format_text("X display '%s': root window %ux%u is outside 1..%u",
                              m_display.c_str(), width, height, protocol::MAX_DIMENSION);
        return fail(CaptureError::Failed);
    }
    const uint32_t stride = width * protocol::bytes_per_pixel(m_format);
    const uint64_t frame_bytes = align_up(uint64_t{stride} * height, PAGE_SIZE);
    // With direct capture the frames live in the shared region: only the scratch area is ours.
    const uint64_t image_bytes = m_lent ? 0 : frame_bytes;
    // Damage grabs larger than half the screen fetch the whole screen (or, direct, whole rows)
    // instead: one request, no copy, so the scratch area never needs more than that.
    const uint64_t scratch_bytes = align_up(frame_bytes / 2, PAGE_SIZE);
    // The old segment goes before the new one is made, so peak memory stays lower; until a new
    // one exists grab() fails (Failed) and poll() keeps asking for reconfigure().
    m_shm.reset();
    m_frame.pixels = nullptr;
    std::string why;
    auto segment = X11ShmSegment::create(m_connection, image_bytes + scratch_bytes, m_shm_fd, &why);
    if (!segment) {
        *detail =
            format_text("X display '%s': MIT-SHM segment of %llu bytes: %s", m_display.c_str(),
                        static_cast<unsigned long long>(image_bytes + scratch_bytes), why.c_str());
        return fail(segment.error());
    }
    m_shm = std::move(*segment);
    m_width = width;
    m_height = height;
    m_stride = stride;
    m_image_bytes = image_bytes;
    m_scratch_offset = image_bytes;
    m_scratch_bytes = scratch_bytes;
    m_frame = CapturedFrame{};
    m_frame.format = m_format;
    m_frame.width = width;
    m_frame.height = height;
    m_frame.stride = stride;
    m_frame.pixels = m_lent ? nullptr : m_shm->data();
    m_need_full = true;
    return {};
}

X11Capture::~X11Capture() {
    if (m_connection == nullptr) {
        return;
    }
    m_shm.reset();
    m_lent.reset();
    if (xcb_connection_has_error(m_connection) == 0) {
        if (m_damage != 0) {
            xcb_damage_destroy(m_connection, m_damage);
        }
        if (m_region != 0) {
            xcb_xfixes_destroy_region(m_connection, m_region);
        }
        xcb_flush(m_connection);
    }
    xcb_disconnect(m_connection);
}

std::string X11Capture::describe() const {
    return format_text(
        "X11 display %s: %ux%u, depth %u, %s; MIT-SHM (%s), DAMAGE, XFIXES%s%s; pointer sampled "
        "every %llu ms (%llu ms at rest)",
        m_display.c_str(), m_width, m_height, m_depth, protocol::to_string(m_format),
        m_lent             ? "direct into the region"
        : shm_fd_passing() ? "fd passing"
                           : "SysV",
        m_have_randr ? ", RANDR" : "", m_have_xtest ? ", XTEST" : "",
        static_cast<unsigned long long>(POINTER_ACTIVE_INTERVAL_NS / NS_PER_MS),
        static_cast<unsigned long long>(POINTER_IDLE_INTERVAL_NS / NS_PER_MS));
}

bool X11Capture::lost(const char* during) {
    const int error = xcb_connection_has_error(m_connection);
    if (error == 0) {
        return false;
    }
    if (!m_lost_logged) {
        m_lost_logged = true;
        PERISCOPE_LOG_ERROR(MODULE, "lost the connection to X display %s during %s: %s",
                            m_display.c_str(), during,
                            error == XCB_CONN_ERROR ? "the server closed it or went away"
                                                    : connection_error_text(error));
    }
    return true;
}

void X11Capture::note_root_size(uint32_t width, uint32_t height, CaptureEvents* events) {
    if (width != m_width || height != m_height) {
        m_geometry_pending = true;
        events->geometry_changed = true;
    }
}

void X11Capture::handle_event(const xcb_generic_event_t& event, CaptureEvents* events) {
    const uint8_t type = event.response_type & 0x7f;
    if (type == 0) {
        // An error for a request that has no reply (warp, detach, ...): worth a line, not more.
        const auto& error = reinterpret_cast<const xcb_generic_error_t&>(event);
        if (m_error_log.allow()) {
            PERISCOPE_LOG_WARN(MODULE, "X error %u for request %u.%u", error.error_code,
                               error.major_code, error.minor_code);
        }
        return;
    }
    if (type == static_cast<uint8_t>(m_damage_event + XCB_DAMAGE_NOTIFY)) {
        // Raised before our last subtract: that damage is already in a frame we grabbed.
        const bool stale =
            m_subtracted && static_cast<int32_t>(event.full_sequence - m_subtract_sequence) < 0;
        events->frame_damaged = events->frame_damaged || !stale;
    } else if (type == static_cast<uint8_t>(m_xfixes_event + XCB_XFIXES_CURSOR_NOTIFY)) {
        m_cursor_dirty = true;
    } else if (m_have_randr &&
               type == static_cast<uint8_t>(m_randr_event + XCB_RANDR_SCREEN_CHANGE_NOTIFY)) {
        const auto& change = reinterpret_cast<const xcb_randr_screen_change_notify_event_t&>(event);
        // The event gives the unrotated size; the root window is rotated.
        const bool swap =
            (change.rotation & (XCB_RANDR_ROTATION_ROTATE_90 | XCB_RANDR_ROTATION_ROTATE_270)) != 0;
        note_root_size(swap ? change.height : change.width, swap ? change.width : change.height,
                       events);
    } else if (type == XCB_CONFIGURE_NOTIFY) {
        const auto& configure = reinterpret_cast<const xcb_configure_notify_event_t&>(event);
        if (configure.window == m_root) {
            note_root_size(configure.width, configure.height, events);
        }
    }
}

bool X11Capture::fetch_cursor_shape(CaptureEvents* events) {
    xcb_generic_error_t* raw_error = nullptr;
    XcbReply<xcb_xfixes_get_cursor_image_reply_t> image(xcb_xfixes_get_cursor_image_reply(
        m_connection, xcb_xfixes_get_cursor_image(m_connection), &raw_error));
    XcbReply<xcb_generic_error_t> error(raw_error);
    if (!image) {
        // Servers with the SECURITY extension refuse (BadAccess) the image of a cursor whose
        // creator has disconnected, e.g. one `xsetroot -cursor_name` set. Nothing to do but keep
        // the last shape.
        if (error && !m_cursor_refusal_logged) {
            m_cursor_refusal_logged = true;
            PERISCOPE_LOG_WARN(MODULE,
                               "X display %s refuses the cursor image (X error %u%s); keeping the "
                               "previous shape while that cursor is shown",
                               m_display.c_str(), error->error_code,
                               error->error_code == XCB_ACCESS
                                   ? ": its owner has exited and the server's SECURITY extension "
                                     "hides it"
                                   : "");
        }
        return false;
    }
    CursorShape shape;
    // An empty image is a hidden cursor: keep the last shape, report it invisible.
    m_shape_visible = cursor_shape_from_image(*image, &shape);
    // Animated cursors notify at every frame; a frame equal to the shape we have is no news.
    const bool same = m_have_shape && shape.width == m_shape.width &&
                      shape.height == m_shape.height && shape.hotspot_x == m_shape.hotspot_x &&
                      shape.hotspot_y == m_shape.hotspot_y && shape.pixels == m_shape.pixels;
    if (m_shape_visible && !same) {
        m_shape = std::move(shape);
        m_have_shape = true;
        events->cursor_shape = true;
    }
    update_visibility(events);
    return true;
}

void X11Capture::update_visibility(CaptureEvents* events) {
    const bool visible = m_shape_visible && m_on_screen;
    if (visible != m_cursor.visible) {
        m_cursor.visible = visible;
        events->cursor_moved = true;
    }
}

void X11Capture::sample_pointer(uint64_t now, CaptureEvents* events) {
    XcbReply<xcb_query_pointer_reply_t> pointer(
        xcb_query_pointer_reply(m_connection, xcb_query_pointer(m_connection, m_root), nullptr));
    if (!pointer) {
        m_pointer.sampled(now, false);
        return;
    }
    // On another screen of a multi-screen display the root coordinates mean nothing.
    m_on_screen = pointer->same_screen != 0;
    bool moved = false;
    if (m_on_screen && (pointer->root_x != m_cursor.x || pointer->root_y != m_cursor.y)) {
        m_cursor.x = pointer->root_x;
        m_cursor.y = pointer->root_y;
        moved = true;
        events->cursor_moved = true;
    }
    update_visibility(events);
    m_pointer.sampled(now, moved);
}

// Drains every event XCB has, reading the socket (`read_socket`) or only what earlier replies
// already pulled in.
void X11Capture::drain_events(bool read_socket, CaptureEvents* events) {
    for (;;) {
        XcbReply<xcb_generic_event_t> event(read_socket ? xcb_poll_for_event(m_connection)
                                                        : xcb_poll_for_queued_event(m_connection));
        if (!event) {
            return;
        }
        handle_event(*event, events);
    }
}

Result<CaptureEvents, CaptureError> X11Capture::poll(uint64_t timeout_ns) {
    if (lost("poll")) {
        return fail(CaptureError::ConnectionLost);
    }
    CaptureEvents events = m_pending;
    m_pending = CaptureEvents{};
    events.geometry_changed = events.geometry_changed || m_geometry_pending;
    const uint64_t start = monotonic_ns();
    const uint64_t deadline = timeout_ns > UINT64_MAX - start ? UINT64_MAX : start + timeout_ns;
    for (;;) {
        drain_events(true, &events);
        uint64_t now = monotonic_ns();
        if (m_pointer.due(now)) {
            sample_pointer(now, &events);
        }
        if (m_cursor_dirty) {
            m_cursor_dirty = false;
            fetch_cursor_shape(&events);
        }
        // The round trips above may have queued events behind their replies; the socket will
        // not wake us for those.
        drain_events(false, &events);
        if (lost("poll")) {
            return fail(CaptureError::ConnectionLost);
        }
        now = monotonic_ns();
        if (any(events) || now >= deadline) {
            return events;  // a cursor notify still queued is handled by the next poll()
        }
        if (m_cursor_dirty) {
            continue;
        }
        const uint64_t wake = std::min(deadline, m_pointer.next_ns());
        if (wake <= now) {
            continue;  // the pointer sample fell due while we were busy
        }
        const uint64_t wait_ns = wake - now;
        xcb_flush(m_connection);
        pollfd fd{xcb_get_file_descriptor(m_connection), POLLIN, 0};
        const timespec wait{static_cast<time_t>(wait_ns / 1000000000),
                            static_cast<long>(wait_ns % 1000000000)};
        if (ppoll(&fd, 1, &wait, nullptr) < 0 && errno == EINTR) {
            return events;  // a signal: the caller may want to stop
        }
    }
}

Result<protocol::DamageList, CaptureError> X11Capture::take_damage(bool full) {
    const xcb_void_cookie_t subtract =
        xcb_damage_subtract(m_connection, m_damage, XCB_NONE, full ? XCB_NONE : m_region);
    m_subtract_sequence = subtract.sequence;
    m_subtracted = true;
    if (full) {
        // Sent ahead of the image requests: whatever is drawn after it raises a new event.
        protocol::DamageList damage;
        damage.set_full();
        return damage;
    }
    xcb_generic_error_t* raw_error = nullptr;
    XcbReply<xcb_xfixes_fetch_region_reply_t> region(xcb_xfixes_fetch_region_reply(
        m_connection, xcb_xfixes_fetch_region(m_connection, m_region), &raw_error));
    XcbReply<xcb_generic_error_t> error(raw_error);
    if (!region) {
        if (lost("grab")) {
            return fail(CaptureError::ConnectionLost);
        }
        if (m_error_log.allow()) {
            PERISCOPE_LOG_ERROR(MODULE, "fetching the damage region failed (X error %u)",
                                error ? error->error_code : 0);
        }
        return fail(CaptureError::Failed);
    }
    protocol::DamageList damage;
    const xcb_rectangle_t* rects = xcb_xfixes_fetch_region_rectangles(region.get());
    const int count = xcb_xfixes_fetch_region_rectangles_length(region.get());
    for (int i = 0; i < count; ++i) {
        damage.add(frame_rect(rects[i], m_width, m_height));
    }
    return damage;
}

Result<void, CaptureError> X11Capture::fetch(const protocol::DamageList& damage, bool whole,
                                             uint64_t* bytes_read) {
    struct Request {
        xcb_shm_get_image_cookie_t cookie;
        protocol::Rect rect;
        size_t offset;
        bool in_place;
    };
    std::array<Request, protocol::MAX_DAMAGE_RECTS> requests{};
    size_t count = 0;
    const uint32_t bpp = protocol::bytes_per_pixel(m_format);
    auto request = [&](const protocol::Rect& r, size_t offset, bool in_place) {
        const auto cookie = xcb_shm_get_image(
            m_connection, m_root, static_cast<int16_t>(r.x), static_cast<int16_t>(r.y),
            static_cast<uint16_t>(r.width), static_cast<uint16_t>(r.height), ~0u,
            XCB_IMAGE_FORMAT_Z_PIXMAP, m_shm->id(), static_cast<uint32_t>(offset));
        requests[count++] = Request{cookie, r, offset, in_place};
        *bytes_read += protocol::area(r) * bpp;
    };
    *bytes_read = 0;
    if (whole) {
        request(protocol::Rect{0, 0, m_width, m_height}, 0, true);
    } else {
        size_t scratch_used = 0;
        for (const protocol::Rect& r : damage.rects()) {
            // A packed sub-image of whole rows is laid out exactly like those rows of the image.
            if (r.x == 0 && r.width == m_width) {
                request(r, size_t{r.y} * m_stride, true);
            } else {
                request(r, m_scratch_offset + scratch_used, false);
                scratch_used += protocol::area(r) * bpp;
            }
        }
    }
    // Every reply is collected, even after a failure, so none is left behind in XCB.
    bool failed = false;
    for (size_t i = 0; i < count; ++i) {
        xcb_generic_error_t* raw_error = nullptr;
        XcbReply<xcb_shm_get_image_reply_t> reply(
            xcb_shm_get_image_reply(m_connection, requests[i].cookie, &raw_error));
        XcbReply<xcb_generic_error_t> error(raw_error);
        if (!reply) {
            if (!failed && !lost("grab") && m_error_log.allow()) {
                PERISCOPE_LOG_ERROR(MODULE, "ShmGetImage of %ux%u at %u,%u failed (X error %u)",
                                    requests[i].rect.width, requests[i].rect.height,
                                    requests[i].rect.x, requests[i].rect.y,
                                    error ? error->error_code : 0);
            }
            failed = true;
        }
    }
    if (failed) {
        return fail(lost("grab") ? CaptureError::ConnectionLost : CaptureError::Failed);
    }
    std::byte* image = m_shm->data();
    for (size_t i = 0; i < count; ++i) {
        const Request& q = requests[i];
        if (q.in_place) {
            continue;
        }
        const size_t row_bytes = size_t{q.rect.width} * bpp;
        const std::byte* src = image + q.offset;
        std::byte* dst = image + size_t{q.rect.y} * m_stride + size_t{q.rect.x} * bpp;
        for (uint32_t row = 0; row < q.rect.height; ++row) {
            std::memcpy(dst, src, row_bytes);
            src += row_bytes;
            dst += m_stride;
        }
    }
    return {};
}

Result<const CapturedFrame*, CaptureError> X11Capture::grab(bool full) {
    if (lost("grab")) {
        return fail(CaptureError::ConnectionLost);
    }
    if (!m_shm || m_lent) {
        // No segment: a reconfigure() failed and is still due. Lent region: grab_into() only.
        return fail(CaptureError::Failed);
    }
    // Taken before the pixels: whatever is drawn from now on raises a new damage event.
    auto damage = take_damage(full || m_need_full);
    if (!damage) {
        m_need_full = true;  // the subtract may have happened: its damage is gone
        return fail(damage.error());
    }
    uint64_t scratch_needed = 0;
    for (const protocol::Rect& r : damage->rects()) {
        if (!(r.x == 0 && r.width == m_width)) {
            scratch_needed += protocol::area(r) * protocol::bytes_per_pixel(m_format);
        }
    }
    const bool whole = damage->is_full() || scratch_needed > m_scratch_bytes;
    m_frame.timestamp_ns = monotonic_ns();
    m_frame.bytes_read = 0;
    if (!damage->empty()) {
        if (auto r = fetch(*damage, whole, &m_frame.bytes_read); !r) {
            m_need_full = true;
            return fail(r.error());
        }
    }
    m_frame.damage = *damage;
    m_need_full = false;
    return &m_frame;
}

Result<void, CaptureError> X11Capture::reconfigure() {
    if (lost("reconfigure")) {
        return fail(CaptureError::ConnectionLost);
    }
    XcbReply<xcb_get_geometry_reply_t> geometry(
        xcb_get_geometry_reply(m_connection, xcb_get_geometry(m_connection, m_root), nullptr));
    if (!geometry) {
        if (lost("reconfigure")) {
            return fail(CaptureError::ConnectionLost);
        }
        PERISCOPE_LOG_ERROR(MODULE, "X display %s: cannot read the root window's size",
                            m_display.c_str());
        return fail(CaptureError::Failed);
    }
    if (geometry->width != m_width || geometry->height != m_height || !m_shm) {
        std::string detail;
        if (auto r = allocate_image(&detail); !r) {
            if (!lost("reconfigure")) {
                PERISCOPE_LOG_ERROR(MODULE, "adopting the new screen size: %s", detail.c_str());
            }
            return r;
        }
    }
    m_geometry_pending = false;
    m_need_full = true;
    return {};
}

void X11Capture::move_cursor(int32_t x, int32_t y) {
    if (lost("move_cursor")) {
        return;
    }
    const auto cx = static_cast<int16_t>(std::clamp<int32_t>(x, INT16_MIN, INT16_MAX));
    const auto cy = static_cast<int16_t>(std::clamp<int32_t>(y, INT16_MIN, INT16_MAX));
    if (m_have_xtest) {
        // Through XTEST the move is a device event: applications see ordinary pointer motion.
        xcb_test_fake_input(m_connection, XCB_MOTION_NOTIFY, 0, XCB_CURRENT_TIME, m_root, cx, cy,
                            0);
    } else {
        xcb_warp_pointer(m_connection, XCB_NONE, m_root, 0, 0, 0, 0, cx, cy);
    }
    xcb_flush(m_connection);
    m_pointer.expedite();
}

Result<std::unique_ptr<CaptureBackend>, CaptureError> open_x11_capture(
    const CaptureOptions& options, std::string* detail) {
    std::string why;
    auto capture = X11Capture::open(options, &why);
    if (!capture) {
        if (detail != nullptr) {
            *detail = why;
        }
        return fail(capture.error());
    }
    return std::unique_ptr<CaptureBackend>(std::move(*capture));
}

}  // namespace periscope::agent
