#include "viewer/input/spice/spice_input.h"

#include <spice-client.h>
#include <spice/vd_agent.h>

#include <algorithm>
#include <utility>

#include "core/format.h"
#include "core/log.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "spice";
constexpr guint FIRST_RETRY_MS = 500;
constexpr guint LAST_RETRY_MS = 5000;

std::atomic<bool> g_instance_exists{false};

std::optional<ClipboardType> from_agent_type(guint type) {
    switch (type) {
        case VD_AGENT_CLIPBOARD_UTF8_TEXT:
            return ClipboardType::Utf8Text;
        case VD_AGENT_CLIPBOARD_IMAGE_PNG:
            return ClipboardType::Png;
        default:
            return std::nullopt;
    }
}

guint32 to_agent_type(ClipboardType type) {
    return type == ClipboardType::Png ? VD_AGENT_CLIPBOARD_IMAGE_PNG : VD_AGENT_CLIPBOARD_UTF8_TEXT;
}

}  // namespace

// Everything below the mutex line is the SPICE thread's alone.
struct SpiceInput::Connection {
    SpiceInput* owner = nullptr;
    SpiceOptions options;

    mutable std::mutex mutex;  // guards status and callbacks (read by the main thread)
    InputStatus status;
    Callbacks callbacks;
    // status.changes, readable without the lock: the main thread polls it while it waits.
    std::atomic<uint64_t> changes{0};

    // Under `mutex`: the status changed.
    void bump() { changes.store(++status.changes, std::memory_order_release); }

    GMainLoop* loop = nullptr;
    SpiceSession* session = nullptr;
    SpiceMainChannel* main = nullptr;
    SpiceInputsChannel* inputs = nullptr;
    guint retry_source = 0;
    guint retry_ms = FIRST_RETRY_MS;
    std::string last_problem;  // logged once until it changes

    void set_status(InputState state, std::string detail) {
        std::lock_guard lock(mutex);
        if (status.state == state && status.detail == detail) {
            return;
        }
        status.state = state;
        status.detail = std::move(detail);
        bump();
    }
    void update_mouse_and_agent() {
        if (main == nullptr) {
            return;
        }
        gint mode = 0;
        gboolean agent = FALSE;
        g_object_get(main, "mouse-mode", &mode, "agent-connected", &agent, nullptr);
        const MouseMode mouse = mode == SPICE_MOUSE_MODE_CLIENT   ? MouseMode::Client
                                : mode == SPICE_MOUSE_MODE_SERVER ? MouseMode::Server
                                                                  : MouseMode::Unknown;
        bool agent_changed = false;
        Callbacks cb;
        {
            std::lock_guard lock(mutex);
            agent_changed = status.agent != (agent != FALSE);
            if (status.mouse_mode != mouse || agent_changed) {
                status.mouse_mode = mouse;
                status.agent = agent != FALSE;
                bump();
            }
            cb = callbacks;
        }
        if (agent_changed) {
            PERISCOPE_LOG_INFO(MODULE, "guest agent %s", agent ? "connected" : "gone");
            if (cb.on_agent) {
                cb.on_agent(agent != FALSE);
            }
        }
    }
    Callbacks callbacks_copy() const {
        std::lock_guard lock(mutex);
        return callbacks;
    }

    void connect();
    void disconnect();
    void schedule_retry(const std::string& problem);
};

