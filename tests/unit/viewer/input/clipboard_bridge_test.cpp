// ClipboardBridge (src/viewer/input/clipboard_bridge.*) between a scripted host clipboard and
// NullInput as the guest. The test plays both other sides: it fires the host's callbacks through
// FakeHost and the guest agent's through NullInput::callbacks(), then pump()s and compares what
// each side was asked to do.
#include "viewer/input/clipboard_bridge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "viewer/input/null/null_input.h"

namespace periscope::viewer {
namespace {

using Calls = std::vector<std::string>;
using Bytes = std::vector<uint8_t>;

std::string joined(const char* verb, const std::vector<ClipboardType>& types) {
    std::string text = verb;
    for (ClipboardType t : types) {
        text += std::string(" ") + to_string(t);
    }
    return text;
}

// Records the bridge's calls in NullInput's style and hands the test the callbacks it installed.
class FakeHost final : public HostClipboard {
  public:
    void set_callbacks(OfferCallback on_offer, DemandCallback on_demand,
                       DataCallback on_data) override {
        offer_cb = std::move(on_offer);
        demand_cb = std::move(on_demand);
        data_cb = std::move(on_data);
    }
    void offer(std::vector<ClipboardType> types) override {
        calls.push_back(joined("offer", types));
    }
    void withdraw() override { calls.push_back("withdraw"); }
    void provide(uint64_t request_id, bool ok, std::vector<uint8_t> data) override {
        calls.push_back("provide " + std::to_string(request_id) + (ok ? " ok " : " refused ") +
                        std::to_string(data.size()));
        provided[request_id] = std::move(data);
    }
    void fetch(ClipboardType type) override {
        calls.push_back(std::string("fetch ") + to_string(type));
    }
    std::string describe() const override { return "fake"; }

    Calls take() { return std::exchange(calls, {}); }

    OfferCallback offer_cb;
    DemandCallback demand_cb;
    DataCallback data_cb;
    Calls calls;
    std::map<uint64_t, Bytes> provided;
};

const Bytes TEXT = {'h', 'e', 'l', 'l', 'o', 0xC3, 0xA9};  // "helloé" in UTF-8
const Bytes PNG = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 0x0D};

class ClipboardBridgeTest : public ::testing::Test {
  protected:
    void make(ClipboardBridgeOptions options = {}) {
        m_bridge = std::make_unique<ClipboardBridge>(m_host, m_guest, options);
        ASSERT_TRUE(m_host.offer_cb && m_host.demand_cb && m_host.data_cb);
        ASSERT_TRUE(m_guest.callbacks().on_grab && m_guest.callbacks().on_release &&
                    m_guest.callbacks().on_request && m_guest.callbacks().on_data &&
                    m_guest.callbacks().on_agent);
    }
    const GuestClipboard::Callbacks& guest() const { return m_guest.callbacks(); }
    void pump() { m_bridge->pump(); }
    void clear() {
        m_host.take();
        m_guest.take();
    }

    FakeHost m_host;
    NullInput m_guest;
    std::unique_ptr<ClipboardBridge> m_bridge;
};

// --- Host -> guest ----------------------------------------------------------------------------

TEST_F(ClipboardBridgeTest, HostOfferGrabsTheGuestClipboard) {
    make();
    m_host.offer_cb({ClipboardType::Utf8Text, ClipboardType::Png});
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"grab utf8-text png"}));
    EXPECT_EQ(m_host.take(), Calls{});
}

TEST_F(ClipboardBridgeTest, HostOfferWithNoTypesAfterOurOfferReleasesTheGuest) {
    make();
    m_host.offer_cb({ClipboardType::Utf8Text});
    pump();
    clear();
    m_host.offer_cb({});
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"release"}));
    // Only once: the guest no longer holds anything of ours.
    m_host.offer_cb({});
    pump();
    EXPECT_EQ(m_guest.take(), Calls{});
}

