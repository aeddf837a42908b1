#include "cni/spec/config.h"

#include "cni/spec/error.h"
#include "gtest/gtest.h"

namespace podswitch::cni {
namespace {

struct ConfigCase {
  const char* name;
  const char* json;
  int code;
  const char* mentioned;  // text the error message (or details) must contain
};

TEST(NetworkConfigTest, ErrorsHaveTheRightCodeAndNameTheField) {
  const ConfigCase cases[] = {
      {"not json", R"({"cniVersion": "1.0.0", "name": )", 6, "not valid JSON"},
      {"empty", "", 6, "not valid JSON"},
      {"array", R"([1, 2])", 6, "array"},
      {"number overflow", R"({"cniVersion": "1.0.0", "mtu": 1e999})", 6, "not valid JSON"},
      {"no version", R"({"name": "n", "type": "podswitch"})", 7, "cniVersion"},
      {"unsupported version", R"({"cniVersion": "0.2.0", "name": "n", "type": "p"})", 1, "0.2.0"},
      {"future version", R"({"cniVersion": "2.0.0", "name": "n", "type": "p"})", 1, "2.0.0"},
      {"version number", R"({"cniVersion": 1, "name": "n", "type": "p"})", 7, "cniVersion"},
      {"no name", R"({"cniVersion": "1.0.0", "type": "p"})", 7, "\"name\""},
      {"empty name", R"({"cniVersion": "1.0.0", "name": "", "type": "p"})", 7, "\"name\""},
      {"no type", R"({"cniVersion": "1.0.0", "name": "n"})", 7, "\"type\""},
      {"type not string", R"({"cniVersion": "1.0.0", "name": "n", "type": 5})", 7, "\"type\""},
      {"mtu string", R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "mtu": "1500"})", 7,
       "\"mtu\""},
      {"mtu tiny", R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "mtu": 20})", 7, "mtu"},
      {"bad interfaceType",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "interfaceType": "sriov"})", 7,
       "interfaceType"},
      {"relative socket",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "agentSocket": "agent.sock"})", 7,
       "agentSocket"},
      {"zero timeout", R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "timeoutSeconds": 0})",
       7, "timeoutSeconds"},
      {"foreign ipam",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "ipam": {"type": "host-local"}})", 2,
       "host-local"},
      {"ipam not object", R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "ipam": []})", 7,
       "ipam"},
      {"bad prevResult address",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p",
           "prevResult": {"ips": [{"address": "10.0.0.300/24"}]}})",
       7, "prevResult.ips[0].address"},
      {"bad portMapping",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p",
           "runtimeConfig": {"portMappings": [{"hostPort": 80, "containerPort": "80"}]}})",
       7, "runtimeConfig.portMappings[0].containerPort"},
      {"portMapping without hostPort",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p",
           "runtimeConfig": {"portMappings": [{"containerPort": 80}]}})",
       7, "hostPort"},
      {"runtimeConfig array",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "runtimeConfig": []})", 7,
       "runtimeConfig"},
      {"bad attachments",
       R"({"cniVersion": "1.1.0", "name": "n", "type": "p",
           "cni.dev/valid-attachments": [{"containerID": "c"}]})",
       7, "cni.dev/valid-attachments[0].ifname"},
      {"vlan without bridge", R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "vlan": 10})", 7,
       "bridge"},
      {"vlan out of range",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "bridge": "br1", "vlan": 4095})", 7,
       "vlan"},
      {"vlan and trunk",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "bridge": "br1", "vlan": 10,
           "trunk": [{"id": 20}]})",
       7, "trunk"},
      {"bad trunk range",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "bridge": "br1",
           "trunk": [{"minID": 30, "maxID": 20}]})",
       7, "trunk[0]"},
      {"vni zero",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "bridge": "br1", "vni": 0})", 7, "vni"},
      {"long bridge",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "bridge": "a-very-long-bridge"})", 7,
       "bridge"},
      {"dns nameservers not array",
       R"({"cniVersion": "1.0.0", "name": "n", "type": "p", "dns": {"nameservers": "8.8.8.8"}})", 7,
       "dns.nameservers"},
  };
  for (const ConfigCase& c : cases) {
    absl::StatusOr<NetworkConfig> config = ParseNetworkConfig(c.json);
    ASSERT_FALSE(config.ok()) << c.name;
    CniError error = CniErrorFromStatus(config.status());
    EXPECT_EQ(static_cast<int>(error.code), c.code) << c.name << ": " << error.msg;
    EXPECT_NE((error.msg + " " + error.details).find(c.mentioned), std::string::npos)
        << c.name << ": " << error.msg;
  }
}

