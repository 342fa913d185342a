// The demo's producer: an animated test picture (a moving box over a gradient, only the changed
// area damaged), a cursor circling, checksums on every frame, paced to a frame rate.
#pragma once

#include <cstdint>
#include <string>

namespace periscope::demo {

struct ProducerOptions {
    std::string region;
    uint32_t width = 1920;
    uint32_t height = 1080;
    double fps = 60;
};

// Runs until killed (it is a child process). Returns an exit status on set-up failure.
int run_producer(const ProducerOptions& options);

}  // namespace periscope::demo