TEST_F(ClipboardBridgeTest, HostOfferWithNoTypesLeavesAGuestOwnedClipboardAlone) {
    make();
    m_host.offer_cb({});
    pump();
    EXPECT_EQ(m_guest.take(), Calls{});
    // The guest's own copy replaced our offer: the host's new owner must not release it.
    m_host.offer_cb({ClipboardType::Utf8Text});
    guest().on_grab({ClipboardType::Png});
    m_host.offer_cb({});
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"grab utf8-text"}));
}

TEST_F(ClipboardBridgeTest, GuestPasteFetchesFromTheHostAndProvidesIdenticalBytes) {
    make();
    m_host.offer_cb({ClipboardType::Utf8Text, ClipboardType::Png});
    pump();
    clear();

    guest().on_request(ClipboardType::Png);
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"fetch png"}));
    EXPECT_EQ(m_guest.take(), Calls{});  // nothing until the host answers

    m_host.data_cb(ClipboardType::Png, true, PNG);
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"provide png ok 12"}));
    EXPECT_EQ(m_guest.last_provided(), PNG);
    EXPECT_EQ(m_bridge->transfers_to_guest(), 1u);
    EXPECT_EQ(m_bridge->transfers_to_host(), 0u);
}

TEST_F(ClipboardBridgeTest, HostOwnerFailingToAnswerRefusesTheGuestPaste) {
    make();
    m_host.offer_cb({ClipboardType::Utf8Text});
    guest().on_request(ClipboardType::Utf8Text);
    pump();
    clear();
    m_host.data_cb(ClipboardType::Utf8Text, false, {});
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"provide utf8-text refused 0"}));
    EXPECT_EQ(m_bridge->transfers_to_guest(), 0u);
}

TEST_F(ClipboardBridgeTest, GuestRequestForATypeTheHostDoesNotOfferIsRefused) {
    make();
    guest().on_request(ClipboardType::Utf8Text);  // the host offers nothing at all yet
    m_host.offer_cb({ClipboardType::Utf8Text});
    guest().on_request(ClipboardType::Png);
    pump();
    EXPECT_EQ(m_guest.take(),
              (Calls{"provide utf8-text refused 0", "grab utf8-text", "provide png refused 0"}));
    EXPECT_EQ(m_host.take(), Calls{});  // nothing fetched for a type the host lacks
}

// --- Guest -> host ----------------------------------------------------------------------------

TEST_F(ClipboardBridgeTest, GuestGrabOffersOnTheHost) {
    make();
    guest().on_grab({ClipboardType::Utf8Text, ClipboardType::Png});
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"offer utf8-text png"}));
    EXPECT_EQ(m_guest.take(), Calls{});
}

TEST_F(ClipboardBridgeTest, GuestGrabOfNothingWeCarryWithdrawsTheHostOffer) {
    make();
    guest().on_grab({});
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"withdraw"}));
}

TEST_F(ClipboardBridgeTest, GuestReleaseWithdrawsTheHostOffer) {
    make();
    guest().on_grab({ClipboardType::Utf8Text});
    guest().on_release();
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"offer utf8-text", "withdraw"}));
}

TEST_F(ClipboardBridgeTest, HostPastesOfOneTypeShareOneGuestRequestAndGetIdenticalBytes) {
    make();
    guest().on_grab({ClipboardType::Utf8Text});
    pump();
    clear();

    m_host.demand_cb(7, ClipboardType::Utf8Text);
    m_host.demand_cb(8, ClipboardType::Utf8Text);
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"request utf8-text"}));
    EXPECT_EQ(m_host.take(), Calls{});

    guest().on_data(ClipboardType::Utf8Text, true, TEXT);
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"provide 7 ok 7", "provide 8 ok 7"}));
    EXPECT_EQ(m_host.provided[7], TEXT);
    EXPECT_EQ(m_host.provided[8], TEXT);
    EXPECT_EQ(m_bridge->transfers_to_host(), 1u);

    // Served: the next paste asks the guest again.
    m_host.demand_cb(9, ClipboardType::Utf8Text);
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"request utf8-text"}));
}

