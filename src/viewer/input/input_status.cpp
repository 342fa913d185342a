#include "viewer/input/input_sink.h"

namespace periscope::viewer {

const char* to_string(InputState state) {
    switch (state) {
        case InputState::Disabled:
            return "off";
        case InputState::Connecting:
            return "connecting";
        case InputState::Connected:
            return "connected";
        case InputState::Unavailable:
            return "unavailable";
    }
    return "?";
}

const char* to_string(MouseMode mode) {
    switch (mode) {
        case MouseMode::Unknown:
            return "unknown";
        case MouseMode::Server:
            return "server (relative)";
        case MouseMode::Client:
            return "client (absolute)";
    }
    return "?";
}

}  // namespace periscope::viewer
