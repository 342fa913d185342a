#include "viewer/input/x11/x11_selection_engine.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <xcb/xfixes.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/log.h"

namespace periscope::viewer::x11 {
namespace {

constexpr const char* MODULE = "clipboard-x11";

// Requests we write ourselves carry a header; keep a margin below the server's limit.
constexpr size_t REQUEST_HEADER_MARGIN = 1024;
constexpr size_t CORE_MAX_REQUEST_BYTES = 65535 * 4;

struct XcbFree {
    void operator()(void* p) const { std::free(p); }
};
template <class T>
using XcbReply = std::unique_ptr<T, XcbFree>;

}  // namespace

std::unique_ptr<SelectionEngine> SelectionEngine::create(const std::string& display,
                                                         const X11ClipboardOptions& options,
                                                         std::string* error) {
    std::unique_ptr<SelectionEngine> engine(new SelectionEngine());
    engine->m_options = options;
    const std::string shown = display.empty() ? "$DISPLAY" : display;

    int screen_number = 0;
    engine->m_connection = xcb_connect(display.empty() ? nullptr : display.c_str(), &screen_number);
    if (xcb_connection_has_error(engine->m_connection) != 0) {
        *error = "cannot open X display " + shown;
        return nullptr;  // the destructor disconnects the failed connection
    }
    xcb_connection_t* c = engine->m_connection;

    const xcb_query_extension_reply_t* xfixes = xcb_get_extension_data(c, &xcb_xfixes_id);
    if (xfixes == nullptr || xfixes->present == 0) {
        *error = "X display " + shown + " has no XFixes extension (needed to watch the clipboard)";
        return nullptr;
    }
    // XFixes wants its version negotiated before any other request of it.
    XcbReply<xcb_xfixes_query_version_reply_t> version(
        xcb_xfixes_query_version_reply(c, xcb_xfixes_query_version(c, 5, 0), nullptr));
    if (!version || version->major_version < 1) {
        *error = "X display " + shown + ": XFixes 1.0 or later is needed";
        return nullptr;
    }
    engine->m_xfixes_first_event = xfixes->first_event;

    const xcb_setup_t* setup = xcb_get_setup(c);
    xcb_screen_iterator_t screens = xcb_setup_roots_iterator(setup);
    for (int i = 0; i < screen_number && screens.rem > 0; ++i) {
        xcb_screen_next(&screens);
    }
    if (screens.rem == 0) {
        *error = "X display " + shown + " has no screen " + std::to_string(screen_number);
        return nullptr;
    }
    const xcb_window_t root = screens.data->root;

    if (!intern_atoms(c, &engine->m_atoms, error)) {
        *error = "X display " + shown + ": " + *error;
        return nullptr;
    }

    // An InputOnly window that is never mapped: it only owns and receives selections. Property
    // changes on it carry our conversions' answers and the timestamps we ask for.
    engine->m_window = xcb_generate_id(c);
    const uint32_t event_mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
    xcb_void_cookie_t created = xcb_create_window_checked(
        c, 0, engine->m_window, root, -1, -1, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
        XCB_COPY_FROM_PARENT, XCB_CW_EVENT_MASK, &event_mask);
    XcbReply<xcb_generic_error_t> create_error(xcb_request_check(c, created));
    if (create_error) {
        engine->m_window = XCB_WINDOW_NONE;
        *error = "X display " + shown + ": cannot create the clipboard window (error " +
                 std::to_string(create_error->error_code) + ")";
        return nullptr;
    }
    static const char WINDOW_NAME[] = "periscope clipboard";
    xcb_change_property(c, XCB_PROP_MODE_REPLACE, engine->m_window, XCB_ATOM_WM_NAME,
                        XCB_ATOM_STRING, 8, sizeof(WINDOW_NAME) - 1, WINDOW_NAME);
    xcb_xfixes_select_selection_input(c, engine->m_window, engine->m_atoms.clipboard,
                                      XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER |
                                          XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_WINDOW_DESTROY |
                                          XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_CLIENT_CLOSE);

    const size_t max_request = size_t{xcb_get_maximum_request_length(c)} * 4;
    size_t chunk = std::min(max_request, CORE_MAX_REQUEST_BYTES) - REQUEST_HEADER_MARGIN;
    if (options.incr_chunk != 0) {
        chunk = std::min(options.incr_chunk, max_request - REQUEST_HEADER_MARGIN);
    }
    engine->m_chunk_bytes = chunk;

    engine->m_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (engine->m_wake_fd < 0) {
        *error = std::string("eventfd: ") + std::strerror(errno);
        return nullptr;
    }
    xcb_flush(c);
    if (xcb_connection_has_error(c) != 0) {
        *error = "X display " + shown + ": connection failed during set-up";
        return nullptr;
    }
    return engine;
}

SelectionEngine::~SelectionEngine() {
    if (m_connection != nullptr) {
        if (m_window != XCB_WINDOW_NONE && xcb_connection_has_error(m_connection) == 0) {
            xcb_destroy_window(m_connection, m_window);
            xcb_flush(m_connection);
        }
        xcb_disconnect(m_connection);
    }
    if (m_wake_fd >= 0) {
        close(m_wake_fd);
    }
}

void SelectionEngine::post(Command command) {
    {
        std::lock_guard<std::mutex> lock(m_queue_mutex);
        m_queue.push_back(std::move(command));
    }
    const uint64_t one = 1;
    // A full counter (never in practice) still leaves the fd readable: the wake-up is not lost.
    [[maybe_unused]] const ssize_t written = write(m_wake_fd, &one, sizeof(one));
}

void SelectionEngine::set_callbacks(HostClipboard::OfferCallback on_offer,
                                    HostClipboard::DemandCallback on_demand,
                                    HostClipboard::DataCallback on_data) {
    {
        std::lock_guard<std::mutex> lock(m_callback_mutex);
        m_on_offer = std::move(on_offer);
        m_on_demand = std::move(on_demand);
        m_on_data = std::move(on_data);
    }
    // Events before this had nobody to tell: the X thread reports the current owner now.
    Command command;
    command.kind = Command::Kind::CallbacksSet;
    post(std::move(command));
}

void SelectionEngine::emit_offer(std::vector<ClipboardType> types) {
    HostClipboard::OfferCallback callback;
    {
        std::lock_guard<std::mutex> lock(m_callback_mutex);
        callback = m_on_offer;
    }
    if (callback) {
        callback(std::move(types));
    }
}

void SelectionEngine::emit_demand(uint64_t request_id, ClipboardType type) {
    HostClipboard::DemandCallback callback;
    {
        std::lock_guard<std::mutex> lock(m_callback_mutex);
        callback = m_on_demand;
    }
    if (callback) {
        callback(request_id, type);
    }
}

void SelectionEngine::emit_data(ClipboardType type, bool ok, std::vector<uint8_t> data) {
    HostClipboard::DataCallback callback;
    {
        std::lock_guard<std::mutex> lock(m_callback_mutex);
        callback = m_on_data;
    }
    if (callback) {
        callback(type, ok, std::move(data));
    }
}

void SelectionEngine::run() {
    while (!m_stop) {
        handle_commands();
        if (m_stop) {
            break;
        }
        if (!m_lost) {
            while (xcb_generic_event_t* event = xcb_poll_for_event(m_connection)) {
                handle_event(event);
                std::free(event);
            }
        }
        handle_timeouts(Clock::now());
        if (!m_lost) {
            xcb_flush(m_connection);
            if (xcb_connection_has_error(m_connection) != 0) {
                connection_lost();
                continue;
            }
            // libxcb reads the socket while a write blocks, and a reply wait queues the events
            // that came first: poll() would not see those, so handle them before sleeping.
            if (xcb_generic_event_t* event = xcb_poll_for_queued_event(m_connection)) {
                handle_event(event);
                std::free(event);
                continue;
            }
        }
        pollfd fds[2] = {{m_wake_fd, POLLIN, 0}, {-1, POLLIN, 0}};
        if (!m_lost) {
            fds[1].fd = xcb_get_file_descriptor(m_connection);
        }
        const int ready = poll(fds, m_lost ? 1 : 2, poll_timeout_ms(Clock::now()));
        if (ready < 0 && errno != EINTR) {
            PERISCOPE_LOG_ERROR(MODULE, "poll: %s", std::strerror(errno));
            break;
        }
        if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
            uint64_t count = 0;
            [[maybe_unused]] const ssize_t got = read(m_wake_fd, &count, sizeof(count));
        }
    }
    shut_down();
}

