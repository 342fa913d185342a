// spice-server's event loop hooks (SpiceCoreInterface: timers, fd watches, channel events) on
// the GLib default main context, which the harness's main loop runs. spice-server calls these
// from the thread that runs spice_server_init (its own worker threads use their own loop).
#pragma once

struct SpiceCoreInterface;

namespace periscope::spice_harness {

// The interface, filled once; valid for the life of the process.
SpiceCoreInterface* glib_core_interface();

}  // namespace periscope::spice_harness
