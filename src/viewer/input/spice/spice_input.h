// The SPICE back-end of InputSink and GuestClipboard: libspice-client-glib-2.0 on a thread of its
// own (docs/design/input.md, "SPICE connection").
//
// Threads: public methods run on the viewer's main thread and only queue a closure for the SPICE
// thread (g_main_context_invoke), so a slow or vanished server never holds up a frame. Every
// spice-glib object is created, used and destroyed on the SPICE thread, which runs GLib's global
// default main context: spice-glib attaches its sources there, so there can be one SpiceInput
// per process. status() reads a snapshot under a mutex.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "viewer/input/guest_clipboard.h"
#include "viewer/input/input_sink.h"
#include "viewer/input/spice_target.h"

namespace periscope::viewer {

struct SpiceOptions {
    SpiceTarget target;
    std::string password;  // empty: none
    std::string ca_file;   // TLS: the CA that signed the server's certificate; empty: system's
};

class SpiceInput final : public InputSink, public GuestClipboard {
  public:
    // Starts the SPICE thread, which connects (and reconnects) by itself. nullptr with *error
    // set only if the thread cannot start or another SpiceInput exists.
    static std::unique_ptr<SpiceInput> start(SpiceOptions options, std::string* error);
    ~SpiceInput() override;
    SpiceInput(const SpiceInput&) = delete;
    SpiceInput& operator=(const SpiceInput&) = delete;

    const char* name() const override { return "spice"; }
    InputStatus status() const override;
    // status().changes without copying the status or taking its lock: cheap enough to poll.
    uint64_t status_changes() const;

    void key_down(uint32_t scancode) override;
    void key_up(uint32_t scancode) override;
    void key_press_and_release(uint32_t scancode) override;
    void motion(int32_t dx, int32_t dy, uint32_t buttons) override;
    void position(int32_t x, int32_t y, uint32_t buttons) override;
    void button(MouseButton button, bool pressed, uint32_t buttons) override;

    void set_clipboard_callbacks(Callbacks callbacks) override;
    void grab(std::vector<ClipboardType> types) override;
    void release() override;
    void request(ClipboardType type) override;
    void provide(ClipboardType type, bool ok, std::vector<uint8_t> data) override;

    struct Connection;  // the SPICE thread's state (spice_input.cpp)

  private:
    explicit SpiceInput(SpiceOptions options);
    // Queues `work` for the SPICE thread; it runs there with the connection state.
    void invoke(std::function<void(Connection&)> work);
    void thread_main();

    SpiceOptions m_options;
    std::unique_ptr<Connection> m_connection;  // touched only on the SPICE thread once started
    std::thread m_thread;
    std::atomic<bool> m_stopping{false};
};

}  // namespace periscope::viewer
