// The agent core with the synthetic source, a consumer on the same in-process region.
#include "agent/agent.h"

#include <gtest/gtest.h>

#include <cstring>
#include <mutex>
#include <thread>

#include "agent/capture/synthetic/synthetic_capture.h"
#include "core/clock.h"
#include "core/code_strip.h"
#include "core/log.h"
#include "protocol/consumer.h"
#include "protocol/shm_word.h"
#include "support/aligned_buffer.h"

namespace periscope::agent {
namespace {

using periscope::test::AlignedBuffer;
constexpr uint64_t MS = NS_PER_MS;

struct Rig {
    AlignedBuffer region;
    SyntheticCapture source;
    Agent agent;
    std::atomic<bool> stop{false};
    Result<void, AgentError> result = fail(AgentError::ProducerFailed);
    std::thread thread;
    protocol::Consumer consumer;

    Rig(uint32_t w, uint32_t h, uint64_t region_size)
        : region(region_size),
          source(options(w, h)),
          agent(source, region.span(), config()),
          consumer(region.span(), consumer_config()) {
        thread = std::thread([this] { result = agent.run(stop); });
    }
    ~Rig() {
        stop = true;
        thread.join();
    }
    static CaptureOptions options(uint32_t w, uint32_t h) {
        CaptureOptions o;
        o.width = w;
        o.height = h;
        o.fps = 100;
        return o;
    }
    static AgentConfig config() {
        AgentConfig c;
        c.region_name = "test region";
        return c;
    }
    static protocol::ConsumerConfig consumer_config() {
        protocol::ConsumerConfig c;
        c.kind = protocol::ConsumerKind::Test;
        c.name = "agent-test";
        return c;
    }
    const protocol::RegionHeader& header() {
        return *reinterpret_cast<const protocol::RegionHeader*>(region.data());
    }
    bool wait_state(protocol::ConsumerState state, uint64_t timeout_ms = 5000) {
        const uint64_t deadline = monotonic_ns() + timeout_ms * MS;
        while (monotonic_ns() < deadline) {
            if (consumer.poll(monotonic_ns()) == state) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return false;
    }
    // Reads frames until `want` says yes (or 5 s pass).
    template <class Want>
    std::optional<protocol::FrameInfo> frame_where(Want want, std::vector<std::byte>* pixels) {
        const uint64_t deadline = monotonic_ns() + 5000 * MS;
        while (monotonic_ns() < deadline) {
            consumer.poll(monotonic_ns());
            if (!consumer.wait_new_frame(monotonic_ns() + 100 * MS, protocol::PollMode::LowCpu)) {
                continue;
            }
            auto info = consumer.acquire();
            if (!info) {
                continue;
            }
            if (!consumer.wait_rows(info->height, monotonic_ns() + 2000 * MS)) {
                continue;
            }
            pixels->assign(consumer.frame_data(),
                           consumer.frame_data() + uint64_t{info->stride} * info->height);
            if (consumer.release() && want(*info)) {
                return *info;
            }
        }
        return std::nullopt;
    }
};

uint64_t region_for(uint32_t w, uint32_t h, uint32_t buffers) {
    return protocol::required_region_size(protocol::frame_bytes(w, h, protocol::Format::BGRA8),
                                          buffers);
}

std::optional<CodeStripValue> decode(const protocol::FrameInfo& info,
                                     const std::vector<std::byte>& pixels) {
    return decode_code_strip(
        [&](uint32_t x, uint32_t y) {
            const std::byte* p = pixels.data() + uint64_t{y} * info.stride + uint64_t{x} * 4;
            return p[0] == std::byte{255} && p[1] == std::byte{255} && p[2] == std::byte{255};
        },
        info.width, info.height);
}

TEST(Agent, IdleWithoutConsumersThenFullFrameAtOnce) {
    Rig rig(320, 240, region_for(320, 240, 4));
    protocol::ConsumerConfig observer_config;
    observer_config.join = false;  // watches without attaching
    protocol::Consumer observer(rig.region.span(), observer_config);
    const uint64_t deadline = monotonic_ns() + 5000 * MS;
    while (observer.poll(monotonic_ns()) != protocol::ConsumerState::Attached &&
           monotonic_ns() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(protocol::load(rig.header().frames_posted, std::memory_order_relaxed), 0u)
        << "nothing is captured while no consumer is attached";
    std::vector<std::byte> pixels;
    auto first = rig.frame_where([](const protocol::FrameInfo&) { return true; }, &pixels);
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->damage.is_full());
    EXPECT_EQ(first->width, 320u);
    auto code = decode(*first, pixels);
    ASSERT_TRUE(code) << "the picture carries its serial and timestamp";
    EXPECT_EQ(code->timestamp_ns, first->timestamp_ns);
    EXPECT_LT(monotonic_ns() - code->timestamp_ns, 5000 * MS);
}

TEST(Agent, FullFrameRequestAndCursorMessages) {
    Rig rig(320, 240, region_for(320, 240, 4));
    std::vector<std::byte> pixels;
    ASSERT_TRUE(rig.frame_where([](const protocol::FrameInfo&) { return true; }, &pixels));
    // Frames after the first are partial...
    auto partial =
        rig.frame_where([](const protocol::FrameInfo& i) { return !i.damage.is_full(); }, &pixels);
    ASSERT_TRUE(partial);
    // ...until a consumer asks for a full one.
    ASSERT_TRUE(rig.consumer.request_full_frame());
    auto full =
        rig.frame_where([](const protocol::FrameInfo& i) { return i.damage.is_full(); }, &pixels);
    ASSERT_TRUE(full);
    // The cursor: the synthetic shape arrives; a move request moves it.
    ASSERT_TRUE(rig.consumer.send_cursor_move(17, 19));
    bool moved = false;
    bool shaped = false;
    const uint64_t deadline = monotonic_ns() + 5000 * MS;
    while (!(moved && shaped) && monotonic_ns() < deadline) {
        rig.consumer.poll(monotonic_ns());
        if (rig.consumer.cursor_changed()) {
            auto p = rig.consumer.read_cursor();
            if (p) {
                moved = moved || (p->x == 17 && p->y == 19);
                if (p->shape_serial != 0) {
                    auto shape = rig.consumer.read_cursor_shape(*p);
                    shaped = shaped || (shape && shape->info.width == 24);
                }
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_TRUE(moved);
    EXPECT_TRUE(shaped);
}

TEST(Agent, ResolutionChangeReachesTheConsumer) {
    // Room for 640x480 in two buffers, laid out first for 320x240.
    Rig rig(320, 240, region_for(640, 480, 2));
    std::vector<std::byte> pixels;
    ASSERT_TRUE(rig.frame_where([](const protocol::FrameInfo&) { return true; }, &pixels));
    const uint64_t first_session = rig.consumer.session_id();
    rig.source.request_resize(640, 480);
    auto bigger =
        rig.frame_where([](const protocol::FrameInfo& i) { return i.width == 640; }, &pixels);
    ASSERT_TRUE(bigger);
    EXPECT_EQ(bigger->height, 480u);
    EXPECT_TRUE(decode(*bigger, pixels));
    EXPECT_NE(rig.consumer.session_id(), first_session) << "re-laid out as a new session";
}

TEST(Agent, RegionTooSmallSaysTheSizeAndKeepsRunning) {
    struct Captured {
        std::mutex mutex;
        std::string text;
    } captured;
    set_log_sink(
        [](LogLevel, const char*, const char* text, void* context) {
            auto* c = static_cast<Captured*>(context);
            const std::lock_guard<std::mutex> lock(c->mutex);
            c->text += text;
            c->text += '\n';
        },
        &captured);
    {
        // 640x480 does not fit a region made for two 320x240 buffers.
        Rig rig(640, 480, region_for(320, 240, 2));
        ASSERT_TRUE(rig.wait_state(protocol::ConsumerState::Attached))
            << "the session runs, so the viewer can say what is wrong";
        const uint64_t deadline = monotonic_ns() + 5000 * MS;
        bool said = false;
        while (!said && monotonic_ns() < deadline) {
            rig.consumer.poll(monotonic_ns());
            const std::lock_guard<std::mutex> lock(captured.mutex);
            said = captured.text.find("too small for 640x480") != std::string::npos;
        }
        ASSERT_TRUE(said) << captured.text;
        const uint64_t needed = region_for(640, 480, 2);
        {
            const std::lock_guard<std::mutex> lock(captured.mutex);
            EXPECT_NE(captured.text.find(std::to_string(needed)), std::string::npos)
                << "names the bytes needed";
            const uint64_t mib = protocol::recommended_ivshmem_size(needed) >> 20;
            EXPECT_NE(captured.text.find("size=" + std::to_string(mib) + "M"), std::string::npos)
                << "and the QEMU setting";
        }
        // A resolution that fits: frames flow, without restarting anything.
        rig.source.request_resize(320, 240);
        std::vector<std::byte> pixels;
        EXPECT_TRUE(
            rig.frame_where([](const protocol::FrameInfo& i) { return i.width == 320; }, &pixels));
    }
    set_log_sink(nullptr, nullptr);
}

TEST(Agent, StopMarksTheSessionStopped) {
    Rig rig(320, 240, region_for(320, 240, 4));
    ASSERT_TRUE(rig.wait_state(protocol::ConsumerState::Attached));
    rig.stop = true;
    rig.thread.join();
    EXPECT_TRUE(rig.result);
    EXPECT_TRUE(rig.wait_state(protocol::ConsumerState::Stopped, 1000));
    rig.thread = std::thread([] {});  // the destructor joins something
}

}  // namespace
}  // namespace periscope::agent
