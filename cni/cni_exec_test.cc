// Runs the real podswitch-cni binary exactly as a container runtime does (fork/exec with the
// CNI_* environment and the config on stdin) and checks its stdout and exit code.
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "podswitch/cni/v1/cni.grpc.pb.h"

namespace podswitch::cni {
namespace {

using Env = std::map<std::string, std::string>;

struct Outcome {
  int exit_code = -1;
  std::string out;
  nlohmann::json json() const { return nlohmann::json::parse(out, nullptr, false); }
};

// The binary under test; ctest sets PODSWITCH_CNI_BIN to the freshly built one.
std::string CniBinary() {
  const char* path = std::getenv("PODSWITCH_CNI_BIN");
  return path != nullptr ? path : "podswitch-cni";
}

// Runs podswitch-cni with exactly `env` (nothing inherited), `stdin_text` on stdin and `args`.
Outcome RunCni(const Env& env, const std::string& stdin_text,
               const std::vector<std::string>& args = {}) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  for (int fd : {in[0], in[1], out[0], out[1]}) posix_spawn_file_actions_addclose(&actions, fd);
  std::string binary = CniBinary();
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (const auto& [k, v] : env) env_storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  // The test ignores SIGPIPE (below); the binary runs with the default, as under a runtime.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &pipe_signal);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  Outcome outcome;
  if (rc == 0) {
    // Configs are far below the pipe buffer, so writing all before reading cannot block. A
    // binary that exits without reading stdin (a usage error) closes the pipe first: the
    // write must then fail with EPIPE, not kill the test with SIGPIPE.
    signal(SIGPIPE, SIG_IGN);
    (void)!write(in[1], stdin_text.data(), stdin_text.size());
  }
  close(in[1]);
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof(buf))) > 0;) outcome.out.append(buf, n);
  close(out[0]);
  int status = 0;
  if (rc == 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  }
  return outcome;
}

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pscni-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

constexpr char kId[] = "5f1c2a8e9b3d";
constexpr char kNetns[] = "/var/run/netns/pod-a";
constexpr char kArgs[] =
    "K8S_POD_UID=uid-1;IgnoreUnknown=1;K8S_POD_NAMESPACE=x;K8S_POD_NAME=a;"
    "K8S_POD_INFRA_CONTAINER_ID=5f1c2a8e9b3d";

Env AddEnv(const char* command = "ADD") {
  return {{"CNI_COMMAND", command}, {"CNI_CONTAINERID", kId}, {"CNI_NETNS", kNetns},
          {"CNI_IFNAME", "eth0"},   {"CNI_ARGS", kArgs},      {"CNI_PATH", "/opt/cni/bin"}};
}

std::string Config(const std::string& version, const std::string& socket,
                   const std::string& extra = "") {
  return R"({"cniVersion": ")" + version + R"(", "name": "podswitch", "type": "podswitch", )" +
         R"("agentSocket": ")" + socket + "\"" + extra + "}";
}

// Expects a spec error on stdout with `code`, exit status 1, and `needle` in msg or details.
void ExpectError(const Outcome& outcome, int code, const std::string& needle = "") {
  EXPECT_EQ(outcome.exit_code, 1) << outcome.out;
  nlohmann::json error = outcome.json();
  ASSERT_TRUE(error.is_object()) << outcome.out;
  EXPECT_EQ(error["code"], code) << outcome.out;
  EXPECT_TRUE(error["msg"].is_string()) << outcome.out;
  EXPECT_TRUE(error["cniVersion"].is_string()) << outcome.out;
  std::string text = error.value("msg", "") + " " + error.value("details", "");
  EXPECT_NE(text.find(needle), std::string::npos) << outcome.out;
}

TEST(CniExecTest, VersionAnswersWithoutOtherVariables) {
  Outcome outcome = RunCni({{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion": "1.0.0"})");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.json()["cniVersion"], "1.0.0");
  EXPECT_EQ(outcome.json()["supportedVersions"],
            nlohmann::json::parse(R"(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])"));
}

TEST(CniExecTest, VersionIgnoresPodmansDummyVariables) {
  Env podman = {{"CNI_COMMAND", "VERSION"},
                {"CNI_NETNS", "dummy"},
                {"CNI_IFNAME", "dummy"},
                {"CNI_PATH", "dummy"}};
  Outcome outcome = RunCni(podman, R"({"cniVersion": "0.4.0"})");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.json()["cniVersion"], "0.4.0");
  EXPECT_EQ(RunCni(podman, "").exit_code, 0);
}

