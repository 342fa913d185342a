// The owner side: we hold the CLIPBOARD selection for the guest and answer host applications'
// SelectionRequests (ICCCM 2.2): TARGETS and TIMESTAMP at once, data once the bridge provide()s
// it, by INCR (2.7.2) when it is larger than one request should carry. Runs on the X thread.
#include <algorithm>
#include <cstring>
#include <utility>

#include "core/log.h"
#include "viewer/input/x11/x11_selection_engine.h"

namespace periscope::viewer::x11 {
namespace {

constexpr const char* MODULE = "clipboard-x11";

// Bounds on what host applications can make us hold: requests waiting for the guest, and INCR
// transfers (each holds a copy of up to max_payload bytes).
constexpr size_t MAX_DEMANDS = 64;
constexpr size_t MAX_TRANSFERS = 8;

}  // namespace

void SelectionEngine::handle_selection_request(const xcb_selection_request_event_t* event) {
    Demand demand;
    demand.requestor = event->requestor;
    // ICCCM: a property of None comes from an obsolete client; use the target as property.
    demand.property = event->property != XCB_ATOM_NONE ? event->property : event->target;
    demand.target = event->target;
    demand.time = event->time;

    // Refuse requests for a selection we do not hold, or from before we took it (ICCCM 2.2).
    const bool ours = m_owned && event->selection == m_atoms.clipboard &&
                      event->owner == m_window &&
                      (event->time == XCB_CURRENT_TIME || event->time >= m_own_time);
    if (!ours) {
        refuse(demand);
        return;
    }
    if (event->target == m_atoms.targets) {
        std::vector<xcb_atom_t> targets = {m_atoms.targets, m_atoms.timestamp};
        const std::vector<xcb_atom_t> served = served_targets(m_atoms, m_own_types);
        targets.insert(targets.end(), served.begin(), served.end());
        xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, demand.requestor, demand.property,
                            XCB_ATOM_ATOM, 32, static_cast<uint32_t>(targets.size()),
                            targets.data());
        send_notify(demand.requestor, demand.target, demand.property, demand.time);
        return;
    }
    if (event->target == m_atoms.timestamp) {
        const uint32_t time = m_own_time;
        xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, demand.requestor, demand.property,
                            XCB_ATOM_INTEGER, 32, 1, &time);
        send_notify(demand.requestor, demand.target, demand.property, demand.time);
        return;
    }
    // Anything else, MULTIPLE included, is refused: requestors fall back to one conversion per
    // target, and our two types do not need it.
    const std::optional<ClipboardType> type = type_for_served_target(m_atoms, event->target);
    if (!type || std::find(m_own_types.begin(), m_own_types.end(), *type) == m_own_types.end()) {
        refuse(demand);
        return;
    }
    if (m_demands.size() >= MAX_DEMANDS) {
        PERISCOPE_LOG_WARN(MODULE, "too many paste requests waiting for the guest: one refused");
        refuse(demand);
        return;
    }
    demand.deadline = Clock::now() + m_options.request_timeout;
    const uint64_t id = m_next_request_id++;
    m_demands.emplace(id, demand);
    emit_demand(id, *type);
}

