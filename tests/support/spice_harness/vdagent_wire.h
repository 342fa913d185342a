// The spice guest-agent wire format, as the guest side of the virtio port sees it: chunks
// (VDIChunkHeader: port, size) carrying messages (VDAgentMessage: protocol, type, opaque, size,
// then the payload), and the payloads the harness speaks. Plain byte work, no spice-server calls:
// everything is little-endian on the wire and every read is bounds-checked, because the bytes
// come from a client we do not trust.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace periscope::spice_harness {

// Byte sizes of the fixed headers (packed structs in spice/vd_agent.h).
inline constexpr size_t CHUNK_HEADER_SIZE = 8;     // port u32, size u32
inline constexpr size_t MESSAGE_HEADER_SIZE = 20;  // protocol u32, type u32, opaque u64, size u32

struct AgentMessage {
    uint32_t port = 0;  // VDP_CLIENT_PORT (the client) or VDP_SERVER_PORT (spice-server itself)
    uint32_t type = 0;
    uint64_t opaque = 0;
    std::vector<uint8_t> data;
};

// Encodes one message as the guest agent writes it: the message header and payload split into
// chunks of at most VD_AGENT_MAX_DATA_SIZE (2048) bytes, each with its own chunk header. Every
// message starts a new chunk, because spice-server's message filter expects a chunk to begin
// either a new message (whole header in it) or continue the current one, never both.
std::vector<uint8_t> encode_message(uint32_t port, uint32_t type, std::span<const uint8_t> payload);

// Reassembles messages from the byte stream spice-server writes into the device: chunks of any
// size and split anywhere (a write may end mid-header), per-port streams, messages spanning
// chunks. Messages larger than `max_message_size` and a wrong protocol number are errors: the
// reader then stops (reset() starts over) rather than allocating what a peer asks for.
class ChunkReader {
  public:
    enum class Status { NeedMore, Message, Error };

    explicit ChunkReader(uint32_t max_message_size = 256u << 20)
        : m_max_message_size(max_message_size) {}

    void feed(std::span<const uint8_t> bytes);
    // Status::Message fills `out`; Status::Error fills `error` once and stays in error.
    Status next(AgentMessage* out, std::string* error);
    void reset();
    // Bytes held but not yet returned as messages (tests and leak checks).
    size_t buffered() const { return m_input.size() - m_input_pos; }

  private:
    struct PortStream {
        std::vector<uint8_t> header;  // collects MESSAGE_HEADER_SIZE bytes
        bool have_header = false;
        AgentMessage message;
        uint32_t remaining = 0;  // payload bytes still missing
    };
    bool fail(std::string* error, std::string text);

    uint32_t m_max_message_size;
    std::vector<uint8_t> m_input;
    size_t m_input_pos = 0;
    uint32_t m_chunk_port = 0;
    uint32_t m_chunk_remaining = 0;  // payload bytes of the current chunk not yet consumed
    bool m_in_chunk = false;
    bool m_failed = false;
    std::map<uint32_t, PortStream> m_ports;
};

// ---- payloads ---------------------------------------------------------------------------------

// VD_AGENT_ANNOUNCE_CAPABILITIES: request u32, then capability bit words.
struct Capabilities {
    bool request = false;
    std::vector<uint32_t> words;

    bool has(uint32_t cap) const;
    void set(uint32_t cap);
};
std::vector<uint8_t> encode_capabilities(const Capabilities& caps);
std::optional<Capabilities> decode_capabilities(std::span<const uint8_t> payload);

// What both ends agreed on; decides the optional prefixes of the clipboard messages.
struct ClipboardFormat {
    bool selection = false;    // VD_AGENT_CAP_CLIPBOARD_SELECTION: selection u8 + 3 reserved bytes
    bool grab_serial = false;  // VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL: serial u32 after that (grab)
};

struct ClipboardGrab {
    uint8_t selection = 0;
    std::optional<uint32_t> serial;
    std::vector<uint32_t> types;
};
struct ClipboardRequest {
    uint8_t selection = 0;
    uint32_t type = 0;
};
struct ClipboardData {
    uint8_t selection = 0;
    uint32_t type = 0;
    std::vector<uint8_t> data;
};

std::vector<uint8_t> encode_clipboard_grab(const ClipboardFormat& format,
                                           const ClipboardGrab& grab);
std::optional<ClipboardGrab> decode_clipboard_grab(const ClipboardFormat& format,
                                                   std::span<const uint8_t> payload);
std::vector<uint8_t> encode_clipboard_request(const ClipboardFormat& format,
                                              const ClipboardRequest& request);
std::optional<ClipboardRequest> decode_clipboard_request(const ClipboardFormat& format,
                                                         std::span<const uint8_t> payload);
std::vector<uint8_t> encode_clipboard_data(const ClipboardFormat& format,
                                           const ClipboardData& data);
std::optional<ClipboardData> decode_clipboard_data(const ClipboardFormat& format,
                                                   std::span<const uint8_t> payload);
std::vector<uint8_t> encode_clipboard_release(const ClipboardFormat& format, uint8_t selection);
// The selection of a release (0 when selections were not negotiated).
std::optional<uint8_t> decode_clipboard_release(const ClipboardFormat& format,
                                                std::span<const uint8_t> payload);

struct MouseState {
    uint32_t x = 0;
    uint32_t y = 0;
    uint32_t buttons = 0;
    uint8_t display_id = 0;
};
std::optional<MouseState> decode_mouse_state(std::span<const uint8_t> payload);

// VD_AGENT_MAX_CLIPBOARD: i32, -1 = no limit.
std::optional<int32_t> decode_max_clipboard(std::span<const uint8_t> payload);

// VD_AGENT_MONITORS_CONFIG: the number of monitors, checked against the payload size.
std::optional<uint32_t> decode_monitors_count(std::span<const uint8_t> payload);

// VD_AGENT_REPLY: type u32, error u32.
std::vector<uint8_t> encode_reply(uint32_t type, uint32_t error);

// "utf8", "png", "bmp", "tiff", "jpg", "file_list"; "type<N>" for anything else.
std::string clipboard_type_name(uint32_t type);
// The reverse; nullopt for an unknown name.
std::optional<uint32_t> clipboard_type_from_name(const std::string& name);

}  // namespace periscope::spice_harness
