#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace periscope {
namespace {

enum class E { A, B };

Result<int, E> half(int v) {
    if (v % 2 != 0) {
        return fail(E::B);
    }
    return v / 2;
}

TEST(Result, ValueAndError) {
    auto ok = half(8);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 4);
    auto bad = half(3);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), E::B);
}

TEST(Result, MoveOnlyValue) {
    Result<std::unique_ptr<std::string>, E> r = std::make_unique<std::string>("x");
    ASSERT_TRUE(r);
    auto p = std::move(r).value();
    EXPECT_EQ(*p, "x");
}

TEST(Result, Void) {
    Result<void, E> ok;
    EXPECT_TRUE(ok);
    Result<void, E> bad = fail(E::A);
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error(), E::A);
}

}  // namespace
}  // namespace periscope
