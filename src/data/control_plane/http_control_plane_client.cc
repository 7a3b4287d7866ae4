#include <cctype>

#include <boost/json/array.hpp>

#include "common/json.h"
#include "data/control_plane/control_plane_client.h"
#include "http/outbound.h"

namespace tv::data {
namespace {

class HttpControlPlaneClient final : public ControlPlaneClient {
 public:
  HttpControlPlaneClient(std::string base_url, std::string plane_token, http::OutboundClient& outbound)
      : base_(std::move(base_url)), plane_token_(std::move(plane_token)), outbound_(outbound) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }

  Result<Principal> Authenticate(std::string_view token) override {
    TV_ASSIGN_OR_RETURN(http::ClientResponse res, Call(http::Method::kGet, "/api/self/me", token, ""));
    if (res.status == 401) return Unauthenticated("Invalid API key");
    TV_RETURN_IF_ERROR(Expect200(res));
    TV_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(res.body));
    Principal p;
    TV_ASSIGN_OR_RETURN(p.user_id, ReqString(body, "user_id"));
    TV_ASSIGN_OR_RETURN(auto email, OptString(body, "user_email"));
    TV_ASSIGN_OR_RETURN(auto key_id, OptString(body, "api_key_id"));
    p.user_email = email.value_or("");
    p.api_key_id = key_id.value_or("");
    TV_ASSIGN_OR_RETURN(auto key_org, OptString(body, "api_key_org_id"));
    p.api_key_org_id = key_org.value_or("");
    p.bearer_token = std::string(token);
    auto orgs = body.find("organizations");
    if (orgs != body.end() && orgs->value().is_array()) {
      for (const auto& o : orgs->value().as_array()) {
        if (!o.is_object()) continue;
        const auto& m = o.as_object();
        TV_ASSIGN_OR_RETURN(std::string id, ReqString(m, "id"));
        TV_ASSIGN_OR_RETURN(std::string name, ReqString(m, "name"));
        TV_ASSIGN_OR_RETURN(auto role, OptString(m, "role"));
        p.orgs.push_back({std::move(id), std::move(name), role.value_or("member")});
      }
    }
    return p;
  }

  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id, const Principal& caller) override {
    json::object req{{"object_type", ObjectTypeName(type)}, {"object_ids", json::array{json::string(id)}}};
    TV_ASSIGN_OR_RETURN(http::ClientResponse res,
                        Call(http::Method::kPost, "/api/self/get_object_info", caller.bearer_token, ToJson(req)));
    if (res.status == 404) return NotFound("{} '{}' not found", ObjectTypeName(type), id);
    if (res.status == 400) return InvalidArgument("'{}' is not a valid {} id", id, ObjectTypeName(type));
    TV_RETURN_IF_ERROR(Expect200(res));
    TV_ASSIGN_OR_RETURN(json::value v, ParseJson(res.body));
    if (!v.is_array() || v.as_array().empty() || !v.as_array()[0].is_object())
      return Unavailable("The control plane answered get_object_info with an unexpected body");
    const json::object& o = v.as_array()[0].as_object();
    ObjectInfo info;
    info.type = type;
    info.id = std::string(id);
    info.name = OptString(o, "object_name").value().value_or("");
    info.org_id = OptString(o, "org_id").value().value_or("");
    if (auto pc = o.find("parent_cols"); pc != o.end() && pc->value().is_object()) {
      if (auto pr = pc->value().as_object().find("project");
          pr != pc->value().as_object().end() && pr->value().is_object()) {
        info.project_id = OptString(pr->value().as_object(), "id").value().value_or("");
        info.project_name = OptString(pr->value().as_object(), "name").value().value_or("");
      }
    }
    return info;
  }

  Result<ObjectInfo> FindProject(std::string_view org_id, std::string_view name, const Principal& caller) override {
    const OrgMembership* org = caller.FindOrg(std::string(org_id));
    if (!org) return NotFound("project '{}' not found", name);
    std::string path = "/v1/project?project_name=" + QueryEscape(name) + "&org_name=" + QueryEscape(org->org_name);
    TV_ASSIGN_OR_RETURN(http::ClientResponse res, Call(http::Method::kGet, path, caller.bearer_token, ""));
    if (res.status == 404) return NotFound("project '{}' not found", name);
    TV_RETURN_IF_ERROR(Expect200(res));
    TV_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(res.body));
    const json::value* objects = body.if_contains("objects");
    if (objects && objects->is_array()) {
      for (const auto& o : objects->as_array()) {
        if (!o.is_object() || StringField(o.as_object(), "org_id") != org_id) continue;
        ObjectInfo info;
        info.type = ObjectType::kProject;
        info.id = StringField(o.as_object(), "id");
        info.org_id = std::string(org_id);
        info.name = StringField(o.as_object(), "name");
        return info;
      }
    }
    return NotFound("project '{}' not found", name);
  }

  Result<std::vector<ProviderSecret>> OrgProviderSecrets(std::string_view org_id, const Principal& caller) override {
    if (plane_token_.empty())
      return Unavailable(
          "Org-level AI secrets are unavailable: this data plane has no --plane-token "
          "(TRACEVAULT_PLANE_TOKEN) shared with its control plane");
    http::ClientRequest req;
    req.method = http::Method::kPost;
    req.url = base_ + "/api/secret/reveal";
    req.headers.Add("Authorization", "Bearer " + caller.bearer_token);
    req.headers.Add("x-tracevault-plane-token", plane_token_);
    req.headers.Add("Content-Type", "application/json");
    req.body = ToJson(json::object{{"org_id", org_id}});
    req.timeout = std::chrono::milliseconds(10000);
    Result<http::ClientResponse> res = outbound_.Fetch(req, {.token = caller.bearer_token, .idempotent = true});
    if (!res.ok()) return Unreachable(res.status());
    if (res->status == 404) return NotFound("organization '{}' not found", org_id);
    if (res->status == 403)
      return PermissionDenied(
          "The control plane refused to share org-level AI secrets: check that both planes "
          "have the same --plane-token");
    TV_RETURN_IF_ERROR(Expect200(*res));
    TV_ASSIGN_OR_RETURN(json::object body, ParseJsonObject(res->body));
    std::vector<ProviderSecret> out;
    const json::value* list = body.if_contains("secrets");
    if (!list || !list->is_array())
      return Unavailable("The control plane answered secret/reveal with an unexpected body");
    for (const auto& v : list->as_array()) {
      if (!v.is_object()) continue;
      const json::object& o = v.as_object();
      ProviderSecret s{
          StringField(o, "id"), StringField(o, "name"), StringField(o, "type"), StringField(o, "secret"), {}, false};
      if (const json::value* m = o.if_contains("metadata"); m && m->is_object()) s.metadata = m->as_object();
      out.push_back(std::move(s));
    }
    return out;
  }

  Status Health() override {
    TV_ASSIGN_OR_RETURN(http::ClientResponse res, Call(http::Method::kGet, "/health", "", ""));
    if (res.status != 200) return Unavailable("control plane health answered HTTP {}", res.status);
    return Status::Ok();
  }

 private:
  Result<http::ClientResponse> Call(http::Method method, std::string_view path, std::string_view token,
                                    std::string body) {
    http::ClientRequest req;
    req.method = method;
    req.url = base_ + std::string(path);
    if (!token.empty()) req.headers.Add("Authorization", "Bearer " + std::string(token));
    req.headers.Add("Accept", "application/json");
    if (!body.empty()) req.headers.Add("Content-Type", "application/json");
    req.body = std::move(body);
    req.timeout = std::chrono::milliseconds(10000);
    // Every call here only reads, so all are safe to retry.
    Result<http::ClientResponse> res = outbound_.Fetch(req, {.token = token, .idempotent = true});
    if (!res.ok()) return Unreachable(res.status());
    return res;
  }

  // The outbound rate limit's refusal travels unchanged (429 with Retry-After).
  static Status Unreachable(const Status& s) {
    if (s.code() == StatusCode::kResourceExhausted) return s;
    return Unavailable("The control plane is unreachable: {}", s.message());
  }

  // Percent-encodes everything but RFC 3986 unreserved characters.
  static std::string QueryEscape(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out += {'%', kHex[c >> 4], kHex[c & 15]};
      }
    }
    return out;
  }

  static Status Expect200(const http::ClientResponse& res) {
    if (res.status == 200) return Status::Ok();
    // Every call carries the caller's token: a 401 means the control plane no
    // longer accepts it (revoked while still in this plane's auth cache).
    if (res.status == 401) return Unauthenticated("Invalid API key");
    return Unavailable("The control plane answered HTTP {}: {}", res.status, res.body.substr(0, 200));
  }

  std::string base_;
  const std::string plane_token_;
  http::OutboundClient& outbound_;
};

}  // namespace

std::unique_ptr<ControlPlaneClient> MakeHttpControlPlaneClient(std::string base_url, std::string plane_token,
                                                               http::OutboundClient& outbound) {
  return std::make_unique<HttpControlPlaneClient>(std::move(base_url), std::move(plane_token), outbound);
}

}  // namespace tv::data
