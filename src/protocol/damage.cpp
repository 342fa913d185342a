#include "protocol/damage.h"

#include <algorithm>

namespace periscope::protocol {

Rect bounding_box(const Rect& a, const Rect& b) {
    const uint64_t x0 = std::min(a.x, b.x);
    const uint64_t y0 = std::min(a.y, b.y);
    const uint64_t x1 = std::max(uint64_t{a.x} + a.width, uint64_t{b.x} + b.width);
    const uint64_t y1 = std::max(uint64_t{a.y} + a.height, uint64_t{b.y} + b.height);
    return Rect{static_cast<uint32_t>(x0), static_cast<uint32_t>(y0),
                static_cast<uint32_t>(x1 - x0), static_cast<uint32_t>(y1 - y0)};
}

bool intersects(const Rect& a, const Rect& b) {
    return uint64_t{a.x} < uint64_t{b.x} + b.width && uint64_t{b.x} < uint64_t{a.x} + a.width &&
           uint64_t{a.y} < uint64_t{b.y} + b.height && uint64_t{b.y} < uint64_t{a.y} + a.height;
}

bool contains(const Rect& outer, const Rect& inner) {
    return inner.x >= outer.x && inner.y >= outer.y &&
           uint64_t{inner.x} + inner.width <= uint64_t{outer.x} + outer.width &&
           uint64_t{inner.y} + inner.height <= uint64_t{outer.y} + outer.height;
}

uint64_t area(const Rect& r) {
    return uint64_t{r.width} * r.height;
}

Rect clip(const Rect& r, uint32_t width, uint32_t height) {
    if (r.x >= width || r.y >= height || r.width == 0 || r.height == 0) {
        return Rect{0, 0, 0, 0};
    }
    const uint32_t w = static_cast<uint32_t>(std::min<uint64_t>(r.width, width - r.x));
    const uint32_t h = static_cast<uint32_t>(std::min<uint64_t>(r.height, height - r.y));
    return Rect{r.x, r.y, w, h};
}

void DamageList::clear() {
    m_count = 0;
    m_full = false;
}

void DamageList::add(const Rect& r) {
    if (m_full || r.width == 0 || r.height == 0) {
        return;
    }
    insert_merging(r);
}

void DamageList::add(const DamageList& other) {
    if (other.m_full) {
        set_full();
        return;
    }
    for (const Rect& r : other.rects()) {
        add(r);
    }
}

void DamageList::insert_merging(Rect r) {
    // Fold every rect that overlaps r into r; repeat until r overlaps none (the bounding box may
    // reach new ones). Bounded: each pass removes one rect.
    bool merged = true;
    while (merged) {
        merged = false;
        for (uint32_t i = 0; i < m_count; ++i) {
            if (contains(m_rects[i], r)) {
                return;
            }
            if (intersects(m_rects[i], r)) {
                r = bounding_box(m_rects[i], r);
                m_rects[i] = m_rects[--m_count];
                merged = true;
                break;
            }
        }
    }
    if (m_count < MAX_DAMAGE_RECTS) {
        m_rects[m_count++] = r;
        return;
    }
    // Full: merge with the rect whose bounding box with r adds the least area.
    uint32_t best = 0;
    uint64_t best_growth = UINT64_MAX;
    for (uint32_t i = 0; i < m_count; ++i) {
        const uint64_t growth = area(bounding_box(m_rects[i], r)) - area(m_rects[i]);
        if (growth < best_growth) {
            best_growth = growth;
            best = i;
        }
    }
    const Rect combined = bounding_box(m_rects[best], r);
    m_rects[best] = m_rects[--m_count];
    insert_merging(combined);
}

void DamageList::sort_by_top() {
    std::sort(m_rects.begin(), m_rects.begin() + m_count,
              [](const Rect& a, const Rect& b) { return a.y < b.y || (a.y == b.y && a.x < b.x); });
}

uint64_t DamageList::total_area() const {
    uint64_t sum = 0;
    for (const Rect& r : rects()) {
        sum += area(r);
    }
    return sum;
}

}  // namespace periscope::protocol
