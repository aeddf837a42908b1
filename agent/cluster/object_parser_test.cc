#include "agent/cluster/object_parser.h"

#include <string>

#include "absl/status/status.h"
#include "agent/cluster/node_from_flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace podswitch::agent::cluster {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::string kTestData = PODSWITCH_CLUSTER_TESTDATA;

std::vector<ClusterObject> ParseYaml(const std::string& text) {
  absl::StatusOr<std::vector<ClusterObject>> objects =
      ParseObjects(text, "test.yaml", DocumentFormat::kYaml);
  EXPECT_TRUE(objects.ok()) << objects.status();
  return objects.ok() ? *objects : std::vector<ClusterObject>{};
}

std::string ParseError(const std::string& text, DocumentFormat format = DocumentFormat::kYaml,
                       const std::string& name = "test.yaml") {
  absl::StatusOr<std::vector<ClusterObject>> objects = ParseObjects(text, name, format);
  EXPECT_FALSE(objects.ok());
  EXPECT_EQ(objects.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(objects.status().message());
}

TEST(ObjectParserTest, ReadsTheThreeNodeTestCluster) {
  absl::StatusOr<std::vector<ClusterObject>> nodes = ParseObjectsFile(kTestData + "/nodes.yaml");
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_THAT(*nodes, SizeIs(3));
  const Node& node2 = std::get<Node>((*nodes)[1]);
  EXPECT_EQ(node2.meta.name, "node-2");
  EXPECT_EQ(node2.meta.labels.at("kubernetes.io/hostname"), "node-2");
  EXPECT_THAT(node2.pod_cidrs, ElementsAre("10.244.2.0/24"));
  EXPECT_EQ(node2.internal_ip, "10.0.0.2");

  absl::StatusOr<std::vector<ClusterObject>> namespaces =
      ParseObjectsFile(kTestData + "/namespaces.json");
  ASSERT_TRUE(namespaces.ok()) << namespaces.status();
  ASSERT_THAT(*namespaces, SizeIs(3));
  EXPECT_EQ(std::get<Namespace>((*namespaces)[2]).meta.labels.at("ns"), "z");

  absl::StatusOr<std::vector<ClusterObject>> pods = ParseObjectsFile(kTestData + "/pods.yaml");
  ASSERT_TRUE(pods.ok()) << pods.status();
  ASSERT_THAT(*pods, SizeIs(9));
  const Pod& yb = std::get<Pod>((*pods)[4]);
  EXPECT_EQ(KeyOf((*pods)[4]).ToString(), "Pod y/b");
  EXPECT_EQ(yb.meta.labels.at("pod"), "b");
  EXPECT_EQ(yb.node_name, "node-2");
  EXPECT_THAT(yb.named_ports, SizeIs(4));
  EXPECT_EQ(yb.named_ports[3], (ContainerPort{"serve-81-udp", 81, "UDP"}));
}

TEST(ObjectParserTest, NodeMergesPodCidrsAndPrefersIpv4InternalIp) {
  std::vector<ClusterObject> objects = ParseYaml(R"(
apiVersion: v1
kind: Node
metadata: {name: dual, uid: 1234-5, resourceVersion: "77"}
spec:
  podCIDR: 10.244.7.0/24
  podCIDRs: ["10.244.7.0/24", "fd00:10:244:7::/64"]
status:
  addresses:
  - {type: InternalIP, address: "fd00::7"}
  - {type: InternalIP, address: 192.168.7.7}
  - {type: ExternalIP, address: 203.0.113.7}
)");
  ASSERT_THAT(objects, SizeIs(1));
  const Node& node = std::get<Node>(objects[0]);
  EXPECT_EQ(node.meta.uid, "1234-5");
  EXPECT_EQ(node.meta.resource_version, "77");
  EXPECT_THAT(node.pod_cidrs, ElementsAre("10.244.7.0/24", "fd00:10:244:7::/64"));
  EXPECT_EQ(node.internal_ip, "192.168.7.7");
  EXPECT_THAT(node.internal_ips, ElementsAre("fd00::7", "192.168.7.7"));
}

TEST(ObjectParserTest, PodFieldsAndDefaultNamespace) {
  std::vector<ClusterObject> objects = ParseYaml(R"(
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: "1"}
  annotations: {podswitch.io/interface: vhostuser}
spec:
  nodeName: node-1
  hostNetwork: false
  containers:
  - name: c
    ports:
    - {containerPort: 8080}
    - {name: http, containerPort: 80}
status:
  phase: Running
  podIP: 10.244.1.5
  podIPs: [{ip: 10.244.1.5}, {ip: "fd00::5"}]
)");
  ASSERT_THAT(objects, SizeIs(1));
  const Pod& pod = std::get<Pod>(objects[0]);
  EXPECT_EQ(pod.meta.namespace_, "default");
  EXPECT_EQ(pod.meta.labels.at("tier"), "1");
  EXPECT_EQ(pod.meta.annotations.at("podswitch.io/interface"), "vhostuser");
  EXPECT_FALSE(pod.host_network);
  EXPECT_THAT(pod.named_ports, ElementsAre(ContainerPort{"http", 80, "TCP"}));
  EXPECT_THAT(pod.pod_ips, ElementsAre("10.244.1.5", "fd00::5"));
  EXPECT_EQ(pod.phase, "Running");
}

