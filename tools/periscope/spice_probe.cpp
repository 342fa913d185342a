#include "spice_probe.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/clock.h"
#include "core/format.h"

namespace periscope::doctor {
namespace {

// The wire format is little-endian whatever the host is; the structs from spice/protocol.h are
// used for their sizes only, and the bytes are written field by field.
static_assert(sizeof(SpiceLinkHeader) == 16);
static_assert(sizeof(SpiceLinkMess) == 18);
constexpr size_t LINK_ERROR_SIZE = sizeof(uint32_t);  // SpiceLinkReply starts with `error`
// A SpiceLinkReply is a few hundred bytes (a 162-byte public key and the capability words).
constexpr uint32_t MAX_REPLY_DRAIN = 64 * 1024;

Unexpected<SpiceProbeError> reject(SpiceProbeError error, std::string message,
                                   std::string* detail) {
    if (detail != nullptr) {
        *detail = std::move(message);
    }
    return fail(error);
}

class Socket {
  public:
    explicit Socket(int fd) : m_fd(fd) {}
    ~Socket() {
        if (m_fd >= 0) {
            close(m_fd);
        }
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return m_fd; }

  private:
    int m_fd;
};

uint64_t remaining_ms(uint64_t deadline_ns) {
    const uint64_t now = monotonic_ns();
    return now >= deadline_ns ? 0 : (deadline_ns - now + NS_PER_MS - 1) / NS_PER_MS;
}

// Waits for `events` on a non-blocking socket; false on timeout.
bool wait_for(int fd, short events, uint64_t deadline_ns) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = poll(&p, 1, static_cast<int>(remaining_ms(deadline_ns)));
        if (n > 0) {
            return true;
        }
        if (n == 0 || errno != EINTR) {
            return false;
        }
    }
}

// connect() on a non-blocking socket, finished within the deadline. Returns 0 or an errno value
// (ETIMEDOUT when the deadline passed).
int connect_within(int fd, const sockaddr* address, socklen_t length, uint64_t deadline_ns) {
    if (connect(fd, address, length) == 0) {
        return 0;
    }
    if (errno != EINPROGRESS && errno != EAGAIN) {
        return errno;
    }
    if (!wait_for(fd, POLLOUT, deadline_ns)) {
        return ETIMEDOUT;
    }
    int error = 0;
    socklen_t size = sizeof(error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
        return errno;
    }
    return error;
}

int open_socket(int family) {
    return socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

Result<int, SpiceProbeError> connect_unix(const std::string& path, uint64_t deadline_ns,
                                          std::string* detail) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path)) {
        return reject(SpiceProbeError::Unreachable,
                      format_text("unix:%s: the path is longer than a socket address can hold "
                                  "(%zu bytes)",
                                  path.c_str(), sizeof(address.sun_path) - 1),
                      detail);
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    const int fd = open_socket(AF_UNIX);
    if (fd < 0) {
        const int error = errno;
        return reject(SpiceProbeError::Unreachable,
                      format_text("socket(): %s", errno_text(error).c_str()), detail);
    }
    const int error = connect_within(fd, reinterpret_cast<const sockaddr*>(&address),
                                     sizeof(address), deadline_ns);
    if (error == 0) {
        return fd;
    }
    close(fd);
    const std::string text = errno_text(error);
    switch (error) {
        case ENOENT:
            return reject(SpiceProbeError::NotFound,
                          format_text("unix:%s: no such socket (%s)", path.c_str(), text.c_str()),
                          detail);
        case EACCES:
        case EPERM:
            return reject(SpiceProbeError::PermissionDenied,
                          format_text("unix:%s: %s", path.c_str(), text.c_str()), detail);
        case ECONNREFUSED:
            return reject(SpiceProbeError::Refused,
                          format_text("unix:%s: %s (a socket file nobody listens on, or not a "
                                      "socket)",
                                      path.c_str(), text.c_str()),
                          detail);
        default:
            return reject(SpiceProbeError::Unreachable,
                          format_text("unix:%s: %s", path.c_str(), text.c_str()), detail);
    }
}

