// The X side of X11Clipboard: one xcb connection, one hidden window, one thread (run()).
//
// Threads: post() and set_callbacks() are called from any thread; everything else, and every
// member not marked "shared", belongs to the X thread that runs run(). create() and the
// destructor run on the owner's thread before the X thread starts and after it was joined.
//
// Split over three files: x11_selection_engine.cpp (loop, commands, who owns the selection),
// x11_selection_fetch.cpp (we are the requestor: TARGETS and data, INCR in) and
// x11_selection_serve.cpp (we are the owner: SelectionRequest, provide(), INCR out).
#pragma once

#include <xcb/xcb.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "viewer/input/host_clipboard.h"
#include "viewer/input/x11/x11_atoms.h"
#include "viewer/input/x11/x11_clipboard.h"

namespace periscope::viewer::x11 {

using Clock = std::chrono::steady_clock;

// A request from the caller's thread, carried to the X thread by the command queue.
struct Command {
    enum class Kind : uint8_t { CallbacksSet, Offer, Withdraw, Provide, Fetch, Stop };
    Kind kind = Kind::Stop;
    std::vector<ClipboardType> types;              // Offer
    uint64_t request_id = 0;                       // Provide
    bool ok = false;                               // Provide
    std::vector<uint8_t> data;                     // Provide
    ClipboardType type = ClipboardType::Utf8Text;  // Fetch
};

class SelectionEngine {
  public:
    // Connects to `display` and sets everything up on the calling thread, so that errors reach
    // the factory's caller synchronously.
    static std::unique_ptr<SelectionEngine> create(const std::string& display,
                                                   const X11ClipboardOptions& options,
                                                   std::string* error);
    ~SelectionEngine();
    SelectionEngine(const SelectionEngine&) = delete;
    SelectionEngine& operator=(const SelectionEngine&) = delete;

    // Any thread: queue a command and wake the X thread.
    void post(Command command);
    // Any thread: the callbacks the X thread calls (copied under the lock, called outside it).
    void set_callbacks(HostClipboard::OfferCallback on_offer,
                       HostClipboard::DemandCallback on_demand,
                       HostClipboard::DataCallback on_data);

    // X thread: the event loop, until a Stop command.
    void run();

  private:
    // A ConvertSelection we sent (we are the requestor), until its data arrived or it failed.
    struct Conversion {
        enum class Purpose : uint8_t { Targets, Data };
        Purpose purpose = Purpose::Data;
        ClipboardType type = ClipboardType::Utf8Text;  // Data
        xcb_atom_t target = XCB_ATOM_NONE;
        size_t slot = 0;                       // property m_atoms.slots[slot] on our window
        xcb_window_t owner = XCB_WINDOW_NONE;  // who we asked: fails when it goes away
        uint64_t generation = 0;               // Targets: stale once the owner changed again
        bool incr = false;                     // the owner sends chunks
        std::vector<uint8_t> data;             // INCR chunks so far
        xcb_atom_t data_type = XCB_ATOM_NONE;  // INCR: the type of the chunks
        Clock::time_point deadline;
    };
    // A SelectionRequest for data (we own the selection), waiting for provide().
    struct Demand {
        xcb_window_t requestor = XCB_WINDOW_NONE;
        xcb_atom_t property = XCB_ATOM_NONE;
        xcb_atom_t target = XCB_ATOM_NONE;
        xcb_timestamp_t time = XCB_CURRENT_TIME;
        Clock::time_point deadline;
    };
    // Data going to a requestor by INCR, one chunk per deletion of its property.
    struct Transfer {
        xcb_window_t requestor = XCB_WINDOW_NONE;
        xcb_atom_t property = XCB_ATOM_NONE;
        xcb_atom_t type = XCB_ATOM_NONE;
        std::vector<uint8_t> data;
        size_t offset = 0;
        Clock::time_point deadline;
    };
    // A property read back from our window.
    struct Property {
        xcb_atom_t type = XCB_ATOM_NONE;
        uint8_t format = 0;
        std::vector<uint8_t> bytes;
        bool too_big = false;  // larger than we accept: `bytes` is empty
    };

    SelectionEngine() = default;

