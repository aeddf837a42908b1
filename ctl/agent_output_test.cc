// Tests of the agent verbs' layouts: `pod list` and `ipam show`, text and JSON.
#include "ctl/agent_output.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

void AddPod(agentapi::ListPodsResponse& pods, const std::string& ns, const std::string& name,
            const std::string& ip, const std::string& type = "veth") {
  agentapi::PodAttachment* pod = pods.add_pods();
  pod->set_container_id("c0ffee" + name + "0123456789abcdef");
  pod->set_ifname("eth0");
  pod->set_pod_namespace(ns);
  pod->set_pod_name(name);
  pod->set_ip(ip);
  pod->set_mac("0a:58:0a:fa:64:0" + ip.substr(ip.size() - 1));
  pod->set_port("psw" + name);
  pod->set_interface_type(type);
  pod->set_link_state("up");
  pod->set_bridge("br-int");
}

TEST(FormatPodList, AlignedTableSortedByNamespaceAndName) {
  agentapi::ListPodsResponse pods;
  AddPod(pods, "web", "frontend", "10.250.100.3", "vhostuser");
  AddPod(pods, "db", "b", "10.250.100.2");
  EXPECT_EQ(FormatPodList(pods),
            "NAMESPACE  NAME      IFNAME  BRIDGE  IP            MAC                PORT         "
            "TYPE       LINK  CONTAINER\n"
            "db         b         eth0    br-int  10.250.100.2  0a:58:0a:fa:64:02  pswb         "
            "veth       up    c0ffeeb01234\n"
            "web        frontend  eth0    br-int  10.250.100.3  0a:58:0a:fa:64:03  pswfrontend  "
            "vhostuser  up    c0ffeefronte\n");
}

TEST(FormatPodList, HeaderOnlyWhenEmptyAndDashForMissingFields) {
  agentapi::ListPodsResponse pods;
  EXPECT_EQ(FormatPodList(pods),
            "NAMESPACE  NAME  IFNAME  BRIDGE  IP  MAC  PORT  TYPE  LINK  CONTAINER\n");
  agentapi::PodAttachment* pod = pods.add_pods();
  pod->set_ip("10.0.0.9");
  pod->set_link_state("missing");
  EXPECT_THAT(
      FormatPodList(pods),
      HasSubstr("\n-          -     -       -       10.0.0.9  -    -     -     missing  -\n"));
}

TEST(PodListToJson, EveryFieldOfEveryPodInTableOrder) {
  agentapi::ListPodsResponse pods;
  AddPod(pods, "z", "a", "10.250.100.4");
  AddPod(pods, "a", "z", "10.250.100.5", "vhostuser");
  nlohmann::json json = PodListToJson(pods);
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["pod_namespace"], "a");
  EXPECT_EQ(json[0]["interface_type"], "vhostuser");
  EXPECT_EQ(json[1]["pod_name"], "a");
  for (const char* key : {"container_id", "ifname", "pod_namespace", "pod_name", "ip", "mac",
                          "port", "interface_type", "link_state"}) {
    EXPECT_TRUE(json[1].contains(key)) << key;
  }
  EXPECT_EQ(PodListToJson(agentapi::ListPodsResponse()), nlohmann::json::array());
}

agentapi::ShowIpamResponse Pool() {
  agentapi::ShowIpamResponse ipam;
  ipam.set_pod_cidr("10.250.101.0/29");
  ipam.set_gateway("10.250.101.1");
  ipam.set_capacity(5);
  ipam.set_allocated(2);
  for (const char* ip : {"10.250.101.10", "10.250.101.3"}) {
    agentapi::PodAttachment* a = ipam.add_allocations();
    a->set_ip(ip);
    a->set_container_id(std::string("ctr-") + ip);
    a->set_ifname("eth0");
    a->set_pod_namespace("test");
    a->set_pod_name(std::string("p") + ip);
  }
  return ipam;
}

TEST(FormatIpam, SummaryThenAllocationsSortedByAddress) {
  EXPECT_EQ(FormatIpam(Pool()),
            "pod CIDR:   10.250.101.0/29\n"
            "gateway:    10.250.101.1\n"
            "capacity:   5\n"
            "allocated:  2 (40.0%)\n"
            "free:       3\n"
            "allocations:\n"
            "  IP             NAMESPACE  NAME            IFNAME  CONTAINER\n"
            "  10.250.101.3   test       p10.250.101.3   eth0    ctr-10.250.1\n"
            "  10.250.101.10  test       p10.250.101.10  eth0    ctr-10.250.1\n");
}

TEST(FormatIpam, EmptyPoolHasNoAllocationTable) {
  agentapi::ShowIpamResponse ipam = Pool();
  ipam.clear_allocations();
  ipam.set_allocated(0);
  std::string text = FormatIpam(ipam);
  EXPECT_THAT(text, HasSubstr("allocated:  0 (0.0%)\n"));
  EXPECT_THAT(text, HasSubstr("free:       5\n"));
  EXPECT_THAT(text, Not(HasSubstr("allocations")));
  EXPECT_THAT(FormatIpam(agentapi::ShowIpamResponse()), HasSubstr("capacity:   0\n"));
}

TEST(IpamToJson, NumbersAndSortedAllocations) {
  nlohmann::json json = IpamToJson(Pool());
  EXPECT_EQ(json["pod_cidr"], "10.250.101.0/29");
  EXPECT_EQ(json["gateway"], "10.250.101.1");
  EXPECT_EQ(json["capacity"], 5);
  EXPECT_EQ(json["allocated"], 2);
  EXPECT_EQ(json["free"], 3);
  ASSERT_EQ(json["allocations"].size(), 2u);
  EXPECT_EQ(json["allocations"][0]["ip"], "10.250.101.3");
  EXPECT_EQ(json["allocations"][1]["container_id"], "ctr-10.250.101.10");
  EXPECT_EQ(json["allocations"][1]["pod_name"], "p10.250.101.10");
}

}  // namespace
}  // namespace podswitch::ctl
