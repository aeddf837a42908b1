// FakeSwitch: an in-process fake of podswitchd's switch API for the agent's unit tests.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "dataplane/core/flow/flow_syntax.h"
#include "podswitch/switchd/v1/switchd.grpc.pb.h"

namespace podswitch::agent::fakes {

namespace v1 = switchd::v1;

// The part of podswitchd's switch API the agent's background loops use (ports, flows), with
// flows parsed and printed by the same flow syntax code as podswitchd, so dumps look like the
// real ones.
class FakeSwitch final : public v1::Switch::Service {
 public:
  grpc::Status CreatePort(grpc::ServerContext*, const v1::CreatePortRequest* request,
                          v1::CreatePortResponse* response) override {
    absl::MutexLock lock(&mu_);
    auto found = ports_.find(request->port().name());
    if (found != ports_.end()) {
      if (!request->may_exist()) return grpc::Status(grpc::ALREADY_EXISTS, "port exists");
      *response->mutable_port() = found->second;
      return grpc::Status::OK;
    }
    v1::Port port = request->port();
    port.set_ofport(next_ofport_++);
    port.set_link_state("up");
    ports_[port.name()] = port;
    *response->mutable_port() = port;
    return grpc::Status::OK;
  }

  grpc::Status ListPorts(grpc::ServerContext*, const v1::ListPortsRequest* request,
                         v1::ListPortsResponse* response) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, port] : ports_) {
      if (port.bridge() == request->bridge()) *response->add_ports() = port;
    }
    return grpc::Status::OK;
  }

  grpc::Status DeletePort(grpc::ServerContext*, const v1::DeletePortRequest* request,
                          v1::DeletePortResponse*) override {
    absl::MutexLock lock(&mu_);
    ports_.erase(request->name());
    return grpc::Status::OK;
  }

  grpc::Status AddFlows(grpc::ServerContext*, const v1::AddFlowsRequest* request,
                        v1::AddFlowsResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++change_calls_;
    std::vector<core::FlowSpec> parsed;
    for (const std::string& text : request->flows()) {
      auto spec = core::ParseFlow(text, core::FlowTextMode::kAdd, Resolver());
      if (!spec.ok())
        return grpc::Status(grpc::INVALID_ARGUMENT, std::string(spec.status().message()));
      parsed.push_back(*spec);
    }
    for (core::FlowSpec& spec : parsed) {
      // add-flow replaces a flow of the same table, priority and match.
      std::erase_if(flows_, [&](const core::FlowSpec& old) {
        return old.table == spec.table && old.priority == spec.priority &&
               core::FormatMatch(old.match) == core::FormatMatch(spec.match);
      });
      flows_.push_back(std::move(spec));
    }
    response->set_added(static_cast<uint32_t>(parsed.size()));
    return grpc::Status::OK;
  }

  grpc::Status DeleteFlows(grpc::ServerContext*, const v1::DeleteFlowsRequest* request,
                           v1::DeleteFlowsResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++change_calls_;
    auto filter = CookieFilter(request->filter());
    if (!filter.ok()) return grpc::Status(grpc::INVALID_ARGUMENT, filter.status().ToString());
    filter->strict = request->strict();
    if (!request->strict()) ++cookie_deletes_;
    size_t before = flows_.size();
    std::erase_if(flows_, [&](const core::FlowSpec& flow) { return Selected(*filter, flow); });
    response->set_deleted(static_cast<uint32_t>(before - flows_.size()));
    return grpc::Status::OK;
  }

  grpc::Status DumpFlows(grpc::ServerContext*, const v1::DumpFlowsRequest* request,
                         v1::DumpFlowsResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++dump_calls_;
    auto filter = CookieFilter(request->filter());
    if (!filter.ok()) return grpc::Status(grpc::INVALID_ARGUMENT, filter.status().ToString());
    for (const core::FlowSpec& flow : flows_) {
      if (!Selected(*filter, flow)) continue;
      v1::Flow* out = response->add_flows();
      out->set_table(flow.table);
      out->set_priority(flow.priority);
      out->set_cookie(flow.cookie);
      out->set_match(core::FormatMatch(flow.match));
      out->set_actions(core::FormatActions(flow.actions));
      out->set_text(core::FormatFlow(flow));
    }
    return grpc::Status::OK;
  }

  // Test side.
  std::vector<std::string> FlowTexts() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> texts;
    for (const core::FlowSpec& flow : flows_) texts.push_back(core::FormatFlow(flow));
    std::sort(texts.begin(), texts.end());
    return texts;
  }
  std::optional<v1::Port> Port(const std::string& name) {
    absl::MutexLock lock(&mu_);
    auto found = ports_.find(name);
    if (found == ports_.end()) return std::nullopt;
    return found->second;
  }
  void DeletePortDirectly(const std::string& name) {
    absl::MutexLock lock(&mu_);
    ports_.erase(name);
  }
  void PutPort(v1::Port port) {
    absl::MutexLock lock(&mu_);
    port.set_ofport(next_ofport_++);
    ports_[port.name()] = port;
  }
  void AddFlowDirectly(const std::string& text) {
    absl::MutexLock lock(&mu_);
    auto spec = core::ParseFlow(text, core::FlowTextMode::kAdd, Resolver());
    ASSERT_TRUE(spec.ok()) << spec.status();
    flows_.push_back(*spec);
  }
  void ClearFlows() {
    absl::MutexLock lock(&mu_);
    flows_.clear();
  }
  int dump_calls() {
    absl::MutexLock lock(&mu_);
    return dump_calls_;
  }
  // DeleteFlows calls that were not strict (whole cookies) so far.
  int cookie_deletes() {
    absl::MutexLock lock(&mu_);
    return cookie_deletes_;
  }
  // AddFlows and DeleteFlows calls so far.
  int change_calls() {
    absl::MutexLock lock(&mu_);
    return change_calls_;
  }

 private:
  struct Filter {
    uint64_t cookie = 0;
    uint64_t mask = 0;
    bool strict = false;  // then table, priority and match must be equal too
    core::FlowSpec spec;
  };

  core::PortNameResolver Resolver() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return [this](std::string_view name) -> std::optional<uint32_t> {
      auto found = ports_.find(std::string(name));
      if (found == ports_.end()) return std::nullopt;
      return found->second.ofport();
    };
  }
  static absl::StatusOr<Filter> CookieFilter(const std::string& text) {
    auto spec = core::ParseFlow(text, core::FlowTextMode::kMatchOnly);
    if (!spec.ok()) return spec.status();
    return Filter{.cookie = spec->cookie, .mask = spec->cookie_mask, .spec = *spec};
  }
  static bool Selected(const Filter& filter, const core::FlowSpec& flow) {
    if ((flow.cookie & filter.mask) != (filter.cookie & filter.mask)) return false;
    return !filter.strict ||
           (flow.table == filter.spec.table && flow.priority == filter.spec.priority &&
            core::FormatMatch(flow.match) == core::FormatMatch(filter.spec.match));
  }

  absl::Mutex mu_;
  std::map<std::string, v1::Port> ports_ ABSL_GUARDED_BY(mu_);
  std::vector<core::FlowSpec> flows_ ABSL_GUARDED_BY(mu_);
  uint32_t next_ofport_ ABSL_GUARDED_BY(mu_) = 2;
  int dump_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int change_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int cookie_deletes_ ABSL_GUARDED_BY(mu_) = 0;
};

// Polls `condition` until it holds or five seconds pass (the agent's loops run on threads).
inline bool Eventually(const std::function<bool()>& condition) {
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return condition();
}

}  // namespace podswitch::agent::fakes
