#include "viewer/input/clipboard_bridge.h"

#include <algorithm>

#include "core/log.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "clipboard";

}  // namespace

ClipboardBridge::ClipboardBridge(HostClipboard& host, GuestClipboard& guest,
                                 ClipboardBridgeOptions options)
    : m_host(host), m_guest(guest), m_options(options) {
    m_host.set_callbacks(
        [this](std::vector<ClipboardType> types) {
            post([this, types = std::move(types)]() mutable { host_offered(std::move(types)); });
        },
        [this](uint64_t id, ClipboardType type) { post([=, this] { host_demands(id, type); }); },
        [this](ClipboardType type, bool ok, std::vector<uint8_t> data) {
            post([this, type, ok, data = std::move(data)]() mutable {
                host_data(type, ok, std::move(data));
            });
        });
    GuestClipboard::Callbacks callbacks;
    callbacks.on_grab = [this](std::vector<ClipboardType> types) {
        post([this, types = std::move(types)]() mutable { guest_grabbed(std::move(types)); });
    };
    callbacks.on_release = [this] { post([this] { guest_released(); }); };
    callbacks.on_request = [this](ClipboardType type) {
        post([this, type] { guest_requests(type); });
    };
    callbacks.on_data = [this](ClipboardType type, bool ok, std::vector<uint8_t> data) {
        post([this, type, ok, data = std::move(data)]() mutable {
            guest_data(type, ok, std::move(data));
        });
    };
    callbacks.on_agent = [this](bool connected) { post([=, this] { guest_agent(connected); }); };
    m_guest.set_clipboard_callbacks(std::move(callbacks));
}

void ClipboardBridge::post(std::function<void()> work) {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(work));
    m_queued = true;
}

void ClipboardBridge::pump() {
    std::deque<std::function<void()>> work;
    {
        std::lock_guard lock(m_mutex);
        if (!m_queued) {
            return;
        }
        work.swap(m_queue);
        m_queued = false;
    }
    for (auto& w : work) {
        w();
    }
}

void ClipboardBridge::host_offered(std::vector<ClipboardType> types) {
    m_host_types = types;
    m_host_has_guest_offer = false;  // another host application took the selection
    if (!m_options.to_guest) {
        return;
    }
    if (types.empty()) {
        if (m_guest_has_our_offer) {
            m_guest.release();  // the host's new owner has nothing the guest could paste
            m_guest_has_our_offer = false;
        }
        return;
    }
    m_guest.grab(types);
    m_guest_has_our_offer = true;
}

void ClipboardBridge::guest_requests(ClipboardType type) {
    const bool offered =
        std::find(m_host_types.begin(), m_host_types.end(), type) != m_host_types.end();
    if (!m_options.to_guest || !offered) {
        m_guest.provide(type, false, {});
        return;
    }
    m_host.fetch(type);
}

void ClipboardBridge::host_data(ClipboardType type, bool ok, std::vector<uint8_t> data) {
    if (!ok) {
        PERISCOPE_LOG_WARN(MODULE, "the host's clipboard owner gave no %s data", to_string(type));
    } else {
        ++m_to_guest;
    }
    m_guest.provide(type, ok, std::move(data));
}

void ClipboardBridge::guest_grabbed(std::vector<ClipboardType> types) {
    m_guest_has_our_offer = false;  // the guest's own copy replaced what we offered it
    if (!m_options.to_host) {
        return;
    }
    if (types.empty()) {
        m_host.withdraw();
        m_host_has_guest_offer = false;
        return;
    }
    // Taking the selection ends the host owner's offer: no on_offer comes for our own change,
    // and a later agent must not be offered types only the old owner had.
    m_host_types.clear();
    m_host.offer(std::move(types));
    m_host_has_guest_offer = true;
}

void ClipboardBridge::guest_released() {
    if (m_options.to_host) {
        m_host.withdraw();
        m_host_has_guest_offer = false;
    }
}

void ClipboardBridge::host_demands(uint64_t request_id, ClipboardType type) {
    if (m_agent_gone) {
        m_host.provide(request_id, false, {});  // nobody in the guest to answer
        return;
    }
    auto& waiting = m_host_waiting[type];
    waiting.push_back(request_id);
    if (waiting.size() == 1) {
        m_guest.request(type);  // one guest transfer serves every paste of the same type
    }
}

void ClipboardBridge::guest_data(ClipboardType type, bool ok, std::vector<uint8_t> data) {
    auto it = m_host_waiting.find(type);
    if (it == m_host_waiting.end() || it->second.empty()) {
        return;  // nobody on the host is waiting (timed out, or the data came unasked)
    }
    std::vector<uint64_t> ids = std::move(it->second);
    m_host_waiting.erase(it);
    if (ok) {
        ++m_to_host;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
        // The last waiter takes the buffer; earlier ones get copies.
        m_host.provide(ids[i], ok, i + 1 == ids.size() ? std::move(data) : data);
    }
}

void ClipboardBridge::guest_agent(bool connected) {
    if (!connected) {
        // Host pastes waiting on a vanished agent would wait for their timeout: refuse now.
        for (auto& [type, ids] : m_host_waiting) {
            for (uint64_t id : ids) {
                m_host.provide(id, false, {});
            }
        }
        m_host_waiting.clear();
        m_guest_has_our_offer = false;
        m_agent_gone = true;
        if (m_host_has_guest_offer) {
            // What the guest copied can no longer be pasted on the host.
            m_host.withdraw();
            m_host_has_guest_offer = false;
        }
        return;
    }
    m_agent_gone = false;
    // A new agent knows nothing of the host's clipboard: offer it again.
    if (m_options.to_guest && !m_host_types.empty()) {
        m_guest.grab(m_host_types);
        m_guest_has_our_offer = true;
    }
}

}  // namespace periscope::viewer
