#include "cni/spec/result.h"

#include "cni/spec/error.h"
#include "gtest/gtest.h"

namespace podswitch::cni {
namespace {

// A dual-stack veth pod and a vhost-user interface, with every field set.
Result SampleResult() {
  Result result;
  result.interfaces = {
      {.name = "eth0", .mac = "02:00:0a:01:00:05", .mtu = 1450, .sandbox = "/var/run/netns/a"},
      {.name = "vhu0", .mac = "02:00:0a:01:00:06", .socket_path = "/run/podswitch/pods/a/vhu0"},
  };
  result.ips = {{"10.1.0.5/24", "10.1.0.1", 0}, {"fd00::5/64", "fd00::1", 0}};
  result.routes = {{.dst = "0.0.0.0/0", .gw = "10.1.0.1", .mtu = 1450, .priority = 10},
                   {.dst = "::/0", .gw = "fd00::1"}};
  result.dns = {.nameservers = {"10.96.0.10"}, .search = {"svc.cluster.local"}};
  return result;
}

TEST(ResultTest, SerialisesPerVersion) {
  struct Case {
    const char* version;
    const char* expected;
  };
  const char* v1_body = R"(
      "interfaces": [
        {"name": "eth0", "mac": "02:00:0a:01:00:05", "mtu": 1450, "sandbox": "/var/run/netns/a"},
        {"name": "vhu0", "mac": "02:00:0a:01:00:06", "socketPath": "/run/podswitch/pods/a/vhu0"}],
      "ips": [{"address": "10.1.0.5/24", "gateway": "10.1.0.1", "interface": 0},
              {"address": "fd00::5/64", "gateway": "fd00::1", "interface": 0}],
      "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1", "mtu": 1450, "priority": 10},
                 {"dst": "::/0", "gw": "fd00::1"}],
      "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]}})";
  const char* v0_body = R"(
      "interfaces": [
        {"name": "eth0", "mac": "02:00:0a:01:00:05", "sandbox": "/var/run/netns/a"},
        {"name": "vhu0", "mac": "02:00:0a:01:00:06"}],
      "ips": [{"version": "4", "address": "10.1.0.5/24", "gateway": "10.1.0.1", "interface": 0},
              {"version": "6", "address": "fd00::5/64", "gateway": "fd00::1", "interface": 0}],
      "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}, {"dst": "::/0", "gw": "fd00::1"}],
      "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]}})";
  const Case cases[] = {{"1.1.0", v1_body},
                        {"1.0.0", v1_body},
                        {"0.4.0", v0_body},
                        {"0.3.1", v0_body},
                        {"0.3.0", v0_body}};
  for (const Case& c : cases) {
    nlohmann::json expected =
        nlohmann::json::parse(std::string(R"({"cniVersion": ")") + c.version + "\"," + c.expected);
    EXPECT_EQ(ResultToJson(SampleResult(), c.version), expected) << c.version;
  }
}

TEST(ResultTest, EmptyResultHasOnlyTheVersion) {
  EXPECT_EQ(ResultToJson(Result{}, "1.1.0"), nlohmann::json::parse(R"({"cniVersion": "1.1.0"})"));
}

TEST(ResultTest, RoundTripsThroughEveryVersion) {
  Result full = SampleResult();
  for (const char* version : {"1.1.0", "1.0.0"}) {
    absl::StatusOr<Result> parsed = ParseResult(ResultToJson(full, version), "result");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, full) << version;
  }
  // Down-converted results lose the 1.1.0 fields, and read back without the "version"s.
  for (const char* version : {"0.4.0", "0.3.1"}) {
    absl::StatusOr<Result> parsed = ParseResult(ResultToJson(full, version), "result");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->ips, full.ips) << version;
    EXPECT_EQ(parsed->interfaces[0].mtu, std::nullopt);
    EXPECT_EQ(parsed->interfaces[1].socket_path, "");
    EXPECT_EQ(ResultToJson(*parsed, version), ResultToJson(full, version));
  }
}

TEST(ResultTest, InvalidResultsNameTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  const Case cases[] = {
      {R"({"ips": [{"address": "10.1.0.5"}]})", "prevResult.ips[0].address"},
      {R"({"ips": [{"address": "10.1.0.5/33"}]})", "prevResult.ips[0].address"},
      {R"({"ips": [{"gateway": "10.1.0.1"}]})", "prevResult.ips[0].address"},
      {R"({"ips": [{"address": "10.1.0.5/24", "gateway": "x"}]})", "prevResult.ips[0].gateway"},
      {R"({"ips": [{"address": "10.1.0.5/24", "interface": 1}]})", "prevResult.ips[0].interface"},
      {R"({"interfaces": [{"name": 1}]})", "prevResult.interfaces[0].name"},
      {R"({"interfaces": {}})", "prevResult.interfaces"},
      {R"({"routes": [{"gw": "10.1.0.1"}]})", "prevResult.routes[0].dst"},
      {R"({"routes": [{"dst": "0.0.0.0/0", "mtu": -1}]})", "prevResult.routes[0].mtu"},
      {R"({"dns": {"domain": 5}})", "prevResult.dns.domain"},
      {R"("text")", "prevResult"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Result> result = ParseResult(nlohmann::json::parse(c.json), "prevResult");
    ASSERT_FALSE(result.ok()) << c.json;
    CniError error = CniErrorFromStatus(result.status());
    EXPECT_EQ(error.code, ErrorCode::kInvalidConfig) << c.json;
    EXPECT_NE(error.msg.find(std::string("\"") + c.field + "\""), std::string::npos)
        << c.json << ": " << error.msg;
  }
}

TEST(ResultTest, AcceptsOldVersionFieldsWhenReading) {
  absl::StatusOr<Result> result = ParseResult(
      nlohmann::json::parse(
          R"({"cniVersion": "0.3.1", "ips": [{"version": "4", "address": "10.1.0.5/24"}]})"),
      "prevResult");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->ips[0].address, "10.1.0.5/24");
}

TEST(ResultTest, KnowsIpFamilies) {
  EXPECT_EQ(IpFamily("10.0.0.1"), 4);
  EXPECT_EQ(IpFamily("10.0.0.1/8"), 4);
  EXPECT_EQ(IpFamily("fd00::1/64"), 6);
  EXPECT_EQ(IpFamily("nope"), 0);
}

}  // namespace
}  // namespace podswitch::cni