void SelectionEngine::handle_commands() {
    std::deque<Command> commands;
    {
        std::lock_guard<std::mutex> lock(m_queue_mutex);
        commands.swap(m_queue);
    }
    for (Command& command : commands) {
        handle_command(command);
        if (m_stop) {
            return;
        }
    }
}

void SelectionEngine::handle_command(Command& command) {
    switch (command.kind) {
        case Command::Kind::Stop:
            m_stop = true;
            return;
        case Command::Kind::Fetch:
            if (m_lost) {
                emit_data(command.type, false, {});
            } else {
                start_fetch(command.type);
            }
            return;
        case Command::Kind::Provide:
            if (!m_lost) {
                handle_provide(command.request_id, command.ok, std::move(command.data));
            }
            return;
        case Command::Kind::Offer:
            if (!m_lost) {
                request_ownership(std::move(command.types));
            }
            return;
        case Command::Kind::Withdraw:
            if (!m_lost) {
                m_pending_offer.reset();
                give_up_ownership();
            }
            return;
        case Command::Kind::CallbacksSet:
            if (!m_lost && !m_probed) {
                m_probed = true;
                probe_initial_owner();
            }
            return;
    }
}

void SelectionEngine::handle_event(xcb_generic_event_t* event) {
    const uint8_t type = event->response_type & 0x7f;  // the top bit marks SendEvent
    if (type == 0) {
        handle_error(reinterpret_cast<const xcb_generic_error_t*>(event));
        return;
    }
    if (type == m_xfixes_first_event + XCB_XFIXES_SELECTION_NOTIFY) {
        handle_selection_owner(reinterpret_cast<const uint8_t*>(event));
        return;
    }
    switch (type) {
        case XCB_PROPERTY_NOTIFY:
            handle_property_notify(reinterpret_cast<const xcb_property_notify_event_t*>(event));
            break;
        case XCB_SELECTION_NOTIFY:
            handle_selection_notify(reinterpret_cast<const xcb_selection_notify_event_t*>(event));
            break;
        case XCB_SELECTION_REQUEST:
            handle_selection_request(reinterpret_cast<const xcb_selection_request_event_t*>(event));
            break;
        case XCB_SELECTION_CLEAR:
            handle_selection_clear(reinterpret_cast<const xcb_selection_clear_event_t*>(event));
            break;
        default:
            break;
    }
}

