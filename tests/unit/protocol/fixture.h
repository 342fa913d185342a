// Shared set-up for protocol tests: a producer on a zeroed in-process region.
#pragma once

#include <memory>

#include "protocol/consumer.h"
#include "protocol/producer.h"
#include "support/aligned_buffer.h"
#include "support/pattern.h"

namespace periscope::protocol::test {

using periscope::test::AlignedBuffer;
using periscope::test::Image;

constexpr uint32_t W = 64;
constexpr uint32_t H = 48;

inline ProducerConfig small_config(uint32_t buffers = 3) {
    ProducerConfig c;
    c.buffer_count = buffers;
    c.expected_frame_bytes = frame_bytes(W, H, Format::BGRA8);
    c.cursor_max_dim = 64;
    c.checksums = true;
    return c;
}

inline uint64_t region_for(const ProducerConfig& c) {
    return required_region_size(c.expected_frame_bytes, c.buffer_count, c.cursor_max_dim);
}

inline ConsumerConfig consumer_config(const char* name = "test") {
    ConsumerConfig c;
    c.kind = ConsumerKind::Test;
    c.name = name;
    return c;
}

inline FrameDesc desc(uint32_t w = W, uint32_t h = H, Format f = Format::BGRA8) {
    FrameDesc d;
    d.format = f;
    d.width = w;
    d.height = h;
    return d;
}

inline DamageList full_damage() {
    DamageList d;
    d.set_full();
    return d;
}

inline DamageList damage_of(std::initializer_list<Rect> rects) {
    DamageList d;
    for (const Rect& r : rects) {
        d.add(r);
    }
    return d;
}

}  // namespace periscope::protocol::test
