// The atoms the X11 clipboard uses, interned once at start-up, and the mapping between X
// selection targets and our ClipboardType.
#pragma once

#include <xcb/xcb.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "viewer/input/host_clipboard.h"

namespace periscope::viewer::x11 {

// Properties on our window that receive conversions: one per conversion in flight, so a TARGETS
// probe and data fetches can overlap without one overwriting another's answer.
constexpr size_t CONVERSION_SLOTS = 8;

struct ClipboardAtoms {
    xcb_atom_t clipboard = XCB_ATOM_NONE;
    xcb_atom_t targets = XCB_ATOM_NONE;
    xcb_atom_t timestamp = XCB_ATOM_NONE;
    xcb_atom_t multiple = XCB_ATOM_NONE;
    xcb_atom_t incr = XCB_ATOM_NONE;
    xcb_atom_t utf8_string = XCB_ATOM_NONE;
    xcb_atom_t text_plain_utf8 = XCB_ATOM_NONE;  // "text/plain;charset=utf-8"
    xcb_atom_t image_png = XCB_ATOM_NONE;
    xcb_atom_t text = XCB_ATOM_NONE;
    // Our own property for the zero-length append that yields a server timestamp.
    xcb_atom_t stamp_property = XCB_ATOM_NONE;
    std::array<xcb_atom_t, CONVERSION_SLOTS> slots{};
};

// Interns every atom in one round trip per batch (requests first, then replies). False with
// `error` set if the server refused one.
bool intern_atoms(xcb_connection_t* connection, ClipboardAtoms* atoms, std::string* error);

// What the current host owner's TARGETS list offers us: the types, and for each the target we
// will ask for (the best one of several candidates).
struct HostTargets {
    std::vector<ClipboardType> types;
    xcb_atom_t text_target = XCB_ATOM_NONE;  // NONE: no text offered
    xcb_atom_t png_target = XCB_ATOM_NONE;
};
HostTargets choose_targets(const ClipboardAtoms& atoms, const std::vector<xcb_atom_t>& offered);

// Which of our types a requestor asks for with `target` when we own the selection; nullopt if
// `target` carries none of them.
std::optional<ClipboardType> type_for_served_target(const ClipboardAtoms& atoms, xcb_atom_t target);
// The targets we list in TARGETS for `types` (besides TARGETS and TIMESTAMP themselves).
std::vector<xcb_atom_t> served_targets(const ClipboardAtoms& atoms,
                                       const std::vector<ClipboardType>& types);

// ISO 8859-1 (what STRING carries, per ICCCM) to UTF-8.
std::vector<uint8_t> latin1_to_utf8(const std::vector<uint8_t>& latin1);

}  // namespace periscope::viewer::x11