TEST(NetworkConfigTest, SecondaryL2NetworkAsOvsCniSpellsIt) {
  absl::StatusOr<NetworkConfig> vlan = ParseNetworkConfig(
      R"({"cniVersion": "1.0.0", "name": "v", "type": "podswitch", "bridge": "br-data",
          "vlan": 100, "ipam": {"type": "podswitch", "subnet": "10.229.0.0/24"}})");
  ASSERT_TRUE(vlan.ok()) << vlan.status();
  ASSERT_TRUE(vlan->l2.has_value());
  EXPECT_EQ(*vlan->l2, (L2Network{.bridge = "br-data", .vlan = 100, .subnet = "10.229.0.0/24"}));
  absl::StatusOr<NetworkConfig> trunk = ParseNetworkConfig(
      R"({"cniVersion": "1.0.0", "name": "t", "type": "podswitch", "bridge": "br-data",
          "trunk": [{"id": 42}, {"minID": 10, "maxID": 12}, {"id": 11}], "vni": 5000})");
  ASSERT_TRUE(trunk.ok()) << trunk.status();
  EXPECT_EQ(*trunk->l2, (L2Network{.bridge = "br-data", .trunks = {10, 11, 12, 42}, .vni = 5000}));
  absl::StatusOr<NetworkConfig> ranged = ParseNetworkConfig(
      R"({"cniVersion": "1.0.0", "name": "x", "type": "podswitch", "bridge": "br-x", "vni": 7,
          "ipam": {"subnet": "10.229.0.0/24", "rangeStart": "10.229.0.10",
                   "rangeEnd": "10.229.0.19"}})");
  ASSERT_TRUE(ranged.ok()) << ranged.status();
  EXPECT_EQ(*ranged->l2, (L2Network{.bridge = "br-x",
                                    .vni = 7,
                                    .subnet = "10.229.0.0/24",
                                    .range_start = "10.229.0.10",
                                    .range_end = "10.229.0.19"}));
  absl::StatusOr<NetworkConfig> range_alone = ParseNetworkConfig(
      R"({"cniVersion": "1.0.0", "name": "x", "type": "podswitch", "bridge": "br-x",
          "ipam": {"rangeStart": "10.229.0.10"}})");
  EXPECT_EQ(static_cast<int>(CniErrorFromStatus(range_alone.status()).code), 7);
  absl::StatusOr<NetworkConfig> pod_network =
      ParseNetworkConfig(R"({"cniVersion": "1.0.0", "name": "p", "type": "podswitch"})");
  ASSERT_TRUE(pod_network.ok());
  EXPECT_FALSE(pod_network->l2.has_value());
}

