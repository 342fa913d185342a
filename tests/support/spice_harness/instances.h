// The devices QEMU would register with spice-server, reduced to recording what arrives:
// keyboard (each scancode byte), PS/2-style mouse (relative motion), tablet (absolute positions),
// and one QXL display with a primary surface. The display never has anything to draw; it exists
// because spice-server offers client (absolute) mouse mode through the tablet only when exactly
// one QXL instance with a primary surface in "mouse_mode" is registered (reds_update_mouse_mode),
// and it gives the tablet its logical size.
#pragma once

#include <cstdint>

typedef struct RedsState SpiceServer;

namespace periscope::spice_harness {

struct InstanceOptions {
    bool tablet = true;
    uint32_t width = 1920;  // primary surface = tablet logical size
    uint32_t height = 1080;
};

// Registers the instances; false (with an error emitted) if spice-server refused one.
bool add_input_instances(SpiceServer* server, const InstanceOptions& options);
// Registers the QXL instance. The primary surface is created by create_primary_surface, after
// spice_server_vm_start (the worker thread must be running to answer the synchronous call).
bool add_display_instance(SpiceServer* server);
void create_primary_surface(const InstanceOptions& options);

}  // namespace periscope::spice_harness