void SelectionEngine::handle_error(const xcb_generic_error_t* error) {
    // Most errors come from requestors that vanished while we wrote to their windows; a
    // BadWindow names the window, and everything we still do for it is pointless.
    if (error->error_code == XCB_WINDOW) {
        drop_requestor(error->resource_id);
        return;
    }
    PERISCOPE_LOG_WARN(
        MODULE, "X error %u (request %u.%u, resource 0x%x)",
        static_cast<unsigned>(error->error_code), static_cast<unsigned>(error->major_code),
        static_cast<unsigned>(error->minor_code), static_cast<unsigned>(error->resource_id));
}

void SelectionEngine::handle_selection_owner(const uint8_t* raw_event) {
    const auto* event = reinterpret_cast<const xcb_xfixes_selection_notify_event_t*>(raw_event);
    if (event->selection != m_atoms.clipboard) {
        return;
    }
    ++m_owner_generation;
    switch (event->subtype) {
        case XCB_XFIXES_SELECTION_EVENT_SET_SELECTION_OWNER:
            if (event->owner == m_window) {
                m_host_owner = m_window;  // our own change: the bridge knows already
            } else if (event->owner == XCB_WINDOW_NONE) {
                owner_gone(m_host_owner);
            } else {
                foreign_owner(event->owner, event->timestamp);
            }
            break;
        case XCB_XFIXES_SELECTION_EVENT_SELECTION_WINDOW_DESTROY:
        case XCB_XFIXES_SELECTION_EVENT_SELECTION_CLIENT_CLOSE:
            // The event names the owner that went away; fall back to the one we knew.
            owner_gone(event->owner != XCB_WINDOW_NONE ? event->owner : m_host_owner);
            break;
        default:
            break;
    }
}