    // --- x11_selection_engine.cpp ---
    void handle_commands();
    void handle_command(Command& command);
    void handle_event(xcb_generic_event_t* event);
    void handle_error(const xcb_generic_error_t* error);
    void handle_selection_owner(const uint8_t* raw_event);
    void handle_property_notify(const xcb_property_notify_event_t* event);
    void handle_selection_clear(const xcb_selection_clear_event_t* event);
    void handle_timeouts(Clock::time_point now);
    int poll_timeout_ms(Clock::time_point now) const;
    void probe_initial_owner();
    void foreign_owner(xcb_window_t owner, xcb_timestamp_t time);
    void owner_gone(xcb_window_t gone);
    void request_ownership(std::vector<ClipboardType> types);
    void take_ownership(xcb_timestamp_t time);
    void give_up_ownership();
    void connection_lost();
    void shut_down();
    void emit_offer(std::vector<ClipboardType> types);
    void emit_demand(uint64_t request_id, ClipboardType type);
    void emit_data(ClipboardType type, bool ok, std::vector<uint8_t> data);

    // --- x11_selection_fetch.cpp ---
    void start_fetch(ClipboardType type);
    void start_targets_probe(xcb_window_t owner, xcb_timestamp_t time);
    bool start_conversion(Conversion conversion, xcb_timestamp_t time);
    void handle_selection_notify(const xcb_selection_notify_event_t* event);
    void handle_incr_chunk(size_t index);
    void finish_conversion(size_t index, bool ok, Property property);
    void fail_conversions_of(xcb_window_t owner);
    std::optional<Property> read_own_property(xcb_atom_t property, size_t max_bytes);

    // --- x11_selection_serve.cpp ---
    void handle_selection_request(const xcb_selection_request_event_t* event);
    void handle_provide(uint64_t request_id, bool ok, std::vector<uint8_t> data);
    void handle_requestor_delete(xcb_window_t window, xcb_atom_t property);
    void send_notify(xcb_window_t requestor, xcb_atom_t target, xcb_atom_t property,
                     xcb_timestamp_t time);
    void refuse(const Demand& demand);
    void set_requestor_events(xcb_window_t requestor);
    void drop_requestor(xcb_window_t requestor);

    X11ClipboardOptions m_options;
    xcb_connection_t* m_connection = nullptr;
    xcb_window_t m_window = XCB_WINDOW_NONE;
    ClipboardAtoms m_atoms;
    uint8_t m_xfixes_first_event = 0;
    size_t m_chunk_bytes = 0;
    bool m_lost = false;  // the connection failed: only commands are served (all refused)
    bool m_stop = false;

    // Shared: the command queue (any thread pushes, the X thread drains) and its wake-up.
    std::mutex m_queue_mutex;
    std::deque<Command> m_queue;
    int m_wake_fd = -1;  // eventfd: written by post(), read by the X thread

    // Shared: set by set_callbacks (any thread), called by the X thread.
    std::mutex m_callback_mutex;
    HostClipboard::OfferCallback m_on_offer;
    HostClipboard::DemandCallback m_on_demand;
    HostClipboard::DataCallback m_on_data;

    // Who owns the selection, as the last XFixes event told us.
    xcb_window_t m_host_owner = XCB_WINDOW_NONE;
    uint64_t m_owner_generation = 0;  // bumped on every change: stale TARGETS answers are dropped
    HostTargets m_host_targets;       // what the current foreign owner offers
    bool m_probed = false;            // the owner at start-up was reported

    // Our own ownership.
    bool m_owned = false;
    xcb_timestamp_t m_own_time = XCB_CURRENT_TIME;
    std::vector<ClipboardType> m_own_types;
    std::optional<std::vector<ClipboardType>> m_pending_offer;  // waiting for a timestamp
    bool m_stamp_requested = false;

    // Requestor side.
    std::vector<Conversion> m_conversions;
    std::array<bool, CONVERSION_SLOTS> m_slot_busy{};
    size_t m_next_slot = 0;

    // Owner side.
    std::map<uint64_t, Demand> m_demands;
    uint64_t m_next_request_id = 1;
    std::vector<Transfer> m_transfers;

    bool m_logged_oversize_in = false;
    bool m_logged_oversize_out = false;
};

}  // namespace periscope::viewer::x11