TEST(CniExecTest, HelpVersionAndUnknownArguments) {
  EXPECT_EQ(RunCni({}, "", {"--help"}).exit_code, 0);
  Outcome version = RunCni({}, "", {"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("podswitch-cni ", 0), 0u) << version.out;
  EXPECT_EQ(RunCni({}, "", {"--frobnicate"}).exit_code, 2);
}

TEST(CniExecTest, LocalErrorsAreSpecErrors) {
  TempDir dir;
  std::string socket = dir.File("agent.sock");
  ExpectError(RunCni({}, Config("1.0.0", socket)), 4, "CNI_COMMAND");
  ExpectError(RunCni(AddEnv(), R"({"cniVersion": "1.0.0", "name": )"), 6, "JSON");
  ExpectError(RunCni(AddEnv(), Config("0.2.0", socket)), 1, "0.2.0");
  ExpectError(RunCni(AddEnv(), R"({"cniVersion": "1.0.0", "type": "podswitch"})"), 7, "name");
  Env no_netns = AddEnv();
  no_netns.erase("CNI_NETNS");
  ExpectError(RunCni(no_netns, Config("1.0.0", socket)), 4, "CNI_NETNS");
  ExpectError(RunCni(AddEnv("CHECK"), Config("0.3.1", socket)), 1, "CHECK");
}

TEST(CniExecTest, UnreachableAgentMeansTryAgainLater) {
  TempDir dir;
  std::string socket = dir.File("missing/agent.sock");
  Outcome add = RunCni(AddEnv(), Config("1.1.0", socket));
  ExpectError(add, 11, socket);
  EXPECT_EQ(add.json()["cniVersion"], "1.1.0");
  // containerd's second DEL: no netns, no prevResult; still 11 so the runtime retries.
  Env del = AddEnv("DEL");
  del["CNI_NETNS"] = "";
  ExpectError(RunCni(del, Config("0.4.0", socket)), 11, socket);
  ExpectError(RunCni({{"CNI_COMMAND", "STATUS"}}, Config("1.1.0", socket)), 50, socket);
}

TEST(CniExecTest, StaleSocketWithoutListenerMeansTryAgainLater) {
  TempDir dir;
  std::string socket = dir.File("agent.sock");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socket.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);  // The file stays, nobody listens: connect() is refused.
  ExpectError(RunCni(AddEnv(), Config("1.0.0", socket)), 11, socket);
}

// Stands in for podswitch-agent ONLY to check the wire contract of podswitch-cni: that the
// runtime's request reaches the agent intact and the agent's answer is printed as the spec
// says. It is not a model of the agent's behaviour.
class RecordingCniService final : public v1::Cni::Service {
 public:
  grpc::Status Execute(grpc::ServerContext* context, const v1::CniRequest* request,
                       v1::CniResponse* response) override {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(*request);
      *response = reply_;
      delay = delay_;
    }
    // A slow agent; it stops waiting once the client gave up, so the test ends promptly.
    for (absl::Time end = absl::Now() + delay; absl::Now() < end && !context->IsCancelled();) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    return grpc::Status::OK;
  }
  void Reply(const v1::CniResponse& reply, absl::Duration delay = absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    reply_ = reply;
    delay_ = delay;
  }
  std::vector<v1::CniRequest> Requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::CniRequest> requests_ ABSL_GUARDED_BY(mu_);
  v1::CniResponse reply_ ABSL_GUARDED_BY(mu_);
  absl::Duration delay_ ABSL_GUARDED_BY(mu_);
};

class CniWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_.File("agent.sock");
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_, grpc::InsecureServerCredentials());
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  TempDir dir_;
  std::string socket_;
  RecordingCniService service_;
  std::unique_ptr<grpc::Server> server_;
};

constexpr char kAgentResult[] = R"({"cniVersion": "1.1.0",
  "interfaces": [{"name": "eth0", "mac": "02:00:0a:01:00:05", "mtu": 1450,
                  "sandbox": "/var/run/netns/pod-a"}],
  "ips": [{"address": "10.1.0.5/24", "gateway": "10.1.0.1", "interface": 0}],
  "routes": [{"dst": "0.0.0.0/0", "gw": "10.1.0.1"}]})";