namespace {

using Connection = SpiceInput::Connection;

void on_channel_event(SpiceChannel* channel, SpiceChannelEvent event, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    const bool is_main = SPICE_IS_MAIN_CHANNEL(channel);
    switch (event) {
        case SPICE_CHANNEL_OPENED:
            if (is_main) {
                c->update_mouse_and_agent();
                // Absolute positioning whenever the server can do it: clicks land where the
                // host cursor is, without capturing the mouse.
                spice_main_channel_request_mouse_mode(SPICE_MAIN_CHANNEL(channel),
                                                      SPICE_MOUSE_MODE_CLIENT);
            } else {
                // Input reaches the guest once the inputs channel is open.
                c->retry_ms = FIRST_RETRY_MS;
                c->last_problem.clear();
                const std::string target = c->options.target.describe();
                PERISCOPE_LOG_INFO(MODULE, "connected to the SPICE server at %s", target.c_str());
                c->set_status(InputState::Connected, target);
            }
            return;
        case SPICE_CHANNEL_SWITCHING:
            return;
        default:
            break;
    }
    const GError* error = spice_channel_get_error(channel);
    std::string why;
    switch (event) {
        case SPICE_CHANNEL_CLOSED:
            why = "the server closed the connection";
            break;
        case SPICE_CHANNEL_ERROR_AUTH:
            why =
                "the server refused the password (set --spice-password or "
                "PERISCOPE_SPICE_PASSWORD)";
            break;
        case SPICE_CHANNEL_ERROR_TLS:
            why = "TLS failed (check --spice-ca-file)";
            break;
        case SPICE_CHANNEL_ERROR_LINK:
            why = "the server refused the link";
            break;
        case SPICE_CHANNEL_ERROR_CONNECT:
            why = "cannot connect";
            break;
        case SPICE_CHANNEL_ERROR_IO:
            why = "connection lost";
            break;
        default:
            why = format_text("channel event %d", static_cast<int>(event));
            break;
    }
    if (error != nullptr && error->message != nullptr) {
        why += std::string(": ") + error->message;
    }
    c->schedule_retry(why);
}

void on_mouse_or_agent(GObject* /*object*/, GParamSpec* /*pspec*/, gpointer data) {
    static_cast<Connection*>(data)->update_mouse_and_agent();
}

gboolean on_clipboard_grab(SpiceMainChannel* /*main*/, guint selection, gpointer types_ptr,
                           guint ntypes, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    if (selection != VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD) {
        return TRUE;  // PRIMARY and SECONDARY stay in the guest
    }
    const auto* types = static_cast<const guint32*>(types_ptr);
    std::vector<ClipboardType> ours;
    for (guint i = 0; i < ntypes; ++i) {
        if (auto t = from_agent_type(types[i]);
            t && std::find(ours.begin(), ours.end(), *t) == ours.end()) {
            ours.push_back(*t);
        }
    }
    if (auto cb = c->callbacks_copy(); cb.on_grab) {
        cb.on_grab(std::move(ours));
    }
    return TRUE;
}

void on_clipboard_release(SpiceMainChannel* /*main*/, guint selection, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    if (selection != VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD) {
        return;
    }
    if (auto cb = c->callbacks_copy(); cb.on_release) {
        cb.on_release();
    }
}

gboolean on_clipboard_request(SpiceMainChannel* main, guint selection, guint type, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    const auto ours = from_agent_type(type);
    auto cb = c->callbacks_copy();
    if (selection != VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD || !ours || !cb.on_request) {
        spice_main_channel_clipboard_selection_notify(main, selection, type, nullptr, 0);
        return TRUE;
    }
    cb.on_request(*ours);
    return TRUE;
}

void on_clipboard_data(SpiceMainChannel* /*main*/, guint selection, guint type, gpointer bytes,
                       guint size, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    const auto ours = from_agent_type(type);
    if (selection != VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD || !ours) {
        return;
    }
    const auto* begin = static_cast<const uint8_t*>(bytes);
    std::vector<uint8_t> copy(begin, begin + size);
    if (auto cb = c->callbacks_copy(); cb.on_data) {
        cb.on_data(*ours, true, std::move(copy));
    }
}

void on_channel_new(SpiceSession* /*session*/, SpiceChannel* channel, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    if (SPICE_IS_MAIN_CHANNEL(channel)) {
        c->main = SPICE_MAIN_CHANNEL(channel);
        g_signal_connect(channel, "channel-event", G_CALLBACK(on_channel_event), c);
        g_signal_connect(channel, "notify::mouse-mode", G_CALLBACK(on_mouse_or_agent), c);
        g_signal_connect(channel, "notify::agent-connected", G_CALLBACK(on_mouse_or_agent), c);
        g_signal_connect(channel, "main-clipboard-selection-grab", G_CALLBACK(on_clipboard_grab),
                         c);
        g_signal_connect(channel, "main-clipboard-selection-release",
                         G_CALLBACK(on_clipboard_release), c);
        g_signal_connect(channel, "main-clipboard-selection-request",
                         G_CALLBACK(on_clipboard_request), c);
        g_signal_connect(channel, "main-clipboard-selection", G_CALLBACK(on_clipboard_data), c);
        return;
    }
    if (SPICE_IS_INPUTS_CHANNEL(channel)) {
        c->inputs = SPICE_INPUTS_CHANNEL(channel);
        g_signal_connect(channel, "channel-event", G_CALLBACK(on_channel_event), c);
        spice_channel_connect(channel);  // spice-glib connects only the main channel itself
        return;
    }
    // The picture comes from shared memory: display, cursor, audio and the rest are never
    // connected, so the server never encodes what nobody looks at.
    gint type = 0;
    g_object_get(channel, "channel-type", &type, nullptr);
    PERISCOPE_LOG_DEBUG(MODULE, "not connecting the %s channel",
                        spice_channel_type_to_string(type));
}

void on_channel_destroy(SpiceSession* /*session*/, SpiceChannel* channel, gpointer data) {
    auto* c = static_cast<Connection*>(data);
    if (SPICE_IS_MAIN_CHANNEL(channel) && c->main == SPICE_MAIN_CHANNEL(channel)) {
        c->main = nullptr;
    }
    if (SPICE_IS_INPUTS_CHANNEL(channel) && c->inputs == SPICE_INPUTS_CHANNEL(channel)) {
        c->inputs = nullptr;
    }
}

gboolean retry_now(gpointer data) {
    auto* c = static_cast<Connection*>(data);
    c->retry_source = 0;
    c->connect();
    return G_SOURCE_REMOVE;
}

}  // namespace

