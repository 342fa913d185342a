// HostClipboard on X11 (docs/design/input.md, "Clipboard"): bridges the CLIPBOARD selection.
//
// Threads: the X11Clipboard object lives on the caller's thread (the viewer's main thread); all
// X traffic happens on a thread of its own with its own xcb connection (SelectionEngine). The
// methods below only queue a command for that thread and wake it: they never block on the X
// server. Callbacks run on the X thread (see host_clipboard.h: they must only enqueue).
//
// Timeouts: a fetch, a demand waiting for provide(), and each step of an INCR transfer give up
// after `request_timeout` (5 s) without progress: fetch answers ok=false, a demand is refused.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "viewer/input/host_clipboard.h"

namespace periscope::viewer {

namespace x11 {
class SelectionEngine;
}

struct X11ClipboardOptions {
    std::chrono::milliseconds request_timeout{5000};
    // Payloads above this are refused in both directions (logged once per direction).
    size_t max_payload = size_t{64} << 20;
    // Largest property we write in one request; larger payloads go out by INCR. 0: the server's
    // maximum request size, capped at 256 KiB (the core protocol's limit without BIG-REQUESTS),
    // so one transfer never holds the X thread in a long write.
    size_t incr_chunk = 0;
};

class X11Clipboard final : public HostClipboard {
  public:
    // Starts the X thread; `engine` is connected and set up (see make_x11_clipboard).
    X11Clipboard(std::unique_ptr<x11::SelectionEngine> engine, std::string description);
    // Stops the X thread (refusing requests still waiting for provide(), giving up ownership)
    // and joins it. Fetches still running get no DataCallback.
    ~X11Clipboard() override;
    X11Clipboard(const X11Clipboard&) = delete;
    X11Clipboard& operator=(const X11Clipboard&) = delete;

    void set_callbacks(OfferCallback on_offer, DemandCallback on_demand,
                       DataCallback on_data) override;
    void offer(std::vector<ClipboardType> types) override;
    void withdraw() override;
    void provide(uint64_t request_id, bool ok, std::vector<uint8_t> data) override;
    void fetch(ClipboardType type) override;
    std::string describe() const override { return m_description; }

  private:
    std::unique_ptr<x11::SelectionEngine> m_engine;
    std::string m_description;
    std::thread m_thread;
};

// Opens `display` ("" = $DISPLAY) and starts the clipboard's thread. nullptr with `error` set if
// the display cannot be opened or lacks XFixes (needed to see who owns the selection).
std::unique_ptr<HostClipboard> make_x11_clipboard(const std::string& display, std::string* error);
std::unique_ptr<HostClipboard> make_x11_clipboard(const std::string& display,
                                                  const X11ClipboardOptions& options,
                                                  std::string* error);

}  // namespace periscope::viewer
