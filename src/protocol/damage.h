// A bounded set of damage rectangles. Adding never loses area: when the list is full, the new
// rectangle is merged with the one whose bounding box grows least, so the set is a superset of what
// changed (docs/design/shm-protocol.md §5). No OS headers; single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "protocol/layout.h"

namespace periscope::protocol {

Rect bounding_box(const Rect& a, const Rect& b);
bool intersects(const Rect& a, const Rect& b);
bool contains(const Rect& outer, const Rect& inner);
uint64_t area(const Rect& r);
// Clips r to a width x height frame; returns an empty rect (width 0) if nothing remains.
Rect clip(const Rect& r, uint32_t width, uint32_t height);

class DamageList {
  public:
    void clear();
    // Everything changed; `add` is then a no-op until clear().
    void set_full() { m_full = true; }
    bool is_full() const { return m_full; }
    bool empty() const { return !m_full && m_count == 0; }
    // Adds r (ignored if empty). Overlapping rects are merged into their bounding box.
    void add(const Rect& r);
    void add(const DamageList& other);
    std::span<const Rect> rects() const { return {m_rects.data(), m_count}; }
    // Orders the rects by their top row (the order a producer writes them in).
    void sort_by_top();
    // Sum of rect areas (overlap counted once per rect; the list keeps rects disjoint-ish).
    uint64_t total_area() const;

  private:
    void insert_merging(Rect r);
    std::array<Rect, MAX_DAMAGE_RECTS> m_rects{};
    uint32_t m_count = 0;
    bool m_full = false;
};

}  // namespace periscope::protocol
