// Carries the clipboard between the host (X selection) and the guest (SPICE agent), both ways,
// on demand: an offer of types crosses at once, the bytes only when someone pastes.
// (docs/design/input.md, "Clipboard")
//
// Threads: the two sides call back on their own threads; those callbacks only enqueue. pump(),
// on the viewer's main thread, does the work, so the bridge's state has one owner.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "viewer/input/guest_clipboard.h"
#include "viewer/input/host_clipboard.h"

namespace periscope::viewer {

struct ClipboardBridgeOptions {
    bool to_guest = true;  // host copies may be pasted in the guest
    bool to_host = true;   // guest copies may be pasted on the host
};

class ClipboardBridge {
  public:
    // Both sides must outlive the bridge; the bridge installs its callbacks on them.
    ClipboardBridge(HostClipboard& host, GuestClipboard& guest, ClipboardBridgeOptions options);
    ClipboardBridge(const ClipboardBridge&) = delete;
    ClipboardBridge& operator=(const ClipboardBridge&) = delete;

    // Runs what the two sides reported since the last call. Cheap when nothing happened.
    void pump();
    // Something waits for pump() (any thread).
    bool pending() const {
        std::lock_guard lock(m_mutex);
        return m_queued;
    }

    // For the overlay and tests.
    uint64_t transfers_to_guest() const { return m_to_guest; }
    uint64_t transfers_to_host() const { return m_to_host; }

  private:
    void post(std::function<void()> work);
    void host_offered(std::vector<ClipboardType> types);
    void host_demands(uint64_t request_id, ClipboardType type);
    void host_data(ClipboardType type, bool ok, std::vector<uint8_t> data);
    void guest_grabbed(std::vector<ClipboardType> types);
    void guest_released();
    void guest_requests(ClipboardType type);
    void guest_data(ClipboardType type, bool ok, std::vector<uint8_t> data);
    void guest_agent(bool connected);

    HostClipboard& m_host;
    GuestClipboard& m_guest;
    ClipboardBridgeOptions m_options;

    mutable std::mutex m_mutex;  // guards m_queue and m_queued
    std::deque<std::function<void()>> m_queue;
    bool m_queued = false;  // guarded by m_mutex: something waits in m_queue

    // Main thread (pump) only:
    std::vector<ClipboardType> m_host_types;  // what the host's owner offers (we offered it on)
    bool m_guest_has_our_offer = false;
    bool m_host_has_guest_offer = false;  // we own the host selection for the guest's copy
    bool m_agent_gone = false;            // the agent was reported gone and has not come back
    // Host pastes waiting for the guest's bytes, by type.
    std::map<ClipboardType, std::vector<uint64_t>> m_host_waiting;
    uint64_t m_to_guest = 0;
    uint64_t m_to_host = 0;
};

}  // namespace periscope::viewer