void SpiceInput::Connection::connect() {
    session = spice_session_new();
    const SpiceTarget& t = options.target;
    if (t.kind == SpiceTarget::Kind::Unix) {
        g_object_set(session, "unix-path", t.path.c_str(), nullptr);
    } else {
        g_object_set(session, "host", t.host.c_str(), nullptr);
        if (t.port != 0) {
            const std::string port = std::to_string(t.port);
            g_object_set(session, "port", port.c_str(), nullptr);
        }
        if (t.tls_port != 0) {
            const std::string port = std::to_string(t.tls_port);
            g_object_set(session, "tls-port", port.c_str(), nullptr);
        }
    }
    if (!options.password.empty()) {
        g_object_set(session, "password", options.password.c_str(), nullptr);
    }
    if (!options.ca_file.empty()) {
        g_object_set(session, "ca-file", options.ca_file.c_str(), nullptr);
    }
    // Audio and USB redirection are not ours (yet): do not let spice-glib open them.
    g_object_set(session, "enable-audio", FALSE, "enable-usbredir", FALSE, nullptr);
    g_signal_connect(session, "channel-new", G_CALLBACK(on_channel_new), this);
    g_signal_connect(session, "channel-destroy", G_CALLBACK(on_channel_destroy), this);
    if (!spice_session_connect(session)) {
        schedule_retry("spice_session_connect refused the settings");
    }
}

void SpiceInput::Connection::disconnect() {
    if (session == nullptr) {
        return;
    }
    g_signal_handlers_disconnect_by_data(session, this);
    if (main != nullptr) {
        g_signal_handlers_disconnect_by_data(main, this);
    }
    if (inputs != nullptr) {
        g_signal_handlers_disconnect_by_data(inputs, this);
    }
    spice_session_disconnect(session);
    g_object_unref(session);
    session = nullptr;
    main = nullptr;
    inputs = nullptr;
}

