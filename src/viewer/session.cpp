#include "viewer/session.h"

#include <sys/stat.h>
#include <unistd.h>

#include "core/format.h"
#include "core/log.h"
#include "protocol/layout.h"

namespace periscope::viewer {
namespace {

constexpr const char* MODULE = "session";

}  // namespace

const char* to_string(ViewState state) {
    switch (state) {
        case ViewState::NoRegion:
            return "no shared memory";
        case ViewState::WaitingForAgent:
            return "waiting for the agent";
        case ViewState::Connected:
            return "connected";
        case ViewState::AgentLost:
            return "agent not responding";
        case ViewState::AgentStopped:
            return "agent stopped";
    }
    return "unknown";
}

Session::Session(std::string spec) : m_spec(std::move(spec)) {
    m_message = "opening " + m_spec;
}

void Session::set_state(ViewState state, std::string message, bool* changed) {
    if (state == m_state && message == m_message) {
        return;
    }
    PERISCOPE_LOG_INFO(MODULE, "%s: %s", to_string(state), message.c_str());
    m_state = state;
    m_message = std::move(message);
    *changed = true;
}

bool Session::try_open() {
    std::string detail;
    platform::RegionOptions options;  // never create: QEMU (or the agent, in tests) owns the file
    options.quiet = true;             // retried every RETRY_NS: logged below, once per problem
    auto region = platform::open_region(m_spec, options, &detail);
    if (!region) {
        if (detail != m_open_error) {
            // Once per distinct problem, not every retry.
            PERISCOPE_LOG_WARN(MODULE, "%s", detail.c_str());
            m_open_error = detail;
        }
        return false;
    }
    m_open_error.clear();
    m_region = std::move(region).value();
    protocol::ConsumerConfig config;
    config.kind = protocol::ConsumerKind::Viewer;
    config.name = "periscope-viewer";
    config.pid = static_cast<uint32_t>(getpid());
    m_consumer = std::make_unique<protocol::Consumer>(m_region->bytes(), config);
    PERISCOPE_LOG_INFO(MODULE, "opened %s", m_region->description().c_str());
    return true;
}

bool Session::file_shrank() {
    // A file truncated under our mapping turns reads past its new end into SIGBUS. Checking
    // before every poll turns the common case (the file recreated smaller while the viewer runs)
    // into a reopen; a truncate landing between this check and a read can still fault (noted in
    // docs/design/viewer.md).
    struct stat st {};
    if (m_region->fd() < 0 || fstat(m_region->fd(), &st) != 0) {
        return false;
    }
    return static_cast<uint64_t>(st.st_size) < m_region->bytes().size();
}

void Session::close_region(const std::string& why) {
    PERISCOPE_LOG_WARN(MODULE, "%s: closing it", why.c_str());
    m_consumer->abandon();  // leaving the slot would write past the file's new end
    m_consumer.reset();
    m_region.reset();
}

std::string Session::waiting_message() const {
    const protocol::Error e = m_consumer->last_error();
    switch (e) {
        case protocol::Error::NoProducer:
            return format_text(
                "waiting for the agent: %s holds no session yet (is "
                "periscope-agent running in the guest?)",
                m_spec.c_str());
        case protocol::Error::VersionMismatch:
        case protocol::Error::UnsupportedFeature:
            return format_text(
                "the agent writing %s speaks a protocol this viewer does not (%s): "
                "update the viewer or the agent",
                m_spec.c_str(), protocol::to_string(e));
        case protocol::Error::RegionTooSmall:
            return format_text(
                "%s (%zu bytes) is smaller than the layout the agent wrote into it "
                "says: give QEMU's ivshmem device and the file the same size",
                m_spec.c_str(), m_region->bytes().size());
        default:
            return format_text("waiting for the agent: %s does not hold a valid session (%s)",
                               m_spec.c_str(), protocol::to_string(e));
    }
}

bool Session::poll(uint64_t now_ns) {
    bool changed = false;
    // Every poll: one fstat (under a microsecond) before the consumer touches the mapping.
    if (m_region && file_shrank()) {
        close_region(m_spec + " shrank while mapped");
    }
    if (!m_region) {
        if (now_ns < m_next_check_ns) {
            return false;
        }
        m_next_check_ns = now_ns + RETRY_NS;
        if (!try_open()) {
            set_state(ViewState::NoRegion, m_open_error, &changed);
            return changed;
        }
    } else if (now_ns >= m_next_check_ns) {
        m_next_check_ns = now_ns + RETRY_NS;
    }
    switch (m_consumer->poll(now_ns)) {
        case protocol::ConsumerState::Waiting:
            set_state(ViewState::WaitingForAgent, waiting_message(), &changed);
            break;
        case protocol::ConsumerState::Attached:
            set_state(ViewState::Connected, "connected to " + m_spec, &changed);
            break;
        case protocol::ConsumerState::Lost:
            set_state(ViewState::AgentLost,
                      "the agent stopped answering (its heartbeat in " + m_spec +
                          " is stale): is the guest paused or the agent hung?",
                      &changed);
            break;
        case protocol::ConsumerState::Stopped:
            set_state(ViewState::AgentStopped,
                      "the agent stopped; waiting for it to start again in " + m_spec, &changed);
            break;
    }
    return changed;
}

}  // namespace periscope::viewer
