// The guest end of the spice agent port ("vdagent" char device), behaving like spice-vdagentd:
// announces its capabilities when a client asks, answers monitors config, serves and receives
// clipboard data on demand, honours the client's VD_AGENT_MAX_CLIPBOARD. spice-server calls the
// device on the main thread; the harness's stdin commands drive the guest side.
#pragma once

#include <spice.h>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "vdagent_wire.h"

namespace periscope::spice_harness {

class VdagentDevice {
  public:
    VdagentDevice();
    VdagentDevice(const VdagentDevice&) = delete;
    VdagentDevice& operator=(const VdagentDevice&) = delete;

    // Like the guest opening / closing the virtio port: spice-server tells the client the agent
    // (dis)connected.
    bool attach(SpiceServer* server);
    void detach();
    bool attached() const { return m_attached; }

    // Guest-side actions (stdin commands).
    void set_content(uint32_t type, std::vector<uint8_t> data);
    void guest_grab(const std::vector<uint32_t>& types);
    void guest_request(uint32_t type);
    void guest_release();

  private:
    // spice-server keeps a pointer to the instance; the wrapper leads back to the device.
    struct Instance {
        SpiceCharDeviceInstance sin;
        VdagentDevice* self;
    };
    static VdagentDevice* from(SpiceCharDeviceInstance* sin);
    static void on_state(SpiceCharDeviceInstance* sin, int connected);
    static int on_write(SpiceCharDeviceInstance* sin, const uint8_t* buf, int len);
    static int on_read(SpiceCharDeviceInstance* sin, uint8_t* buf, int len);

    void handle(const AgentMessage& message);
    void handle_capabilities(const AgentMessage& message);
    void handle_clipboard_grab(const AgentMessage& message);
    void handle_clipboard_request(const AgentMessage& message);
    void handle_client_disconnected();
    void send(uint32_t type, const std::vector<uint8_t>& payload);
    ClipboardFormat format() const;
    bool clipboard_allowed() const;

    Instance m_instance;
    bool m_attached = false;
    ChunkReader m_reader;
    std::vector<uint8_t> m_out;  // bytes waiting for spice-server to read
    size_t m_out_pos = 0;
    Capabilities m_ours;
    Capabilities m_client;
    bool m_client_known = false;  // the client announced its capabilities
    // Per selection, like spice-vdagentd: the next grab serial
    // (VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL).
    std::array<uint32_t, 256> m_serial{};
    int32_t m_max_clipboard = -1;                        // -1: no limit
    std::map<uint32_t, std::vector<uint8_t>> m_content;  // what the guest serves, by type
};

}  // namespace periscope::spice_harness