void SpiceInput::Connection::schedule_retry(const std::string& problem) {
    const bool was_connected = [&] {
        std::lock_guard lock(mutex);
        return status.state == InputState::Connected;
    }();
    if (problem != last_problem || was_connected) {
        PERISCOPE_LOG_WARN(MODULE, "SPICE at %s: %s; input unavailable, retrying",
                           options.target.describe().c_str(), problem.c_str());
        last_problem = problem;
    }
    {
        std::lock_guard lock(mutex);
        if (status.agent || status.mouse_mode != MouseMode::Unknown) {
            status.agent = false;
            status.mouse_mode = MouseMode::Unknown;
            bump();
        }
    }
    set_status(InputState::Unavailable, problem);
    if (retry_source != 0) {
        return;  // several channels report one loss
    }
    if (auto cb = callbacks_copy(); cb.on_agent) {
        cb.on_agent(false);
    }
    // Not from inside the session's own signal: tear it down from the loop, then wait.
    g_idle_add(
        [](gpointer data) -> gboolean {
            static_cast<Connection*>(data)->disconnect();
            return G_SOURCE_REMOVE;
        },
        this);
    retry_source = g_timeout_add(retry_ms, retry_now, this);
    retry_ms = std::min(retry_ms * 2, LAST_RETRY_MS);
}

std::unique_ptr<SpiceInput> SpiceInput::start(SpiceOptions options, std::string* error) {
    if (g_instance_exists.exchange(true)) {
        *error = "one SPICE connection per process (spice-glib runs on the global main context)";
        return nullptr;
    }
    std::unique_ptr<SpiceInput> input(new SpiceInput(std::move(options)));
    input->m_thread = std::thread([raw = input.get()] { raw->thread_main(); });
    return input;
}

SpiceInput::SpiceInput(SpiceOptions options)
    : m_options(std::move(options)), m_connection(std::make_unique<Connection>()) {
    m_connection->owner = this;
    m_connection->options = m_options;
    m_connection->status.state = InputState::Connecting;
    m_connection->status.detail = m_options.target.describe();
    m_connection->status.changes = 1;
    m_connection->changes = 1;
}

SpiceInput::~SpiceInput() {
    m_stopping = true;
    invoke([](Connection& c) { g_main_loop_quit(c.loop); });
    if (m_thread.joinable()) {
        m_thread.join();
    }
    g_instance_exists = false;
}

void SpiceInput::thread_main() {
    GMainContext* context = g_main_context_default();
    if (!g_main_context_acquire(context)) {
        PERISCOPE_LOG_ERROR(MODULE, "another thread owns GLib's main context: input disabled");
        m_connection->set_status(InputState::Unavailable, "GLib main context busy");
        return;
    }
    Connection& c = *m_connection;
    c.loop = g_main_loop_new(context, FALSE);
    PERISCOPE_LOG_INFO(MODULE, "connecting to the SPICE server at %s",
                       m_options.target.describe().c_str());
    c.connect();
    g_main_loop_run(c.loop);
    if (c.retry_source != 0) {
        g_source_remove(c.retry_source);
        c.retry_source = 0;
    }
    c.disconnect();
    // Let spice-glib finish closing its sockets, and free closures queued after the quit.
    for (int i = 0; i < 100 && g_main_context_pending(context); ++i) {
        g_main_context_iteration(context, FALSE);
    }
    g_main_loop_unref(c.loop);
    c.loop = nullptr;
    g_main_context_release(context);
}

void SpiceInput::invoke(std::function<void(Connection&)> work) {
    struct Call {
        SpiceInput* self;
        std::function<void(Connection&)> work;
    };
    auto* call = new Call{this, std::move(work)};
    g_main_context_invoke_full(
        g_main_context_default(), G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
            auto* queued = static_cast<Call*>(data);
            queued->work(*queued->self->m_connection);
            return G_SOURCE_REMOVE;
        },
        call, [](gpointer data) { delete static_cast<Call*>(data); });
}

