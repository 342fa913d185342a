#include "vdagent_wire.h"

#include <spice/vd_agent.h>

#include <algorithm>

namespace periscope::spice_harness {

namespace {

void put_u32(std::vector<uint8_t>* out, uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        out->push_back(static_cast<uint8_t>(value >> (8 * i)));
    }
}

void put_u64(std::vector<uint8_t>* out, uint64_t value) {
    for (int i = 0; i < 8; ++i) {
        out->push_back(static_cast<uint8_t>(value >> (8 * i)));
    }
}

uint32_t get_u32(std::span<const uint8_t> bytes, size_t offset) {
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) {
        value |= static_cast<uint32_t>(bytes[offset + i]) << (8 * i);
    }
    return value;
}

uint64_t get_u64(std::span<const uint8_t> bytes, size_t offset) {
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i) {
        value |= static_cast<uint64_t>(bytes[offset + i]) << (8 * i);
    }
    return value;
}

// The selection prefix: the selection byte and three reserved zero bytes.
void put_selection(std::vector<uint8_t>* out, const ClipboardFormat& format, uint8_t selection) {
    if (format.selection) {
        out->push_back(selection);
        out->push_back(0);
        out->push_back(0);
        out->push_back(0);
    }
}

// Reads the selection prefix if negotiated; false if the payload is too short for it.
bool take_selection(const ClipboardFormat& format, std::span<const uint8_t>* payload,
                    uint8_t* selection) {
    *selection = VD_AGENT_CLIPBOARD_SELECTION_CLIPBOARD;
    if (!format.selection) {
        return true;
    }
    if (payload->size() < 4) {
        return false;
    }
    *selection = (*payload)[0];
    *payload = payload->subspan(4);
    return true;
}

}  // namespace

std::vector<uint8_t> encode_message(uint32_t port, uint32_t type,
                                    std::span<const uint8_t> payload) {
    std::vector<uint8_t> message;
    message.reserve(MESSAGE_HEADER_SIZE + payload.size());
    put_u32(&message, VD_AGENT_PROTOCOL);
    put_u32(&message, type);
    put_u64(&message, 0);
    put_u32(&message, static_cast<uint32_t>(payload.size()));
    message.insert(message.end(), payload.begin(), payload.end());

    std::vector<uint8_t> out;
    const size_t chunks = (message.size() + VD_AGENT_MAX_DATA_SIZE - 1) / VD_AGENT_MAX_DATA_SIZE;
    out.reserve(message.size() + chunks * CHUNK_HEADER_SIZE);
    for (size_t pos = 0; pos < message.size(); pos += VD_AGENT_MAX_DATA_SIZE) {
        const size_t n = std::min<size_t>(VD_AGENT_MAX_DATA_SIZE, message.size() - pos);
        put_u32(&out, port);
        put_u32(&out, static_cast<uint32_t>(n));
        out.insert(out.end(), message.begin() + static_cast<std::ptrdiff_t>(pos),
                   message.begin() + static_cast<std::ptrdiff_t>(pos + n));
    }
    return out;
}

// ---- ChunkReader ------------------------------------------------------------------------------

void ChunkReader::feed(std::span<const uint8_t> bytes) {
    // Drop what was consumed before growing, so a long transfer does not keep every byte.
    if (m_input_pos > 0 && m_input_pos == m_input.size()) {
        m_input.clear();
        m_input_pos = 0;
    } else if (m_input_pos > (1u << 20)) {
        m_input.erase(m_input.begin(), m_input.begin() + static_cast<std::ptrdiff_t>(m_input_pos));
        m_input_pos = 0;
    }
    m_input.insert(m_input.end(), bytes.begin(), bytes.end());
}

void ChunkReader::reset() {
    m_input.clear();
    m_input_pos = 0;
    m_chunk_port = 0;
    m_chunk_remaining = 0;
    m_in_chunk = false;
    m_failed = false;
    m_ports.clear();
}

bool ChunkReader::fail(std::string* error, std::string text) {
    m_failed = true;
    if (error != nullptr) {
        *error = std::move(text);
    }
    return false;
}