void SelectionEngine::foreign_owner(xcb_window_t owner, xcb_timestamp_t time) {
    m_host_owner = owner;
    m_host_targets = {};
    start_targets_probe(owner, time);
}

void SelectionEngine::owner_gone(xcb_window_t gone) {
    const xcb_window_t previous = m_host_owner;
    m_host_owner = XCB_WINDOW_NONE;
    m_host_targets = {};
    if (gone != XCB_WINDOW_NONE && gone != m_window) {
        fail_conversions_of(gone);
    }
    // Our own withdraw also ends here: only a foreign offer's end is news to the bridge.
    if (previous != XCB_WINDOW_NONE && previous != m_window) {
        emit_offer({});
    }
}

void SelectionEngine::probe_initial_owner() {
    XcbReply<xcb_get_selection_owner_reply_t> reply(xcb_get_selection_owner_reply(
        m_connection, xcb_get_selection_owner(m_connection, m_atoms.clipboard), nullptr));
    if (!reply || reply->owner == XCB_WINDOW_NONE || reply->owner == m_window) {
        return;
    }
    ++m_owner_generation;
    foreign_owner(reply->owner, XCB_CURRENT_TIME);
}

void SelectionEngine::handle_property_notify(const xcb_property_notify_event_t* event) {
    if (event->window != m_window) {
        if (event->state == XCB_PROPERTY_DELETE) {
            handle_requestor_delete(event->window, event->atom);
        }
        return;
    }
    if (event->state != XCB_PROPERTY_NEW_VALUE) {
        return;  // our own deletions as we read
    }
    if (event->atom == m_atoms.stamp_property) {
        m_stamp_requested = false;
        if (m_pending_offer) {
            take_ownership(event->time);
        }
        return;
    }
    for (size_t i = 0; i < m_conversions.size(); ++i) {
        if (m_conversions[i].incr && m_atoms.slots[m_conversions[i].slot] == event->atom) {
            handle_incr_chunk(i);
            return;
        }
    }
}

void SelectionEngine::request_ownership(std::vector<ClipboardType> types) {
    if (types.empty()) {
        m_pending_offer.reset();
        give_up_ownership();
        return;
    }
    // SetSelectionOwner needs a real timestamp (ICCCM: CurrentTime makes the ownership
    // ambiguous): a zero-length append to our own property makes the server send one.
    m_pending_offer = std::move(types);
    if (!m_stamp_requested) {
        m_stamp_requested = true;
        xcb_change_property(m_connection, XCB_PROP_MODE_APPEND, m_window, m_atoms.stamp_property,
                            XCB_ATOM_STRING, 8, 0, nullptr);
    }
}

void SelectionEngine::take_ownership(xcb_timestamp_t time) {
    std::vector<ClipboardType> types = std::move(*m_pending_offer);
    m_pending_offer.reset();
    xcb_set_selection_owner(m_connection, m_window, m_atoms.clipboard, time);
    // The server ignores a time older than the selection's last change: check that we got it.
    XcbReply<xcb_get_selection_owner_reply_t> reply(xcb_get_selection_owner_reply(
        m_connection, xcb_get_selection_owner(m_connection, m_atoms.clipboard), nullptr));
    if (!reply || reply->owner != m_window) {
        PERISCOPE_LOG_WARN(MODULE, "could not take the clipboard (another client owns it)");
        return;
    }
    m_owned = true;
    m_own_time = time;
    m_own_types = std::move(types);
}