std::string host_port(const std::string& host, uint16_t port) {
    return host.find(':') != std::string::npos ? format_text("[%s]:%u", host.c_str(), port)
                                               : format_text("%s:%u", host.c_str(), port);
}

// Tries every address the name resolves to, as a client library would; the last error counts.
Result<int, SpiceProbeError> connect_tcp(const std::string& host, uint16_t port,
                                         uint64_t deadline_ns, std::string* address_out,
                                         std::string* detail) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    const int gai = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (gai != 0) {
        return reject(SpiceProbeError::Unreachable,
                      format_text("%s: cannot resolve the host: %s", host_port(host, port).c_str(),
                                  gai_strerror(gai)),
                      detail);
    }
    int last_error = EHOSTUNREACH;
    int connected = -1;
    for (addrinfo* a = list; a != nullptr && connected < 0; a = a->ai_next) {
        const int fd = open_socket(a->ai_family);
        if (fd < 0) {
            last_error = errno;
            continue;
        }
        last_error = connect_within(fd, a->ai_addr, a->ai_addrlen, deadline_ns);
        if (last_error == 0) {
            connected = fd;
            char name[NI_MAXHOST] = "";
            if (getnameinfo(a->ai_addr, a->ai_addrlen, name, sizeof(name), nullptr, 0,
                            NI_NUMERICHOST) == 0) {
                *address_out = host_port(name, port);
            }
        } else {
            close(fd);
        }
    }
    freeaddrinfo(list);
    if (connected >= 0) {
        return connected;
    }
    const std::string where = host_port(host, port);
    if (last_error == ECONNREFUSED) {
        return reject(SpiceProbeError::Refused,
                      format_text("%s: %s (nothing listens on that port)", where.c_str(),
                                  errno_text(last_error).c_str()),
                      detail);
    }
    return reject(SpiceProbeError::Unreachable,
                  format_text("%s: %s", where.c_str(), errno_text(last_error).c_str()), detail);
}

bool send_all(int fd, const uint8_t* data, size_t size, uint64_t deadline_ns) {
    size_t done = 0;
    while (done < size) {
        const ssize_t n = send(fd, data + done, size - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            wait_for(fd, POLLOUT, deadline_ns)) {
            continue;
        }
        return false;
    }
    return true;
}

// Reads up to `size` bytes; fewer when the peer closes, fails or the deadline passes.
size_t receive_up_to(int fd, uint8_t* data, size_t size, uint64_t deadline_ns) {
    size_t done = 0;
    while (done < size) {
        const ssize_t n = recv(fd, data + done, size - done, 0);
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            wait_for(fd, POLLIN, deadline_ns)) {
            continue;
        }
        break;  // closed, reset or timed out
    }
    return done;
}

void put_u32(uint8_t* at, uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        at[i] = static_cast<uint8_t>(value >> (8 * i));
    }
}

uint32_t get_u32(const uint8_t* at) {
    return static_cast<uint32_t>(at[0]) | static_cast<uint32_t>(at[1]) << 8 |
           static_cast<uint32_t>(at[2]) << 16 | static_cast<uint32_t>(at[3]) << 24;
}

// What the peer sent instead, printable: "HTTP/1.1 4" or "\x16\x03\x01...".
std::string shown_bytes(const uint8_t* data, size_t size) {
    std::string out;
    for (size_t i = 0; i < size; ++i) {
        const uint8_t c = data[i];
        if (c >= 0x20 && c < 0x7F && c != '\\' && c != '"') {
            out += static_cast<char>(c);
        } else {
            out += format_text("\\x%02X", c);
        }
    }
    return out;
}

// The common capabilities a client announces (spice-gtk sends the same): without the first, the
// server logs that the peer "doesn't support AUTH selection" for every probe.
constexpr uint32_t COMMON_CAPS = 1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION |
                                 1u << SPICE_COMMON_CAP_AUTH_SPICE |
                                 1u << SPICE_COMMON_CAP_MINI_HEADER;