TEST_F(CniWireTest, AddForwardsTheRequestIntactAndPrintsTheResult) {
  v1::CniResponse reply;
  reply.set_result(kAgentResult);
  service_.Reply(reply);
  std::string config = Config("1.1.0", socket_, R"(, "runtimeConfig": {"portMappings": [
      {"HostPort": 8080, "ContainerPort": 80, "Protocol": "tcp"}]}, "x": [1, 2])");
  Outcome outcome = RunCni(AddEnv(), config);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.out;
  EXPECT_EQ(outcome.json(), nlohmann::json::parse(kAgentResult));
  std::vector<v1::CniRequest> requests = service_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].command(), "ADD");
  EXPECT_EQ(requests[0].container_id(), kId);
  EXPECT_EQ(requests[0].netns(), kNetns);
  EXPECT_EQ(requests[0].ifname(), "eth0");
  EXPECT_EQ(requests[0].args(), kArgs);
  EXPECT_EQ(requests[0].path(), "/opt/cni/bin");
  EXPECT_EQ(requests[0].config(), config);  // byte for byte, unknown fields included
}

TEST_F(CniWireTest, AddResultIsConvertedToTheConfigsVersion) {
  v1::CniResponse reply;
  reply.set_result(kAgentResult);
  service_.Reply(reply);
  Outcome outcome = RunCni(AddEnv(), Config("0.3.1", socket_));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.out;
  nlohmann::json result = outcome.json();
  EXPECT_EQ(result["cniVersion"], "0.3.1");
  EXPECT_EQ(result["ips"][0]["version"], "4");
  EXPECT_FALSE(result["interfaces"][0].contains("mtu"));
}

TEST_F(CniWireTest, DelCheckGcAndStatusPrintNothingOnSuccess) {
  service_.Reply(v1::CniResponse());
  Env del = AddEnv("DEL");
  del["CNI_NETNS"] = "";
  const std::string prev = R"(, "prevResult": )" + std::string(kAgentResult);
  struct Case {
    Env env;
    std::string config;
  };
  const Case cases[] = {
      {del, Config("1.0.0", socket_)},
      {AddEnv("CHECK"), Config("1.1.0", socket_, prev)},
      {{{"CNI_COMMAND", "GC"}},
       Config("1.1.0", socket_,
              R"(, "cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"}])")},
      {{{"CNI_COMMAND", "STATUS"}}, Config("1.1.0", socket_)},
  };
  for (const Case& c : cases) {
    Outcome outcome = RunCni(c.env, c.config);
    EXPECT_EQ(outcome.exit_code, 0) << c.env.at("CNI_COMMAND") << ": " << outcome.out;
    EXPECT_EQ(outcome.out, "") << c.env.at("CNI_COMMAND");
  }
  std::vector<v1::CniRequest> requests = service_.Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].command(), "DEL");
  EXPECT_EQ(requests[0].netns(), "");
  EXPECT_EQ(requests[3].command(), "STATUS");
}

TEST_F(CniWireTest, AgentErrorsArePrintedWithTheirCode) {
  v1::CniResponse reply;
  reply.set_error_code(100);
  reply.set_error_msg("no free address in 10.1.0.0/24");
  reply.set_error_details("254 of 254 allocated");
  service_.Reply(reply);
  Outcome outcome = RunCni(AddEnv(), Config("1.0.0", socket_));
  ExpectError(outcome, 100, "10.1.0.0/24");
  EXPECT_EQ(outcome.json()["details"], "254 of 254 allocated");
  EXPECT_EQ(outcome.json()["cniVersion"], "1.0.0");
}

TEST_F(CniWireTest, InvalidAgentResultIsAnError) {
  v1::CniResponse reply;
  reply.set_result(R"({"ips": [{"address": "not-an-ip"}]})");
  service_.Reply(reply);
  ExpectError(RunCni(AddEnv(), Config("1.0.0", socket_)), 999, "result.ips[0].address");
}

TEST_F(CniWireTest, SlowAgentHitsTheDeadline) {
  service_.Reply(v1::CniResponse(), absl::Seconds(5));
  absl::Time start = absl::Now();
  Outcome outcome = RunCni(AddEnv(), Config("1.0.0", socket_, R"(, "timeoutSeconds": 1)"));
  ExpectError(outcome, 11, "no answer within 1s");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
}

}  // namespace
}  // namespace podswitch::cni
