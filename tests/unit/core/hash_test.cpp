#include "core/hash.h"

#include <gtest/gtest.h>

#include <vector>

namespace periscope {
namespace {

TEST(Hash, IncrementalEqualsOneShot) {
    std::vector<unsigned char> data(1000);
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<unsigned char>(i);
    }
    Hash64 h;
    h.update(data.data(), 400);
    h.update(data.data() + 400, 600);
    // Split at a multiple of 8: same words in the same order.
    EXPECT_EQ(h.digest(), hash64(data.data(), data.size()));
}

TEST(Hash, DetectsSingleBitFlipsAndNeverZero) {
    std::vector<unsigned char> data(256, 0);
    const uint64_t base = hash64(data.data(), data.size());
    EXPECT_NE(base, 0u);
    for (size_t bit = 0; bit < data.size() * 8; ++bit) {
        data[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
        EXPECT_NE(hash64(data.data(), data.size()), base) << bit;
        data[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    }
}

}  // namespace
}  // namespace periscope
