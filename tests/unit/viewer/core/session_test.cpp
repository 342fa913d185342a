// The viewer's session against real files and a real protocol Producer: every state the user can
// see, with a message that names the file and the fix, and recovery without a restart.
#include "viewer/session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "core/clock.h"
#include "protocol/producer.h"

namespace periscope::viewer {
namespace {

constexpr uint64_t REGION_SIZE = 4 << 20;

class SessionTest : public ::testing::Test {
  protected:
    void SetUp() override {
        m_path = "/dev/shm/periscope-viewer-session-" + std::to_string(getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name();
        ::unlink(m_path.c_str());
    }
    void TearDown() override {
        m_producer.reset();
        m_region.reset();
        ::unlink(m_path.c_str());
    }
    void create_file(uint64_t size) {
        platform::RegionOptions o;
        o.create = true;
        o.size = size;
        auto r = platform::open_region(m_path, o);
        ASSERT_TRUE(r);
        m_region = std::move(r).value();
    }
    void start_producer() {
        protocol::ProducerConfig config;
        auto p = protocol::Producer::create(m_region->bytes(), config);
        ASSERT_TRUE(p);
        m_producer = std::move(p).value();
        m_producer->service(monotonic_ns());
    }
    // Polls (as the viewer's loop would, RETRY_NS apart when needed) until `want` or 5 s.
    bool reach(Session& s, ViewState want) {
        const uint64_t deadline = monotonic_ns() + 5000 * NS_PER_MS;
        while (monotonic_ns() < deadline) {
            if (m_producer && m_keep_beating) {
                m_producer->service(monotonic_ns());
            }
            s.poll(monotonic_ns());
            if (s.state() == want) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    std::string m_path;
    std::unique_ptr<platform::Region> m_region;
    std::unique_ptr<protocol::Producer> m_producer;
    bool m_keep_beating = true;
};

TEST_F(SessionTest, MissingFileSaysWhichAndHowThenRecovers) {
    Session s(m_path);
    s.poll(monotonic_ns());
    EXPECT_EQ(s.state(), ViewState::NoRegion);
    EXPECT_NE(s.message().find(m_path), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("No such file"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("mem-path="), std::string::npos) << "the QEMU setting to check";
    EXPECT_EQ(s.consumer(), nullptr);
    create_file(REGION_SIZE);
    ASSERT_TRUE(reach(s, ViewState::WaitingForAgent)) << s.message();
    EXPECT_NE(s.message().find("periscope-agent"), std::string::npos) << s.message();
    start_producer();
    ASSERT_TRUE(reach(s, ViewState::Connected)) << s.message();
    EXPECT_NE(s.session_id(), 0u);
}

TEST_F(SessionTest, TooSmallFileIsReportedWithItsSize) {
    create_file(64);
    Session s(m_path);
    s.poll(monotonic_ns());
    EXPECT_NE(s.state(), ViewState::Connected);
    EXPECT_FALSE(s.message().empty());
    EXPECT_TRUE(s.message().find("small") != std::string::npos ||
                s.message().find("64") != std::string::npos)
        << s.message();
}

TEST_F(SessionTest, UnreadableFileNamesThePermissionFix) {
    if (geteuid() == 0) {
        GTEST_SKIP() << "root reads any file: no permission error to provoke";
    }
    create_file(REGION_SIZE);
    ASSERT_EQ(chmod(m_path.c_str(), 0), 0);
    Session s(m_path);
    s.poll(monotonic_ns());
    EXPECT_EQ(s.state(), ViewState::NoRegion);
    EXPECT_NE(s.message().find("chmod"), std::string::npos) << s.message();
}

TEST_F(SessionTest, AgentStopLossAndRestartAreFollowed) {
    create_file(REGION_SIZE);
    start_producer();
    Session s(m_path);
    ASSERT_TRUE(reach(s, ViewState::Connected)) << s.message();
    const uint64_t first = s.session_id();

    m_keep_beating = false;  // the agent hangs: its heartbeat goes stale
    ASSERT_TRUE(reach(s, ViewState::AgentLost)) << s.message();
    EXPECT_NE(s.message().find("heartbeat"), std::string::npos) << s.message();

    m_keep_beating = true;
    m_producer->stop();
    ASSERT_TRUE(reach(s, ViewState::AgentStopped)) << s.message();

    m_producer.reset();
    start_producer();  // the agent restarts: a new session in the same file
    ASSERT_TRUE(reach(s, ViewState::Connected)) << s.message();
    EXPECT_NE(s.session_id(), first);
}

TEST_F(SessionTest, FileShrinkingUnderTheMappingClosesIt) {
    create_file(REGION_SIZE);
    start_producer();
    Session s(m_path);
    ASSERT_TRUE(reach(s, ViewState::Connected));
    m_producer.reset();
    m_region.reset();
    ASSERT_EQ(truncate(m_path.c_str(), 4096), 0);
    // Closed before anything touched the lost pages, reopened at the new size: the old header is
    // still there, but its layout no longer fits, and the message says so.
    ASSERT_TRUE(reach(s, ViewState::WaitingForAgent)) << s.message();
    EXPECT_NE(s.message().find("4096 bytes"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace periscope::viewer
