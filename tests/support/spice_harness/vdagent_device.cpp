#include "vdagent_device.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "json_out.h"

namespace periscope::spice_harness {

namespace {

void device_event(SpiceCharDeviceInstance*, uint8_t) {}

std::vector<std::string> type_names(const std::vector<uint32_t>& types) {
    std::vector<std::string> names;
    for (uint32_t type : types) {
        names.push_back(clipboard_type_name(type));
    }
    return names;
}

// Bounds what a client can make us buffer for one message (spice-glib's own default limit for
// clipboard data is 100 MiB; this leaves room for its headers).
constexpr uint32_t MAX_MESSAGE_SIZE = 128u << 20;

}  // namespace

VdagentDevice::VdagentDevice() : m_reader(MAX_MESSAGE_SIZE) {
    static SpiceCharDeviceInterface device_interface = [] {
        SpiceCharDeviceInterface sif{};
        sif.base.type = SPICE_INTERFACE_CHAR_DEVICE;
        sif.base.description = "periscope harness vdagent";
        sif.base.major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR;
        sif.base.minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR;
        sif.state = &VdagentDevice::on_state;
        sif.write = &VdagentDevice::on_write;
        sif.read = &VdagentDevice::on_read;
        sif.event = device_event;
        sif.flags = static_cast<spice_char_device_flags>(0);
        return sif;
    }();
    std::memset(&m_instance, 0, sizeof(m_instance));
    m_instance.sin.base.sif = &device_interface.base;
    m_instance.sin.subtype = "vdagent";
    m_instance.self = this;

    // What spice-vdagentd 0.22 announces, less audio volume sync (nothing to sync here).
    for (uint32_t cap :
         {VD_AGENT_CAP_MOUSE_STATE, VD_AGENT_CAP_MONITORS_CONFIG, VD_AGENT_CAP_REPLY,
          VD_AGENT_CAP_CLIPBOARD_BY_DEMAND, VD_AGENT_CAP_CLIPBOARD_SELECTION,
          VD_AGENT_CAP_SPARSE_MONITORS_CONFIG, VD_AGENT_CAP_GUEST_LINEEND_LF,
          VD_AGENT_CAP_MAX_CLIPBOARD, VD_AGENT_CAP_GRAPHICS_DEVICE_INFO,
          VD_AGENT_CAP_CLIPBOARD_NO_RELEASE_ON_REGRAB, VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL}) {
        m_ours.set(cap);
    }
    m_ours.words.resize(VD_AGENT_CAPS_SIZE, 0);
}

VdagentDevice* VdagentDevice::from(SpiceCharDeviceInstance* sin) {
    return reinterpret_cast<Instance*>(reinterpret_cast<char*>(sin) - offsetof(Instance, sin))
        ->self;
}

bool VdagentDevice::attach(SpiceServer* server) {
    if (m_attached) {
        return true;
    }
    m_reader.reset();
    m_out.clear();
    m_out_pos = 0;
    handle_client_disconnected();
    if (spice_server_add_interface(server, &m_instance.sin.base) != 0) {
        emit_error("spice-server refused the vdagent char device");
        return false;
    }
    m_attached = true;
    JsonLine("agent").str("event", "connected").emit();
    return true;
}

void VdagentDevice::detach() {
    if (!m_attached) {
        return;
    }
    spice_server_remove_interface(&m_instance.sin.base);
    m_attached = false;
    JsonLine("agent").str("event", "disconnected").emit();
}

// ---- spice-server callbacks --------------------------------------------------------------------

void VdagentDevice::on_state(SpiceCharDeviceInstance* sin, int connected) {
    // 0 also when the guest side broke the protocol, but removal says the same: only logged.
    log_line("vdagent device state %d", connected);
    (void)from(sin);
}

int VdagentDevice::on_write(SpiceCharDeviceInstance* sin, const uint8_t* buf, int len) {
    VdagentDevice* self = from(sin);
    if (len <= 0) {
        return 0;
    }
    self->m_reader.feed(std::span<const uint8_t>(buf, static_cast<size_t>(len)));
    for (;;) {
        AgentMessage message;
        std::string error;
        const ChunkReader::Status status = self->m_reader.next(&message, &error);
        if (status == ChunkReader::Status::NeedMore) {
            break;
        }
        if (status == ChunkReader::Status::Error) {
            emit_error("vdagent stream: " + error);
            self->m_reader.reset();  // resynchronise on the next write
            break;
        }
        self->handle(message);
    }
    return len;
}

int VdagentDevice::on_read(SpiceCharDeviceInstance* sin, uint8_t* buf, int len) {
    VdagentDevice* self = from(sin);
    const size_t available = self->m_out.size() - self->m_out_pos;
    const size_t n = std::min(available, static_cast<size_t>(std::max(len, 0)));
    if (n == 0) {
        return 0;  // nothing queued (and memcpy must not see an empty vector's null data())
    }
    std::memcpy(buf, self->m_out.data() + self->m_out_pos, n);
    self->m_out_pos += n;
    if (self->m_out_pos == self->m_out.size()) {
        self->m_out.clear();
        self->m_out_pos = 0;
    }
    return static_cast<int>(n);
}

// ---- sending -----------------------------------------------------------------------------------

void VdagentDevice::send(uint32_t type, const std::vector<uint8_t>& payload) {
    if (!m_attached) {
        emit_error("agent is detached; message type " + std::to_string(type) + " not sent");
        return;
    }
    if (m_out_pos > (4u << 20)) {  // drop what spice-server already read
        m_out.erase(m_out.begin(), m_out.begin() + static_cast<std::ptrdiff_t>(m_out_pos));
        m_out_pos = 0;
    }
    const std::vector<uint8_t> bytes = encode_message(VDP_CLIENT_PORT, type, payload);
    m_out.insert(m_out.end(), bytes.begin(), bytes.end());
    spice_server_char_device_wakeup(&m_instance.sin);
}

ClipboardFormat VdagentDevice::format() const {
    ClipboardFormat format;
    format.selection = m_client.has(VD_AGENT_CAP_CLIPBOARD_SELECTION) &&
                       m_ours.has(VD_AGENT_CAP_CLIPBOARD_SELECTION);
    format.grab_serial = m_client.has(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL) &&
                         m_ours.has(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL);
    return format;
}

bool VdagentDevice::clipboard_allowed() const {
    if (!m_client_known || !m_client.has(VD_AGENT_CAP_CLIPBOARD_BY_DEMAND)) {
        emit_error("no client with clipboard support is connected to the agent");
        return false;
    }
    return true;
}

// ---- guest-side actions ------------------------------------------------------------------------

void VdagentDevice::set_content(uint32_t type, std::vector<uint8_t> data) {
    m_content[type] = std::move(data);
}

void VdagentDevice::guest_grab(const std::vector<uint32_t>& types) {
    if (!clipboard_allowed()) {
        return;
    }
    ClipboardGrab grab;
    grab.selection = VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD;
    grab.serial = m_serial[grab.selection]++;
    grab.types = types;
    send(VD_AGENT_CLIPBOARD_GRAB, encode_clipboard_grab(format(), grab));
}

void VdagentDevice::guest_request(uint32_t type) {
    if (!clipboard_allowed()) {
        return;
    }
    send(VD_AGENT_CLIPBOARD_REQUEST,
         encode_clipboard_request(format(), {VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD, type}));
}

void VdagentDevice::guest_release() {
    if (!clipboard_allowed()) {
        return;
    }
    send(VD_AGENT_CLIPBOARD_RELEASE,
         encode_clipboard_release(format(), VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD));
}

// ---- incoming messages -------------------------------------------------------------------------

void VdagentDevice::handle(const AgentMessage& message) {
    const std::span<const uint8_t> payload(message.data);
    if (message.port == VDP_SERVER_PORT) {
        // From spice-server itself, not the client.
        if (message.type == VD_AGENT_CLIENT_DISCONNECTED) {
            log_line("agent: client disconnected");
            handle_client_disconnected();
        } else if (message.type == VD_AGENT_MOUSE_STATE) {
            if (const auto state = decode_mouse_state(payload)) {
                JsonLine("agent_mouse")
                    .num("x", state->x)
                    .num("y", state->y)
                    .num("buttons", state->buttons)
                    .num("display", state->display_id)
                    .emit();
            } else {
                emit_error("short VD_AGENT_MOUSE_STATE");
            }
        } else if (message.type == VD_AGENT_GRAPHICS_DEVICE_INFO) {
            log_line("agent: graphics device info (%zu bytes)", message.data.size());
        } else {
            log_line("agent: server message type %u ignored", message.type);
        }
        return;
    }

    switch (message.type) {
        case VD_AGENT_ANNOUNCE_CAPABILITIES:
            handle_capabilities(message);
            break;
        case VD_AGENT_CLIPBOARD_GRAB:
            handle_clipboard_grab(message);
            break;
        case VD_AGENT_CLIPBOARD_REQUEST:
            handle_clipboard_request(message);
            break;
        case VD_AGENT_CLIPBOARD: {
            const auto data = decode_clipboard_data(format(), payload);
            if (!data) {
                emit_error("short VD_AGENT_CLIPBOARD");
                break;
            }
            JsonLine line("clipboard_data");
            line.str("type", clipboard_type_name(data->type))
                .num("size", static_cast<int64_t>(data->data.size()))
                .str("data", base64_encode(data->data));
            if (data->selection != 0) {
                line.num("selection", data->selection);
            }
            line.emit();
            break;
        }
        case VD_AGENT_CLIPBOARD_RELEASE: {
            const auto selection = decode_clipboard_release(format(), payload);
            if (!selection) {
                emit_error("short VD_AGENT_CLIPBOARD_RELEASE");
                break;
            }
            JsonLine line("clipboard_release");
            if (*selection != 0) {
                line.num("selection", *selection);
            }
            line.emit();
            break;
        }
        case VD_AGENT_MONITORS_CONFIG: {
            const auto count = decode_monitors_count(payload);
            if (!count) {
                emit_error("malformed VD_AGENT_MONITORS_CONFIG");
                break;
            }
            JsonLine("monitors_config").num("count", *count).emit();
            send(VD_AGENT_REPLY, encode_reply(VD_AGENT_MONITORS_CONFIG, VD_AGENT_SUCCESS));
            break;
        }
        case VD_AGENT_DISPLAY_CONFIG:
            send(VD_AGENT_REPLY, encode_reply(VD_AGENT_DISPLAY_CONFIG, VD_AGENT_SUCCESS));
            break;
        case VD_AGENT_MAX_CLIPBOARD: {
            const auto max = decode_max_clipboard(payload);
            if (!max) {
                emit_error("short VD_AGENT_MAX_CLIPBOARD");
                break;
            }
            m_max_clipboard = *max;
            JsonLine("max_clipboard").num("max", *max).emit();
            break;
        }
        case VD_AGENT_MOUSE_STATE:
            log_line("agent: mouse state from the client port ignored");
            break;
        default:
            log_line("agent: message type %u (%zu bytes) ignored", message.type,
                     message.data.size());
    }
}

void VdagentDevice::handle_capabilities(const AgentMessage& message) {
    const auto caps = decode_capabilities(message.data);
    if (!caps) {
        emit_error("short VD_AGENT_ANNOUNCE_CAPABILITIES");
        return;
    }
    m_client = *caps;
    m_client_known = true;
    JsonLine("agent_caps")
        .boolean("request", caps->request)
        .boolean("clipboard", caps->has(VD_AGENT_CAP_CLIPBOARD_BY_DEMAND))
        .boolean("selection", caps->has(VD_AGENT_CAP_CLIPBOARD_SELECTION))
        .boolean("grab_serial", caps->has(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL))
        .emit();
    if (caps->request) {
        // A new client: its serials start from zero (as spice-vdagentd resets them).
        m_serial.fill(0);
        Capabilities reply = m_ours;
        reply.request = false;
        send(VD_AGENT_ANNOUNCE_CAPABILITIES, encode_capabilities(reply));
    }
}

void VdagentDevice::handle_clipboard_grab(const AgentMessage& message) {
    const auto grab = decode_clipboard_grab(format(), message.data);
    if (!grab) {
        emit_error("malformed VD_AGENT_CLIPBOARD_GRAB");
        return;
    }
    if (grab->serial) {
        // spice-vdagentd's rule: the client's grab made at the same time as ours (one behind)
        // wins; a current serial advances ours; anything else is stale.
        uint32_t& serial = m_serial[grab->selection];
        if (*grab->serial == serial - 1) {
            log_line("agent: client grab wins a race (serial %u)", *grab->serial);
        } else if (*grab->serial == serial) {
            ++serial;
        } else {
            log_line("agent: stale client grab discarded (serial %u, expected %u)", *grab->serial,
                     serial);
            JsonLine("clipboard_grab_discarded").num("serial", *grab->serial).emit();
            return;
        }
    }
    JsonLine line("clipboard_grab");
    line.str_array("types", type_names(grab->types));
    if (grab->selection != 0) {
        line.num("selection", grab->selection);
    }
    line.emit();
}

void VdagentDevice::handle_clipboard_request(const AgentMessage& message) {
    const auto request = decode_clipboard_request(format(), message.data);
    if (!request) {
        emit_error("short VD_AGENT_CLIPBOARD_REQUEST");
        return;
    }
    JsonLine line("clipboard_request");
    line.str("type", clipboard_type_name(request->type));
    if (request->selection != 0) {
        line.num("selection", request->selection);
    }
    line.emit();

    ClipboardData reply;
    reply.selection = request->selection;
    const auto it = m_content.find(request->type);
    if (it == m_content.end()) {
        // Nothing of that type: an empty answer of type NONE, so the client stops waiting.
        emit_error("client requested " + clipboard_type_name(request->type) +
                   " but the guest has none (use `set`)");
        reply.type = VD_AGENT_CLIPBOARD_NONE;
    } else if (m_max_clipboard >= 0 && it->second.size() > static_cast<size_t>(m_max_clipboard)) {
        // Like spice-vdagentd: too large for the client, answered empty instead.
        emit_error("clipboard of " + std::to_string(it->second.size()) +
                   " bytes exceeds the client's max_clipboard " + std::to_string(m_max_clipboard));
        reply.type = VD_AGENT_CLIPBOARD_NONE;
    } else {
        reply.type = request->type;
        reply.data = it->second;
    }
    send(VD_AGENT_CLIPBOARD, encode_clipboard_data(format(), reply));
}

void VdagentDevice::handle_client_disconnected() {
    m_client = Capabilities{};
    m_client_known = false;
    m_serial.fill(0);
    m_max_clipboard = -1;
}

}  // namespace periscope::spice_harness
