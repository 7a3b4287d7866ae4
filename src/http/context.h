// RequestContext: everything a handler knows about the request it serves —
// the request, who is asking, the path parameters, and the audit trail of
// resources it read or changed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/principal.h"
#include "http/message.h"

namespace tv::http {

using PathParams = std::vector<std::pair<std::string, std::string>>;

struct AuditResource {
  std::string type;  // "project", "experiment", "dataset", "organization", "api_key", ...
  std::string id;
  std::string name;
};

class RequestContext {
 public:
  RequestContext(const Request& request, std::string request_id)
      : request_(request), request_id_(std::move(request_id)) {}

  const Request& request() const { return request_; }
  const std::string& request_id() const { return request_id_; }

  const Principal& principal() const { return principal_; }
  void set_principal(Principal p) { principal_ = std::move(p); }

  // The value of path parameter `name`; empty when the route has none.
  std::string_view Param(std::string_view name) const {
    for (const auto& [k, v] : params_)
      if (k == name) return v;
    return {};
  }
  void set_params(PathParams params) { params_ = std::move(params); }

  // Records that this request read or changed a resource (audit headers).
  void Touch(std::string type, std::string id, std::string name) {
    for (const auto& r : audit_)
      if (r.type == type && r.id == id) return;
    audit_.push_back({std::move(type), std::move(id), std::move(name)});
  }
  const std::vector<AuditResource>& audit_resources() const { return audit_; }

  const std::string& normalized_path() const { return normalized_path_; }
  void set_normalized_path(std::string p) { normalized_path_ = std::move(p); }

 private:
  const Request& request_;
  std::string request_id_;
  Principal principal_;
  PathParams params_;
  std::vector<AuditResource> audit_;
  std::string normalized_path_;
};

}  // namespace tv::http