constexpr size_t LINK_MESSAGE_SIZE = sizeof(SpiceLinkMess) + sizeof(uint32_t);  // + 1 caps word

// SpiceLinkHeader + SpiceLinkMess for the main channel, id 0, connection id 0 (a new session),
// one common capability word and no channel capabilities.
std::array<uint8_t, sizeof(SpiceLinkHeader) + LINK_MESSAGE_SIZE> link_message() {
    std::array<uint8_t, sizeof(SpiceLinkHeader) + LINK_MESSAGE_SIZE> m{};
    uint8_t* p = m.data();
    put_u32(p + offsetof(SpiceLinkHeader, magic), SPICE_MAGIC);
    put_u32(p + offsetof(SpiceLinkHeader, major_version), SPICE_VERSION_MAJOR);
    put_u32(p + offsetof(SpiceLinkHeader, minor_version), SPICE_VERSION_MINOR);
    put_u32(p + offsetof(SpiceLinkHeader, size), LINK_MESSAGE_SIZE);
    uint8_t* mess = p + sizeof(SpiceLinkHeader);
    put_u32(mess + offsetof(SpiceLinkMess, connection_id), 0);
    mess[offsetof(SpiceLinkMess, channel_type)] = SPICE_CHANNEL_MAIN;
    mess[offsetof(SpiceLinkMess, channel_id)] = 0;
    put_u32(mess + offsetof(SpiceLinkMess, num_common_caps), 1);
    put_u32(mess + offsetof(SpiceLinkMess, num_channel_caps), 0);
    put_u32(mess + offsetof(SpiceLinkMess, caps_offset), sizeof(SpiceLinkMess));
    put_u32(mess + sizeof(SpiceLinkMess), COMMON_CAPS);
    return m;
}

}  // namespace

const char* to_string(SpiceProbeError error) {
    switch (error) {
        case SpiceProbeError::NoTarget:
            return "no target";
        case SpiceProbeError::NotFound:
            return "not found";
        case SpiceProbeError::PermissionDenied:
            return "permission denied";
        case SpiceProbeError::Refused:
            return "connection refused";
        case SpiceProbeError::Unreachable:
            return "unreachable";
        case SpiceProbeError::NoReply:
            return "no reply";
        case SpiceProbeError::NotSpice:
            return "not SPICE";
    }
    return "unknown";
}

std::string link_error_name(uint32_t error) {
    switch (error) {
        case SPICE_LINK_ERR_OK:
            return "ok";
        case SPICE_LINK_ERR_ERROR:
            return "error";
        case SPICE_LINK_ERR_INVALID_MAGIC:
            return "invalid-magic";
        case SPICE_LINK_ERR_INVALID_DATA:
            return "invalid-data";
        case SPICE_LINK_ERR_VERSION_MISMATCH:
            return "version-mismatch";
        case SPICE_LINK_ERR_NEED_SECURED:
            return "need-secured";
        case SPICE_LINK_ERR_NEED_UNSECURED:
            return "need-unsecured";
        case SPICE_LINK_ERR_PERMISSION_DENIED:
            return "permission-denied";
        case SPICE_LINK_ERR_BAD_CONNECTION_ID:
            return "bad-connection-id";
        case SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE:
            return "channel-not-available";
        default:
            return format_text("error %u", error);
    }
}