uint64_t SpiceInput::status_changes() const {
    return m_connection->changes.load(std::memory_order_acquire);
}

InputStatus SpiceInput::status() const {
    std::lock_guard lock(m_connection->mutex);
    return m_connection->status;
}

void SpiceInput::key_down(uint32_t scancode) {
    invoke([scancode](Connection& c) {
        if (c.inputs != nullptr) {
            spice_inputs_channel_key_press(c.inputs, scancode);
        }
    });
}

void SpiceInput::key_up(uint32_t scancode) {
    invoke([scancode](Connection& c) {
        if (c.inputs != nullptr) {
            spice_inputs_channel_key_release(c.inputs, scancode);
        }
    });
}

void SpiceInput::key_press_and_release(uint32_t scancode) {
    invoke([scancode](Connection& c) {
        if (c.inputs != nullptr) {
            spice_inputs_channel_key_press_and_release(c.inputs, scancode);
        }
    });
}

void SpiceInput::motion(int32_t dx, int32_t dy, uint32_t buttons) {
    invoke([=](Connection& c) {
        if (c.inputs != nullptr) {
            spice_inputs_channel_motion(c.inputs, dx, dy, static_cast<gint>(buttons));
        }
    });
}

void SpiceInput::position(int32_t x, int32_t y, uint32_t buttons) {
    invoke([=](Connection& c) {
        if (c.inputs != nullptr) {
            spice_inputs_channel_position(c.inputs, x, y, 0, static_cast<gint>(buttons));
        }
    });
}

void SpiceInput::button(MouseButton button, bool pressed, uint32_t buttons) {
    invoke([=](Connection& c) {
        if (c.inputs == nullptr) {
            return;
        }
        if (pressed) {
            spice_inputs_channel_button_press(c.inputs, static_cast<gint>(button),
                                              static_cast<gint>(buttons));
        } else {
            spice_inputs_channel_button_release(c.inputs, static_cast<gint>(button),
                                                static_cast<gint>(buttons));
        }
    });
}

void SpiceInput::set_clipboard_callbacks(Callbacks callbacks) {
    std::lock_guard lock(m_connection->mutex);
    m_connection->callbacks = std::move(callbacks);
}

void SpiceInput::grab(std::vector<ClipboardType> types) {
    invoke([types = std::move(types)](Connection& c) {
        if (c.main == nullptr) {
            return;
        }
        std::vector<guint32> agent_types;
        for (ClipboardType t : types) {
            agent_types.push_back(to_agent_type(t));
        }
        spice_main_channel_clipboard_selection_grab(c.main, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD,
                                                    agent_types.data(),
                                                    static_cast<int>(agent_types.size()));
    });
}

void SpiceInput::release() {
    invoke([](Connection& c) {
        if (c.main != nullptr) {
            spice_main_channel_clipboard_selection_release(c.main,
                                                           VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD);
        }
    });
}

void SpiceInput::request(ClipboardType type) {
    invoke([type](Connection& c) {
        if (c.main != nullptr) {
            spice_main_channel_clipboard_selection_request(
                c.main, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD, to_agent_type(type));
        } else if (auto cb = c.callbacks_copy(); cb.on_data) {
            cb.on_data(type, false, {});
        }
    });
}

void SpiceInput::provide(ClipboardType type, bool ok, std::vector<uint8_t> data) {
    invoke([type, ok, data = std::move(data)](Connection& c) {
        if (c.main == nullptr) {
            return;
        }
        spice_main_channel_clipboard_selection_notify(
            c.main, VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD, to_agent_type(type),
            ok ? data.data() : nullptr, ok ? data.size() : 0);
    });
}

}  // namespace periscope::viewer
