// Errors of the protocol module. Each is logged once where it is detected (with context) and passed
// up as this enum.
#pragma once

namespace periscope::protocol {

enum class Error {
    NoProducer,       // no magic: no producer has initialised the region, or it is re-initialising
    VersionMismatch,  // a protocol major version this build does not speak
    UnsupportedFeature,  // a required feature bit this build does not know
    BadHeader,           // a header field out of range
    BadLayout,           // areas outside the region, misaligned or overlapping
    RegionTooSmall,      // the mapping is smaller than the layout needs
    HeaderChanged,       // the header changed while it was copied; try again
    SessionChanged,      // a different producer session than the one attached to
    ProducerStopped,     // the producer marked its session stopped
    AgentLost,           // the producer's heartbeat stopped
    NotAttached,         // the consumer has no valid session yet
    NoNewFrame,          // nothing newer than the frame already taken
    TornRecord,          // a seqlocked record kept changing while copied
    StaleRecord,         // the record slot already holds a newer frame
    InvalidFrame,        // a frame record field out of range
    FrameSuperseded,     // the producer reused the buffer before the hold was seen
    FrameStolen,         // the buffer was reclaimed while being read; the frame is discarded
    RowsInvalid,         // the write pointer went past the frame or backwards
    Timeout,             // rows did not arrive before the deadline
    Incomplete,          // the frame was released before all its rows had arrived
    MailboxFull,         // the producer has not consumed earlier messages yet
    InvalidMessage,      // a consumer message out of range
    InvalidCursor,       // a cursor record or shape out of range
    InvalidArgument,     // a caller passed something out of range
    FrameTooLarge,       // the frame does not fit a buffer of this region
    NoBuffer,            // every buffer is in use and stealing is disabled
};

const char* to_string(Error error);

}  // namespace periscope::protocol
