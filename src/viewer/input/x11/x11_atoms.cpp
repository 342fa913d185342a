#include "viewer/input/x11/x11_atoms.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace periscope::viewer::x11 {

bool intern_atoms(xcb_connection_t* connection, ClipboardAtoms* atoms, std::string* error) {
    std::vector<std::pair<std::string, xcb_atom_t*>> wanted = {
        {"CLIPBOARD", &atoms->clipboard},
        {"TARGETS", &atoms->targets},
        {"TIMESTAMP", &atoms->timestamp},
        {"MULTIPLE", &atoms->multiple},
        {"INCR", &atoms->incr},
        {"UTF8_STRING", &atoms->utf8_string},
        {"text/plain;charset=utf-8", &atoms->text_plain_utf8},
        {"image/png", &atoms->image_png},
        {"TEXT", &atoms->text},
        {"PERISCOPE_CLIPBOARD_STAMP", &atoms->stamp_property},
    };
    for (size_t i = 0; i < atoms->slots.size(); ++i) {
        wanted.emplace_back("PERISCOPE_CLIPBOARD_" + std::to_string(i), &atoms->slots[i]);
    }
    // All requests first, then the replies: one round trip instead of one per atom.
    std::vector<xcb_intern_atom_cookie_t> cookies;
    cookies.reserve(wanted.size());
    for (const auto& [name, out] : wanted) {
        cookies.push_back(
            xcb_intern_atom(connection, 0, static_cast<uint16_t>(name.size()), name.c_str()));
    }
    bool ok = true;
    for (size_t i = 0; i < wanted.size(); ++i) {
        xcb_intern_atom_reply_t* reply = xcb_intern_atom_reply(connection, cookies[i], nullptr);
        if (reply == nullptr || reply->atom == XCB_ATOM_NONE) {
            if (ok && error != nullptr) {
                *error = "cannot intern atom " + wanted[i].first;
            }
            ok = false;
        } else {
            *wanted[i].second = reply->atom;
        }
        std::free(reply);
    }
    return ok;
}

HostTargets choose_targets(const ClipboardAtoms& atoms, const std::vector<xcb_atom_t>& offered) {
    auto has = [&](xcb_atom_t atom) {
        return std::find(offered.begin(), offered.end(), atom) != offered.end();
    };
    HostTargets out;
    // UTF-8 first. STRING (Latin-1) and TEXT (owner's choice of encoding) only when the owner
    // offers no UTF-8 at all: they cannot carry most scripts, and TEXT may come back as
    // COMPOUND_TEXT, which we do not decode (fetch then fails rather than passing garbage on).
    for (xcb_atom_t candidate :
         {atoms.utf8_string, atoms.text_plain_utf8, xcb_atom_t{XCB_ATOM_STRING}, atoms.text}) {
        if (has(candidate)) {
            out.text_target = candidate;
            break;
        }
    }
    if (out.text_target != XCB_ATOM_NONE) {
        out.types.push_back(ClipboardType::Utf8Text);
    }
    if (has(atoms.image_png)) {
        out.png_target = atoms.image_png;
        out.types.push_back(ClipboardType::Png);
    }
    return out;
}

std::optional<ClipboardType> type_for_served_target(const ClipboardAtoms& atoms,
                                                    xcb_atom_t target) {
    if (target == atoms.utf8_string || target == atoms.text_plain_utf8) {
        return ClipboardType::Utf8Text;
    }
    if (target == atoms.image_png) {
        return ClipboardType::Png;
    }
    return std::nullopt;
}

std::vector<xcb_atom_t> served_targets(const ClipboardAtoms& atoms,
                                       const std::vector<ClipboardType>& types) {
    std::vector<xcb_atom_t> out;
    for (ClipboardType type : types) {
        if (type == ClipboardType::Utf8Text) {
            out.push_back(atoms.utf8_string);
            out.push_back(atoms.text_plain_utf8);
        } else {
            out.push_back(atoms.image_png);
        }
    }
    return out;
}

std::vector<uint8_t> latin1_to_utf8(const std::vector<uint8_t>& latin1) {
    std::vector<uint8_t> out;
    out.reserve(latin1.size() + latin1.size() / 8);
    for (uint8_t c : latin1) {
        if (c < 0x80) {
            out.push_back(c);
        } else {
            out.push_back(static_cast<uint8_t>(0xC0 | (c >> 6)));
            out.push_back(static_cast<uint8_t>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

}  // namespace periscope::viewer::x11