ChunkReader::Status ChunkReader::next(AgentMessage* out, std::string* error) {
    if (m_failed) {
        return Status::Error;
    }
    for (;;) {
        if (!m_in_chunk) {
            if (m_input.size() - m_input_pos < CHUNK_HEADER_SIZE) {
                return Status::NeedMore;
            }
            std::span<const uint8_t> in(m_input);
            m_chunk_port = get_u32(in, m_input_pos);
            m_chunk_remaining = get_u32(in, m_input_pos + 4);
            m_input_pos += CHUNK_HEADER_SIZE;
            m_in_chunk = true;
            if (m_chunk_port != VDP_CLIENT_PORT && m_chunk_port != VDP_SERVER_PORT) {
                fail(error, "chunk for unknown port " + std::to_string(m_chunk_port));
                return Status::Error;
            }
        }
        if (m_chunk_remaining == 0) {
            m_in_chunk = false;  // an empty chunk carries nothing
            continue;
        }
        const size_t available = m_input.size() - m_input_pos;
        if (available == 0) {
            return Status::NeedMore;
        }
        PortStream& stream = m_ports[m_chunk_port];
        size_t take = std::min<size_t>(available, m_chunk_remaining);
        const uint8_t* src = m_input.data() + m_input_pos;

        if (!stream.have_header) {
            const size_t want = MESSAGE_HEADER_SIZE - stream.header.size();
            const size_t n = std::min(want, take);
            stream.header.insert(stream.header.end(), src, src + n);
            m_input_pos += n;
            m_chunk_remaining -= static_cast<uint32_t>(n);
            if (stream.header.size() < MESSAGE_HEADER_SIZE) {
                continue;
            }
            std::span<const uint8_t> h(stream.header);
            const uint32_t protocol = get_u32(h, 0);
            if (protocol != VD_AGENT_PROTOCOL) {
                fail(error, "message with protocol " + std::to_string(protocol));
                return Status::Error;
            }
            stream.message = AgentMessage{};
            stream.message.port = m_chunk_port;
            stream.message.type = get_u32(h, 4);
            stream.message.opaque = get_u64(h, 8);
            stream.remaining = get_u32(h, 16);
            if (stream.remaining > m_max_message_size) {
                fail(error, "message of " + std::to_string(stream.remaining) +
                                " bytes exceeds the limit of " +
                                std::to_string(m_max_message_size));
                return Status::Error;
            }
            stream.message.data.reserve(stream.remaining);
            stream.have_header = true;
        } else {
            const size_t n = std::min<size_t>(take, stream.remaining);
            stream.message.data.insert(stream.message.data.end(), src, src + n);
            m_input_pos += n;
            m_chunk_remaining -= static_cast<uint32_t>(n);
            stream.remaining -= static_cast<uint32_t>(n);
        }
        if (stream.have_header && stream.remaining == 0) {
            *out = std::move(stream.message);
            stream = PortStream{};
            return Status::Message;
        }
    }
}

// ---- payloads ---------------------------------------------------------------------------------

bool Capabilities::has(uint32_t cap) const {
    const size_t word = cap / 32;
    return word < words.size() && (words[word] & (1u << (cap % 32))) != 0;
}

void Capabilities::set(uint32_t cap) {
    const size_t word = cap / 32;
    if (words.size() <= word) {
        words.resize(word + 1, 0);
    }
    words[word] |= 1u << (cap % 32);
}

std::vector<uint8_t> encode_capabilities(const Capabilities& caps) {
    std::vector<uint8_t> out;
    put_u32(&out, caps.request ? 1 : 0);
    for (uint32_t word : caps.words) {
        put_u32(&out, word);
    }
    return out;
}

std::optional<Capabilities> decode_capabilities(std::span<const uint8_t> payload) {
    if (payload.size() < 4) {
        return std::nullopt;
    }
    Capabilities caps;
    caps.request = get_u32(payload, 0) != 0;
    // Trailing bytes that do not fill a word are ignored, as VD_AGENT_CAPS_SIZE_FROM_MSG_SIZE
    // does; more words than we know of are kept (has() simply finds them).
    const size_t count = (payload.size() - 4) / 4;
    for (size_t i = 0; i < count && i < 64; ++i) {
        caps.words.push_back(get_u32(payload, 4 + 4 * i));
    }
    return caps;
}

std::vector<uint8_t> encode_clipboard_grab(const ClipboardFormat& format,
                                           const ClipboardGrab& grab) {
    std::vector<uint8_t> out;
    put_selection(&out, format, grab.selection);
    if (format.grab_serial) {
        put_u32(&out, grab.serial.value_or(0));
    }
    for (uint32_t type : grab.types) {
        put_u32(&out, type);
    }
    return out;
}

std::optional<ClipboardGrab> decode_clipboard_grab(const ClipboardFormat& format,
                                                   std::span<const uint8_t> payload) {
    ClipboardGrab grab;
    if (!take_selection(format, &payload, &grab.selection)) {
        return std::nullopt;
    }
    if (format.grab_serial) {
        if (payload.size() < 4) {
            return std::nullopt;
        }
        grab.serial = get_u32(payload, 0);
        payload = payload.subspan(4);
    }
    if (payload.size() % 4 != 0) {
        return std::nullopt;
    }
    for (size_t i = 0; i < payload.size(); i += 4) {
        grab.types.push_back(get_u32(payload, i));
    }
    return grab;
}

