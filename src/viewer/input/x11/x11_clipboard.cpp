#include "viewer/input/x11/x11_clipboard.h"

#include <cstdlib>
#include <utility>

#include "core/log.h"
#include "viewer/input/x11/x11_selection_engine.h"

namespace periscope::viewer {

using x11::Command;

X11Clipboard::X11Clipboard(std::unique_ptr<x11::SelectionEngine> engine, std::string description)
    : m_engine(std::move(engine)), m_description(std::move(description)) {
    // The X thread owns the engine's X state from here until the join in the destructor.
    m_thread = std::thread([engine = m_engine.get()] { engine->run(); });
}

X11Clipboard::~X11Clipboard() {
    Command command;
    command.kind = Command::Kind::Stop;
    m_engine->post(std::move(command));
    m_thread.join();
    // m_engine (connection, window) goes after the thread that used it.
}

void X11Clipboard::set_callbacks(OfferCallback on_offer, DemandCallback on_demand,
                                 DataCallback on_data) {
    m_engine->set_callbacks(std::move(on_offer), std::move(on_demand), std::move(on_data));
}

void X11Clipboard::offer(std::vector<ClipboardType> types) {
    Command command;
    command.kind = Command::Kind::Offer;
    command.types = std::move(types);
    m_engine->post(std::move(command));
}

void X11Clipboard::withdraw() {
    Command command;
    command.kind = Command::Kind::Withdraw;
    m_engine->post(std::move(command));
}

void X11Clipboard::provide(uint64_t request_id, bool ok, std::vector<uint8_t> data) {
    Command command;
    command.kind = Command::Kind::Provide;
    command.request_id = request_id;
    command.ok = ok;
    command.data = std::move(data);
    m_engine->post(std::move(command));
}

void X11Clipboard::fetch(ClipboardType type) {
    Command command;
    command.kind = Command::Kind::Fetch;
    command.type = type;
    m_engine->post(std::move(command));
}

std::unique_ptr<HostClipboard> make_x11_clipboard(const std::string& display, std::string* error) {
    return make_x11_clipboard(display, X11ClipboardOptions{}, error);
}

std::unique_ptr<HostClipboard> make_x11_clipboard(const std::string& display,
                                                  const X11ClipboardOptions& options,
                                                  std::string* error) {
    std::string ignored;
    std::string* out = error != nullptr ? error : &ignored;
    std::unique_ptr<x11::SelectionEngine> engine =
        x11::SelectionEngine::create(display, options, out);
    if (!engine) {
        return nullptr;
    }
    std::string shown = display;
    if (shown.empty()) {
        const char* env = std::getenv("DISPLAY");
        shown = env != nullptr ? env : "";
    }
    PERISCOPE_LOG_INFO("clipboard-x11", "watching the CLIPBOARD selection on %s", shown.c_str());
    return std::make_unique<X11Clipboard>(std::move(engine), "x11: " + shown);
}

}  // namespace periscope::viewer
