// Where the SPICE server is, from --spice: "none", "unix:PATH", "HOST:PORT", or the URI forms
// spice+unix:///PATH and spice://HOST?port=P&tls-port=T. Pure parsing, unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace periscope::viewer {

struct SpiceTarget {
    enum class Kind : uint8_t { None, Unix, Tcp };
    Kind kind = Kind::None;
    std::string path;       // Unix
    std::string host;       // Tcp
    uint16_t port = 0;      // Tcp, plain; 0 = none (TLS only)
    uint16_t tls_port = 0;  // Tcp, TLS; 0 = none

    // "unix:/run/vm.sock", "localhost:5900 (TLS 5901)": for logs and the title.
    std::string describe() const;  // also "[::1]:5900", "host:5900 (TLS 5901)"
};

// nullopt with *error set ("--spice: ...") when `text` is none of the accepted forms.
std::optional<SpiceTarget> parse_spice_target(std::string_view text, std::string* error);

}  // namespace periscope::viewer
