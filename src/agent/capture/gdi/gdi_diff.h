// The GDI back-end's damage: GDI says nothing about what changed, so each new picture is compared
// with the previous one, row by row. Plain C++ (no Windows headers): unit-tested on Linux.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/damage.h"

namespace periscope::agent::gdi {

// Compares two width x height pictures of 4-byte pixels at `stride` bytes a row; adds to `damage`
// one rectangle per run of changed rows, spanning the columns that changed in that run; copies the
// changed rows of `current` into `previous` (so `previous` becomes `current`). Returns the number
// of changed rows.
uint32_t diff_and_update(std::byte* previous, const std::byte* current, uint32_t width,
                         uint32_t height, uint32_t stride, protocol::DamageList* damage);

// True as soon as one row differs (the cheap question poll() asks).
bool pictures_differ(const std::byte* previous, const std::byte* current, uint32_t width,
                     uint32_t height, uint32_t stride);

}  // namespace periscope::agent::gdi