void SelectionEngine::give_up_ownership() {
    if (!m_owned) {
        return;
    }
    // Our own acquisition time, not CurrentTime: if another client took the selection since,
    // its later time makes the server ignore this, instead of clearing the other's ownership.
    xcb_set_selection_owner(m_connection, XCB_WINDOW_NONE, m_atoms.clipboard, m_own_time);
    m_owned = false;
    m_own_types.clear();
}

void SelectionEngine::handle_selection_clear(const xcb_selection_clear_event_t* event) {
    if (event->selection != m_atoms.clipboard || event->owner != m_window) {
        return;
    }
    // A clear from before our latest acquisition (we re-offered quickly) is stale.
    if (m_owned && event->time != XCB_CURRENT_TIME && event->time < m_own_time) {
        return;
    }
    // Lost to another client: its XFixes event tells the bridge about the new offer. Demands
    // already received may still be answered (ICCCM lets a former owner finish them).
    m_owned = false;
    m_own_types.clear();
}

void SelectionEngine::handle_timeouts(Clock::time_point now) {
    for (size_t i = 0; i < m_conversions.size();) {
        if (m_conversions[i].deadline <= now) {
            PERISCOPE_LOG_WARN(MODULE, "clipboard owner did not answer in time");
            finish_conversion(i, false, {});  // removes m_conversions[i]
        } else {
            ++i;
        }
    }
    for (auto it = m_demands.begin(); it != m_demands.end();) {
        if (it->second.deadline <= now) {
            PERISCOPE_LOG_WARN(MODULE, "no data for paste request %llu in time: refused",
                               static_cast<unsigned long long>(it->first));
            if (!m_lost) {
                refuse(it->second);
            }
            it = m_demands.erase(it);
        } else {
            ++it;
        }
    }
    for (size_t i = 0; i < m_transfers.size();) {
        if (m_transfers[i].deadline <= now) {
            PERISCOPE_LOG_WARN(MODULE, "paste by INCR stalled: abandoned");
            const xcb_window_t requestor = m_transfers[i].requestor;
            m_transfers.erase(m_transfers.begin() + static_cast<ptrdiff_t>(i));
            if (!m_lost) {
                set_requestor_events(requestor);
            }
        } else {
            ++i;
        }
    }
}

int SelectionEngine::poll_timeout_ms(Clock::time_point now) const {
    std::optional<Clock::time_point> next;
    auto consider = [&](Clock::time_point t) {
        if (!next || t < *next) {
            next = t;
        }
    };
    for (const Conversion& conversion : m_conversions) {
        consider(conversion.deadline);
    }
    for (const auto& [id, demand] : m_demands) {
        consider(demand.deadline);
    }
    for (const Transfer& transfer : m_transfers) {
        consider(transfer.deadline);
    }
    if (!next) {
        return -1;
    }
    if (*next <= now) {
        return 0;
    }
    // Rounded up, so that we do not wake a millisecond early and spin.
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
    return static_cast<int>(std::min<int64_t>(wait, 60000));
}

void SelectionEngine::connection_lost() {
    PERISCOPE_LOG_ERROR(MODULE, "connection to the X server lost: host clipboard disabled");
    m_lost = true;
    m_owned = false;
    m_pending_offer.reset();
    ++m_owner_generation;  // TARGETS probes fail silently: one empty offer below says it all
    while (!m_conversions.empty()) {
        finish_conversion(0, false, {});
    }
    m_demands.clear();
    m_transfers.clear();
    const bool had_foreign_offer = m_host_owner != XCB_WINDOW_NONE && m_host_owner != m_window;
    m_host_owner = XCB_WINDOW_NONE;
    if (had_foreign_offer) {
        emit_offer({});
    }
}

void SelectionEngine::shut_down() {
    if (m_lost) {
        return;
    }
    // Requestors waiting for provide() would otherwise wait for their own timeouts, if any.
    for (const auto& [id, demand] : m_demands) {
        refuse(demand);
    }
    m_demands.clear();
    m_transfers.clear();
    m_pending_offer.reset();
    give_up_ownership();
    xcb_flush(m_connection);
}

}  // namespace periscope::viewer::x11
