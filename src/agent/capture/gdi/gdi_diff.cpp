#include "agent/capture/gdi/gdi_diff.h"

#include <cstring>

namespace periscope::agent::gdi {
namespace {

constexpr uint32_t BPP = 4;

// First and one-past-last differing pixel of a row, or first == last when equal.
void changed_columns(const std::byte* a, const std::byte* b, uint32_t width, uint32_t* first,
                     uint32_t* last) {
    uint32_t left = 0;
    while (left < width && std::memcmp(a + size_t{left} * BPP, b + size_t{left} * BPP, BPP) == 0) {
        ++left;
    }
    uint32_t right = width;
    while (right > left &&
           std::memcmp(a + size_t{right - 1} * BPP, b + size_t{right - 1} * BPP, BPP) == 0) {
        --right;
    }
    *first = left;
    *last = right;
}

}  // namespace

bool pictures_differ(const std::byte* previous, const std::byte* current, uint32_t width,
                     uint32_t height, uint32_t stride) {
    const size_t row_bytes = size_t{width} * BPP;
    for (uint32_t y = 0; y < height; ++y) {
        if (std::memcmp(previous + size_t{y} * stride, current + size_t{y} * stride, row_bytes) !=
            0) {
            return true;
        }
    }
    return false;
}

uint32_t diff_and_update(std::byte* previous, const std::byte* current, uint32_t width,
                         uint32_t height, uint32_t stride, protocol::DamageList* damage) {
    const size_t row_bytes = size_t{width} * BPP;
    uint32_t changed = 0;
    bool in_run = false;
    uint32_t run_top = 0;
    uint32_t run_left = 0;
    uint32_t run_right = 0;
    auto close_run = [&](uint32_t end_row) {
        damage->add(protocol::Rect{run_left, run_top, run_right - run_left, end_row - run_top});
        in_run = false;
    };
    for (uint32_t y = 0; y < height; ++y) {
        std::byte* old_row = previous + size_t{y} * stride;
        const std::byte* new_row = current + size_t{y} * stride;
        if (std::memcmp(old_row, new_row, row_bytes) == 0) {
            if (in_run) {
                close_run(y);
            }
            continue;
        }
        uint32_t left = 0;
        uint32_t right = 0;
        changed_columns(old_row, new_row, width, &left, &right);
        if (!in_run) {
            in_run = true;
            run_top = y;
            run_left = left;
            run_right = right;
        } else {
            run_left = left < run_left ? left : run_left;
            run_right = right > run_right ? right : run_right;
        }
        std::memcpy(old_row, new_row, row_bytes);
        ++changed;
    }
    if (in_run) {
        close_run(height);
    }
    return changed;
}

}  // namespace periscope::agent::gdi
