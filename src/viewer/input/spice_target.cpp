#include "viewer/input/spice_target.h"

#include <charconv>

#include "core/format.h"

namespace periscope::viewer {
namespace {

std::optional<uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<uint16_t>(value);
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// "HOST" or "HOST:PORT", where HOST may be an IPv6 literal in brackets ("[::1]:5900"). The host
// comes back without the brackets: spice-glib resolves the bare address. A bare host with a colon
// is refused: "fe80::1:5900" could be an address and a port or an address alone.
struct HostPort {
    std::string_view host;
    std::optional<std::string_view> port;
};
std::optional<HostPort> split_host_port(std::string_view text) {
    HostPort hp;
    if (starts_with(text, "[")) {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        hp.host = text.substr(1, close - 1);
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return std::nullopt;
            }
            hp.port = rest.substr(1);
        }
        return hp;
    }
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    hp.host = text.substr(0, colon);
    if (colon != std::string_view::npos) {
        hp.port = text.substr(colon + 1);
    }
    return hp;
}

constexpr const char* BRACKETS = "an IPv6 address goes in brackets: [ADDRESS]:PORT";

constexpr const char* FORMS =
    "expected none, unix:PATH, HOST:PORT, spice+unix:///PATH or spice://HOST?port=P&tls-port=T";

}  // namespace

std::string SpiceTarget::describe() const {
    switch (kind) {
        case Kind::None:
            return "none";
        case Kind::Unix:
            return "unix:" + path;
        case Kind::Tcp: {
            // An IPv6 address gets its brackets back, so the text parses to the same target.
            const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
            if (port != 0 && tls_port != 0) {
                return format_text("%s:%u (TLS %u)", name.c_str(), port, tls_port);
            }
            return format_text("%s:%u%s", name.c_str(), port != 0 ? port : tls_port,
                               port != 0 ? "" : " (TLS)");
        }
    }
    return "?";
}

std::optional<SpiceTarget> parse_spice_target(std::string_view text, std::string* error) {
    SpiceTarget t;
    auto bad = [&](const char* why) -> std::optional<SpiceTarget> {
        *error = format_text("--spice %.*s: %s", static_cast<int>(text.size()), text.data(), why);
        return std::nullopt;
    };
    if (text.empty() || text == "none") {
        return t;
    }
    if (starts_with(text, "unix:") || starts_with(text, "spice+unix://")) {
        std::string_view path = text.substr(text.find(':') + 1);
        if (starts_with(text, "spice+unix://")) {
            path = text.substr(std::string_view("spice+unix://").size());
        }
        if (path.empty() || path.front() != '/') {
            return bad("the socket path must be absolute");
        }
        t.kind = SpiceTarget::Kind::Unix;
        t.path = std::string(path);
        return t;
    }
    if (starts_with(text, "spice://")) {
        std::string_view rest = text.substr(std::string_view("spice://").size());
        const size_t q = rest.find('?');
        std::string_view host = rest.substr(0, q);
        if (!host.empty() && host.back() == '/') {
            host.remove_suffix(1);
        }
        // spice://HOST:PORT is accepted too (remote-viewer does).
        std::string_view query = q == std::string_view::npos ? "" : rest.substr(q + 1);
        const auto split = split_host_port(host);
        if (!split) {
            return bad(BRACKETS);
        }
        host = split->host;
        if (split->port) {
            auto port = parse_port(*split->port);
            if (!port) {
                return bad("the port must be a number from 1 to 65535");
            }
            t.port = *port;
        }
        while (!query.empty()) {
            const size_t amp = query.find('&');
            const std::string_view item = query.substr(0, amp);
            query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
            const size_t eq = item.find('=');
            const std::string_view key = item.substr(0, eq);
            const std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
            if (key == "port" || key == "tls-port") {
                auto port = parse_port(value);
                if (!port) {
                    return bad("the port must be a number from 1 to 65535");
                }
                (key == "port" ? t.port : t.tls_port) = *port;
            } else {
                return bad("unknown URI parameter (port and tls-port are understood)");
            }
        }
        if (host.empty()) {
            return bad("no host");
        }
        if (t.port == 0 && t.tls_port == 0) {
            return bad("no port (port=P or tls-port=T)");
        }
        t.kind = SpiceTarget::Kind::Tcp;
        t.host = std::string(host);
        return t;
    }
    const auto split = split_host_port(text);
    if (!split) {
        return bad(BRACKETS);
    }
    if (split->host.empty() || !split->port) {
        return bad(FORMS);
    }
    auto port = parse_port(*split->port);
    if (!port) {
        return bad(FORMS);
    }
    t.kind = SpiceTarget::Kind::Tcp;
    t.host = std::string(split->host);
    t.port = *port;
    return t;
}

}  // namespace periscope::viewer