TEST(ObjectParserTest, PoliciesKeepTheRawDocument) {
  std::vector<ClusterObject> objects = ParseYaml(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: isolate, namespace: ignored-for-cluster-scope}
spec: {priority: 5, appliedTo: [{podSelector: {}}]}
)");
  ASSERT_THAT(objects, SizeIs(2));
  const auto& policy = std::get<NetworkPolicy>(objects[0]);
  EXPECT_EQ(KeyOf(objects[0]).ToString(), "NetworkPolicy x/deny-all");
  EXPECT_EQ(policy.raw["spec"]["policyTypes"][0], "Ingress");
  const auto& cluster_policy = std::get<ClusterNetworkPolicy>(objects[1]);
  EXPECT_EQ(cluster_policy.meta.namespace_, "");
  EXPECT_EQ(cluster_policy.raw["spec"]["priority"], 5);
}

TEST(ObjectParserTest, NetworkAttachmentDefinitionKeepsItsConfigText) {
  std::vector<ClusterObject> objects = ParseYaml(R"(
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: vx100}
spec:
  config: '{"cniVersion":"1.0.0","name":"vx100","type":"podswitch","bridge":"br-vx","vni":100}'
)");
  ASSERT_THAT(objects, SizeIs(1));
  EXPECT_EQ(KeyOf(objects[0]).ToString(), "NetworkAttachmentDefinition default/vx100");
  EXPECT_EQ(
      std::get<NetworkAttachmentDefinition>(objects[0]).config,
      R"({"cniVersion":"1.0.0","name":"vx100","type":"podswitch","bridge":"br-vx","vni":100})");
  EXPECT_THAT(ParseError(R"(
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: bad}
spec: {config: {vni: 1}}
)"),
              HasSubstr("spec.config"));
}

TEST(ObjectParserTest, SkipsUnknownKindsEmptyDocumentsAndForeignGroups) {
  std::vector<ClusterObject> objects = ParseYaml(R"(
---
# only a comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: calico}
---
apiVersion: v1
kind: Namespace
metadata: {name: kept}
)");
  ASSERT_THAT(objects, SizeIs(1));
  EXPECT_EQ(KeyOf(objects[0]).ToString(), "Namespace kept");
}

TEST(ObjectParserTest, TypedListItemsInheritKindFromTheList) {
  absl::StatusOr<std::vector<ClusterObject>> objects = ParseObjects(
      R"({"apiVersion":"v1","kind":"NodeList","items":[{"metadata":{"name":"n1"},
          "spec":{"podCIDR":"10.244.9.0/24"}}]})",
      "watch", DocumentFormat::kJson);
  ASSERT_TRUE(objects.ok()) << objects.status();
  ASSERT_THAT(*objects, SizeIs(1));
  EXPECT_THAT(std::get<Node>((*objects)[0]).pod_cidrs, ElementsAre("10.244.9.0/24"));
}

TEST(ObjectParserTest, ErrorsNameFileDocumentObjectFieldAndLine) {
  std::string message = ParseError(R"(apiVersion: v1
kind: Node
metadata: {name: node-a}
---
apiVersion: v1
kind: Node
metadata:
  name: node-b
spec:
  podCIDR: 10.244.300.0/24
)",
                                   DocumentFormat::kYaml, "nodes.yaml");
  EXPECT_EQ(message,
            "nodes.yaml, document 2 (Node node-b): spec.podCIDR \"10.244.300.0/24\" is not a "
            "CIDR (line 10)");
}

