// MetricsServer: a small HTTP server for Prometheus scrapes (/metrics) and liveness probes
// (/healthz), on its own thread. Shared by podswitchd and podswitch-agent.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace httplib {
class Server;
}

namespace podswitch {

class MetricsServer {
 public:
  // `render` produces the Prometheus text exposition; `healthy` answers /healthz.
  MetricsServer(std::function<std::string()> render, std::function<bool()> healthy);
  ~MetricsServer();

  // Listens on "HOST:PORT" or ":PORT" (all addresses); returns the error when it cannot bind.
  absl::Status Start(const std::string& address);
  void Stop();

 private:
  std::function<std::string()> render_;
  std::function<bool()> healthy_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace podswitch
