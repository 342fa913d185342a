// The guest's clipboard as the clipboard bridge sees it, through the SPICE agent (spice-vdagent in
// the guest): the mirror image of host_clipboard.h. The spice/ back-end implements both this and
// InputSink; null/ records calls for tests.
//
// Threads: methods are called on the viewer's main thread and return at once; callbacks run on
// the back-end's thread and must only enqueue.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "viewer/input/host_clipboard.h"

namespace periscope::viewer {

class GuestClipboard {
  public:
    struct Callbacks {
        // The guest copied something and offers `types` (empty: it offers nothing we carry).
        std::function<void(std::vector<ClipboardType> types)> on_grab;
        // The guest dropped its clipboard.
        std::function<void()> on_release;
        // A guest application pastes what we offered: answer with provide().
        std::function<void(ClipboardType type)> on_request;
        // The guest's bytes for an earlier request(); ok=false if none came.
        std::function<void(ClipboardType type, bool ok, std::vector<uint8_t> data)> on_data;
        // The agent came or went: offers made before are void.
        std::function<void(bool connected)> on_agent;
    };

    virtual ~GuestClipboard() = default;
    virtual void set_clipboard_callbacks(Callbacks callbacks) = 0;
    // The host copied something: offer it to the guest.
    virtual void grab(std::vector<ClipboardType> types) = 0;
    virtual void release() = 0;
    // Ask the guest for its clipboard's `type`; answered through on_data.
    virtual void request(ClipboardType type) = 0;
    // Answer an on_request (empty data with ok=false: nothing to give).
    virtual void provide(ClipboardType type, bool ok, std::vector<uint8_t> data) = 0;
};

}  // namespace periscope::viewer