TEST(NetworkConfigTest, MinimalConfigGetsDefaults) {
  absl::StatusOr<NetworkConfig> config =
      ParseNetworkConfig(R"({"cniVersion": "1.1.0", "name": "podswitch", "type": "podswitch"})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cni_version, "1.1.0");
  EXPECT_EQ(config->name, "podswitch");
  EXPECT_EQ(config->type, "podswitch");
  EXPECT_EQ(config->agent_socket, "/run/podswitch/agent.sock");
  EXPECT_FALSE(config->timeout_seconds.has_value());
  EXPECT_FALSE(config->prev_result.has_value());
  EXPECT_FALSE(config->valid_attachments.has_value());
}

TEST(NetworkConfigTest, FullConfigAsAConflistRuntimeSendsIt) {
  absl::StatusOr<NetworkConfig> config = ParseNetworkConfig(R"({
    "cniVersion": "1.0.0", "name": "k8s-pod-network", "type": "podswitch",
    "agentSocket": "unix:/tmp/x/agent.sock", "timeoutSeconds": 5, "mtu": 1450,
    "interfaceType": "tap", "ipam": {"type": "podswitch", "ranges": []},
    "dns": {"nameservers": ["10.96.0.10"], "search": ["svc.cluster.local"]},
    "args": {"cni": {"labels": {"app": "web"}}},
    "runtimeConfig": {
      "portMappings": [
        {"HostPort": 8080, "ContainerPort": 80, "Protocol": "tcp", "HostIP": "0.0.0.0"},
        {"hostPort": 5353, "containerPort": 53, "protocol": "udp"}],
      "interfaceType": "vhostuser", "mac": "02:00:00:00:00:01", "bandwidth": {"ingressRate": 1}},
    "prevResult": {"cniVersion": "1.0.0",
      "interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:01", "sandbox": "/var/run/netns/a"}],
      "ips": [{"address": "10.1.0.5/24", "gateway": "10.1.0.1", "interface": 0}],
      "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}]},
    "someFutureField": {"ignored": true}
  })");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->agent_socket, "/tmp/x/agent.sock");
  EXPECT_EQ(config->timeout_seconds, 5);
  EXPECT_EQ(config->mtu, 1450);
  EXPECT_EQ(config->interface_type, InterfaceType::kTap);
  EXPECT_EQ(config->ipam["type"], "podswitch");
  EXPECT_EQ(config->dns.nameservers, std::vector<std::string>{"10.96.0.10"});
  EXPECT_EQ(config->args["cni"]["labels"]["app"], "web");
  ASSERT_EQ(config->runtime_config.port_mappings.size(), 2u);
  EXPECT_EQ(config->runtime_config.port_mappings[0], (PortMapping{8080, 80, "tcp", "0.0.0.0"}));
  EXPECT_EQ(config->runtime_config.port_mappings[1], (PortMapping{5353, 53, "udp", ""}));
  EXPECT_EQ(config->runtime_config.interface_type, InterfaceType::kVhostUser);
  EXPECT_EQ(config->runtime_config.mac, "02:00:00:00:00:01");
  EXPECT_EQ(config->runtime_config.raw["bandwidth"]["ingressRate"], 1);
  ASSERT_TRUE(config->prev_result.has_value());
  EXPECT_EQ(config->prev_result->ips[0].address, "10.1.0.5/24");
  EXPECT_EQ(config->prev_result->ips[0].interface, 0);
}

TEST(NetworkConfigTest, GcAttachmentsUnderEitherKey) {
  for (const char* key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    std::string json = std::string(R"({"cniVersion": "1.1.0", "name": "n", "type": "p", ")") + key +
                       R"(": [{"containerID": "c1", "ifname": "eth0"}]})";
    absl::StatusOr<NetworkConfig> config = ParseNetworkConfig(json);
    ASSERT_TRUE(config.ok()) << config.status();
    ASSERT_TRUE(config->valid_attachments.has_value()) << key;
    EXPECT_EQ(*config->valid_attachments, (std::vector<Attachment>{{"c1", "eth0"}}));
  }
  absl::StatusOr<NetworkConfig> empty = ParseNetworkConfig(
      R"({"cniVersion": "1.1.0", "name": "n", "type": "p", "cni.dev/valid-attachments": []})");
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(empty->valid_attachments.has_value());
  EXPECT_TRUE(empty->valid_attachments->empty());
}

TEST(NetworkConfigTest, PeeksTheVersionForErrorReports) {
  EXPECT_EQ(PeekCniVersion(R"({"cniVersion": "0.4.0"})"), "0.4.0");
  EXPECT_EQ(PeekCniVersion(R"({"cniVersion": 4})"), "");
  EXPECT_EQ(PeekCniVersion("{oops"), "");
  EXPECT_EQ(PeekCniVersion(""), "");
}

}  // namespace
}  // namespace podswitch::cni
