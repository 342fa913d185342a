// The escape key and its combinations: what the viewer acts on, and what must never reach the
// guest.
#include "viewer/keys.h"

#include <gtest/gtest.h>

namespace periscope::viewer {
namespace {

TEST(KeyBindings, ComboActsAndIsConsumed) {
    auto keys = KeyBindings::create("ScrollLock");
    ASSERT_TRUE(keys);
    bool consumed = false;
    EXPECT_FALSE(keys->key_down(SDLK_SCROLLLOCK, false, &consumed));
    EXPECT_TRUE(consumed);
    EXPECT_EQ(keys->key_down(SDLK_q, false, &consumed), Action::Quit);
    EXPECT_TRUE(consumed);
    EXPECT_FALSE(keys->key_up(SDLK_q, &consumed));
    EXPECT_TRUE(consumed) << "the release of a combo key belongs to the viewer too";
    EXPECT_FALSE(keys->key_up(SDLK_SCROLLLOCK, &consumed)) << "used in a combo: not alone";
    EXPECT_TRUE(consumed);
}

TEST(KeyBindings, EscapeAloneTogglesCapture) {
    auto keys = KeyBindings::create("ScrollLock");
    ASSERT_TRUE(keys);
    bool consumed = false;
    keys->key_down(SDLK_SCROLLLOCK, false, &consumed);
    keys->key_down(SDLK_SCROLLLOCK, true, &consumed);  // auto-repeat changes nothing
    EXPECT_EQ(keys->key_up(SDLK_SCROLLLOCK, &consumed), Action::ToggleCapture);
}

TEST(KeyBindings, OrdinaryKeysPassThrough) {
    auto keys = KeyBindings::create("ScrollLock");
    ASSERT_TRUE(keys);
    bool consumed = true;
    EXPECT_FALSE(keys->key_down(SDLK_q, false, &consumed));
    EXPECT_FALSE(consumed);
    EXPECT_FALSE(keys->key_up(SDLK_q, &consumed));
    EXPECT_FALSE(consumed);
}

TEST(KeyBindings, FocusLossForgetsAHeldEscapeKey) {
    auto keys = KeyBindings::create("F12");
    ASSERT_TRUE(keys);
    bool consumed = false;
    keys->key_down(SDLK_F12, false, &consumed);
    keys->reset();
    EXPECT_FALSE(keys->key_down(SDLK_f, false, &consumed));
    EXPECT_FALSE(consumed);
}

TEST(KeyBindings, ConfigurableAndUnknownNamesRefused) {
    EXPECT_FALSE(KeyBindings::create("NoSuchKey"));
    auto keys = KeyBindings::create("Right Ctrl");
    ASSERT_TRUE(keys);
    bool consumed = false;
    keys->key_down(SDLK_RCTRL, false, &consumed);
    EXPECT_EQ(keys->key_down(SDLK_o, false, &consumed), Action::ToggleOverlay);
    const auto help = keys->help();
    ASSERT_FALSE(help.empty());
    EXPECT_EQ(help[1].first, "Right Ctrl+Q");
}

}  // namespace
}  // namespace periscope::viewer
