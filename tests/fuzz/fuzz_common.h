// Shared by the fuzz targets and make_seeds: the region geometry both sides agree on and the input
// encoding. An input is
//
//     [image][script][script length: u16 little-endian]
//
// The image is copied over the start of the region (consumer fuzzer: the control area; producer
// inbox fuzzer: the consumer table), the script is a sequence of operations. The length sits at
// the end so that mutations which grow or shrink the image leave the script intact.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "core/log.h"
#include "protocol/layout.h"

#if defined(__SANITIZE_ADDRESS__)
#define PERISCOPE_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PERISCOPE_FUZZ_ASAN 1
#endif
#endif
#if defined(PERISCOPE_FUZZ_ASAN)
#include <sanitizer/asan_interface.h>
#endif

// Invariant violations abort, which libFuzzer reports as a crash with the input that caused it.
#define PERISCOPE_FUZZ_CHECK(cond)                                                            \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            (void)std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, \
                               #cond);                                                        \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)

namespace periscope::fuzz {

// Set from PERISCOPE_FUZZ_LOG: print every step's outcome.
inline bool g_trace = false;

// For LLVMFuzzerInitialize: logging costs more than the code under test, so it is off unless
// PERISCOPE_FUZZ_LOG is set; with the step trace it shows what a crashing input does.
inline void init_logging() {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): libFuzzer calls this once, before any thread.
    const bool log = std::getenv("PERISCOPE_FUZZ_LOG") != nullptr;
    set_log_level(log ? LogLevel::Debug : LogLevel::Off);
    g_trace = log;
}

// Small frames keep a whole region (and so the per-input reset) around 250 KiB, while a
// 64 KiB buffer still admits the extreme geometries 16384x1 and 1x16384 in BGRA8.
constexpr uint64_t FRAME_CAPACITY = uint64_t{64} * 1024;
constexpr uint32_t BUFFER_COUNT = 3;
constexpr uint32_t CURSOR_MAX_DIM = 64;

inline uint64_t region_size() {
    return protocol::required_region_size(FRAME_CAPACITY, BUFFER_COUNT, CURSOR_MAX_DIM);
}
// The layout a producer configured like make_seeds' computes on a region of region_size().
inline protocol::Layout nominal_layout() {
    return protocol::compute_layout(FRAME_CAPACITY, BUFFER_COUNT, CURSOR_MAX_DIM);
}

// ---- consumer fuzzer operations (argument bytes follow the opcode, see fuzz_consumer.cpp) ----
enum class ConsumerOp : uint8_t {
    Poll,              // -
    Advance,           // u16: fake clock += n * 100 us
    HasNewFrame,       // -: has_new_frame() and cursor_changed()
    WaitNewFrame,      // u8: bit 0 low-CPU mode, bits 1-5 a real deadline in us (0: at once)
    Acquire,           // -
    RowsReady,         // -
    WaitRows,          // u16 rows: deadline already passed
    TouchFrame,        // -: reads the first and last byte of every row of the held frame
    Release,           // -
    ReadFrame,         // u8 flags, u32 dst stride, u32 dst size
    ReadCursor,        // -
    ReadCursorShape,   // u8 source: even = last read_cursor(), odd = u8 slot, u64 serial follow
    SendCursorMove,    // i32 x, i32 y
    RequestFullFrame,  // -
    SendWindowSize,    // u32 width, u32 height
    Write,             // u32 offset (mod mapping), u8 length, bytes: the guest writes anything
    WriteWord,         // u16 word index (mod control area / 8), u64 value
    Post,              // u8 buffer, u8 format, u16 w, u16 h, u8 stride pad, u8 flags, u16 rows,
                       // u8 extra (bit 0 odd seq, bits 1-7 checksum), u8 damage count,
                       // count x (u8 x, y, w, h): a producer's frame post, written at the
                       // nominal layout's offsets
    SetRows,           // u8 buffer, u16 rows (nominal layout)
    Steal,             // u8 buffer: frame_serial += 1 (nominal layout)
    BumpHeartbeat,     // -: producer_heartbeat += 1
    Recreate,          // u8 flags (bit 0 join, bit 1 short agent timeout), u8 mapping selector
    WaitRowsShort,     // u16 rows, u8 us: a real deadline, so wait_rows polls inside its loop
    Evict,             // u8 owner: the producer frees (0) or hands over the consumer's own slot
    Count
};

// ---- producer inbox fuzzer operations (see fuzz_producer_inbox.cpp) ----
enum class InboxOp : uint8_t {
    Service,         // -
    Advance,         // u16: fake clock += n * 100 us
    Publish,         // frame args: u8 format, u8 w, u8 h, u8 flags (bit 0 full damage),
                     // u8 count, count x (u8 x, y, w, h)
    BeginFrame,      // frame args as Publish; writes the rects it is told to, no rows_done
    RowsDone,        // u16 rows
    EndFrame,        // -
    DrainEvents,     // -
    CursorPosition,  // i32 x, i32 y, u8 visible
    CursorShape,     // u8 w, u8 h, u8 hotspot x, u8 hotspot y, u8 format, u8 stride pad
    WriteSlotField,  // u8 slot, u8 field, u64 value
    WriteTable,      // u16 offset (mod table size), u8 length, bytes
    WriteRegion,     // u32 offset (mod region), u8 length, bytes
    SendRaw,         // u8 slot, u8 count, count x (u32 type, u32 a, u32 b): a consumer's mailbox
    Honest,          // u8 sub-operation of a well-behaved consumer sharing the region
    Restart,         // u8 flags: new producer (bit 0 no stealing, bit 1 checksums, bits 2-3
                     // buffer count, 0 = BUFFER_COUNT)
    Stop,            // -
    Count
};

