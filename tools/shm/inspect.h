// periscope-shm's model of a shared region: everything the inspector read, each piece copied out
// of the mapping once (under its seqlock where it has one) and validated, so that the renderers
// (render.h) never touch shared memory and never see an index that was not checked.
//
// The region is untrusted (docs/design/shm-protocol.md §7): a field that fails validation is kept
// as its raw value with a non-empty `problem` saying why, and is never used to address memory.
// Strings (names, messages, paths) are raw bytes here; the renderers escape them for their output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/layout.h"

namespace periscope::tools {

constexpr const char* DEFAULT_REGION = "/dev/shm/periscope";
constexpr uint32_t DEFAULT_HEARTBEAT_WAIT_MS = 300;

// What the inspection concluded. Each value has its own exit code (exit_code(), and the table in
// docs/shm-tool.md); keep the three in step.
enum class Outcome {
    Ok,                  // 0: valid region, producer running (heartbeat advancing, if sampled)
    OpenFailed,          // 1: open/map failed otherwise (not a regular file, mmap, I/O, back-end)
    Usage,               // 2: bad command line, region spec or --size argument
    NotFound,            // 3: no such file or device
    PermissionDenied,    // 4: open or mmap refused
    TooSmall,            // 5: smaller than the 4096-byte header
    NotPeriscope,        // 6: magic zero or foreign
    Unsupported,         // 7: another major version, or an unknown required feature
    BadLayout,           // 8: a header/layout field does not validate (or exceeds the mapping)
    Unstable,            // 9: the header/session kept changing while read (producer restarting)
    ProducerStopped,     // 10: the producer marked its session stopped (report printed)
    ProducerNotRunning,  // 11: heartbeat not advancing, or state initialising/unknown (report
                         //     printed)
};
int exit_code(Outcome outcome);
// A stable token for scripts ("ok", "not-found", ...): the JSON "status".
const char* to_string(Outcome outcome);

struct InspectOptions {
    // Sample the producer's (and the consumers') heartbeat counters twice, `heartbeat_wait_ms`
    // apart, to tell a live producer from a dead one. Off: --no-wait.
    bool sample_heartbeat = true;
    uint32_t heartbeat_wait_ms = DEFAULT_HEARTBEAT_WAIT_MS;
};

struct HeartbeatReport {
    bool sampled = false;
    uint64_t first = 0;   // from the header copy
    uint64_t second = 0;  // read again after the wait
    uint64_t interval_ms = 0;
    bool advancing() const { return sampled && second != first; }
};

struct FrameReport {
    uint64_t latest_serial = 0;  // 0: no frame posted yet
    bool copied = false;         // false: the record never held still across the seqlock
    protocol::FrameRecord record{};
    std::string problem;  // empty: the record validated against latest_serial and the layout
};

struct BufferReport {
    uint32_t index = 0;
    uint64_t frame_serial = 0;
    uint32_t rows_ready = 0;
    // The frame's height, when its record is still in the ring and validates; rows_ready is
    // checked against it.
    bool height_known = false;
    uint32_t height = 0;
    std::string problem;
};

struct ConsumerReport {
    uint32_t slot = 0;
    uint32_t kind = 0;
    std::string name;              // raw bytes up to the first NUL (renderers escape them)
    bool name_terminated = false;  // a NUL within the 24 bytes
    uint32_t pid = 0;
    uint64_t heartbeat = 0;
    bool heartbeat_sampled = false;
    uint64_t heartbeat_after = 0;
    bool left_during_wait = false;  // the slot's owner changed during the heartbeat wait
    uint32_t held_buffer = 0;       // raw: 0 none, else buffer index + 1
    std::string held_problem;
    uint64_t last_serial = 0;
    uint32_t msg_write = 0;
    uint32_t msg_read = 0;
    std::string mailbox_problem;

    uint32_t pending_messages() const { return msg_write - msg_read; }
};

struct ShapeReport {
    uint32_t slot = 0;
    bool copied = false;
    bool empty = false;  // never written (serial 0)
    protocol::CursorShapeDesc desc{};
    std::string problem;
};

struct CursorReport {
    bool copied = false;
    protocol::CursorState state{};
    std::string problem;
    std::vector<ShapeReport> shapes;
};

// Could this region carry a common resolution (BGRA8)?
struct FitReport {
    uint32_t width = 0;
    uint32_t height = 0;
    uint64_t frame_bytes = 0;
    bool fits_buffers = false;      // in the buffers the producer laid out
    uint64_t buffers_possible = 0;  // buffers of that size the whole mapping could hold
    uint64_t ivshmem_for_two = 0;   // recommended ivshmem size for two such buffers
};

struct Report {
    Outcome outcome = Outcome::Ok;
    std::string message;  // why the outcome is not Ok; empty when it is
    std::vector<std::string> notes;

    std::string spec;
    std::string description;
    uint64_t mapping_size = 0;
    bool mapped = false;

    uint64_t magic = 0;  // as read first (valid when mapped and mapping_size >= 4096)
    bool magic_read = false;
    bool header_copied = false;  // `header` holds one consistent copy
    protocol::RegionHeader header{};

    bool layout_valid = false;  // everything below is filled in only when this is set
    protocol::Layout layout{};

    HeartbeatReport heartbeat;
    FrameReport frame;
    std::vector<BufferReport> buffers;
    std::vector<ConsumerReport> consumers;  // slots in use only
    CursorReport cursor;
    std::vector<FitReport> fits;
};

// Opens `spec` with platform::open_region (never creating anything) and inspects it.
Report inspect_region(std::string_view spec, const InspectOptions& options);

// Inspects a mapping the caller holds (tests, fuzzing). `mapping` must be 8-byte aligned, as
// every mmap() is; it is only read.
Report inspect_mapping(std::span<const std::byte> mapping, std::string_view description,
                       const InspectOptions& options);

// Display helpers shared by the renderers.
const char* producer_state_name(uint32_t state);  // "running", ... or nullptr if unknown
const char* consumer_kind_name(uint32_t kind);    // "viewer", ... or nullptr if unknown
// Names of the known bits set in `features` ("checksum", "cursor", "damage").
std::vector<std::string> feature_names(uint64_t features);
uint64_t unknown_features(uint64_t features);

}  // namespace periscope::tools
