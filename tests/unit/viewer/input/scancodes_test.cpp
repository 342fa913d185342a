// The SDL scancode -> set-1 table (src/viewer/input/scancodes.*). Expected values are written out
// from Microsoft's "Keyboard Scan Code Specification" or derived by the end-to-end layout
// (tests/support/keyboard_layout.h), never read back from the table under test.
#include "viewer/input/scancodes.h"

#include <SDL_keyboard.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "support/keyboard_layout.h"

namespace periscope::viewer {
namespace {

using Bytes = std::vector<uint8_t>;

// What the SPICE server's keyboard receives for one spice-glib key call: spice-glib 0.42 masks the
// code with 0x37F, ORs 0x80 into it for a release and sends a prefixed code (0x100: E0, 0x200: E1)
// as the bytes "prefix, code"; spice-server pushes the bytes of the 32-bit code from the low end
// and stops at the first zero byte.
Bytes wire_bytes(uint32_t scancode, KeyDirection direction) {
    uint32_t code = scancode & 0x37F;
    if (direction == KeyDirection::Release) {
        code |= 0x80;
    }
    if (code < 0x100) {
        return {static_cast<uint8_t>(code)};
    }
    const auto prefix = static_cast<uint8_t>(0xE0 | ((code >> 8) - 1));
    return {prefix, static_cast<uint8_t>(code & 0xFF)};
}

Bytes to_vector(const test::ScanBytes& bytes) {
    const auto view = bytes.view();
    return {view.begin(), view.end()};
}

// The 105 keys of an ISO PC keyboard, as SDL names them.
const std::vector<SDL_Scancode> ISO_105 = {
    SDL_SCANCODE_ESCAPE,
    SDL_SCANCODE_F1,
    SDL_SCANCODE_F2,
    SDL_SCANCODE_F3,
    SDL_SCANCODE_F4,
    SDL_SCANCODE_F5,
    SDL_SCANCODE_F6,
    SDL_SCANCODE_F7,
    SDL_SCANCODE_F8,
    SDL_SCANCODE_F9,
    SDL_SCANCODE_F10,
    SDL_SCANCODE_F11,
    SDL_SCANCODE_F12,
    SDL_SCANCODE_PRINTSCREEN,
    SDL_SCANCODE_SCROLLLOCK,
    SDL_SCANCODE_PAUSE,
    SDL_SCANCODE_GRAVE,
    SDL_SCANCODE_1,
    SDL_SCANCODE_2,
    SDL_SCANCODE_3,
    SDL_SCANCODE_4,
    SDL_SCANCODE_5,
    SDL_SCANCODE_6,
    SDL_SCANCODE_7,
    SDL_SCANCODE_8,
    SDL_SCANCODE_9,
    SDL_SCANCODE_0,
    SDL_SCANCODE_MINUS,
    SDL_SCANCODE_EQUALS,
    SDL_SCANCODE_BACKSPACE,
    SDL_SCANCODE_TAB,
    SDL_SCANCODE_Q,
    SDL_SCANCODE_W,
    SDL_SCANCODE_E,
    SDL_SCANCODE_R,
    SDL_SCANCODE_T,
    SDL_SCANCODE_Y,
    SDL_SCANCODE_U,
    SDL_SCANCODE_I,
    SDL_SCANCODE_O,
    SDL_SCANCODE_P,
    SDL_SCANCODE_LEFTBRACKET,
    SDL_SCANCODE_RIGHTBRACKET,
    SDL_SCANCODE_RETURN,
    SDL_SCANCODE_CAPSLOCK,
    SDL_SCANCODE_A,
    SDL_SCANCODE_S,
    SDL_SCANCODE_D,
    SDL_SCANCODE_F,
    SDL_SCANCODE_G,
    SDL_SCANCODE_H,
    SDL_SCANCODE_J,
    SDL_SCANCODE_K,
    SDL_SCANCODE_L,
    SDL_SCANCODE_SEMICOLON,
    SDL_SCANCODE_APOSTROPHE,
    SDL_SCANCODE_BACKSLASH,
    SDL_SCANCODE_LSHIFT,
    SDL_SCANCODE_NONUSBACKSLASH,
    SDL_SCANCODE_Z,
    SDL_SCANCODE_X,
    SDL_SCANCODE_C,
    SDL_SCANCODE_V,
    SDL_SCANCODE_B,
    SDL_SCANCODE_N,
    SDL_SCANCODE_M,
    SDL_SCANCODE_COMMA,
    SDL_SCANCODE_PERIOD,
    SDL_SCANCODE_SLASH,
    SDL_SCANCODE_RSHIFT,
    SDL_SCANCODE_LCTRL,
    SDL_SCANCODE_LGUI,
    SDL_SCANCODE_LALT,
    SDL_SCANCODE_SPACE,
    SDL_SCANCODE_RALT,
    SDL_SCANCODE_RGUI,
    SDL_SCANCODE_APPLICATION,
    SDL_SCANCODE_RCTRL,
    SDL_SCANCODE_INSERT,
    SDL_SCANCODE_HOME,
    SDL_SCANCODE_PAGEUP,
    SDL_SCANCODE_DELETE,
    SDL_SCANCODE_END,
    SDL_SCANCODE_PAGEDOWN,
    SDL_SCANCODE_UP,
    SDL_SCANCODE_LEFT,
    SDL_SCANCODE_DOWN,
    SDL_SCANCODE_RIGHT,
    SDL_SCANCODE_NUMLOCKCLEAR,
    SDL_SCANCODE_KP_DIVIDE,
    SDL_SCANCODE_KP_MULTIPLY,
    SDL_SCANCODE_KP_MINUS,
    SDL_SCANCODE_KP_7,
    SDL_SCANCODE_KP_8,
    SDL_SCANCODE_KP_9,
    SDL_SCANCODE_KP_PLUS,
    SDL_SCANCODE_KP_4,
    SDL_SCANCODE_KP_5,
    SDL_SCANCODE_KP_6,
    SDL_SCANCODE_KP_1,
    SDL_SCANCODE_KP_2,
    SDL_SCANCODE_KP_3,
    SDL_SCANCODE_KP_ENTER,
    SDL_SCANCODE_KP_0,
    SDL_SCANCODE_KP_PERIOD,
};

// Two SDL scancodes for one set-1 key each: USB distinguishes them, set 1 does not.
const std::set<std::pair<SDL_Scancode, SDL_Scancode>> ALIASES = {
    {SDL_SCANCODE_BACKSLASH, SDL_SCANCODE_NONUSHASH},
    {SDL_SCANCODE_MUTE, SDL_SCANCODE_AUDIOMUTE},
};

TEST(Scancodes, Iso105KeysMapToDistinctNonzeroCodes) {
    ASSERT_EQ(ISO_105.size(), 105u);
    std::map<uint32_t, SDL_Scancode> seen;
    for (SDL_Scancode sc : ISO_105) {
        if (is_pause(sc)) {
            EXPECT_EQ(pc_scancode(sc), 0u) << "Pause is sent as PAUSE_SEQUENCE, not one code";
            continue;
        }
        const uint32_t code = pc_scancode(sc);
        EXPECT_NE(code, 0u) << SDL_GetScancodeName(sc) << " (" << sc << ")";
        const auto [it, inserted] = seen.emplace(code, sc);
        EXPECT_TRUE(inserted) << "0x" << std::hex << code << " for both " << it->second << " and "
                              << std::dec << sc;
    }
    EXPECT_EQ(seen.size(), 104u);
}

TEST(Scancodes, SpotChecksAgainstTheSpecification) {
    // Microsoft, "Keyboard Scan Code Specification", set 1 make codes.
    const std::vector<std::pair<SDL_Scancode, uint32_t>> spec = {
        {SDL_SCANCODE_ESCAPE, 0x01},
        {SDL_SCANCODE_1, 0x02},
        {SDL_SCANCODE_0, 0x0B},
        {SDL_SCANCODE_BACKSPACE, 0x0E},
        {SDL_SCANCODE_Q, 0x10},
        {SDL_SCANCODE_RETURN, 0x1C},
        {SDL_SCANCODE_LCTRL, 0x1D},
        {SDL_SCANCODE_A, 0x1E},
        {SDL_SCANCODE_GRAVE, 0x29},
        {SDL_SCANCODE_LSHIFT, 0x2A},
        {SDL_SCANCODE_BACKSLASH, 0x2B},
        {SDL_SCANCODE_Z, 0x2C},
        {SDL_SCANCODE_M, 0x32},
        {SDL_SCANCODE_SLASH, 0x35},
        {SDL_SCANCODE_RSHIFT, 0x36},
        {SDL_SCANCODE_KP_MULTIPLY, 0x37},
        {SDL_SCANCODE_LALT, 0x38},
        {SDL_SCANCODE_SPACE, 0x39},
        {SDL_SCANCODE_CAPSLOCK, 0x3A},
        {SDL_SCANCODE_F1, 0x3B},
        {SDL_SCANCODE_F10, 0x44},
        {SDL_SCANCODE_NUMLOCKCLEAR, 0x45},
        {SDL_SCANCODE_SCROLLLOCK, 0x46},
        {SDL_SCANCODE_KP_7, 0x47},
        {SDL_SCANCODE_KP_MINUS, 0x4A},
        {SDL_SCANCODE_KP_PLUS, 0x4E},
        {SDL_SCANCODE_KP_0, 0x52},
        {SDL_SCANCODE_KP_PERIOD, 0x53},
        {SDL_SCANCODE_NONUSBACKSLASH, 0x56},
        {SDL_SCANCODE_F11, 0x57},
        {SDL_SCANCODE_F12, 0x58},
        {SDL_SCANCODE_KP_EQUALS, 0x59},
        {SDL_SCANCODE_INTERNATIONAL1, 0x73},
        {SDL_SCANCODE_INTERNATIONAL2, 0x70},
        {SDL_SCANCODE_INTERNATIONAL3, 0x7D},
        {SDL_SCANCODE_INTERNATIONAL4, 0x79},
        {SDL_SCANCODE_INTERNATIONAL5, 0x7B},
        {SDL_SCANCODE_LANG1, 0xF2},
        {SDL_SCANCODE_LANG2, 0xF1},
        {SDL_SCANCODE_KP_ENTER, 0x11C},
        {SDL_SCANCODE_RCTRL, 0x11D},
        {SDL_SCANCODE_KP_DIVIDE, 0x135},
        {SDL_SCANCODE_PRINTSCREEN, 0x137},
        {SDL_SCANCODE_RALT, 0x138},
        {SDL_SCANCODE_HOME, 0x147},
        {SDL_SCANCODE_UP, 0x148},
        {SDL_SCANCODE_PAGEUP, 0x149},
        {SDL_SCANCODE_LEFT, 0x14B},
        {SDL_SCANCODE_RIGHT, 0x14D},
        {SDL_SCANCODE_END, 0x14F},
        {SDL_SCANCODE_DOWN, 0x150},
        {SDL_SCANCODE_PAGEDOWN, 0x151},
        {SDL_SCANCODE_INSERT, 0x152},
        {SDL_SCANCODE_DELETE, 0x153},
        {SDL_SCANCODE_LGUI, 0x15B},
        {SDL_SCANCODE_RGUI, 0x15C},
        {SDL_SCANCODE_APPLICATION, 0x15D},
        {SDL_SCANCODE_POWER, 0x15E},
        {SDL_SCANCODE_SLEEP, 0x15F},
        {SDL_SCANCODE_MUTE, 0x120},
        {SDL_SCANCODE_VOLUMEDOWN, 0x12E},
        {SDL_SCANCODE_VOLUMEUP, 0x130},
        {SDL_SCANCODE_AUDIOPLAY, 0x122},
        {SDL_SCANCODE_AUDIOSTOP, 0x124},
        {SDL_SCANCODE_AUDIOPREV, 0x110},
        {SDL_SCANCODE_AUDIONEXT, 0x119},
        {SDL_SCANCODE_CALCULATOR, 0x121},
        {SDL_SCANCODE_MAIL, 0x16C},
        {SDL_SCANCODE_AC_HOME, 0x132},
        {SDL_SCANCODE_AC_BACK, 0x16A},
        {SDL_SCANCODE_AC_FORWARD, 0x169},
        {SDL_SCANCODE_AC_SEARCH, 0x165},
        {SDL_SCANCODE_AC_REFRESH, 0x167},
        {SDL_SCANCODE_AC_STOP, 0x168},
        {SDL_SCANCODE_AC_BOOKMARKS, 0x166},
        {SDL_SCANCODE_COMPUTER, 0x16B},
        {SDL_SCANCODE_MEDIASELECT, 0x16D},
    };
    for (const auto& [sc, expected] : spec) {
        EXPECT_EQ(pc_scancode(sc), expected) << SDL_GetScancodeName(sc) << " (" << sc << ")";
    }
}

TEST(Scancodes, ExtendedKeysCarryTheE0Flag) {
    const std::vector<SDL_Scancode> extended = {
        SDL_SCANCODE_RCTRL,     SDL_SCANCODE_RALT,        SDL_SCANCODE_LGUI,
        SDL_SCANCODE_RGUI,      SDL_SCANCODE_APPLICATION, SDL_SCANCODE_KP_ENTER,
        SDL_SCANCODE_KP_DIVIDE, SDL_SCANCODE_PRINTSCREEN, SDL_SCANCODE_INSERT,
        SDL_SCANCODE_DELETE,    SDL_SCANCODE_HOME,        SDL_SCANCODE_END,
        SDL_SCANCODE_PAGEUP,    SDL_SCANCODE_PAGEDOWN,    SDL_SCANCODE_UP,
        SDL_SCANCODE_DOWN,      SDL_SCANCODE_LEFT,        SDL_SCANCODE_RIGHT,
        SDL_SCANCODE_MUTE,      SDL_SCANCODE_AUDIONEXT,   SDL_SCANCODE_AC_BACK,
    };
    for (SDL_Scancode sc : extended) {
        const uint32_t code = pc_scancode(sc);
        EXPECT_EQ(code & ~0xFFu, SPICE_E0_PREFIX) << SDL_GetScancodeName(sc);
        EXPECT_NE(code & 0x7Fu, 0u) << SDL_GetScancodeName(sc);
        EXPECT_EQ(code & 0x80u, 0u) << "a make code never has the break bit";
    }
    // Their unprefixed twins: the same low byte without the flag.
    EXPECT_EQ(pc_scancode(SDL_SCANCODE_KP_ENTER),
              SPICE_E0_PREFIX | pc_scancode(SDL_SCANCODE_RETURN));
    EXPECT_EQ(pc_scancode(SDL_SCANCODE_RCTRL), SPICE_E0_PREFIX | pc_scancode(SDL_SCANCODE_LCTRL));
    EXPECT_EQ(pc_scancode(SDL_SCANCODE_RALT), SPICE_E0_PREFIX | pc_scancode(SDL_SCANCODE_LALT));
    EXPECT_EQ(pc_scancode(SDL_SCANCODE_HOME), SPICE_E0_PREFIX | pc_scancode(SDL_SCANCODE_KP_7));
    EXPECT_EQ(pc_scancode(SDL_SCANCODE_KP_DIVIDE),
              SPICE_E0_PREFIX | pc_scancode(SDL_SCANCODE_SLASH));
}

TEST(Scancodes, EveryCodeIsValidAndAppearsOnceExceptTheDocumentedAliases) {
    std::map<uint32_t, SDL_Scancode> seen;
    int mapped = 0;
    for (int i = 0; i < SDL_NUM_SCANCODES; ++i) {
        const auto sc = static_cast<SDL_Scancode>(i);
        const uint32_t code = pc_scancode(sc);
        if (code == 0) {
            continue;
        }
        ++mapped;
        // One byte, or E0 and one byte; nothing else fits spice-glib's convention.
        EXPECT_TRUE(code < 0x100 || (code & ~0xFFu) == SPICE_E0_PREFIX)
            << SDL_GetScancodeName(sc) << ": 0x" << std::hex << code;
        EXPECT_NE(code & 0xFFu, 0u);
        // Only the two make-only keys have the break bit in their make code.
        EXPECT_EQ((code & 0x80u) != 0, is_make_only(sc)) << SDL_GetScancodeName(sc);
        const auto [it, inserted] = seen.emplace(code, sc);
        if (!inserted) {
            EXPECT_TRUE(ALIASES.count({it->second, sc}) == 1)
                << "0x" << std::hex << code << " for both " << std::dec << it->second << " and "
                << sc;
        }
    }
    EXPECT_EQ(seen.size() + ALIASES.size(), static_cast<size_t>(mapped));
}

TEST(Scancodes, UnmappedKeysReturnZero) {
    for (SDL_Scancode sc :
         {SDL_SCANCODE_UNKNOWN, SDL_SCANCODE_PAUSE, SDL_SCANCODE_EJECT, SDL_SCANCODE_WWW,
          SDL_SCANCODE_CANCEL, SDL_SCANCODE_MENU, SDL_SCANCODE_MODE, SDL_SCANCODE_APP1,
          SDL_SCANCODE_BRIGHTNESSDOWN, SDL_SCANCODE_KP_HEXADECIMAL, SDL_SCANCODE_AUDIOREWIND}) {
        EXPECT_EQ(pc_scancode(sc), 0u) << SDL_GetScancodeName(sc) << " (" << sc << ")";
    }
    EXPECT_EQ(pc_scancode(static_cast<SDL_Scancode>(SDL_NUM_SCANCODES - 1)), 0u);
    EXPECT_EQ(pc_scancode(static_cast<SDL_Scancode>(SDL_NUM_SCANCODES + 7)), 0u);
}

TEST(Scancodes, PauseSequenceDeliversTheHardwareBytes) {
    EXPECT_TRUE(is_pause(SDL_SCANCODE_PAUSE));
    EXPECT_FALSE(is_pause(SDL_SCANCODE_SCROLLLOCK));
    Bytes delivered;
    for (const ScancodeStep& step : PAUSE_SEQUENCE) {
        const Bytes bytes = wire_bytes(step.scancode, step.direction);
        delivered.insert(delivered.end(), bytes.begin(), bytes.end());
    }
    EXPECT_EQ(delivered, (Bytes{0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5}));

    // Why it is four calls: one press-and-release of the E1 code is only E1 1D E1 9D.
    Bytes press_and_release = wire_bytes(SPICE_E1_PREFIX | 0x1D, KeyDirection::Press);
    const Bytes release = wire_bytes(SPICE_E1_PREFIX | 0x1D, KeyDirection::Release);
    press_and_release.insert(press_and_release.end(), release.begin(), release.end());
    EXPECT_EQ(press_and_release, (Bytes{0xE1, 0x1D, 0xE1, 0x9D}));
}

TEST(Scancodes, MakeOnlyKeys) {
    EXPECT_TRUE(is_make_only(SDL_SCANCODE_LANG1));
    EXPECT_TRUE(is_make_only(SDL_SCANCODE_LANG2));
    EXPECT_FALSE(is_make_only(SDL_SCANCODE_LANG3));
    EXPECT_FALSE(is_make_only(SDL_SCANCODE_A));
    EXPECT_FALSE(is_make_only(SDL_SCANCODE_PAUSE));  // handled by PAUSE_SEQUENCE
}

// The end-to-end layout derives its bytes from the Linux keycode and the specification; the
// viewer's table must deliver exactly those for the SDL scancode SDL reported for that key.
TEST(Scancodes, AgreesWithTheEndToEndLayout) {
    ASSERT_GE(test::KEYBOARD_LAYOUT.size(), test::ISO_105_KEY_COUNT);
    std::set<SDL_Scancode> iso(ISO_105.begin(), ISO_105.end());
    for (size_t i = 0; i < test::KEYBOARD_LAYOUT.size(); ++i) {
        const test::LayoutKey& key = test::KEYBOARD_LAYOUT[i];
        const auto sc = static_cast<SDL_Scancode>(key.sdl_scancode);
        SCOPED_TRACE(key.name);
        if (i < test::ISO_105_KEY_COUNT) {
            EXPECT_EQ(iso.erase(sc), 1u) << "not one of the 105 keys, or listed twice";
        }
        if (is_pause(sc)) {
            Bytes delivered;
            for (const ScancodeStep& step : PAUSE_SEQUENCE) {
                const Bytes bytes = wire_bytes(step.scancode, step.direction);
                delivered.insert(delivered.end(), bytes.begin(), bytes.end());
            }
            EXPECT_EQ(delivered, to_vector(key.make));
            EXPECT_EQ(key.break_bytes.size, 0u);
            continue;
        }
        const uint32_t code = pc_scancode(sc);
        ASSERT_NE(code, 0u);
        EXPECT_EQ(wire_bytes(code, KeyDirection::Press), to_vector(key.make));
        EXPECT_EQ(wire_bytes(code, KeyDirection::Release), to_vector(key.break_bytes));
        EXPECT_EQ(key.role == test::KeyRole::ViewerEscape, sc == SDL_SCANCODE_SCROLLLOCK);
    }
    EXPECT_TRUE(iso.empty());
}

}  // namespace
}  // namespace periscope::viewer
