// The keys an end-to-end keyboard test presses on Xvfb (with XTEST) and the set-1 bytes the SPICE
// server's keyboard must then receive, byte by byte. Header-only data.
//
// x_keycode: Xvfb's default keymap is the evdev one ("evdev+aliases(qwerty)", checked with
// xkbcomp), so X keycode = Linux KEY_* code + 8.
//
// The expected bytes are derived here independently of the viewer's own table
// (src/viewer/input/scancodes.cpp): for Linux codes 1..88 the set-1 make code IS the Linux code
// (x_keycode - 8, see evdev_key); every other key is written out with its E0 code from
// Microsoft's "Keyboard Scan Code Specification" (e0_key). Break = make with 0x80 set in the code
// byte, the E0 prefix kept.
//
// sdl_scancode: the SDL_Scancode value SDL 2.26 reported for that X keycode on Xvfb (measured,
// not derived); lets a test tell a mapping bug from an SDL surprise. Left out of this table
// because SDL reports nothing usable for them on Xvfb: browser Stop (X keycode 136, SDL says
// SDL_SCANCODE_CANCEL), WakeUp (151, no SDL event), WWW (158, SDL_SCANCODE_WWW, which has no
// set-1 code), Eject (169, SDL_SCANCODE_EJECT, no set-1 code), F21-F24 (199-202, no SDL event).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace periscope::test {

struct ScanBytes {
    std::array<uint8_t, 6> bytes{};
    uint8_t size = 0;

    constexpr std::span<const uint8_t> view() const { return {bytes.data(), size}; }
};

enum class KeyRole : uint8_t {
    Normal,
    // ScrollLock is the viewer's escape key by default: alone it toggles capture, so pressing it
    // sends nothing to the guest. Its bytes are what the guest gets when the escape key is changed
    // (--escape-key) or sent with escape+Insert.
    ViewerEscape,
};

struct LayoutKey {
    const char* name;
    uint8_t x_keycode;
    ScanBytes make;         // on key down
    ScanBytes break_bytes;  // on key up ("break" is a keyword)
    uint16_t sdl_scancode;  // SDL_Scancode value, as measured
    KeyRole role = KeyRole::Normal;
};

namespace keyboard_layout_detail {

constexpr ScanBytes bytes1(uint8_t a) {
    return {{a}, 1};
}
constexpr ScanBytes bytes2(uint8_t a, uint8_t b) {
    return {{a, b}, 2};
}

// Linux KEY_* 1..88 only: there the set-1 make code equals the Linux code.
constexpr LayoutKey evdev_key(const char* name, uint8_t x_keycode, uint16_t sdl,
                              KeyRole role = KeyRole::Normal) {
    const auto code = static_cast<uint8_t>(x_keycode - 8);
    return {name, x_keycode, bytes1(code), bytes1(static_cast<uint8_t>(code | 0x80)), sdl, role};
}

constexpr LayoutKey e0_key(const char* name, uint8_t x_keycode, uint8_t code, uint16_t sdl) {
    return {name, x_keycode, bytes2(0xE0, code), bytes2(0xE0, static_cast<uint8_t>(code | 0x80)),
            sdl};
}

}  // namespace keyboard_layout_detail

// Pause: E1 1D 45 E1 9D C5 on key down, nothing on key up (it has no break code).
inline constexpr ScanBytes PAUSE_MAKE = {{0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5}, 6};

// The 105 keys of an ISO PC keyboard, then the extra (media) keys Xvfb's keymap has.
inline constexpr size_t ISO_105_KEY_COUNT = 105;

