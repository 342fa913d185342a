#include "core/copy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace periscope {
namespace {

// Every size and misalignment around the vector widths, for every copy kind: the bytes arrive and
// nothing outside the destination range is touched.
TEST(Copy, AllKindsSizesAndAlignments) {
    std::vector<unsigned char> src(4096 + 64);
    for (size_t i = 0; i < src.size(); ++i) {
        src[i] = static_cast<unsigned char>(i * 7 + 3);
    }
    for (CopyKind kind : {CopyKind::Memcpy, CopyKind::NonTemporal, CopyKind::Auto}) {
        for (size_t size : {0, 1, 15, 16, 31, 63, 64, 65, 127, 128, 129, 1000, 4096}) {
            for (size_t offset = 0; offset < 33; offset += 7) {
                std::vector<unsigned char> dst(4096 + 128, 0xEE);
                copy_bytes(dst.data() + offset + 8, src.data() + offset, size, kind);
                copy_fence();
                for (size_t i = 0; i < dst.size(); ++i) {
                    const bool inside = i >= offset + 8 && i < offset + 8 + size;
                    const unsigned char want = inside ? src[i - 8] : 0xEE;
                    ASSERT_EQ(dst[i], want) << to_string(kind) << " size " << size << " offset "
                                            << offset << " at " << i;
                }
            }
        }
    }
}

TEST(Copy, LargeNonTemporal) {
    std::vector<uint32_t> src(3 << 20);
    for (size_t i = 0; i < src.size(); ++i) {
        src[i] = static_cast<uint32_t>(i * 2654435761u);
    }
    std::vector<uint32_t> dst(src.size());
    copy_bytes(dst.data(), src.data(), src.size() * 4, CopyKind::Auto);
    copy_fence();
    EXPECT_EQ(src, dst);
}

}  // namespace
}  // namespace periscope
