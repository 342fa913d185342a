#include "demo_producer.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/hash.h"
#include "core/log.h"
#include "platform/region.h"
#include "protocol/producer.h"

namespace periscope::demo {
namespace {

constexpr uint32_t BOX = 256;

void fill(std::vector<uint32_t>& pixels, uint32_t stride_px, uint32_t x0, uint32_t y0, uint32_t w,
          uint32_t h, uint32_t color) {
    for (uint32_t y = y0; y < y0 + h; ++y) {
        std::fill_n(pixels.data() + size_t{y} * stride_px + x0, w, color);
    }
}

}  // namespace

int run_producer(const ProducerOptions& options) {
    std::string detail;
    auto region = platform::open_region(options.region, {}, &detail);
    if (!region) {
        PERISCOPE_LOG_ERROR("demo-producer", "%s", detail.c_str());
        return 2;
    }
    protocol::ProducerConfig config;
    config.expected_frame_bytes =
        protocol::frame_bytes(options.width, options.height, protocol::Format::BGRA8);
    config.checksums = true;
    config.pid = static_cast<uint32_t>(getpid());
    const char* why = nullptr;
    auto producer = protocol::Producer::create((*region)->bytes(), config, &why);
    if (!producer) {
        PERISCOPE_LOG_ERROR("demo-producer", "cannot start: %s (%s)",
                            protocol::to_string(producer.error()), why);
        return 3;
    }
    const uint32_t w = options.width;
    const uint32_t h = options.height;
    std::vector<uint32_t> image(size_t{w} * h);
    for (uint32_t y = 0; y < h; ++y) {
        for (uint32_t x = 0; x < w; ++x) {
            image[size_t{y} * w + x] = 0xFF000000u | ((x * 255 / w) << 16) | ((y * 255 / h) << 8);
        }
    }
    std::vector<uint32_t> cursor(size_t{32} * 32, 0);
    for (uint32_t y = 0; y < 32; ++y) {
        for (uint32_t x = 0; x <= y / 2; ++x) {
            cursor[y * 32 + x] = 0xFFFFFFFFu;
        }
    }
    protocol::CursorImage shape;
    shape.width = 32;
    shape.height = 32;
    shape.pixels = reinterpret_cast<const std::byte*>(cursor.data());
    shape.stride = 32 * 4;
    (void)(*producer)->set_cursor_shape(shape);

    const auto period = std::chrono::nanoseconds(static_cast<int64_t>(1e9 / options.fps));
    auto next = std::chrono::steady_clock::now();
    uint32_t box_x = 0, box_y = 0;
    protocol::DamageList damage;
    damage.set_full();
    for (uint64_t frame = 0;; ++frame) {
        // Erase the box at its old place, draw it at the new one: two damaged rectangles.
        fill(image, w, box_x, box_y, BOX, BOX, 0xFF202020u);
        damage.add(protocol::Rect{box_x, box_y, BOX, BOX});
        box_x = static_cast<uint32_t>((frame * 7) % (w - BOX));
        box_y = static_cast<uint32_t>((frame * 3) % (h - BOX));
        fill(image, w, box_x, box_y, BOX, BOX,
             0xFF000000u | static_cast<uint32_t>(frame * 2654435761u) >> 8);
        damage.add(protocol::Rect{box_x, box_y, BOX, BOX});
        // Hash first, then stamp: the latency the consumer measures is the transport's, not the
        // test checksum's (about 1 ms for 8 MB).
        const uint64_t checksum = hash64(image.data(), image.size() * 4);
        const uint64_t now = monotonic_ns();
        (void)(*producer)->publish(protocol::FrameDesc{protocol::Format::BGRA8, w, h, now},
                                   reinterpret_cast<const std::byte*>(image.data()), w * 4, damage,
                                   checksum);
        damage.clear();
        const double angle = static_cast<double>(frame) / 30.0;
        (*producer)->set_cursor_position(static_cast<int32_t>(w / 2.0 + 200 * std::cos(angle)),
                                         static_cast<int32_t>(h / 2.0 + 200 * std::sin(angle)),
                                         true, now);
        (*producer)->service(monotonic_ns());
        next += period;
        std::this_thread::sleep_until(next);
    }
}

}  // namespace periscope::demo