inline constexpr auto KEYBOARD_LAYOUT = [] {
    using keyboard_layout_detail::e0_key;
    using keyboard_layout_detail::evdev_key;
    return std::array{
        // Function row.
        evdev_key("Escape", 9, 41),
        evdev_key("F1", 67, 58),
        evdev_key("F2", 68, 59),
        evdev_key("F3", 69, 60),
        evdev_key("F4", 70, 61),
        evdev_key("F5", 71, 62),
        evdev_key("F6", 72, 63),
        evdev_key("F7", 73, 64),
        evdev_key("F8", 74, 65),
        evdev_key("F9", 75, 66),
        evdev_key("F10", 76, 67),
        evdev_key("F11", 95, 68),
        evdev_key("F12", 96, 69),
        // A real keyboard prefixes E0 2A (a fake Left Shift) when no modifier is held; the viewer
        // sends the key alone and the emulated keyboard adds the prefix (scancodes.cpp says why).
        e0_key("PrintScreen", 107, 0x37, 70),
        evdev_key("ScrollLock", 78, 71, KeyRole::ViewerEscape),
        LayoutKey{"Pause", 127, PAUSE_MAKE, {}, 72},
        // Number row.
        evdev_key("Grave", 49, 53),
        evdev_key("1", 10, 30),
        evdev_key("2", 11, 31),
        evdev_key("3", 12, 32),
        evdev_key("4", 13, 33),
        evdev_key("5", 14, 34),
        evdev_key("6", 15, 35),
        evdev_key("7", 16, 36),
        evdev_key("8", 17, 37),
        evdev_key("9", 18, 38),
        evdev_key("0", 19, 39),
        evdev_key("Minus", 20, 45),
        evdev_key("Equal", 21, 46),
        evdev_key("Backspace", 22, 42),
        // Top letter row.
        evdev_key("Tab", 23, 43),
        evdev_key("Q", 24, 20),
        evdev_key("W", 25, 26),
        evdev_key("E", 26, 8),
        evdev_key("R", 27, 21),
        evdev_key("T", 28, 23),
        evdev_key("Y", 29, 28),
        evdev_key("U", 30, 24),
        evdev_key("I", 31, 12),
        evdev_key("O", 32, 18),
        evdev_key("P", 33, 19),
        evdev_key("BracketLeft", 34, 47),
        evdev_key("BracketRight", 35, 48),
        evdev_key("Return", 36, 40),
        // Home row; the ISO "#~" key is X's backslash key.
        evdev_key("CapsLock", 66, 57),
        evdev_key("A", 38, 4),
        evdev_key("S", 39, 22),
        evdev_key("D", 40, 7),
        evdev_key("F", 41, 9),
        evdev_key("G", 42, 10),
        evdev_key("H", 43, 11),
        evdev_key("J", 44, 13),
        evdev_key("K", 45, 14),
        evdev_key("L", 46, 15),
        evdev_key("Semicolon", 47, 51),
        evdev_key("Apostrophe", 48, 52),
        evdev_key("Backslash", 51, 49),
        // Bottom letter row, with the ISO "<>" key (Linux KEY_102ND).
        evdev_key("ShiftLeft", 50, 225),
        evdev_key("IntlBackslash", 94, 100),
        evdev_key("Z", 52, 29),
        evdev_key("X", 53, 27),
        evdev_key("C", 54, 6),
        evdev_key("V", 55, 25),
        evdev_key("B", 56, 5),
        evdev_key("N", 57, 17),
        evdev_key("M", 58, 16),
        evdev_key("Comma", 59, 54),
        evdev_key("Period", 60, 55),
        evdev_key("Slash", 61, 56),
        evdev_key("ShiftRight", 62, 229),
        // Space row.
        evdev_key("ControlLeft", 37, 224),
        e0_key("MetaLeft", 133, 0x5B, 227),
        evdev_key("AltLeft", 64, 226),
        evdev_key("Space", 65, 44),
        e0_key("AltRight", 108, 0x38, 230),
        e0_key("MetaRight", 134, 0x5C, 231),
        e0_key("ContextMenu", 135, 0x5D, 101),
        e0_key("ControlRight", 105, 0x1D, 228),
        // Navigation cluster.
        e0_key("Insert", 118, 0x52, 73),
        e0_key("Home", 110, 0x47, 74),
        e0_key("PageUp", 112, 0x49, 75),
        e0_key("Delete", 119, 0x53, 76),
        e0_key("End", 115, 0x4F, 77),
        e0_key("PageDown", 117, 0x51, 78),
        e0_key("ArrowUp", 111, 0x48, 82),
        e0_key("ArrowLeft", 113, 0x4B, 80),
        e0_key("ArrowDown", 116, 0x50, 81),
        e0_key("ArrowRight", 114, 0x4D, 79),
        // Keypad.
        evdev_key("NumLock", 77, 83),
        e0_key("NumpadDivide", 106, 0x35, 84),
        evdev_key("NumpadMultiply", 63, 85),
        evdev_key("NumpadSubtract", 82, 86),
        evdev_key("Numpad7", 79, 95),
        evdev_key("Numpad8", 80, 96),
        evdev_key("Numpad9", 81, 97),
        evdev_key("NumpadAdd", 86, 87),
        evdev_key("Numpad4", 83, 92),
        evdev_key("Numpad5", 84, 93),
        evdev_key("Numpad6", 85, 94),
        evdev_key("Numpad1", 87, 89),
        evdev_key("Numpad2", 88, 90),
        evdev_key("Numpad3", 89, 91),
        e0_key("NumpadEnter", 104, 0x1C, 88),
        evdev_key("Numpad0", 90, 98),
        evdev_key("NumpadDecimal", 91, 99),
        // Extra keys of Xvfb's keymap that SDL reports and set 1 has codes for.
        e0_key("AudioVolumeMute", 121, 0x20, 127),
        e0_key("AudioVolumeDown", 122, 0x2E, 129),
        e0_key("AudioVolumeUp", 123, 0x30, 128),
        e0_key("Power", 124, 0x5E, 102),
        e0_key("LaunchCalculator", 148, 0x21, 266),
        e0_key("Sleep", 150, 0x5F, 282),
        e0_key("LaunchMail", 163, 0x6C, 265),
        e0_key("BrowserFavorites", 164, 0x66, 274),
        e0_key("LaunchMyComputer", 165, 0x6B, 267),
        e0_key("BrowserBack", 166, 0x6A, 270),
        e0_key("BrowserForward", 167, 0x69, 271),
        e0_key("MediaTrackNext", 171, 0x19, 258),
        e0_key("MediaPlayPause", 172, 0x22, 261),
        e0_key("MediaTrackPrevious", 173, 0x10, 259),
        e0_key("MediaStop", 174, 0x24, 260),
        e0_key("BrowserHome", 180, 0x32, 269),
        e0_key("BrowserRefresh", 181, 0x67, 273),
        e0_key("BrowserSearch", 225, 0x65, 268),
        e0_key("MediaSelect", 234, 0x6D, 263),
    };
}();

namespace keyboard_layout_detail {

constexpr bool keycodes_unique_and_evdev_in_range() {
    for (size_t i = 0; i < KEYBOARD_LAYOUT.size(); ++i) {
        const LayoutKey& key = KEYBOARD_LAYOUT[i];
        if (key.make.size == 0) {
            return false;
        }
        // A one-byte code must come from the Linux 1..88 identity.
        if (key.make.size == 1 && (key.x_keycode < 9 || key.x_keycode > 96)) {
            return false;
        }
        for (size_t j = i + 1; j < KEYBOARD_LAYOUT.size(); ++j) {
            if (KEYBOARD_LAYOUT[j].x_keycode == key.x_keycode) {
                return false;
            }
        }
    }
    return true;
}
static_assert(keycodes_unique_and_evdev_in_range());

}  // namespace keyboard_layout_detail

}  // namespace periscope::test
