// The harness's agent wire format: byte-exact encodings, chunking at VD_AGENT_MAX_DATA_SIZE,
// reassembly from arbitrary splits, and rejection of malformed or oversized input.
#include "vdagent_wire.h"

#include <gtest/gtest.h>
#include <spice/vd_agent.h>

#include <random>

#include "json_out.h"

namespace periscope::spice_harness {
namespace {

std::vector<uint8_t> bytes_of(std::initializer_list<int> values) {
    std::vector<uint8_t> out;
    for (int v : values) {
        out.push_back(static_cast<uint8_t>(v));
    }
    return out;
}

TEST(VdagentWire, SmallMessageIsOneChunkWithLittleEndianHeaders) {
    const std::vector<uint8_t> payload = bytes_of({0xAA, 0xBB});
    const std::vector<uint8_t> out =
        encode_message(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD_REQUEST, payload);
    const std::vector<uint8_t> expected = bytes_of({
        1, 0, 0, 0, 22,   0,    0, 0,  // chunk: port 1, size 20 + 2
        1, 0, 0, 0, 8,    0,    0, 0,  // protocol 1, type 8 (clipboard request)
        0, 0, 0, 0, 0,    0,    0, 0,  // opaque
        2, 0, 0, 0, 0xAA, 0xBB,        // size 2, payload
    });
    EXPECT_EQ(out, expected);
}

TEST(VdagentWire, LargeMessageSplitsIntoMaxDataSizeChunks) {
    std::vector<uint8_t> payload(5000);
    for (size_t i = 0; i < payload.size(); ++i) {
        payload[i] = static_cast<uint8_t>(i * 7);
    }
    const std::vector<uint8_t> out = encode_message(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, payload);
    // 20 + 5000 = 5020 bytes of message = 2048 + 2048 + 924.
    ASSERT_EQ(out.size(), 5020u + 3 * CHUNK_HEADER_SIZE);
    size_t pos = 0;
    for (uint32_t expected : {2048u, 2048u, 924u}) {
        const uint32_t port = out[pos] | (out[pos + 1] << 8) | (out[pos + 2] << 16);
        const uint32_t size = out[pos + 4] | (out[pos + 5] << 8) | (out[pos + 6] << 16);
        EXPECT_EQ(port, 1u);
        EXPECT_EQ(size, expected);
        pos += CHUNK_HEADER_SIZE + size;
    }
    EXPECT_EQ(pos, out.size());
}

TEST(VdagentWire, ReaderReassemblesAcrossAnySplit) {
    std::vector<uint8_t> payload(7000);
    std::mt19937 rng(7);
    for (auto& b : payload) {
        b = static_cast<uint8_t>(rng());
    }
    std::vector<uint8_t> stream = encode_message(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, payload);
    const std::vector<uint8_t> second =
        encode_message(VDP_SERVER_PORT, VD_AGENT_CLIENT_DISCONNECTED, {});
    stream.insert(stream.end(), second.begin(), second.end());

    for (size_t piece : {1u, 3u, 8u, 19u, 2056u, 100000u}) {
        ChunkReader reader;
        std::vector<AgentMessage> got;
        for (size_t pos = 0; pos < stream.size(); pos += piece) {
            const size_t n = std::min(piece, stream.size() - pos);
            reader.feed(std::span<const uint8_t>(stream.data() + pos, n));
            AgentMessage message;
            std::string error;
            ChunkReader::Status status;
            while ((status = reader.next(&message, &error)) == ChunkReader::Status::Message) {
                got.push_back(message);
            }
            ASSERT_EQ(status, ChunkReader::Status::NeedMore) << error;
        }
        ASSERT_EQ(got.size(), 2u) << "piece " << piece;
        EXPECT_EQ(got[0].port, static_cast<uint32_t>(VDP_CLIENT_PORT));
        EXPECT_EQ(got[0].type, static_cast<uint32_t>(VD_AGENT_CLIPBOARD));
        EXPECT_EQ(got[0].data, payload);
        EXPECT_EQ(got[1].port, static_cast<uint32_t>(VDP_SERVER_PORT));
        EXPECT_EQ(got[1].type, static_cast<uint32_t>(VD_AGENT_CLIENT_DISCONNECTED));
        EXPECT_TRUE(got[1].data.empty());
        EXPECT_EQ(reader.buffered(), 0u);
    }
}

TEST(VdagentWire, ReaderRejectsOversizedMessageWrongProtocolAndUnknownPort) {
    {
        ChunkReader reader(1000);
        const std::vector<uint8_t> big(1001);
        reader.feed(encode_message(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, big));
        AgentMessage message;
        std::string error;
        EXPECT_EQ(reader.next(&message, &error), ChunkReader::Status::Error);
        EXPECT_NE(error.find("exceeds"), std::string::npos) << error;
        EXPECT_EQ(reader.next(&message, &error), ChunkReader::Status::Error);  // stays failed
        reader.reset();
        reader.feed(encode_message(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, {}));
        EXPECT_EQ(reader.next(&message, &error), ChunkReader::Status::Message);
    }
    {
        ChunkReader reader;
        std::vector<uint8_t> bad = encode_message(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, {});
        bad[CHUNK_HEADER_SIZE] = 2;  // protocol 2
        reader.feed(bad);
        AgentMessage message;
        std::string error;
        EXPECT_EQ(reader.next(&message, &error), ChunkReader::Status::Error);
    }
    {
        ChunkReader reader;
        std::vector<uint8_t> bad = encode_message(VDP_CLIENT_PORT, VD_AGENT_CLIPBOARD, {});
        bad[0] = 9;  // port 9
        reader.feed(bad);
        AgentMessage message;
        std::string error;
        EXPECT_EQ(reader.next(&message, &error), ChunkReader::Status::Error);
    }
}

TEST(VdagentWire, CapabilitiesRoundTrip) {
    Capabilities caps;
    caps.request = true;
    caps.set(VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
    caps.set(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL);
    const std::vector<uint8_t> bytes = encode_capabilities(caps);
    EXPECT_EQ(bytes, bytes_of({1, 0, 0, 0, 0x20, 0, 2, 0}));  // bits 5 and 17
    const auto decoded = decode_capabilities(bytes);
    ASSERT_TRUE(decoded);
    EXPECT_TRUE(decoded->request);
    EXPECT_TRUE(decoded->has(VD_AGENT_CAP_CLIPBOARD_BY_DEMAND));
    EXPECT_TRUE(decoded->has(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL));
    EXPECT_FALSE(decoded->has(VD_AGENT_CAP_CLIPBOARD_SELECTION));
    EXPECT_FALSE(decoded->has(200));
    EXPECT_FALSE(decode_capabilities(bytes_of({1, 0})));
}

TEST(VdagentWire, ClipboardMessagesWithAndWithoutSelectionAndSerial) {
    const ClipboardFormat plain;
    const ClipboardFormat full{true, true};

    ClipboardGrab grab;
    grab.selection = 1;
    grab.serial = 5;
    grab.types = {VD_AGENT_CLIPBOARD_UTF8_TEXT, VD_AGENT_CLIPBOARD_IMAGE_PNG};
    EXPECT_EQ(encode_clipboard_grab(full, grab),
              bytes_of({1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}));
    EXPECT_EQ(encode_clipboard_grab(plain, grab), bytes_of({1, 0, 0, 0, 2, 0, 0, 0}));
    const auto back = decode_clipboard_grab(full, encode_clipboard_grab(full, grab));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->selection, 1);
    EXPECT_EQ(back->serial, 5u);
    EXPECT_EQ(back->types, grab.types);
    EXPECT_FALSE(decode_clipboard_grab(full, bytes_of({0, 0, 0})));            // short prefix
    EXPECT_FALSE(decode_clipboard_grab(full, bytes_of({0, 0, 0, 0, 1, 0})));   // short serial
    EXPECT_FALSE(decode_clipboard_grab(plain, bytes_of({1, 0, 0, 0, 2, 0})));  // partial type

    EXPECT_EQ(encode_clipboard_request(full, {0, VD_AGENT_CLIPBOARD_IMAGE_PNG}),
              bytes_of({0, 0, 0, 0, 2, 0, 0, 0}));
    const auto request = decode_clipboard_request(plain, bytes_of({1, 0, 0, 0}));
    ASSERT_TRUE(request);
    EXPECT_EQ(request->type, 1u);
    EXPECT_FALSE(decode_clipboard_request(full, bytes_of({0, 0, 0, 0, 1})));

    ClipboardData data{0, VD_AGENT_CLIPBOARD_UTF8_TEXT, bytes_of({'h', 'i'})};
    EXPECT_EQ(encode_clipboard_data(full, data), bytes_of({0, 0, 0, 0, 1, 0, 0, 0, 'h', 'i'}));
    const auto data_back = decode_clipboard_data(full, encode_clipboard_data(full, data));
    ASSERT_TRUE(data_back);
    EXPECT_EQ(data_back->data, data.data);
    EXPECT_FALSE(decode_clipboard_data(plain, bytes_of({1, 0, 0})));

    EXPECT_EQ(encode_clipboard_release(full, 0), bytes_of({0, 0, 0, 0}));
    EXPECT_TRUE(encode_clipboard_release(plain, 0).empty());
    EXPECT_EQ(decode_clipboard_release(full, bytes_of({2, 0, 0, 0})), 2);
    EXPECT_FALSE(decode_clipboard_release(full, {}));
}

TEST(VdagentWire, SmallPayloads) {
    const auto state = decode_mouse_state(bytes_of({10, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 1}));
    ASSERT_TRUE(state);
    EXPECT_EQ(state->x, 10u);
    EXPECT_EQ(state->y, 20u);
    EXPECT_EQ(state->buttons, 2u);
    EXPECT_EQ(state->display_id, 1);
    EXPECT_FALSE(decode_mouse_state(bytes_of({10, 0, 0, 0})));
    EXPECT_EQ(decode_max_clipboard(bytes_of({0xFF, 0xFF, 0xFF, 0xFF})), -1);
    EXPECT_EQ(decode_monitors_count(std::vector<uint8_t>(28, 0)), 0u);
    std::vector<uint8_t> one(28, 0);
    one[0] = 1;
    EXPECT_EQ(decode_monitors_count(one), 1u);
    one[0] = 2;  // claims two, carries one
    EXPECT_FALSE(decode_monitors_count(one));
    EXPECT_EQ(encode_reply(VD_AGENT_MONITORS_CONFIG, VD_AGENT_SUCCESS),
              bytes_of({2, 0, 0, 0, 1, 0, 0, 0}));
    EXPECT_EQ(clipboard_type_name(VD_AGENT_CLIPBOARD_IMAGE_PNG), "png");
    EXPECT_EQ(clipboard_type_name(99), "type99");
    EXPECT_EQ(clipboard_type_from_name("utf8"), 1u);
    EXPECT_FALSE(clipboard_type_from_name("nope"));
}

TEST(JsonOut, Base64RoundTripAndStrictDecode) {
    for (size_t n = 0; n < 10; ++n) {
        // push_back: GCC 12 at -O3 warns falsely (-Wstringop-overflow) on indexed writes here.
        std::vector<uint8_t> data;
        for (size_t i = 0; i < n; ++i) {
            data.push_back(static_cast<uint8_t>(0xF0 + i));
        }
        const auto back = base64_decode(base64_encode(data));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, data);
    }
    EXPECT_EQ(base64_encode(bytes_of({'h', 'e', 'l', 'l', 'o'})), "aGVsbG8=");
    EXPECT_FALSE(base64_decode("aGVsbG8"));   // length
    EXPECT_FALSE(base64_decode("aG=sbG8="));  // '=' inside
    EXPECT_FALSE(base64_decode("aGVs*G8="));  // outside the alphabet
    EXPECT_EQ(json_escape("a\"b\\\n\x01"), "a\\\"b\\\\\\n\\u0001");
}

}  // namespace
}  // namespace periscope::spice_harness
