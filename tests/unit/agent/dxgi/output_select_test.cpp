// Choosing the output to duplicate.
#include <gtest/gtest.h>

#include <vector>

#include "agent/capture/dxgi/dxgi_output.h"

namespace periscope::agent::dxgi {
namespace {

OutputInfo output(uint32_t adapter, uint32_t index, const char* description, uint32_t vendor,
                  const char* name, bool attached, bool primary, int32_t left = 0) {
    OutputInfo o;
    o.adapter_index = adapter;
    o.output_index = index;
    o.adapter_description = description;
    o.vendor_id = vendor;
    o.device_id = 0x1234;
    o.name = name;
    o.attached = attached;
    o.left = left;
    o.right = left + 1920;
    o.bottom = 1080;
    o.primary = primary;
    return o;
}

// A typical passthrough guest: QXL first (enumerated first, and Windows' primary), then the GPU
// with two monitors, then Microsoft's Basic Render Driver (no outputs, or a detached one).
std::vector<OutputInfo> typical_vm() {
    return {
        output(0, 0, "Red Hat QXL controller", VENDOR_REDHAT_QXL, "\\\\.\\DISPLAY1", true, true),
        output(1, 0, "NVIDIA GeForce RTX 3080", 0x10de, "\\\\.\\DISPLAY2", true, false, 1920),
        output(1, 1, "NVIDIA GeForce RTX 3080", 0x10de, "\\\\.\\DISPLAY3", true, false, 3840),
        output(2, 0, "Microsoft Basic Render Driver", VENDOR_MICROSOFT, "\\\\.\\DISPLAY4", false,
               false),
    };
}

TEST(DxgiOutputSelect, DefaultPrefersThePassedThroughGpuOverAnEmulatedPrimary) {
    const auto outputs = typical_vm();
    std::string why;
    auto r = select_output(outputs, "", &why);
    ASSERT_TRUE(r) << why;
    EXPECT_EQ(*r, 1u);
    EXPECT_NE(why.find("passed-through GPU"), std::string::npos) << why;
    r = select_output(outputs, "AUTO", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1u);
}

TEST(DxgiOutputSelect, DefaultPrefersThePrimaryOutputOfTheGpu) {
    auto outputs = typical_vm();
    outputs[0].primary = false;
    outputs[2].primary = true;
    std::string why;
    auto r = select_output(outputs, "", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 2u);
    EXPECT_NE(why.find("primary"), std::string::npos) << why;
}

TEST(DxgiOutputSelect, DefaultFallsBackToAnEmulatedAdapterAndSaysWhy) {
    auto outputs = typical_vm();
    outputs[1].attached = false;  // the GPU has no monitor (no dummy plug)
    outputs[2].attached = false;
    std::string why;
    auto r = select_output(outputs, "", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 0u);
    EXPECT_NE(why.find("dummy plug"), std::string::npos) << why;
    EXPECT_NE(why.find("QXL"), std::string::npos) << why;
}

TEST(DxgiOutputSelect, EveryExcludedVendorIsSkipped) {
    for (uint32_t vendor : {VENDOR_MICROSOFT, VENDOR_REDHAT_QXL, VENDOR_REDHAT_VIRTIO,
                            VENDOR_QEMU_VGA, VENDOR_CIRRUS, VENDOR_VMWARE}) {
        const std::vector<OutputInfo> outputs{
            output(0, 0, "emulated", vendor, "\\\\.\\DISPLAY1", true, true),
            output(1, 0, "AMD Radeon RX 6800", 0x1002, "\\\\.\\DISPLAY2", true, false)};
        std::string why;
        auto r = select_output(outputs, "", &why);
        ASSERT_TRUE(r);
        EXPECT_EQ(*r, 1u) << std::hex << vendor;
    }
    EXPECT_FALSE(is_virtual_display_vendor(0x10de));  // NVIDIA
    EXPECT_FALSE(is_virtual_display_vendor(0x1002));  // AMD
    EXPECT_FALSE(is_virtual_display_vendor(0x8086));  // Intel (an iGPU or a GVT-g slice)
}

TEST(DxgiOutputSelect, NothingAttached) {
    auto outputs = typical_vm();
    for (auto& o : outputs) {
        o.attached = false;
    }
    std::string why;
    auto r = select_output(outputs, "", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), SelectError::NoOutputs);
    r = select_output({}, "", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), SelectError::NoOutputs);
}

TEST(DxgiOutputSelect, ByIndex) {
    const auto outputs = typical_vm();
    std::string why;
    auto r = select_output(outputs, "0", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 0u);  // explicit: the emulated adapter is fine when asked for
    r = select_output(outputs, "2", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 2u);
    r = select_output(outputs, "3", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), SelectError::NotAttached);
    r = select_output(outputs, "4", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), SelectError::NoMatch);
    r = select_output(outputs, "99999999999999999999", &why);  // not a number we take
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), SelectError::NoMatch);
}

TEST(DxgiOutputSelect, ByName) {
    const auto outputs = typical_vm();
    std::string why;
    auto r = select_output(outputs, "\\\\.\\DISPLAY3", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 2u);
    r = select_output(outputs, "display2", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1u);
    r = select_output(outputs, "DISPLAY4", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), SelectError::NotAttached);
}

TEST(DxgiOutputSelect, ByAdapterDescription) {
    auto outputs = typical_vm();
    std::string why;
    auto r = select_output(outputs, "nvidia", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1u);
    outputs[2].primary = true;
    r = select_output(outputs, "RTX", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 2u);  // the adapter's primary output first
    r = select_output(outputs, "qxl", &why);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 0u);
    r = select_output(outputs, "Basic Render", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), SelectError::NotAttached);
    r = select_output(outputs, "matrox", &why);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), SelectError::NoMatch);
    EXPECT_NE(why.find("matrox"), std::string::npos);
}

TEST(DxgiOutputSelect, FormatsFromDxgi) {
    EXPECT_EQ(format_from_dxgi(87), protocol::Format::BGRA8);
    EXPECT_EQ(format_from_dxgi(91), protocol::Format::BGRA8);
    EXPECT_EQ(format_from_dxgi(28), protocol::Format::RGBA8);
    EXPECT_EQ(format_from_dxgi(24), protocol::Format::RGB10A2);
    EXPECT_EQ(format_from_dxgi(10), protocol::Format::RGBA16F);
    EXPECT_EQ(format_from_dxgi(0), protocol::Format::Invalid);
    EXPECT_EQ(format_from_dxgi(2), protocol::Format::Invalid);  // R32G32B32A32_FLOAT
}

TEST(DxgiOutputSelect, DescribeOutput) {
    const auto outputs = typical_vm();
    const std::string d = describe_output(outputs[1]);
    EXPECT_NE(d.find("DISPLAY2"), std::string::npos) << d;
    EXPECT_NE(d.find("1920x1080 at 1920,0"), std::string::npos) << d;
    EXPECT_NE(d.find("10de"), std::string::npos) << d;
}

}  // namespace
}  // namespace periscope::agent::dxgi