enum class HonestOp : uint8_t {
    Create,
    Destroy,
    Poll,
    Acquire,
    Release,
    CursorMove,
    FullFrame,
    WindowSize,
    Count
};

// Slot fields WriteSlotField can address: the named words, then the 16 message words.
enum class SlotField : uint8_t {
    Owner,
    Heartbeat,
    HeldBuffer,
    Kind,
    LastSerial,
    Pid,
    MsgWrite,
    MsgRead,
    MessageWord,  // + 0..15
    Count = MessageWord + 16
};

struct Input {
    std::span<const uint8_t> image;
    std::span<const uint8_t> script;
};

inline Input split_input(const uint8_t* data, size_t size) {
    if (size < 2) {
        return {{data, size}, {}};
    }
    const size_t stated = data[size - 2] | (size_t{data[size - 1]} << 8);
    const size_t length = std::min(stated, size - 2);
    return {{data, size - 2 - length}, {data + size - 2 - length, length}};
}

inline std::vector<uint8_t> join_input(std::span<const uint8_t> image,
                                       std::span<const uint8_t> script) {
    std::vector<uint8_t> out(image.begin(), image.end());
    const size_t length = std::min<size_t>(script.size(), UINT16_MAX);
    out.insert(out.end(), script.begin(), script.begin() + static_cast<ptrdiff_t>(length));
    out.push_back(static_cast<uint8_t>(length & 0xff));
    out.push_back(static_cast<uint8_t>(length >> 8));
    return out;
}

// Reads little-endian arguments; past the end every value reads as zero, so any byte string is a
// valid script.
class ScriptReader {
  public:
    explicit ScriptReader(std::span<const uint8_t> bytes) : m_bytes(bytes) {}
    bool done() const { return m_pos >= m_bytes.size(); }
    uint8_t u8() { return done() ? 0 : m_bytes[m_pos++]; }
    uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
    uint32_t u32() { return u16() | (uint32_t{u16()} << 16); }
    uint64_t u64() { return u32() | (uint64_t{u32()} << 32); }
    int32_t i32() { return static_cast<int32_t>(u32()); }
    std::span<const uint8_t> bytes(size_t n) {
        const size_t take = std::min(n, m_bytes.size() - std::min(m_pos, m_bytes.size()));
        const auto out = m_bytes.subspan(std::min(m_pos, m_bytes.size()), take);
        m_pos += take;
        return out;
    }

  private:
    std::span<const uint8_t> m_bytes;
    size_t m_pos = 0;
};

class ScriptWriter {
  public:
    template <class Op>
    ScriptWriter& op(Op value) {
        return u8(static_cast<uint8_t>(value));
    }
    ScriptWriter& u8(uint8_t v) {
        m_bytes.push_back(v);
        return *this;
    }
    ScriptWriter& u16(uint16_t v) {
        return u8(static_cast<uint8_t>(v)).u8(static_cast<uint8_t>(v >> 8));
    }
    ScriptWriter& u32(uint32_t v) {
        return u16(static_cast<uint16_t>(v)).u16(static_cast<uint16_t>(v >> 16));
    }
    ScriptWriter& u64(uint64_t v) {
        return u32(static_cast<uint32_t>(v)).u32(static_cast<uint32_t>(v >> 32));
    }
    ScriptWriter& i32(int32_t v) { return u32(static_cast<uint32_t>(v)); }
    ScriptWriter& bytes(std::span<const uint8_t> v) {
        m_bytes.insert(m_bytes.end(), v.begin(), v.end());
        return *this;
    }
    const std::vector<uint8_t>& data() const { return m_bytes; }

  private:
    std::vector<uint8_t> m_bytes;
};

// A page-aligned allocation standing in for the shared mapping. A consumer may be handed only a
// prefix of it: the rest is then poisoned, so a read past the span it was given is an ASan report
// rather than a silent read of our slack.
class FuzzRegion {
  public:
    explicit FuzzRegion(size_t size)
        : m_size(size), m_data(static_cast<std::byte*>(std::aligned_alloc(4096, size))) {
        PERISCOPE_FUZZ_CHECK(m_data != nullptr && size % 4096 == 0);
    }
    ~FuzzRegion() {
        unpoison();
        std::free(m_data);
    }
    FuzzRegion(const FuzzRegion&) = delete;
    FuzzRegion& operator=(const FuzzRegion&) = delete;

    std::byte* data() const { return m_data; }
    size_t size() const { return m_size; }
    void reset() {
        unpoison();
        std::memset(m_data, 0, m_size);
    }
    // The first `length` bytes as a mapping; bytes after them become unaddressable.
    std::span<std::byte> mapping(size_t length) {
        length = std::min(length, m_size);
        unpoison();
#if defined(PERISCOPE_FUZZ_ASAN)
        ASAN_POISON_MEMORY_REGION(m_data + length, m_size - length);
#endif
        return {m_data, length};
    }
    void unpoison() {
#if defined(PERISCOPE_FUZZ_ASAN)
        ASAN_UNPOISON_MEMORY_REGION(m_data, m_size);
#endif
    }

  private:
    size_t m_size;
    std::byte* m_data;
};

}  // namespace periscope::fuzz