TEST_F(ClipboardBridgeTest, HostPastesOfDifferentTypesEachAskTheGuest) {
    make();
    guest().on_grab({ClipboardType::Utf8Text, ClipboardType::Png});
    m_host.demand_cb(1, ClipboardType::Utf8Text);
    m_host.demand_cb(2, ClipboardType::Png);
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"request utf8-text", "request png"}));
    clear();
    guest().on_data(ClipboardType::Png, true, PNG);
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"provide 2 ok 12"}));
    EXPECT_EQ(m_host.provided[2], PNG);
    guest().on_data(ClipboardType::Utf8Text, false, {});
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"provide 1 refused 0"}));
    EXPECT_EQ(m_bridge->transfers_to_host(), 1u);
}

TEST_F(ClipboardBridgeTest, GuestDataNobodyWaitsForIsDropped) {
    make();
    guest().on_data(ClipboardType::Utf8Text, true, TEXT);
    pump();
    EXPECT_EQ(m_host.take(), Calls{});
    EXPECT_EQ(m_bridge->transfers_to_host(), 0u);
}

// --- The agent coming and going ---------------------------------------------------------------

TEST_F(ClipboardBridgeTest, AgentDisconnectRefusesHostPastesStillWaiting) {
    make();
    guest().on_grab({ClipboardType::Utf8Text, ClipboardType::Png});
    m_host.demand_cb(1, ClipboardType::Utf8Text);
    m_host.demand_cb(2, ClipboardType::Utf8Text);
    m_host.demand_cb(3, ClipboardType::Png);
    pump();
    clear();

    guest().on_agent(false);
    pump();
    Calls calls = m_host.take();
    std::sort(calls.begin(), calls.end());
    // The guest's copy can no longer be pasted on the host: the selection is given up too.
    EXPECT_EQ(calls, (Calls{"provide 1 refused 0", "provide 2 refused 0", "provide 3 refused 0",
                            "withdraw"}));

    // A late answer from the old agent has nobody left to serve.
    guest().on_data(ClipboardType::Utf8Text, true, TEXT);
    pump();
    EXPECT_EQ(m_host.take(), Calls{});
}

TEST_F(ClipboardBridgeTest, HostPasteWhileTheAgentIsGoneIsRefusedAtOnce) {
    make();
    guest().on_agent(true);
    guest().on_agent(false);
    pump();
    clear();
    m_host.demand_cb(7, ClipboardType::Utf8Text);
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"provide 7 refused 0"}));
    EXPECT_EQ(m_guest.take(), Calls{}) << "nobody in the guest to ask";
    guest().on_agent(true);
    m_host.demand_cb(8, ClipboardType::Utf8Text);
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"request utf8-text"}));
}

TEST_F(ClipboardBridgeTest, AgentReconnectOffersTheHostsTypesAgain) {
    make();
    m_host.offer_cb({ClipboardType::Utf8Text, ClipboardType::Png});
    pump();
    clear();
    guest().on_agent(false);
    guest().on_agent(true);
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"grab utf8-text png"}));
    // And the new agent's paste is served from the host as before.
    guest().on_request(ClipboardType::Utf8Text);
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"fetch utf8-text"}));
}

TEST_F(ClipboardBridgeTest, AgentReconnectOffersNothingWhenTheHostOffersNothing) {
    make();
    guest().on_agent(true);
    m_host.offer_cb({ClipboardType::Utf8Text});
    m_host.offer_cb({});
    pump();
    clear();
    guest().on_agent(false);
    guest().on_agent(true);
    pump();
    EXPECT_EQ(m_guest.take(), Calls{});
}

TEST_F(ClipboardBridgeTest, AgentReconnectDoesNotOfferTheHostsOldTypesOnceTheGuestCopied) {
    // The guest's copy took the host selection away from the host application: what that
    // application offered is gone, so a new agent must not be told it can paste it.
    make();
    m_host.offer_cb({ClipboardType::Utf8Text});
    guest().on_grab({ClipboardType::Png});
    pump();
    clear();
    guest().on_agent(false);
    guest().on_agent(true);
    guest().on_request(ClipboardType::Utf8Text);
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"provide utf8-text refused 0"}));
    // No fetch from a selection we owned ourselves; the old agent's offer was withdrawn.
    EXPECT_EQ(m_host.take(), (Calls{"withdraw"}));
}

// --- Directions switched off ------------------------------------------------------------------