void SelectionEngine::handle_provide(uint64_t request_id, bool ok, std::vector<uint8_t> data) {
    auto it = m_demands.find(request_id);
    if (it == m_demands.end()) {
        PERISCOPE_LOG_DEBUG(MODULE, "data for paste request %llu came too late",
                            static_cast<unsigned long long>(request_id));
        return;
    }
    const Demand demand = it->second;
    m_demands.erase(it);
    if (!ok) {
        refuse(demand);
        return;
    }
    if (data.size() > m_options.max_payload) {
        if (!m_logged_oversize_out) {
            m_logged_oversize_out = true;
            PERISCOPE_LOG_WARN(MODULE, "guest clipboard data over %zu bytes refused",
                               m_options.max_payload);
        }
        refuse(demand);
        return;
    }
    // A requestor that reuses its property for a new paste has given up on an older INCR
    // transfer there: its deletions belong to the new answer now.
    std::erase_if(m_transfers, [&](const Transfer& transfer) {
        return transfer.requestor == demand.requestor && transfer.property == demand.property;
    });
    if (data.size() <= m_chunk_bytes) {
        xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, demand.requestor, demand.property,
                            demand.target, 8, static_cast<uint32_t>(data.size()), data.data());
        send_notify(demand.requestor, demand.target, demand.property, demand.time);
        return;
    }
    if (m_transfers.size() >= MAX_TRANSFERS) {
        PERISCOPE_LOG_WARN(MODULE, "too many large pastes at once: one refused");
        refuse(demand);
        return;
    }
    // INCR: watch the requestor's property deletions before it can see the INCR property, so
    // the first deletion cannot slip past us. The INCR value is the size (a lower bound).
    Transfer transfer;
    transfer.requestor = demand.requestor;
    transfer.property = demand.property;
    transfer.type = demand.target;
    transfer.data = std::move(data);
    transfer.deadline = Clock::now() + m_options.request_timeout;
    const uint32_t size = static_cast<uint32_t>(transfer.data.size());
    PERISCOPE_LOG_DEBUG(MODULE, "sending %u bytes by INCR in chunks of %zu",
                        static_cast<unsigned>(size), m_chunk_bytes);
    m_transfers.push_back(std::move(transfer));
    set_requestor_events(demand.requestor);
    xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, demand.requestor, demand.property,
                        m_atoms.incr, 32, 1, &size);
    send_notify(demand.requestor, demand.target, demand.property, demand.time);
}

void SelectionEngine::handle_requestor_delete(xcb_window_t window, xcb_atom_t property) {
    for (size_t i = 0; i < m_transfers.size(); ++i) {
        Transfer& transfer = m_transfers[i];
        if (transfer.requestor != window || transfer.property != property) {
            continue;
        }
        // Each deletion asks for the next chunk; after the last one, a zero-length chunk
        // says "done".
        const size_t length = std::min(m_chunk_bytes, transfer.data.size() - transfer.offset);
        xcb_change_property(m_connection, XCB_PROP_MODE_APPEND, window, property, transfer.type, 8,
                            static_cast<uint32_t>(length), transfer.data.data() + transfer.offset);
        if (length == 0) {
            m_transfers.erase(m_transfers.begin() + static_cast<ptrdiff_t>(i));
            set_requestor_events(window);
        } else {
            transfer.offset += length;
            transfer.deadline = Clock::now() + m_options.request_timeout;
        }
        return;
    }
}

void SelectionEngine::send_notify(xcb_window_t requestor, xcb_atom_t target, xcb_atom_t property,
                                  xcb_timestamp_t time) {
    xcb_selection_notify_event_t notify{};
    notify.response_type = XCB_SELECTION_NOTIFY;
    notify.time = time;
    notify.requestor = requestor;
    notify.selection = m_atoms.clipboard;
    notify.target = target;
    notify.property = property;
    // SendEvent always carries 32 bytes; the struct is shorter, so pad it with zeros.
    char buffer[32] = {};
    static_assert(sizeof(notify) <= sizeof(buffer));
    std::memcpy(buffer, &notify, sizeof(notify));
    xcb_send_event(m_connection, 0, requestor, XCB_EVENT_MASK_NO_EVENT, buffer);
}

void SelectionEngine::refuse(const Demand& demand) {
    send_notify(demand.requestor, demand.target, XCB_ATOM_NONE, demand.time);
}

void SelectionEngine::set_requestor_events(xcb_window_t requestor) {
    // Our event mask on someone else's window is ours alone (each client has its own): keep
    // PropertyChange while a transfer to it runs, and stop listening after the last one.
    const bool active =
        std::any_of(m_transfers.begin(), m_transfers.end(),
                    [&](const Transfer& transfer) { return transfer.requestor == requestor; });
    const uint32_t mask = active ? XCB_EVENT_MASK_PROPERTY_CHANGE : XCB_EVENT_MASK_NO_EVENT;
    xcb_change_window_attributes(m_connection, requestor, XCB_CW_EVENT_MASK, &mask);
}

void SelectionEngine::drop_requestor(xcb_window_t requestor) {
    if (requestor == XCB_WINDOW_NONE || requestor == m_window) {
        return;
    }
    std::erase_if(m_transfers,
                  [&](const Transfer& transfer) { return transfer.requestor == requestor; });
    std::erase_if(m_demands,
                  [&](const auto& entry) { return entry.second.requestor == requestor; });
}

}  // namespace periscope::viewer::x11