Result<SpiceProbeResult, SpiceProbeError> probe_spice(const viewer::SpiceTarget& target,
                                                      uint32_t timeout_ms, std::string* detail) {
    const uint64_t deadline = monotonic_ns() + uint64_t{timeout_ms} * NS_PER_MS;
    SpiceProbeResult result;
    int fd = -1;
    switch (target.kind) {
        case viewer::SpiceTarget::Kind::None:
            return reject(SpiceProbeError::NoTarget, "no SPICE target given", detail);
        case viewer::SpiceTarget::Kind::Unix: {
            auto connected = connect_unix(target.path, deadline, detail);
            if (!connected) {
                return fail(connected.error());
            }
            fd = *connected;
            result.address = "unix:" + target.path;
            break;
        }
        case viewer::SpiceTarget::Kind::Tcp: {
            // The link handshake runs in clear text; on a TLS-only target it would need TLS
            // first, so there only the connection itself is checked.
            const bool plain = target.port != 0;
            const uint16_t port = plain ? target.port : target.tls_port;
            result.address = host_port(target.host, port);
            auto connected = connect_tcp(target.host, port, deadline, &result.address, detail);
            if (!connected) {
                return fail(connected.error());
            }
            if (!plain) {
                close(*connected);
                result.link_checked = false;
                return result;
            }
            fd = *connected;
            break;
        }
    }
    Socket socket(fd);
    const auto message = link_message();
    if (!send_all(fd, message.data(), message.size(), deadline)) {
        const int error = errno;
        return reject(SpiceProbeError::NoReply,
                      format_text("%s: connected, but sending the SPICE link message failed: %s",
                                  result.address.c_str(), errno_text(error).c_str()),
                      detail);
    }
    std::array<uint8_t, sizeof(SpiceLinkHeader) + LINK_ERROR_SIZE> reply{};
    const size_t got = receive_up_to(fd, reply.data(), sizeof(SpiceLinkHeader), deadline);
    if (got == 0) {
        return reject(SpiceProbeError::NoReply,
                      format_text("%s: connected, but no reply to a SPICE link message within "
                                  "%u ms (the peer %s)",
                                  result.address.c_str(), timeout_ms,
                                  remaining_ms(deadline) == 0 ? "said nothing" : "closed"),
                      detail);
    }
    if (got < 4 || get_u32(reply.data()) != SPICE_MAGIC) {
        return reject(SpiceProbeError::NotSpice,
                      format_text("%s: the peer answered \"%s\" instead of a SPICE link reply "
                                  "(\"REDQ\")",
                                  result.address.c_str(), shown_bytes(reply.data(), got).c_str()),
                      detail);
    }
    if (got < sizeof(SpiceLinkHeader)) {
        return reject(SpiceProbeError::NotSpice,
                      format_text("%s: the SPICE link reply stopped after %zu of %zu header bytes",
                                  result.address.c_str(), got, sizeof(SpiceLinkHeader)),
                      detail);
    }
    result.major = get_u32(reply.data() + offsetof(SpiceLinkHeader, major_version));
    result.minor = get_u32(reply.data() + offsetof(SpiceLinkHeader, minor_version));
    const uint32_t size = get_u32(reply.data() + offsetof(SpiceLinkHeader, size));
    if (size >= LINK_ERROR_SIZE) {
        const size_t more =
            receive_up_to(fd, reply.data() + sizeof(SpiceLinkHeader), LINK_ERROR_SIZE, deadline);
        if (more != LINK_ERROR_SIZE) {
            return reject(SpiceProbeError::NotSpice,
                          format_text("%s: the SPICE link reply stopped before its error word",
                                      result.address.c_str()),
                          detail);
        }
        result.link_error = get_u32(reply.data() + sizeof(SpiceLinkHeader));
        // Read the rest of the reply before closing: closing with unread data resets the
        // connection, which the server logs as an error; a plain end of stream it takes quietly.
        std::array<uint8_t, 512> rest{};
        for (uint32_t left =
                 std::min<uint32_t>(size - static_cast<uint32_t>(LINK_ERROR_SIZE), MAX_REPLY_DRAIN);
             left > 0;) {
            const size_t n =
                receive_up_to(fd, rest.data(), std::min<size_t>(left, rest.size()), deadline);
            if (n == 0) {
                break;
            }
            left -= static_cast<uint32_t>(n);
        }
    }
    return result;
}

}  // namespace periscope::doctor
