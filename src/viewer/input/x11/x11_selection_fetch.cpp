// The requestor side: we ask the host's selection owner for TARGETS and for data, and read the
// answer from a property on our window (ICCCM 2.4), in chunks when the owner uses INCR (2.7.2).
// Everything here runs on the X thread.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "core/log.h"
#include "viewer/input/x11/x11_selection_engine.h"

namespace periscope::viewer::x11 {
namespace {

constexpr const char* MODULE = "clipboard-x11";

// A TARGETS list longer than this is not a real clipboard owner's.
constexpr size_t MAX_TARGETS = 1024;

struct XcbFree {
    void operator()(void* p) const { std::free(p); }
};
template <class T>
using XcbReply = std::unique_ptr<T, XcbFree>;

}  // namespace

void SelectionEngine::start_fetch(ClipboardType type) {
    xcb_atom_t target = m_atoms.image_png;
    if (type == ClipboardType::Utf8Text) {
        target = m_host_targets.text_target != XCB_ATOM_NONE ? m_host_targets.text_target
                                                             : m_atoms.utf8_string;
    }
    // Ask the server who owns it now rather than trusting our last XFixes event: the owner
    // recorded here is the one whose disappearance fails the fetch.
    XcbReply<xcb_get_selection_owner_reply_t> reply(xcb_get_selection_owner_reply(
        m_connection, xcb_get_selection_owner(m_connection, m_atoms.clipboard), nullptr));
    if (!reply || reply->owner == XCB_WINDOW_NONE) {
        PERISCOPE_LOG_INFO(MODULE, "fetch %s: nobody owns the clipboard", to_string(type));
        emit_data(type, false, {});
        return;
    }
    if (reply->owner == m_window) {
        // Our own offer (the guest's data): asking ourselves would only go round in a circle.
        PERISCOPE_LOG_INFO(MODULE, "fetch %s: the clipboard holds the guest's own offer",
                           to_string(type));
        emit_data(type, false, {});
        return;
    }
    Conversion conversion;
    conversion.purpose = Conversion::Purpose::Data;
    conversion.type = type;
    conversion.target = target;
    conversion.owner = reply->owner;
    // CurrentTime: we have no event time of our own for a fetch the bridge asked for, and an
    // older one could predate the owner's acquisition, which owners may refuse.
    if (!start_conversion(std::move(conversion), XCB_CURRENT_TIME)) {
        emit_data(type, false, {});
    }
}

void SelectionEngine::start_targets_probe(xcb_window_t owner, xcb_timestamp_t time) {
    Conversion conversion;
    conversion.purpose = Conversion::Purpose::Targets;
    conversion.target = m_atoms.targets;
    conversion.owner = owner;
    conversion.generation = m_owner_generation;
    if (!start_conversion(std::move(conversion), time)) {
        emit_offer({});
    }
}

bool SelectionEngine::start_conversion(Conversion conversion, xcb_timestamp_t time) {
    // Round robin over the slots: a late answer to an abandoned conversion lands in a slot that
    // is unlikely to have been reused yet.
    for (size_t n = 0; n < CONVERSION_SLOTS; ++n) {
        const size_t slot = (m_next_slot + n) % CONVERSION_SLOTS;
        if (m_slot_busy[slot]) {
            continue;
        }
        m_slot_busy[slot] = true;
        m_next_slot = (slot + 1) % CONVERSION_SLOTS;
        conversion.slot = slot;
        conversion.deadline = Clock::now() + m_options.request_timeout;
        xcb_convert_selection(m_connection, m_window, m_atoms.clipboard, conversion.target,
                              m_atoms.slots[slot], time);
        m_conversions.push_back(std::move(conversion));
        return true;
    }
    PERISCOPE_LOG_WARN(MODULE, "too many clipboard requests in flight: one refused");
    return false;
}

void SelectionEngine::handle_selection_notify(const xcb_selection_notify_event_t* event) {
    if (event->requestor != m_window || event->selection != m_atoms.clipboard) {
        return;
    }
    // With a property, it names the slot; a refusal (property None) only has the target, and
    // owners answer in order, so the oldest conversion still waiting for that target is it.
    size_t index = m_conversions.size();
    for (size_t i = 0; i < m_conversions.size(); ++i) {
        const Conversion& c = m_conversions[i];
        if (c.incr || c.target != event->target) {
            continue;
        }
        if (event->property == XCB_ATOM_NONE || m_atoms.slots[c.slot] == event->property) {
            index = i;
            break;
        }
    }
    if (index == m_conversions.size()) {
        return;  // an answer to a conversion we gave up on
    }
    if (event->property == XCB_ATOM_NONE) {
        finish_conversion(index, false, {});
        return;
    }
    Conversion& conversion = m_conversions[index];
    const size_t limit = conversion.purpose == Conversion::Purpose::Targets
                             ? MAX_TARGETS * sizeof(xcb_atom_t)
                             : m_options.max_payload;
    std::optional<Property> property = read_own_property(event->property, limit);
    if (!property) {
        finish_conversion(index, false, {});
        return;
    }
    if (property->type == m_atoms.incr && conversion.purpose == Conversion::Purpose::Data) {
        // Reading the INCR property deleted it, which tells the owner to send the first chunk.
        // Its value is a lower bound of the size: a hint only, bounded before we trust it.
        uint32_t hint = 0;
        if (property->format == 32 && property->bytes.size() >= 4) {
            std::memcpy(&hint, property->bytes.data(), sizeof(hint));
            conversion.data.reserve(std::min<size_t>(hint, m_options.max_payload));
        }
        PERISCOPE_LOG_DEBUG(MODULE, "receiving %s by INCR (announced %u bytes)",
                            to_string(conversion.type), static_cast<unsigned>(hint));
        conversion.incr = true;
        conversion.deadline = Clock::now() + m_options.request_timeout;
        return;
    }
    finish_conversion(index, true, std::move(*property));
}

void SelectionEngine::handle_incr_chunk(size_t index) {
    Conversion& conversion = m_conversions[index];
    const size_t remaining = m_options.max_payload - conversion.data.size();
    std::optional<Property> chunk = read_own_property(m_atoms.slots[conversion.slot], remaining);
    if (!chunk) {
        return;  // already gone: nothing new
    }
    if (chunk->too_big) {
        finish_conversion(index, false, std::move(*chunk));
        return;
    }
    if (chunk->bytes.empty()) {
        // The zero-length chunk ends the transfer.
        Property whole;
        whole.type = conversion.data_type;
        whole.format = 8;
        whole.bytes = std::move(conversion.data);
        finish_conversion(index, true, std::move(whole));
        return;
    }
    if (chunk->format != 8) {
        PERISCOPE_LOG_WARN(MODULE, "clipboard owner sent an INCR chunk of format %u",
                           static_cast<unsigned>(chunk->format));
        finish_conversion(index, false, {});
        return;
    }
    conversion.data_type = chunk->type;
    conversion.data.insert(conversion.data.end(), chunk->bytes.begin(), chunk->bytes.end());
    conversion.deadline = Clock::now() + m_options.request_timeout;
}

void SelectionEngine::finish_conversion(size_t index, bool ok, Property property) {
    Conversion conversion = std::move(m_conversions[index]);
    m_conversions.erase(m_conversions.begin() + static_cast<ptrdiff_t>(index));
    m_slot_busy[conversion.slot] = false;
    // Leave a failed INCR transfer's property alone: deleting it would ask the owner for the
    // next chunk. Otherwise remove what is left so the slot starts clean.
    if (!m_lost && !(conversion.incr && !ok)) {
        xcb_delete_property(m_connection, m_window, m_atoms.slots[conversion.slot]);
    }
    if (property.too_big) {
        ok = false;
        if (conversion.purpose == Conversion::Purpose::Data && !m_logged_oversize_in) {
            m_logged_oversize_in = true;
            PERISCOPE_LOG_WARN(MODULE, "host clipboard data over %zu bytes refused",
                               m_options.max_payload);
        }
    }

    if (conversion.purpose == Conversion::Purpose::Targets) {
        if (conversion.generation != m_owner_generation) {
            return;  // the owner changed since: a newer probe is on its way
        }
        std::vector<xcb_atom_t> offered;
        if (ok && property.format == 32 && property.bytes.size() >= sizeof(xcb_atom_t)) {
            offered.resize(property.bytes.size() / sizeof(xcb_atom_t));
            std::memcpy(offered.data(), property.bytes.data(), offered.size() * sizeof(xcb_atom_t));
        } else {
            PERISCOPE_LOG_INFO(MODULE, "clipboard owner did not list its targets");
        }
        m_host_targets = choose_targets(m_atoms, offered);
        emit_offer(m_host_targets.types);
        return;
    }

    if (ok && property.format != 8) {
        PERISCOPE_LOG_WARN(MODULE, "clipboard owner sent %s as format %u",
                           to_string(conversion.type), static_cast<unsigned>(property.format));
        ok = false;
    }
    if (ok && conversion.type == ClipboardType::Utf8Text) {
        if (property.type == XCB_ATOM_STRING) {
            property.bytes = latin1_to_utf8(property.bytes);
        } else if (conversion.target == m_atoms.text && property.type != m_atoms.utf8_string &&
                   property.type != m_atoms.text_plain_utf8) {
            // TEXT answered in an encoding we do not decode (COMPOUND_TEXT, most likely).
            PERISCOPE_LOG_WARN(MODULE, "clipboard text in an encoding we cannot decode");
            ok = false;
        }
    }
    if (!ok) {
        property.bytes.clear();
    }
    emit_data(conversion.type, ok, std::move(property.bytes));
}

void SelectionEngine::fail_conversions_of(xcb_window_t owner) {
    for (size_t i = 0; i < m_conversions.size();) {
        if (m_conversions[i].owner == owner) {
            PERISCOPE_LOG_INFO(MODULE, "clipboard owner went away during a transfer");
            finish_conversion(i, false, {});
        } else {
            ++i;
        }
    }
}

std::optional<SelectionEngine::Property> SelectionEngine::read_own_property(xcb_atom_t atom,
                                                                            size_t max_bytes) {
    // One word more than the limit, so that a property of exactly `max_bytes` is whole and a
    // larger one shows as bytes_after > 0. delete=1: the server deletes it only if read whole.
    const uint32_t words = static_cast<uint32_t>(max_bytes / 4 + 1);
    XcbReply<xcb_get_property_reply_t> reply(xcb_get_property_reply(
        m_connection,
        xcb_get_property(m_connection, 1, m_window, atom, XCB_GET_PROPERTY_TYPE_ANY, 0, words),
        nullptr));
    if (!reply || reply->type == XCB_ATOM_NONE) {
        return std::nullopt;
    }
    Property property;
    const int length = xcb_get_property_value_length(reply.get());
    if (reply->bytes_after > 0 || length < 0 || static_cast<size_t>(length) > max_bytes) {
        xcb_delete_property(m_connection, m_window, atom);
        property.too_big = true;
        return property;
    }
    property.type = reply->type;
    property.format = reply->format;
    const auto* value = static_cast<const uint8_t*>(xcb_get_property_value(reply.get()));
    property.bytes.assign(value, value + length);
    return property;
}

}  // namespace periscope::viewer::x11
