// parse_spice_target and SpiceTarget::describe (src/viewer/input/spice_target.*): every form
// --spice accepts (docs/design/input.md, "SPICE connection"), and the mistakes it must refuse
// with a message rather than connect somewhere unexpected.
#include "viewer/input/spice_target.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace periscope::viewer {
namespace {

using Kind = SpiceTarget::Kind;

struct Accepted {
    std::string text;
    Kind kind;
    std::string path;
    std::string host;
    uint16_t port;
    uint16_t tls_port;
    std::string describe;
};

void PrintTo(const Accepted& a, std::ostream* os) {
    *os << '"' << a.text << '"';
}

class AcceptedTarget : public ::testing::TestWithParam<Accepted> {};

TEST_P(AcceptedTarget, ParsesToTheExpectedTarget) {
    const Accepted& want = GetParam();
    std::string error;
    const std::optional<SpiceTarget> t = parse_spice_target(want.text, &error);
    ASSERT_TRUE(t.has_value()) << error;
    EXPECT_EQ(t->kind, want.kind);
    EXPECT_EQ(t->path, want.path);
    EXPECT_EQ(t->host, want.host);
    EXPECT_EQ(t->port, want.port);
    EXPECT_EQ(t->tls_port, want.tls_port);
    EXPECT_EQ(t->describe(), want.describe);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, AcceptedTarget,
    ::testing::Values(
        Accepted{"none", Kind::None, "", "", 0, 0, "none"},
        Accepted{"", Kind::None, "", "", 0, 0, "none"},
        Accepted{"unix:/run/vm.sock", Kind::Unix, "/run/vm.sock", "", 0, 0, "unix:/run/vm.sock"},
        Accepted{"unix:/", Kind::Unix, "/", "", 0, 0, "unix:/"},
        Accepted{"spice+unix:///run/vm.sock", Kind::Unix, "/run/vm.sock", "", 0, 0,
                 "unix:/run/vm.sock"},
        Accepted{"localhost:5900", Kind::Tcp, "", "localhost", 5900, 0, "localhost:5900"},
        Accepted{"10.0.0.2:1", Kind::Tcp, "", "10.0.0.2", 1, 0, "10.0.0.2:1"},
        Accepted{"vm.example.org:65535", Kind::Tcp, "", "vm.example.org", 65535, 0,
                 "vm.example.org:65535"},
        // Brackets only delimit the name; spice-glib resolves the bare name (IPv6 literals).
        Accepted{"[vmhost]:5900", Kind::Tcp, "", "vmhost", 5900, 0, "vmhost:5900"},
        Accepted{"[::1]:5900", Kind::Tcp, "", "::1", 5900, 0, "[::1]:5900"},
        Accepted{"spice://vmhost?port=5900", Kind::Tcp, "", "vmhost", 5900, 0, "vmhost:5900"},
        Accepted{"spice://vmhost/?port=5900", Kind::Tcp, "", "vmhost", 5900, 0, "vmhost:5900"},
        Accepted{"spice://vmhost?tls-port=5901", Kind::Tcp, "", "vmhost", 0, 5901,
                 "vmhost:5901 (TLS)"},
        Accepted{"spice://vmhost?port=5900&tls-port=5901", Kind::Tcp, "", "vmhost", 5900, 5901,
                 "vmhost:5900 (TLS 5901)"},
        Accepted{"spice://vmhost?tls-port=5901&port=5900", Kind::Tcp, "", "vmhost", 5900, 5901,
                 "vmhost:5900 (TLS 5901)"},
        Accepted{"spice://vmhost:5900", Kind::Tcp, "", "vmhost", 5900, 0, "vmhost:5900"},
        Accepted{"spice://vmhost:5900/", Kind::Tcp, "", "vmhost", 5900, 0, "vmhost:5900"},
        Accepted{"spice://[::1]:5900", Kind::Tcp, "", "::1", 5900, 0, "[::1]:5900"},
        Accepted{"spice://[fe80::1]?port=5900&tls-port=5901", Kind::Tcp, "", "fe80::1", 5900, 5901,
                 "[fe80::1]:5900 (TLS 5901)"}));

struct Rejected {
    std::string text;
    std::string why;  // a word the message must contain
};

void PrintTo(const Rejected& r, std::ostream* os) {
    *os << '"' << r.text << '"';
}

class RejectedTarget : public ::testing::TestWithParam<Rejected> {};

TEST_P(RejectedTarget, IsRefusedWithAMessageNamingTheInput) {
    const Rejected& want = GetParam();
    std::string error;
    const std::optional<SpiceTarget> t = parse_spice_target(want.text, &error);
    EXPECT_FALSE(t.has_value()) << t->describe();
    EXPECT_NE(error.find("--spice " + want.text + ":"), std::string::npos) << error;
    EXPECT_NE(error.find(want.why), std::string::npos) << error;
}

INSTANTIATE_TEST_SUITE_P(
    Mistakes, RejectedTarget,
    ::testing::Values(
        Rejected{"unix:run/vm.sock", "absolute"}, Rejected{"unix:", "absolute"},
        Rejected{"spice+unix://run/vm.sock", "absolute"}, Rejected{"spice+unix://", "absolute"},
        Rejected{"localhost:0", "expected"}, Rejected{"localhost:70000", "expected"},
        Rejected{"localhost:65536", "expected"}, Rejected{"localhost:99999999999", "expected"},
        Rejected{"localhost:59x0", "expected"}, Rejected{"localhost:-1", "expected"},
        Rejected{"localhost:+5900", "expected"}, Rejected{"localhost:", "expected"},
        Rejected{"localhost", "expected"}, Rejected{":5900", "expected"},
        Rejected{"/run/vm.sock", "expected"},
        // Without brackets an IPv6 address and its port cannot be told apart.
        Rejected{"fe80::1:5900", "bracket"}, Rejected{"[::1", "bracket"},
        Rejected{"[::1]5900", "bracket"}, Rejected{"spice://vmhost?port=0", "port"},
        Rejected{"spice://vmhost?port=70000", "port"},
        Rejected{"spice://vmhost?tls-port=abc", "port"}, Rejected{"spice://vmhost?port=", "port"},
        Rejected{"spice://vmhost:0", "port"}, Rejected{"spice://vmhost:http", "port"},
        Rejected{"spice://vmhost?password=secret", "unknown URI parameter"},
        Rejected{"spice://vmhost?port=5900&foo=1", "unknown URI parameter"},
        Rejected{"spice://vmhost", "no port"}, Rejected{"spice://vmhost/", "no port"},
        Rejected{"spice://?port=5900", "no host"}, Rejected{"spice://:5900", "no host"}));

TEST(SpiceTargetTest, DescribeNamesEachKind) {
    SpiceTarget t;
    EXPECT_EQ(t.describe(), "none");
    t.kind = Kind::Unix;
    t.path = "/tmp/spice.sock";
    EXPECT_EQ(t.describe(), "unix:/tmp/spice.sock");
    t = SpiceTarget{};
    t.kind = Kind::Tcp;
    t.host = "localhost";
    t.port = 5900;
    EXPECT_EQ(t.describe(), "localhost:5900");
    t.tls_port = 5901;
    EXPECT_EQ(t.describe(), "localhost:5900 (TLS 5901)");
    t.port = 0;
    EXPECT_EQ(t.describe(), "localhost:5901 (TLS)");
}

TEST(SpiceTargetTest, DescribedTargetsParseBackToThemselves) {
    // The title and logs show describe(); a user copying it into --spice gets the same target.
    for (const char* text : {"unix:/run/vm.sock", "localhost:5900", "[::1]:5900"}) {
        std::string error;
        const auto t = parse_spice_target(text, &error);
        ASSERT_TRUE(t.has_value()) << text << ": " << error;
        const auto again = parse_spice_target(t->describe(), &error);
        ASSERT_TRUE(again.has_value()) << t->describe() << ": " << error;
        EXPECT_EQ(again->kind, t->kind);
        EXPECT_EQ(again->path, t->path);
        EXPECT_EQ(again->host, t->host);
        EXPECT_EQ(again->port, t->port);
    }
}

}  // namespace
}  // namespace periscope::viewer
