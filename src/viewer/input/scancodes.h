// SDL scancodes to the PC XT "set 1" scancodes that spice-glib's inputs channel takes
// (docs/design/input.md, "Keyboard"). Pure data: no SDL video, no SPICE connection needed.
//
// spice-glib's convention (spice_inputs_channel_key_press/_release/_press_and_release): the set-1
// make code; a code with an E0 prefix is passed as 0x100 | code, one with an E1 prefix as
// 0x200 | code. spice-glib (0.42, spice_make_scancode) ORs 0x80 into the code for a release and
// turns a prefixed code into the two bytes "prefix, code"; spice-server pushes those bytes one by
// one into the VM's keyboard. So pc_scancode(SDL_SCANCODE_RALT) == 0x138 reaches the keyboard as
// E0 38 on press and E0 B8 on release, exactly what a real set-1 keyboard sends.
#pragma once

#include <SDL_scancode.h>

#include <array>
#include <cstdint>

namespace periscope::viewer {

// The prefixes in spice-glib's scancode convention (see above).
inline constexpr uint32_t SPICE_E0_PREFIX = 0x100;
inline constexpr uint32_t SPICE_E1_PREFIX = 0x200;

// The set-1 make code of `sc` in spice-glib's convention, 0 if the key has none (the caller
// decides whether to log). Pause is 0 as well: it has no single code, see PAUSE_SEQUENCE.
uint32_t pc_scancode(SDL_Scancode sc);

// Pause. A real keyboard sends E1 1D 45 E1 9D C5 when Pause goes down and nothing when it comes
// up (it has no break code). No single spice-glib call produces that: a code carries one prefix
// byte at most, and key_press_and_release(0x21D) sends the make and break of the same code in one
// message, E1 1D E1 9D, without the 45 and C5. The sequence is four calls in this order, all on
// key down (nothing on key up): press 0x21D (E1 1D), press 0x45 (45), release 0x21D (E1 9D),
// release 0x45 (C5). Sent back to back on the one inputs channel, the six bytes reach the
// server's keyboard contiguously; QEMU's SPICE keyboard recognises exactly that byte sequence as
// its Pause key (so nothing may come in between, which is why it is not split across key down and
// key up the way spice-gtk's widget does it). Pause never counts as "held": nothing to release.
enum class KeyDirection : uint8_t { Press, Release };
struct ScancodeStep {
    uint32_t scancode;  // spice-glib convention
    KeyDirection direction;
};
inline constexpr std::array<ScancodeStep, 4> PAUSE_SEQUENCE = {{
    {SPICE_E1_PREFIX | 0x1D, KeyDirection::Press},    // E1 1D
    {0x45, KeyDirection::Press},                      // 45
    {SPICE_E1_PREFIX | 0x1D, KeyDirection::Release},  // E1 9D
    {0x45, KeyDirection::Release},                    // C5
}};
inline bool is_pause(SDL_Scancode sc) {
    return sc == SDL_SCANCODE_PAUSE;
}

// Keys whose set-1 code has no break code: the Korean LANG1 (Hangul, F2) and LANG2 (Hanja, F1)
// keys send their make code once per press and nothing on release. Their code already has the
// 0x80 bit set, so a spice-glib "release" would repeat the same byte and toggle the IME twice:
// send key_press on key down only. (QEMU's SPICE keyboard reads any byte >= 0x80 as a release,
// so QEMU guests do not receive these two keys at all; other SPICE servers do.)
inline bool is_make_only(SDL_Scancode sc) {
    return sc == SDL_SCANCODE_LANG1 || sc == SDL_SCANCODE_LANG2;
}

}  // namespace periscope::viewer
