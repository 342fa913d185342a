#include "protocol/error.h"

namespace periscope::protocol {

const char* to_string(Error error) {
    switch (error) {
        case Error::NoProducer:
            return "no producer (magic not set)";
        case Error::VersionMismatch:
            return "unsupported protocol version";
        case Error::UnsupportedFeature:
            return "unsupported required feature";
        case Error::BadHeader:
            return "invalid header field";
        case Error::BadLayout:
            return "invalid region layout";
        case Error::RegionTooSmall:
            return "region too small";
        case Error::HeaderChanged:
            return "header changed while being read";
        case Error::SessionChanged:
            return "producer session changed";
        case Error::ProducerStopped:
            return "producer stopped";
        case Error::AgentLost:
            return "producer heartbeat lost";
        case Error::NotAttached:
            return "not attached";
        case Error::NoNewFrame:
            return "no new frame";
        case Error::TornRecord:
            return "record changed while being read";
        case Error::StaleRecord:
            return "record overwritten by a newer frame";
        case Error::InvalidFrame:
            return "invalid frame record";
        case Error::FrameSuperseded:
            return "frame superseded before it was held";
        case Error::FrameStolen:
            return "frame buffer reclaimed while read";
        case Error::RowsInvalid:
            return "invalid write pointer";
        case Error::Timeout:
            return "timed out";
        case Error::Incomplete:
            return "frame released before it was complete";
        case Error::MailboxFull:
            return "mailbox full";
        case Error::InvalidMessage:
            return "invalid message";
        case Error::InvalidCursor:
            return "invalid cursor record";
        case Error::InvalidArgument:
            return "invalid argument";
        case Error::FrameTooLarge:
            return "frame too large for the region's buffers";
        case Error::NoBuffer:
            return "no free buffer";
    }
    return "unknown error";
}

}  // namespace periscope::protocol
