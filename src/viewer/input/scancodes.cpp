#include "viewer/input/scancodes.h"

#include <algorithm>
#include <cstddef>

namespace periscope::viewer {
namespace {

struct Entry {
    SDL_Scancode sdl;
    uint32_t pc;  // spice-glib convention
};

constexpr uint32_t e0(uint32_t code) {
    return SPICE_E0_PREFIX | code;
}

// Facts: Microsoft's "Keyboard Scan Code Specification" (set 1 column), cross-checked against
// the set-1 column of QEMU's keycodemapdb (the table QEMU itself uses to decode the bytes a SPICE
// client sends). Sorted by SDL_Scancode for the binary search below; the static_asserts keep it
// so. Keys left out have no set-1 code (SDL_SCANCODE_EJECT, _WWW, _STOP, _CANCEL, _MENU, ...).
constexpr Entry TABLE[] = {
    {SDL_SCANCODE_A, 0x1E},
    {SDL_SCANCODE_B, 0x30},
    {SDL_SCANCODE_C, 0x2E},
    {SDL_SCANCODE_D, 0x20},
    {SDL_SCANCODE_E, 0x12},
    {SDL_SCANCODE_F, 0x21},
    {SDL_SCANCODE_G, 0x22},
    {SDL_SCANCODE_H, 0x23},
    {SDL_SCANCODE_I, 0x17},
    {SDL_SCANCODE_J, 0x24},
    {SDL_SCANCODE_K, 0x25},
    {SDL_SCANCODE_L, 0x26},
    {SDL_SCANCODE_M, 0x32},
    {SDL_SCANCODE_N, 0x31},
    {SDL_SCANCODE_O, 0x18},
    {SDL_SCANCODE_P, 0x19},
    {SDL_SCANCODE_Q, 0x10},
    {SDL_SCANCODE_R, 0x13},
    {SDL_SCANCODE_S, 0x1F},
    {SDL_SCANCODE_T, 0x14},
    {SDL_SCANCODE_U, 0x16},
    {SDL_SCANCODE_V, 0x2F},
    {SDL_SCANCODE_W, 0x11},
    {SDL_SCANCODE_X, 0x2D},
    {SDL_SCANCODE_Y, 0x15},
    {SDL_SCANCODE_Z, 0x2C},
    {SDL_SCANCODE_1, 0x02},
    {SDL_SCANCODE_2, 0x03},
    {SDL_SCANCODE_3, 0x04},
    {SDL_SCANCODE_4, 0x05},
    {SDL_SCANCODE_5, 0x06},
    {SDL_SCANCODE_6, 0x07},
    {SDL_SCANCODE_7, 0x08},
    {SDL_SCANCODE_8, 0x09},
    {SDL_SCANCODE_9, 0x0A},
    {SDL_SCANCODE_0, 0x0B},
    {SDL_SCANCODE_RETURN, 0x1C},
    {SDL_SCANCODE_ESCAPE, 0x01},
    {SDL_SCANCODE_BACKSPACE, 0x0E},
    {SDL_SCANCODE_TAB, 0x0F},
    {SDL_SCANCODE_SPACE, 0x39},
    {SDL_SCANCODE_MINUS, 0x0C},
    {SDL_SCANCODE_EQUALS, 0x0D},
    {SDL_SCANCODE_LEFTBRACKET, 0x1A},
    {SDL_SCANCODE_RIGHTBRACKET, 0x1B},
    {SDL_SCANCODE_BACKSLASH, 0x2B},
    // USB tells the ANSI "\|" key and the ISO "#~" key apart; set 1 does not (both are 2B), and
    // X11 reports the ISO key as BACKSLASH anyway. One of the two aliases in this table.
    {SDL_SCANCODE_NONUSHASH, 0x2B},
    {SDL_SCANCODE_SEMICOLON, 0x27},
    {SDL_SCANCODE_APOSTROPHE, 0x28},
    {SDL_SCANCODE_GRAVE, 0x29},
    {SDL_SCANCODE_COMMA, 0x33},
    {SDL_SCANCODE_PERIOD, 0x34},
    {SDL_SCANCODE_SLASH, 0x35},
    {SDL_SCANCODE_CAPSLOCK, 0x3A},
    {SDL_SCANCODE_F1, 0x3B},
    {SDL_SCANCODE_F2, 0x3C},
    {SDL_SCANCODE_F3, 0x3D},
    {SDL_SCANCODE_F4, 0x3E},
    {SDL_SCANCODE_F5, 0x3F},
    {SDL_SCANCODE_F6, 0x40},
    {SDL_SCANCODE_F7, 0x41},
    {SDL_SCANCODE_F8, 0x42},
    {SDL_SCANCODE_F9, 0x43},
    {SDL_SCANCODE_F10, 0x44},
    {SDL_SCANCODE_F11, 0x57},
    {SDL_SCANCODE_F12, 0x58},
    // A real keyboard sends E0 2A E0 37 for an unmodified PrintScreen (a "fake Left Shift" before
    // the key, so that old software sees Shift+KP*), E0 37 with Shift or Ctrl held and 54 with Alt.
    // We send the key alone, E0 37: QEMU decodes every E0 pair into one of its key codes, E0 37 is
    // its PrintScreen while E0 2A is no key at all, and its emulated keyboard adds the fake shift
    // (or the Alt form) itself when it reports PrintScreen to the guest. Sending the prefix too
    // would be an undefined key for QEMU and a second press of a Shift for other servers.
    {SDL_SCANCODE_PRINTSCREEN, e0(0x37)},
    {SDL_SCANCODE_SCROLLLOCK, 0x46},
    // SDL_SCANCODE_PAUSE: no single code, see PAUSE_SEQUENCE.
    {SDL_SCANCODE_INSERT, e0(0x52)},
    {SDL_SCANCODE_HOME, e0(0x47)},
    {SDL_SCANCODE_PAGEUP, e0(0x49)},
    {SDL_SCANCODE_DELETE, e0(0x53)},
    {SDL_SCANCODE_END, e0(0x4F)},
    {SDL_SCANCODE_PAGEDOWN, e0(0x51)},
    {SDL_SCANCODE_RIGHT, e0(0x4D)},
    {SDL_SCANCODE_LEFT, e0(0x4B)},
    {SDL_SCANCODE_DOWN, e0(0x50)},
    {SDL_SCANCODE_UP, e0(0x48)},
    {SDL_SCANCODE_NUMLOCKCLEAR, 0x45},
    {SDL_SCANCODE_KP_DIVIDE, e0(0x35)},
    {SDL_SCANCODE_KP_MULTIPLY, 0x37},
    {SDL_SCANCODE_KP_MINUS, 0x4A},
    {SDL_SCANCODE_KP_PLUS, 0x4E},
    {SDL_SCANCODE_KP_ENTER, e0(0x1C)},
    {SDL_SCANCODE_KP_1, 0x4F},
    {SDL_SCANCODE_KP_2, 0x50},
    {SDL_SCANCODE_KP_3, 0x51},
    {SDL_SCANCODE_KP_4, 0x4B},
    {SDL_SCANCODE_KP_5, 0x4C},
    {SDL_SCANCODE_KP_6, 0x4D},
    {SDL_SCANCODE_KP_7, 0x47},
    {SDL_SCANCODE_KP_8, 0x48},
    {SDL_SCANCODE_KP_9, 0x49},
    {SDL_SCANCODE_KP_0, 0x52},
    {SDL_SCANCODE_KP_PERIOD, 0x53},
    {SDL_SCANCODE_NONUSBACKSLASH, 0x56},   // the ISO key between Left Shift and Z
    {SDL_SCANCODE_APPLICATION, e0(0x5D)},  // the Menu key
    {SDL_SCANCODE_POWER, e0(0x5E)},
    {SDL_SCANCODE_KP_EQUALS, 0x59},
    // F13-F24: Microsoft lists 64-6E and 76 (76 is also LANG5 there), but QEMU decodes 64-6E as
    // other keys (Open, Paste, ...). These are the codes QEMU, like Linux, reads as F13-F24.
    {SDL_SCANCODE_F13, 0x5D},
    {SDL_SCANCODE_F14, 0x5E},
    {SDL_SCANCODE_F15, 0x5F},
    {SDL_SCANCODE_F16, 0x55},
    {SDL_SCANCODE_F17, e0(0x03)},
    {SDL_SCANCODE_F18, e0(0x77)},
    {SDL_SCANCODE_F19, e0(0x04)},
    {SDL_SCANCODE_F20, 0x5A},
    {SDL_SCANCODE_F21, 0x74},
    {SDL_SCANCODE_F22, e0(0x79)},
    {SDL_SCANCODE_F23, 0x6D},
    {SDL_SCANCODE_F24, 0x6F},
    {SDL_SCANCODE_MUTE, e0(0x20)},
    {SDL_SCANCODE_VOLUMEUP, e0(0x30)},
    {SDL_SCANCODE_VOLUMEDOWN, e0(0x2E)},
    {SDL_SCANCODE_KP_COMMA, 0x7E},        // the Brazilian keypad's second "."
    {SDL_SCANCODE_INTERNATIONAL1, 0x73},  // Japanese Ro (\_)
    {SDL_SCANCODE_INTERNATIONAL2, 0x70},  // Japanese Katakana/Hiragana
    {SDL_SCANCODE_INTERNATIONAL3, 0x7D},  // Japanese Yen
    {SDL_SCANCODE_INTERNATIONAL4, 0x79},  // Japanese Henkan
    {SDL_SCANCODE_INTERNATIONAL5, 0x7B},  // Japanese Muhenkan
    {SDL_SCANCODE_INTERNATIONAL6, 0x5C},  // Japanese keypad comma
    {SDL_SCANCODE_LANG1, 0xF2},           // Korean Hangul: make only, see is_make_only
    {SDL_SCANCODE_LANG2, 0xF1},           // Korean Hanja: make only
    {SDL_SCANCODE_LANG3, 0x78},           // Japanese Katakana
    {SDL_SCANCODE_LANG4, 0x77},           // Japanese Hiragana
    {SDL_SCANCODE_LANG5, 0x76},           // Japanese Zenkaku/Hankaku
    {SDL_SCANCODE_SYSREQ, 0x54},          // what the PrintScreen key sends with Alt held
    {SDL_SCANCODE_LCTRL, 0x1D},
    {SDL_SCANCODE_LSHIFT, 0x2A},
    {SDL_SCANCODE_LALT, 0x38},
    {SDL_SCANCODE_LGUI, e0(0x5B)},
    {SDL_SCANCODE_RCTRL, e0(0x1D)},
    {SDL_SCANCODE_RSHIFT, 0x36},
    {SDL_SCANCODE_RALT, e0(0x38)},
    {SDL_SCANCODE_RGUI, e0(0x5C)},
    {SDL_SCANCODE_AUDIONEXT, e0(0x19)},
    {SDL_SCANCODE_AUDIOPREV, e0(0x10)},
    {SDL_SCANCODE_AUDIOSTOP, e0(0x24)},
    {SDL_SCANCODE_AUDIOPLAY, e0(0x22)},  // Play/Pause: set 1 has the one key
    // USB's consumer-page Mute; the same key as SDL_SCANCODE_MUTE in set 1 (the other alias).
    {SDL_SCANCODE_AUDIOMUTE, e0(0x20)},
    {SDL_SCANCODE_MEDIASELECT, e0(0x6D)},
    {SDL_SCANCODE_MAIL, e0(0x6C)},
    {SDL_SCANCODE_CALCULATOR, e0(0x21)},
    {SDL_SCANCODE_COMPUTER, e0(0x6B)},
    {SDL_SCANCODE_AC_SEARCH, e0(0x65)},
    {SDL_SCANCODE_AC_HOME, e0(0x32)},
    {SDL_SCANCODE_AC_BACK, e0(0x6A)},
    {SDL_SCANCODE_AC_FORWARD, e0(0x69)},
    {SDL_SCANCODE_AC_STOP, e0(0x68)},
    {SDL_SCANCODE_AC_REFRESH, e0(0x67)},
    {SDL_SCANCODE_AC_BOOKMARKS, e0(0x66)},
    {SDL_SCANCODE_SLEEP, e0(0x5F)},
};

constexpr bool table_sorted() {
    for (size_t i = 1; i < std::size(TABLE); ++i) {
        if (TABLE[i - 1].sdl >= TABLE[i].sdl) {
            return false;
        }
    }
    return true;
}
static_assert(table_sorted(), "TABLE must be sorted by SDL_Scancode, without duplicates");

}  // namespace

uint32_t pc_scancode(SDL_Scancode sc) {
    const Entry* end = std::end(TABLE);
    const Entry* it = std::lower_bound(
        std::begin(TABLE), end, sc, [](const Entry& e, SDL_Scancode key) { return e.sdl < key; });
    return it != end && it->sdl == sc ? it->pc : 0;
}

}  // namespace periscope::viewer
