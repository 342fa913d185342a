// Random 64-bit identifiers (session ids, consumer tokens): never zero, which means "none".
#pragma once

#include <cstdint>

namespace periscope {

uint64_t random_nonzero_u64();

}  // namespace periscope