TEST(ObjectParserTest, ErrorsForEachKindOfMistake) {
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec: {podCIDR: "
                         "10.244.1.7/24}\n"),
              HasSubstr("spec.podCIDR \"10.244.1.7/24\" has host bits set (the network is "
                        "10.244.1.0/24)"));
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus:\n  "
                         "addresses:\n  - {type: InternalIP, address: 10.0.0.999}\n"),
              HasSubstr("(Node n): status.addresses[0].address \"10.0.0.999\" is not an IP "
                        "address (line 6)"));
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\n"
                         "spec: {hostNetwork: maybe}\n"),
              HasSubstr("test.yaml, document 1 (Pod x/p): spec.hostNetwork must be true or "
                        "false, not string \"maybe\" (line 4)"));
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {v: 2}}\n"),
              HasSubstr("(Pod default/p): metadata.labels.v must be a string, not number 2"));
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Namespace\nmetadata: {}\n"),
              HasSubstr("document 1 (Namespace): metadata.name is missing (line 3)"));
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Namespace\nmetadata: {name: Bad_Name}\n"),
              HasSubstr("metadata.name \"Bad_Name\" is not a valid name"));
  EXPECT_THAT(ParseError("kind: Namespace\nmetadata: {name: n}\n"),
              HasSubstr("document 1: apiVersion is missing"));
  EXPECT_THAT(ParseError("- just\n- a list\n"),
              HasSubstr("test.yaml, document 1: is not a Kubernetes object"));
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                         "  - ports: [{name: x, containerPort: 70000}]\n"),
              HasSubstr("spec.containers[0].ports[0].containerPort 70000 is not a port"));
  EXPECT_THAT(ParseError("a: [1, 2\nb: {"), HasSubstr("test.yaml: line 2, column"));
  EXPECT_THAT(ParseError("a: 1\na: 2\n"), HasSubstr("test.yaml: line 2: duplicate key \"a\""));
  EXPECT_THAT(ParseError("{\"kind\": ", DocumentFormat::kJson, "x.json"),
              HasSubstr("x.json: invalid JSON"));
}

TEST(ObjectParserTest, ListItemErrorsNameTheItem) {
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: "
                         "Namespace\n  metadata: {name: ok}\n- apiVersion: v1\n  kind: Pod\n"
                         "  metadata: {name: p}\n  spec: {nodeName: [x]}\n"),
              HasSubstr("document 1 (Pod default/p): items[1].spec.nodeName must be a string, "
                        "not a list (line 10)"));
}

TEST(ObjectParserTest, AliasBombIsRefusedNotExpanded) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    text += "]\n";
  }
  EXPECT_THAT(ParseError(text), HasSubstr("values (alias expansion?)"));
}

TEST(ObjectParserTest, LargeListsFitTheValueBudget) {
  std::string text = "apiVersion: v1\nkind: List\nitems:\n";
  for (int i = 0; i < 1500; ++i) {
    text += "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p" + std::to_string(i) +
            "\n    namespace: x\n    labels: {pod: p, app: web, tier: \"1\"}\n  spec:\n"
            "    nodeName: node-1\n    containers:\n    - name: c\n      ports:\n"
            "      - {name: http, containerPort: 80, protocol: TCP}\n"
            "      - {name: dns, containerPort: 53, protocol: UDP}\n";
  }
  EXPECT_THAT(ParseYaml(text), SizeIs(1500));
}

TEST(ObjectParserTest, InvalidUtf8IsRefusedWithItsLine) {
  EXPECT_THAT(ParseError("apiVersion: v1\nkind: Namespace\nmetadata: {name: \"\xff\"}\n"),
              HasSubstr("test.yaml: line 3: invalid UTF-8"));
}

TEST(ObjectParserTest, DecodeObjectTakesApiServerJson) {
  absl::StatusOr<std::optional<ClusterObject>> object = DecodeObject(
      nlohmann::json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}})"),
      "watch event");
  ASSERT_TRUE(object.ok()) << object.status();
  ASSERT_TRUE(object->has_value());
  EXPECT_EQ(KeyOf(**object).ToString(), "Namespace x");
  EXPECT_FALSE(DecodeObject(nlohmann::json::parse(R"({"apiVersion":"v1","kind":"Secret"})"), "w")
                   ->has_value());
}

TEST(NodeFromFlagsTest, BuildsAndValidates) {
  absl::StatusOr<Node> node = NodeFromFlags("node-1", "10.244.1.0/24", "10.0.0.1");
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->meta.name, "node-1");
  EXPECT_THAT(node->pod_cidrs, ElementsAre("10.244.1.0/24"));
  EXPECT_EQ(node->internal_ip, "10.0.0.1");
  EXPECT_THAT(NodeFromFlags("n", "10.244.1.0/24, fd00::/64", "")->pod_cidrs,
              ElementsAre("10.244.1.0/24", "fd00::/64"));
  EXPECT_THAT(NodeFromFlags("n", "10.244.1.0/33", "").status().message(),
              HasSubstr("\"10.244.1.0/33\" is not a CIDR"));
  EXPECT_THAT(NodeFromFlags("n", "", "nope").status().message(), HasSubstr("not an IP"));
  EXPECT_FALSE(NodeFromFlags("", "", "").ok());
}

}  // namespace
}  // namespace podswitch::agent::cluster
