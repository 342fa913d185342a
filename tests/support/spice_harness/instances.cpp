#include "instances.h"

#include <spice.h>

#include <cstdlib>
#include <vector>

#include "json_out.h"

namespace periscope::spice_harness {

namespace {

// ---- keyboard ----------------------------------------------------------------------------------

void kbd_push_scan_freg(SpiceKbdInstance*, uint8_t frag) {
    JsonLine("kbd").num("byte", frag).emit();
}

uint8_t kbd_get_leds(SpiceKbdInstance*) {
    // No guest to light anything: all locks off, so a client whose locks are off gets no
    // synthetic lock key presses when it connects.
    return 0;
}

const SpiceKbdInterface KBD_INTERFACE = {
    {SPICE_INTERFACE_KEYBOARD, "periscope harness keyboard", SPICE_INTERFACE_KEYBOARD_MAJOR,
     SPICE_INTERFACE_KEYBOARD_MINOR},
    kbd_push_scan_freg,
    kbd_get_leds,
};

// ---- relative mouse ----------------------------------------------------------------------------

void mouse_motion(SpiceMouseInstance*, int dx, int dy, int dz, uint32_t buttons) {
    JsonLine("motion").num("dx", dx).num("dy", dy).num("dz", dz).num("buttons", buttons).emit();
}

void mouse_buttons(SpiceMouseInstance*, uint32_t buttons) {
    JsonLine("mouse_buttons").num("buttons", buttons).emit();
}

const SpiceMouseInterface MOUSE_INTERFACE = {
    {SPICE_INTERFACE_MOUSE, "periscope harness mouse", SPICE_INTERFACE_MOUSE_MAJOR,
     SPICE_INTERFACE_MOUSE_MINOR},
    mouse_motion,
    mouse_buttons,
};

// ---- tablet ------------------------------------------------------------------------------------

void tablet_set_logical_size(SpiceTabletInstance*, int width, int height) {
    JsonLine("tablet_size").num("w", width).num("h", height).emit();
}

void tablet_position(SpiceTabletInstance*, int x, int y, uint32_t buttons) {
    JsonLine("position").num("x", x).num("y", y).num("buttons", buttons).emit();
}

void tablet_wheel(SpiceTabletInstance*, int motion, uint32_t buttons) {
    JsonLine("wheel").num("motion", motion).num("buttons", buttons).emit();
}

void tablet_buttons(SpiceTabletInstance*, uint32_t buttons) {
    JsonLine("tablet_buttons").num("buttons", buttons).emit();
}

const SpiceTabletInterface TABLET_INTERFACE = {
    {SPICE_INTERFACE_TABLET, "periscope harness tablet", SPICE_INTERFACE_TABLET_MAJOR,
     SPICE_INTERFACE_TABLET_MINOR},
    tablet_set_logical_size,
    tablet_position,
    tablet_wheel,
    tablet_buttons,
};

SpiceKbdInstance g_kbd{{&KBD_INTERFACE.base}, nullptr};
SpiceMouseInstance g_mouse{{&MOUSE_INTERFACE.base}, nullptr};
SpiceTabletInstance g_tablet{{&TABLET_INTERFACE.base}, nullptr};

// ---- QXL: a display that never draws -----------------------------------------------------------
// Called on spice-server's display worker thread (except attached_worker); nothing here touches
// shared state.

constexpr uint32_t MEMSLOT_GROUP = 0;

void qxl_attached_worker(QXLInstance*) {}

void qxl_set_compression_level(QXLInstance*, int) {}

void qxl_get_init_info(QXLInstance*, QXLDevInitInfo* info) {
    // One group with slot 0 spanning the whole address space (below): surface addresses are
    // plain process pointers, as QEMU's host-side displays do it.
    info->num_memslots_groups = 1;
    info->num_memslots = 1;
    info->memslot_gen_bits = 8;
    info->memslot_id_bits = 8;
    info->qxl_ram_size = 16u << 20;
    info->internal_groupslot_id = 0;
    info->n_surfaces = 1;
}

int qxl_get_command(QXLInstance*, QXLCommandExt*) {
    return 0;
}

int qxl_req_cmd_notification(QXLInstance*) {
    return 1;  // "no commands now, will wake you": never, since none ever come
}

void qxl_release_resource(QXLInstance*, QXLReleaseInfoExt) {}

int qxl_get_cursor_command(QXLInstance*, QXLCommandExt*) {
    return 0;
}

int qxl_req_cursor_notification(QXLInstance*) {
    return 1;
}

void qxl_notify_update(QXLInstance*, uint32_t) {}

int qxl_flush_resources(QXLInstance*) {
    return 0;
}

void qxl_async_complete(QXLInstance*, uint64_t) {}

void qxl_update_area_complete(QXLInstance*, uint32_t, QXLRect*, uint32_t) {}

void qxl_set_client_capabilities(QXLInstance*, uint8_t, uint8_t*) {}

int qxl_client_monitors_config(QXLInstance*, VDAgentMonitorsConfig*) {
    // 0 = not handled here: spice-server passes the client's monitors config on to the agent.
    return 0;
}

QXLInterface make_qxl_interface() {
    QXLInterface sif{};
    sif.base.type = SPICE_INTERFACE_QXL;
    sif.base.description = "periscope harness display";
    sif.base.major_version = SPICE_INTERFACE_QXL_MAJOR;
    sif.base.minor_version = SPICE_INTERFACE_QXL_MINOR;
    sif.attached_worker = qxl_attached_worker;
    sif.set_compression_level = qxl_set_compression_level;
    sif.get_init_info = qxl_get_init_info;
    sif.get_command = qxl_get_command;
    sif.req_cmd_notification = qxl_req_cmd_notification;
    sif.release_resource = qxl_release_resource;
    sif.get_cursor_command = qxl_get_cursor_command;
    sif.req_cursor_notification = qxl_req_cursor_notification;
    sif.notify_update = qxl_notify_update;
    sif.flush_resources = qxl_flush_resources;
    sif.async_complete = qxl_async_complete;
    sif.update_area_complete = qxl_update_area_complete;
    sif.set_client_capabilities = qxl_set_client_capabilities;
    sif.client_monitors_config = qxl_client_monitors_config;
    return sif;
}

QXLInterface g_qxl_interface = make_qxl_interface();
QXLInstance g_qxl{{&g_qxl_interface.base}, 0, nullptr};
std::vector<uint32_t> g_surface;  // the primary surface's pixels (never drawn)

}  // namespace

bool add_input_instances(SpiceServer* server, const InstanceOptions& options) {
    if (spice_server_add_interface(server, &g_kbd.base) != 0) {
        emit_error("spice-server refused the keyboard instance");
        return false;
    }
    if (spice_server_add_interface(server, &g_mouse.base) != 0) {
        emit_error("spice-server refused the mouse instance");
        return false;
    }
    if (options.tablet && spice_server_add_interface(server, &g_tablet.base) != 0) {
        emit_error("spice-server refused the tablet instance");
        return false;
    }
    return true;
}

bool add_display_instance(SpiceServer* server) {
    if (spice_server_add_interface(server, &g_qxl.base) != 0) {
        emit_error("spice-server refused the QXL instance");
        return false;
    }
    // The address QEMU gives its first qxl device; spice-server passes it to the agent in
    // VD_AGENT_GRAPHICS_DEVICE_INFO.
    spice_qxl_set_device_info(&g_qxl, "pci/0000/02.0", 0, 1);
    return true;
}

void create_primary_surface(const InstanceOptions& options) {
    QXLDevMemSlot slot{};
    slot.slot_group_id = MEMSLOT_GROUP;
    slot.slot_id = 0;
    slot.generation = 0;
    slot.virt_start = 0;
    slot.virt_end = ~static_cast<uintptr_t>(0);
    slot.addr_delta = 0;
    slot.qxl_ram_size = ~0u;
    spice_qxl_add_memslot(&g_qxl, &slot);

    g_surface.assign(static_cast<size_t>(options.width) * options.height, 0);
    QXLDevSurfaceCreate surface{};
    surface.width = options.width;
    surface.height = options.height;
    // Negative stride: bottom-up rows with `mem` at the first row, the layout QEMU uses.
    surface.stride = -static_cast<int32_t>(options.width * 4);
    surface.format = SPICE_SURFACE_FMT_32_xRGB;
    surface.position = 0;
    // The flag that lets spice-server offer client mouse mode for this display.
    surface.mouse_mode = 1;
    surface.flags = 0;
    surface.type = 0;
    surface.mem = reinterpret_cast<uintptr_t>(g_surface.data());
    surface.group_id = MEMSLOT_GROUP;
    spice_qxl_create_primary_surface(&g_qxl, 0, &surface);
}

}  // namespace periscope::spice_harness