std::vector<uint8_t> encode_clipboard_request(const ClipboardFormat& format,
                                              const ClipboardRequest& request) {
    std::vector<uint8_t> out;
    put_selection(&out, format, request.selection);
    put_u32(&out, request.type);
    return out;
}

std::optional<ClipboardRequest> decode_clipboard_request(const ClipboardFormat& format,
                                                         std::span<const uint8_t> payload) {
    ClipboardRequest request;
    if (!take_selection(format, &payload, &request.selection) || payload.size() < 4) {
        return std::nullopt;
    }
    request.type = get_u32(payload, 0);
    return request;
}

std::vector<uint8_t> encode_clipboard_data(const ClipboardFormat& format,
                                           const ClipboardData& data) {
    std::vector<uint8_t> out;
    out.reserve(8 + data.data.size());
    put_selection(&out, format, data.selection);
    put_u32(&out, data.type);
    out.insert(out.end(), data.data.begin(), data.data.end());
    return out;
}

std::optional<ClipboardData> decode_clipboard_data(const ClipboardFormat& format,
                                                   std::span<const uint8_t> payload) {
    ClipboardData data;
    if (!take_selection(format, &payload, &data.selection) || payload.size() < 4) {
        return std::nullopt;
    }
    data.type = get_u32(payload, 0);
    data.data.assign(payload.begin() + 4, payload.end());
    return data;
}

std::vector<uint8_t> encode_clipboard_release(const ClipboardFormat& format, uint8_t selection) {
    std::vector<uint8_t> out;
    put_selection(&out, format, selection);
    return out;
}

std::optional<uint8_t> decode_clipboard_release(const ClipboardFormat& format,
                                                std::span<const uint8_t> payload) {
    uint8_t selection = 0;
    if (!take_selection(format, &payload, &selection)) {
        return std::nullopt;
    }
    return selection;
}

std::optional<MouseState> decode_mouse_state(std::span<const uint8_t> payload) {
    if (payload.size() < 13) {
        return std::nullopt;
    }
    MouseState state;
    state.x = get_u32(payload, 0);
    state.y = get_u32(payload, 4);
    state.buttons = get_u32(payload, 8);
    state.display_id = payload[12];
    return state;
}

std::optional<int32_t> decode_max_clipboard(std::span<const uint8_t> payload) {
    if (payload.size() < 4) {
        return std::nullopt;
    }
    return static_cast<int32_t>(get_u32(payload, 0));
}

std::optional<uint32_t> decode_monitors_count(std::span<const uint8_t> payload) {
    if (payload.size() < 8) {
        return std::nullopt;
    }
    const uint32_t count = get_u32(payload, 0);
    // Each VDAgentMonConfig is 20 bytes; physical sizes may follow, so only a minimum.
    if (count > 256 || payload.size() < 8 + static_cast<size_t>(count) * 20) {
        return std::nullopt;
    }
    return count;
}

std::vector<uint8_t> encode_reply(uint32_t type, uint32_t error) {
    std::vector<uint8_t> out;
    put_u32(&out, type);
    put_u32(&out, error);
    return out;
}

std::string clipboard_type_name(uint32_t type) {
    switch (type) {
        case VD_AGENT_CLIPBOARD_NONE:
            return "none";
        case VD_AGENT_CLIPBOARD_UTF8_TEXT:
            return "utf8";
        case VD_AGENT_CLIPBOARD_IMAGE_PNG:
            return "png";
        case VD_AGENT_CLIPBOARD_IMAGE_BMP:
            return "bmp";
        case VD_AGENT_CLIPBOARD_IMAGE_TIFF:
            return "tiff";
        case VD_AGENT_CLIPBOARD_IMAGE_JPG:
            return "jpg";
        case VD_AGENT_CLIPBOARD_FILE_LIST:
            return "file_list";
        default:
            return "type" + std::to_string(type);
    }
}

std::optional<uint32_t> clipboard_type_from_name(const std::string& name) {
    for (uint32_t type = VD_AGENT_CLIPBOARD_UTF8_TEXT; type <= VD_AGENT_CLIPBOARD_FILE_LIST;
         ++type) {
        if (clipboard_type_name(type) == name) {
            return type;
        }
    }
    return std::nullopt;
}

}  // namespace periscope::spice_harness