TEST_F(ClipboardBridgeTest, ToGuestOffBlocksEveryHostToGuestPath) {
    make(ClipboardBridgeOptions{.to_guest = false, .to_host = true});
    m_host.offer_cb({ClipboardType::Utf8Text});
    guest().on_request(ClipboardType::Utf8Text);
    guest().on_agent(false);
    guest().on_agent(true);
    m_host.offer_cb({});
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"provide utf8-text refused 0"}));
    EXPECT_EQ(m_host.take(), Calls{});
    EXPECT_EQ(m_bridge->transfers_to_guest(), 0u);

    // The other direction still works.
    guest().on_grab({ClipboardType::Utf8Text});
    m_host.demand_cb(4, ClipboardType::Utf8Text);
    pump();
    EXPECT_EQ(m_host.take(), (Calls{"offer utf8-text"}));
    EXPECT_EQ(m_guest.take(), (Calls{"request utf8-text"}));
}

TEST_F(ClipboardBridgeTest, ToHostOffBlocksEveryGuestToHostPath) {
    make(ClipboardBridgeOptions{.to_guest = true, .to_host = false});
    guest().on_grab({ClipboardType::Utf8Text});
    guest().on_grab({});
    guest().on_release();
    pump();
    EXPECT_EQ(m_host.take(), Calls{});
    EXPECT_EQ(m_guest.take(), Calls{});

    // The other direction still works, and the host application still owns its selection.
    m_host.offer_cb({ClipboardType::Png});
    guest().on_request(ClipboardType::Png);
    pump();
    EXPECT_EQ(m_guest.take(), (Calls{"grab png"}));
    EXPECT_EQ(m_host.take(), (Calls{"fetch png"}));
}

// --- Threads ----------------------------------------------------------------------------------

TEST_F(ClipboardBridgeTest, NothingHappensUntilPump) {
    make();
    EXPECT_FALSE(m_bridge->pending());
    m_host.offer_cb({ClipboardType::Utf8Text});
    guest().on_grab({ClipboardType::Png});
    EXPECT_TRUE(m_bridge->pending());
    EXPECT_EQ(m_guest.take(), Calls{});
    EXPECT_EQ(m_host.take(), Calls{});
    pump();
    EXPECT_FALSE(m_bridge->pending());
    EXPECT_EQ(m_guest.take(), (Calls{"grab utf8-text"}));
    EXPECT_EQ(m_host.take(), (Calls{"offer png"}));
    pump();  // nothing left: nothing repeated
    EXPECT_EQ(m_guest.take(), Calls{});
    EXPECT_EQ(m_host.take(), Calls{});
}

TEST_F(ClipboardBridgeTest, CallbacksFromOtherThreadsOnlyEnqueue) {
    make();
    // The host's and the guest's back-end threads report at the same time.
    std::thread host_thread([&] {
        for (uint64_t id = 1; id <= 100; ++id) {
            m_host.demand_cb(id, ClipboardType::Utf8Text);
        }
    });
    std::thread guest_thread([&] {
        guest().on_grab({ClipboardType::Utf8Text});
        guest().on_agent(true);
    });
    host_thread.join();
    guest_thread.join();
    EXPECT_TRUE(m_bridge->pending());
    EXPECT_EQ(m_guest.take(), Calls{});
    EXPECT_EQ(m_host.take(), Calls{});

    pump();
    EXPECT_FALSE(m_bridge->pending());
    EXPECT_EQ(m_guest.take(), (Calls{"request utf8-text"}));  // one for all hundred
    EXPECT_EQ(m_host.take(), (Calls{"offer utf8-text"}));

    std::thread answer([&] { guest().on_data(ClipboardType::Utf8Text, true, TEXT); });
    answer.join();
    EXPECT_TRUE(m_bridge->pending());
    EXPECT_EQ(m_host.take(), Calls{});
    pump();
    EXPECT_EQ(m_host.take().size(), 100u);
    ASSERT_EQ(m_host.provided.size(), 100u);
    for (const auto& [id, bytes] : m_host.provided) {
        EXPECT_EQ(bytes, TEXT) << id;
    }
}

}  // namespace
}  // namespace periscope::viewer
