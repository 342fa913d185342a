// The shared-memory wire format, version 1.0. Every struct here is specified, field by field, with
// who writes and who reads it, in docs/design/shm-protocol.md §2; the static_asserts pin the
// offsets given there. All fields little-endian (x86 and arm64 hosts both are), offsets never
// pointers. Cross-party words are accessed only through shm_word.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/align.h"

namespace periscope::protocol {

constexpr uint64_t MAGIC = 0x504F435349524550ULL;  // "PERISCOP" read as little-endian bytes
constexpr uint16_t VERSION_MAJOR = 1;
constexpr uint16_t VERSION_MINOR = 0;

constexpr uint32_t HEADER_SIZE = 4096;
constexpr uint32_t RING_COUNT = 16;
constexpr uint32_t MAX_BUFFERS = 8;
constexpr uint32_t MAX_CONSUMERS = 16;
constexpr uint32_t MAX_DAMAGE_RECTS = 32;
constexpr uint32_t SHAPE_COUNT = 2;
constexpr uint32_t MAILBOX_SIZE = 4;
constexpr uint32_t MAX_DIMENSION = 16384;
constexpr uint32_t DEFAULT_CURSOR_MAX_DIM = 256;
constexpr uint32_t MIN_CURSOR_MAX_DIM = 64;
constexpr uint32_t MAX_CURSOR_MAX_DIM = 1024;

// Optional features (header.features): a consumer may ignore bits it does not know.
constexpr uint64_t FEATURE_FRAME_CHECKSUM = 1ULL << 0;
constexpr uint64_t FEATURE_CURSOR = 1ULL << 1;
constexpr uint64_t FEATURE_DAMAGE = 1ULL << 2;
// Required features (header.required_features): version 1.0 defines none.
constexpr uint64_t KNOWN_REQUIRED_FEATURES = 0;

enum class ProducerState : uint32_t { Initialising = 0, Running = 1, Stopped = 2 };

enum class Format : uint32_t {
    Invalid = 0,
    BGRA8 = 1,
    RGBA8 = 2,
    RGB10A2 = 3,
    BGR10A2 = 4,
    RGBA16F = 5,
};

// Bytes per pixel, or 0 for a value that is not a known format.
constexpr uint32_t bytes_per_pixel(Format format) {
    switch (format) {
        case Format::BGRA8:
        case Format::RGBA8:
        case Format::RGB10A2:
        case Format::BGR10A2:
            return 4;
        case Format::RGBA16F:
            return 8;
        case Format::Invalid:
            return 0;
    }
    return 0;
}
const char* to_string(Format format);
// Accepts the names above, case-insensitively; Format::Invalid otherwise.
Format parse_format(const char* text);

// ---- RegionHeader: offset 0. Writers: P = producer, C = consumer (see the design doc table). ----
struct RegionHeader {
    // line 0: identity, written by P at init (magic last), read by C
    uint64_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    uint32_t header_size;
    uint64_t session_id;
    uint64_t region_size;
    uint64_t features;
    uint64_t required_features;
    uint32_t producer_pid;
    uint32_t heartbeat_period_ms;
    uint64_t reserved0;
    // lines 1-2: layout, written by P at init, read and validated by C
    uint64_t ring_offset;
    uint32_t ring_count;
    uint32_t frame_record_size;
    uint64_t bufdesc_offset;
    uint32_t buffer_count;
    uint32_t bufdesc_size;
    uint64_t buffer_offset;
    uint64_t buffer_capacity;
    uint64_t consumer_offset;
    uint32_t consumer_count;
    uint32_t consumer_slot_size;
    uint64_t cursor_offset;
    uint64_t shape_desc_offset;
    uint32_t shape_count;
    uint32_t cursor_max_dim;
    uint64_t shape_data_offset;
    uint64_t shape_data_capacity;
    uint64_t reserved1[3];
    // line 3: liveness, written by P, read by C
    uint32_t producer_state;
    uint32_t reserved2;
    uint64_t producer_heartbeat;
    uint64_t reserved3[6];
    // line 4: the frame announcement, alone in its line (busy-polled by every consumer)
    uint64_t latest_serial;
    uint64_t reserved4[7];
    // line 5: statistics, written by P, informational
    uint64_t frames_posted;
    uint64_t frames_dropped;
    uint64_t buffers_stolen;
    uint64_t consumers_evicted;
    uint64_t messages_rejected;
    // The newest frame P could not post because it does not fit a buffer (0 = none since the
    // last posted frame): lets C tell the user which size the region needs. Written by P
    // (relaxed; the four fields may be seen torn, so C checks them against each other).
    uint64_t refused_frame_bytes;
    uint32_t refused_width;
    uint32_t refused_height;
    uint32_t refused_format;
    uint32_t reserved5;
    uint8_t reserved_tail[HEADER_SIZE - 384];
};
static_assert(sizeof(RegionHeader) == 4096);
static_assert(offsetof(RegionHeader, magic) == 0);
static_assert(offsetof(RegionHeader, version_major) == 8);
static_assert(offsetof(RegionHeader, version_minor) == 10);
static_assert(offsetof(RegionHeader, header_size) == 12);
static_assert(offsetof(RegionHeader, session_id) == 16);
static_assert(offsetof(RegionHeader, region_size) == 24);
static_assert(offsetof(RegionHeader, features) == 32);
static_assert(offsetof(RegionHeader, required_features) == 40);
static_assert(offsetof(RegionHeader, producer_pid) == 48);
static_assert(offsetof(RegionHeader, heartbeat_period_ms) == 52);
static_assert(offsetof(RegionHeader, ring_offset) == 64);
static_assert(offsetof(RegionHeader, ring_count) == 72);
static_assert(offsetof(RegionHeader, frame_record_size) == 76);
static_assert(offsetof(RegionHeader, bufdesc_offset) == 80);
static_assert(offsetof(RegionHeader, buffer_count) == 88);
static_assert(offsetof(RegionHeader, bufdesc_size) == 92);
static_assert(offsetof(RegionHeader, buffer_offset) == 96);
static_assert(offsetof(RegionHeader, buffer_capacity) == 104);
static_assert(offsetof(RegionHeader, consumer_offset) == 112);
static_assert(offsetof(RegionHeader, consumer_count) == 120);
static_assert(offsetof(RegionHeader, consumer_slot_size) == 124);
static_assert(offsetof(RegionHeader, cursor_offset) == 128);
static_assert(offsetof(RegionHeader, shape_desc_offset) == 136);
static_assert(offsetof(RegionHeader, shape_count) == 144);
static_assert(offsetof(RegionHeader, cursor_max_dim) == 148);
static_assert(offsetof(RegionHeader, shape_data_offset) == 152);
static_assert(offsetof(RegionHeader, shape_data_capacity) == 160);
static_assert(offsetof(RegionHeader, producer_state) == 192);
static_assert(offsetof(RegionHeader, producer_heartbeat) == 200);
static_assert(offsetof(RegionHeader, latest_serial) == 256);
static_assert(offsetof(RegionHeader, frames_posted) == 320);
static_assert(offsetof(RegionHeader, frames_dropped) == 328);
static_assert(offsetof(RegionHeader, buffers_stolen) == 336);
static_assert(offsetof(RegionHeader, consumers_evicted) == 344);
static_assert(offsetof(RegionHeader, messages_rejected) == 352);
static_assert(offsetof(RegionHeader, refused_frame_bytes) == 360);
static_assert(offsetof(RegionHeader, refused_width) == 368);
static_assert(offsetof(RegionHeader, refused_height) == 372);
static_assert(offsetof(RegionHeader, refused_format) == 376);

// ---- Damage rectangle, in frame pixels ----
struct Rect {
    uint32_t x;
    uint32_t y;
    uint32_t width;
    uint32_t height;
    friend bool operator==(const Rect&, const Rect&) = default;
};
static_assert(sizeof(Rect) == 16);

// ---- FrameRecord: ring of RING_COUNT, index serial % RING_COUNT. Written by P under the seqlock
// `seq`; copied (never used in place) by C. ----
constexpr uint32_t FRAME_FLAG_FULL_DAMAGE = 1u << 0;
constexpr uint32_t FRAME_FLAG_CHECKSUM = 1u << 1;
constexpr uint32_t FRAME_KNOWN_FLAGS = FRAME_FLAG_FULL_DAMAGE | FRAME_FLAG_CHECKSUM;

struct FrameRecord {
    uint64_t seq;
    uint64_t serial;
    uint64_t timestamp_ns;
    uint64_t checksum;
    uint32_t buffer_index;
    uint32_t format;
    uint32_t width;
    uint32_t height;
    uint32_t stride;
    uint32_t flags;
    uint32_t damage_count;
    uint32_t reserved;
    Rect damage[MAX_DAMAGE_RECTS];
};
static_assert(sizeof(FrameRecord) == 576);
static_assert(offsetof(FrameRecord, seq) == 0);
static_assert(offsetof(FrameRecord, serial) == 8);
static_assert(offsetof(FrameRecord, timestamp_ns) == 16);
static_assert(offsetof(FrameRecord, checksum) == 24);
static_assert(offsetof(FrameRecord, buffer_index) == 32);
static_assert(offsetof(FrameRecord, format) == 36);
static_assert(offsetof(FrameRecord, width) == 40);
static_assert(offsetof(FrameRecord, height) == 44);
static_assert(offsetof(FrameRecord, stride) == 48);
static_assert(offsetof(FrameRecord, flags) == 52);
static_assert(offsetof(FrameRecord, damage_count) == 56);
static_assert(offsetof(FrameRecord, damage) == 64);

// ---- BufferDesc: one per frame buffer. Written by P, read by C. ----
struct BufferDesc {
    uint64_t frame_serial;  // P: seq_cst store before any pixel of that frame; C: hold check
    uint32_t rows_ready;    // P: release, advancing; C: acquire, clamped to height
    uint32_t reserved0;
    uint64_t reserved1[6];
};
static_assert(sizeof(BufferDesc) == 64);
static_assert(offsetof(BufferDesc, frame_serial) == 0);
static_assert(offsetof(BufferDesc, rows_ready) == 8);

// ---- Consumer -> producer message ----
enum class MessageType : uint32_t { None = 0, CursorMove = 1, FullFrame = 2, WindowSize = 3 };
struct Message {
    uint32_t type;
    uint32_t a;  // CursorMove: x (i32 bits); WindowSize: width
    uint32_t b;  // CursorMove: y (i32 bits); WindowSize: height
    uint32_t reserved;
};
static_assert(sizeof(Message) == 16);

// ---- ConsumerSlot: lines 0 (consumer's), 1 (consumer's mailbox index), 2 (producer's mailbox
// index), 3 (the messages, written by C, read by P). ----
enum class ConsumerKind : uint32_t { Other = 0, Viewer = 1, Recorder = 2, Inspector = 3, Test = 4 };
constexpr size_t CONSUMER_NAME_SIZE = 24;

struct ConsumerSlot {
    uint64_t owner;        // C: CAS 0->token to join, token->0 to leave; P: CAS token->0 to evict
    uint64_t heartbeat;    // C: counter, bumped at least every 50 ms; P: staleness on its clock
    uint32_t held_buffer;  // C: seq_cst, 0 none, else index + 1; P: cleared on eviction
    uint32_t kind;         // C: ConsumerKind, informational
    uint64_t last_serial;  // C: last accepted frame, informational
    uint32_t pid;          // C: informational
    uint32_t reserved0;
    char name[CONSUMER_NAME_SIZE];  // C: informational, NUL padded
    uint32_t msg_write;             // C: release; P: acquire
    uint32_t reserved1[15];
    uint32_t msg_read;  // P: release; C: acquire
    uint32_t reserved2[15];
    Message messages[MAILBOX_SIZE];  // C writes, P copies out
};
static_assert(sizeof(ConsumerSlot) == 256);
static_assert(offsetof(ConsumerSlot, owner) == 0);
static_assert(offsetof(ConsumerSlot, heartbeat) == 8);
static_assert(offsetof(ConsumerSlot, held_buffer) == 16);
static_assert(offsetof(ConsumerSlot, kind) == 20);
static_assert(offsetof(ConsumerSlot, last_serial) == 24);
static_assert(offsetof(ConsumerSlot, pid) == 32);
static_assert(offsetof(ConsumerSlot, name) == 40);
static_assert(offsetof(ConsumerSlot, msg_write) == 64);
static_assert(offsetof(ConsumerSlot, msg_read) == 128);
static_assert(offsetof(ConsumerSlot, messages) == 192);

// ---- CursorState: written by P under the seqlock `seq`, copied by C. ----
constexpr uint32_t CURSOR_FLAG_VISIBLE = 1u << 0;
constexpr uint32_t CURSOR_KNOWN_FLAGS = CURSOR_FLAG_VISIBLE;

struct CursorState {
    uint64_t seq;
    int32_t x;
    int32_t y;
    uint32_t flags;
    uint32_t shape_slot;
    uint64_t shape_serial;
    uint64_t timestamp_ns;
    uint64_t update_count;
    uint64_t reserved[2];
};
static_assert(sizeof(CursorState) == 64);
static_assert(offsetof(CursorState, x) == 8);
static_assert(offsetof(CursorState, y) == 12);
static_assert(offsetof(CursorState, flags) == 16);
static_assert(offsetof(CursorState, shape_slot) == 20);
static_assert(offsetof(CursorState, shape_serial) == 24);
static_assert(offsetof(CursorState, timestamp_ns) == 32);
static_assert(offsetof(CursorState, update_count) == 40);

// ---- CursorShapeDesc: its seqlock covers the descriptor and the slot's pixels. P writes, C
// copies.
constexpr uint32_t SHAPE_FLAG_PREMULTIPLIED = 1u << 0;
constexpr uint32_t SHAPE_KNOWN_FLAGS = SHAPE_FLAG_PREMULTIPLIED;

struct CursorShapeDesc {
    uint64_t seq;
    uint64_t serial;
    uint32_t width;
    uint32_t height;
    uint32_t hotspot_x;
    uint32_t hotspot_y;
    uint32_t stride;
    uint32_t format;
    uint32_t flags;
    uint32_t reserved0;
    uint64_t reserved1[2];
};
static_assert(sizeof(CursorShapeDesc) == 64);
static_assert(offsetof(CursorShapeDesc, serial) == 8);
static_assert(offsetof(CursorShapeDesc, width) == 16);
static_assert(offsetof(CursorShapeDesc, hotspot_x) == 24);
static_assert(offsetof(CursorShapeDesc, stride) == 32);
static_assert(offsetof(CursorShapeDesc, format) == 36);
static_assert(offsetof(CursorShapeDesc, flags) == 40);

// ---- Layout: where everything is, as the producer computed it or the consumer validated it. ----
struct Layout {
    uint64_t region_size = 0;
    uint64_t ring_offset = 0;
    uint64_t bufdesc_offset = 0;
    uint32_t buffer_count = 0;
    uint64_t buffer_offset = 0;
    uint64_t buffer_capacity = 0;
    uint64_t consumer_offset = 0;
    uint32_t consumer_count = 0;
    uint64_t cursor_offset = 0;
    uint64_t shape_desc_offset = 0;
    uint32_t cursor_max_dim = 0;
    uint64_t shape_data_offset = 0;
    uint64_t shape_data_capacity = 0;

    uint64_t buffer_at(uint32_t index) const { return buffer_offset + index * buffer_capacity; }
    uint64_t shape_data_at(uint32_t slot) const {
        return shape_data_offset + slot * shape_data_capacity;
    }
};

// Bytes of everything before the cursor shape data: header, ring, descriptors, slots, cursor.
uint64_t control_size();
// Bytes one frame of this size takes in a buffer (stride = width * bpp, page-rounded).
uint64_t frame_bytes(uint32_t width, uint32_t height, Format format);
uint64_t shape_capacity(uint32_t cursor_max_dim);
// The region size needed for `buffers` buffers of `capacity` bytes each.
uint64_t required_region_size(uint64_t capacity, uint32_t buffers,
                              uint32_t cursor_max_dim = DEFAULT_CURSOR_MAX_DIM);
// The ivshmem size to configure in QEMU: the next power of two, at least 1 MiB.
uint64_t recommended_ivshmem_size(uint64_t required);

// Lays out `buffers` buffers of `capacity` bytes (page-rounded) after the control area.
Layout compute_layout(uint64_t capacity, uint32_t buffers, uint32_t cursor_max_dim);

}  // namespace periscope::protocol
