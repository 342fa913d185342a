// Is a SPICE server listening where the viewer will look for it? Connects to the target the
// viewer takes with --spice and performs the first step of the SPICE link handshake for the main
// channel: a SpiceLinkHeader ("REDQ", protocol 2.2) followed by a SpiceLinkMess, then reads the
// server's SpiceLinkHeader and the `error` word of its SpiceLinkReply (spice-protocol:
// spice/protocol.h, spice/enums.h). No ticket is sent and the connection is closed right after,
// so no session starts, no password is needed and a connected viewer is not disturbed.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "viewer/input/spice_target.h"

namespace periscope::doctor {

enum class SpiceProbeError {
    NoTarget,          // Kind::None: nothing to probe
    NotFound,          // unix: no socket file at the path
    PermissionDenied,  // unix: connect() refused by the socket's permissions
    Refused,           // nobody listens (a stale socket file, a closed port)
    Unreachable,       // resolving or connecting failed otherwise, or timed out
    NoReply,           // connected, but the peer closed or said nothing within the timeout
    NotSpice,          // the peer answered, but not with a SPICE link header
};
const char* to_string(SpiceProbeError error);

struct SpiceProbeResult {
    std::string address;       // what was connected to: "unix:/run/vm.sock", "127.0.0.1:5900"
    bool link_checked = true;  // false: only a TLS port was given, so only the TCP connect was
    uint32_t major = 0;        // the server's protocol version (its SpiceLinkHeader)
    uint32_t minor = 0;
    uint32_t link_error = 0;  // SpiceLinkReply.error: SPICE_LINK_ERR_OK (0) when accepted
};

// The name of a SPICE_LINK_ERR_* value ("need-secured", ...), or "error N" if unknown.
std::string link_error_name(uint32_t error);

// On failure `detail` (if given) receives a sentence for the user: what failed and the errno text.
Result<SpiceProbeResult, SpiceProbeError> probe_spice(const viewer::SpiceTarget& target,
                                                      uint32_t timeout_ms, std::string* detail);

}  // namespace periscope::doctor
