// The viewer's side of the shared region: opens the file (retrying while it is missing, too small
// or not readable, keeping the reason for the title and the overlay), runs the protocol Consumer,
// and turns both into the state the user sees. Main thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "platform/region.h"
#include "protocol/consumer.h"

namespace periscope::viewer {

enum class ViewState {
    NoRegion,         // the file cannot be used yet: message() says why and what to do
    WaitingForAgent,  // the file is open, no valid session in it
    Connected,        // attached to a live session
    AgentLost,        // attached, the agent's heartbeat stopped (last picture stays)
    AgentStopped,     // the agent marked its session stopped; waiting for the next one
};
const char* to_string(ViewState state);

class Session {
  public:
    static constexpr uint64_t RETRY_NS = 500'000'000;  // reopen attempts

    explicit Session(std::string spec);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Opens the region if needed (at most every RETRY_NS), polls the consumer. Returns true if the
    // state or its message changed.
    bool poll(uint64_t now_ns);

    ViewState state() const { return m_state; }
    // One sentence for the user: the problem and its fix, or what is shown.
    const std::string& message() const { return m_message; }
    // Null while the region is not open.
    protocol::Consumer* consumer() { return m_consumer.get(); }
    const std::string& spec() const { return m_spec; }
    // Changes whenever a new producer session is attached (agent restarted).
    uint64_t session_id() const { return m_consumer ? m_consumer->session_id() : 0; }

  private:
    bool try_open();
    bool file_shrank();
    void close_region(const std::string& why);
    void set_state(ViewState state, std::string message, bool* changed);
    std::string waiting_message() const;

    std::string m_spec;
    std::unique_ptr<platform::Region> m_region;
    std::unique_ptr<protocol::Consumer> m_consumer;
    ViewState m_state = ViewState::NoRegion;
    std::string m_message;
    std::string m_open_error;  // the last failure, logged once per distinct text
    uint64_t m_next_check_ns = 0;
};

}  // namespace periscope::viewer
