#include "viewer/render/png.h"

#include <gtest/gtest.h>
#include <png.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/log.h"
#include "support/temp_dir.h"

namespace periscope::viewer {
namespace {

class PngTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(m_temp.ok()); }
    std::string path(const char* name) const { return m_dir + "/" + name; }
    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : std::filesystem::directory_iterator(m_dir)) {
            names.push_back(e.path().filename().string());
        }
        return names;
    }
    test::TempDir m_temp{"periscope-png-test"};
    const std::string& m_dir = m_temp.path();
};

std::vector<std::byte> picture(uint32_t w, uint32_t h) {
    std::vector<std::byte> rgba(size_t{w} * h * 4);
    for (size_t i = 0; i < rgba.size(); ++i) {
        rgba[i] = std::byte{static_cast<uint8_t>(i * 37 + i / 7)};
    }
    return rgba;
}

TEST_F(PngTest, RoundTripKeepsEveryByteAndLeavesNoTemporaryFile) {
    const auto rgba = picture(7, 5);
    std::string detail;
    ASSERT_TRUE(write_png(path("shot.png"), 7, 5, rgba, &detail)) << detail;
    uint32_t w = 0;
    uint32_t h = 0;
    std::vector<std::byte> back;
    ASSERT_TRUE(read_png(path("shot.png"), &w, &h, &back, &detail)) << detail;
    EXPECT_EQ(w, 7u);
    EXPECT_EQ(h, 5u);
    EXPECT_EQ(back, rgba);
    EXPECT_EQ(entries(), std::vector<std::string>{"shot.png"});

    // Rewriting replaces the file as a whole.
    const auto other = picture(3, 2);
    ASSERT_TRUE(write_png(path("shot.png"), 3, 2, other, &detail)) << detail;
    ASSERT_TRUE(read_png(path("shot.png"), &w, &h, &back, &detail)) << detail;
    EXPECT_EQ(w, 3u);
    EXPECT_EQ(back, other);
    EXPECT_EQ(entries(), std::vector<std::string>{"shot.png"});
}

TEST_F(PngTest, WriteIntoAMissingDirectorySaysWhyAndWhere) {
    const std::string target = path("no/such/dir/shot.png");
    std::string detail;
    auto result = write_png(target, 2, 2, picture(2, 2), &detail);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), PngError::IoError);
    EXPECT_NE(detail.find(target), std::string::npos) << detail;
    EXPECT_NE(detail.find("No such file or directory"), std::string::npos) << detail;
    EXPECT_EQ(entries(), std::vector<std::string>{});
}

TEST_F(PngTest, WithoutDetailTheFailureIsLogged) {
    std::string logged;
    set_log_sink(
        [](LogLevel level, const char*, const char* text, void* context) {
            if (level == LogLevel::Error) {
                *static_cast<std::string*>(context) += text;
            }
        },
        &logged);
    auto result = write_png(path("missing/shot.png"), 2, 2, picture(2, 2));
    set_log_sink(nullptr, nullptr);
    ASSERT_FALSE(result);
    EXPECT_NE(logged.find("missing/shot.png"), std::string::npos) << logged;
    EXPECT_NE(logged.find("No such file or directory"), std::string::npos) << logged;
}

TEST_F(PngTest, RefusesABufferOfTheWrongSize) {
    std::string detail;
    auto result = write_png(path("a.png"), 4, 4, picture(4, 3), &detail);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), PngError::InvalidArgument);
    EXPECT_FALSE(write_png(path("a.png"), 0, 4, {}, &detail));
    EXPECT_EQ(entries(), std::vector<std::string>{});
}

TEST_F(PngTest, ReadingSomethingElseFailsCleanly) {
    uint32_t w = 0;
    uint32_t h = 0;
    std::vector<std::byte> rgba;
    std::string detail;
    auto missing = read_png(path("none.png"), &w, &h, &rgba, &detail);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), PngError::IoError);
    EXPECT_NE(detail.find("No such file or directory"), std::string::npos) << detail;

    std::ofstream(path("text.png")) << "this is not a PNG file at all, just text\n";
    auto text = read_png(path("text.png"), &w, &h, &rgba, &detail);
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error(), PngError::BadFile);
    EXPECT_NE(detail.find("text.png"), std::string::npos) << detail;

    // A real PNG cut short.
    ASSERT_TRUE(write_png(path("whole.png"), 64, 64, picture(64, 64), &detail)) << detail;
    const auto size = std::filesystem::file_size(path("whole.png"));
    std::filesystem::copy_file(path("whole.png"), path("cut.png"));
    std::filesystem::resize_file(path("cut.png"), size / 2);
    auto cut = read_png(path("cut.png"), &w, &h, &rgba, &detail);
    ASSERT_FALSE(cut);
    EXPECT_EQ(cut.error(), PngError::BadFile);
}

TEST_F(PngTest, ReadExpandsRgbToOpaqueRgba) {
    // Written by libpng directly as 3-channel RGB.
    const uint8_t rgb[2 * 2 * 3] = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};
    png_image image{};
    image.version = PNG_IMAGE_VERSION;
    image.width = 2;
    image.height = 2;
    image.format = PNG_FORMAT_RGB;
    ASSERT_NE(png_image_write_to_file(&image, path("rgb.png").c_str(), 0, rgb, 6, nullptr), 0)
        << image.message;
    uint32_t w = 0;
    uint32_t h = 0;
    std::vector<std::byte> rgba;
    std::string detail;
    ASSERT_TRUE(read_png(path("rgb.png"), &w, &h, &rgba, &detail)) << detail;
    ASSERT_EQ(rgba.size(), 16u);
    for (size_t i = 0; i < 4; ++i) {
        for (size_t c = 0; c < 3; ++c) {
            EXPECT_EQ(std::to_integer<int>(rgba[i * 4 + c]), rgb[i * 3 + c]);
        }
        EXPECT_EQ(std::to_integer<int>(rgba[i * 4 + 3]), 255);
    }
}

}  // namespace
}  // namespace periscope::viewer
