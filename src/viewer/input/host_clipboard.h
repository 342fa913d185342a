// The host's clipboard, as the clipboard bridge sees it: who owns the CLIPBOARD selection, which
// of our two types it offers, its bytes on request; and taking ownership on the guest's behalf.
// Back-ends: x11/ (xcb, its own connection and thread) and a null one for tests.
//
// Threads: every method may be called from any one thread (the viewer's main thread); callbacks
// run on the back-end's own thread and must only enqueue work, never call back into this object.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace periscope::viewer {

enum class ClipboardType : uint8_t { Utf8Text, Png };
inline const char* to_string(ClipboardType type) {
    return type == ClipboardType::Png ? "png" : "utf8-text";
}

class HostClipboard {
  public:
    // Another host application took the selection and offers `types` (possibly empty: it offers
    // nothing we can carry). Not called for ownership changes this object made itself.
    using OfferCallback = std::function<void(std::vector<ClipboardType> types)>;
    // A host application pasted our offer: produce the bytes of `type` with `provide` (any thread,
    // any time; an empty `data` with ok=false refuses the request). `request_id` pairs them.
    using DemandCallback = std::function<void(uint64_t request_id, ClipboardType type)>;
    // Host bytes fetched by `fetch`; ok=false if the owner refused, vanished or timed out.
    using DataCallback =
        std::function<void(ClipboardType type, bool ok, std::vector<uint8_t> data)>;

    virtual ~HostClipboard() = default;

    virtual void set_callbacks(OfferCallback on_offer, DemandCallback on_demand,
                               DataCallback on_data) = 0;
    // Own the selection, offering `types` (the guest copied something). Replaces an earlier offer.
    virtual void offer(std::vector<ClipboardType> types) = 0;
    // Give the selection up if we own it (the guest released its clipboard).
    virtual void withdraw() = 0;
    // Answer a DemandCallback.
    virtual void provide(uint64_t request_id, bool ok, std::vector<uint8_t> data) = 0;
    // Ask the current host owner for `type`; the answer comes through DataCallback.
    virtual void fetch(ClipboardType type) = 0;
    // "x11: :0" — for logs and the overlay.
    virtual std::string describe() const = 0;
};

}  // namespace periscope::viewer
