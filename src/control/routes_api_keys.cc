// REST: /v1/api_key. A user sees and manages only their own keys.
#include "common/ids.h"
#include "control/routes_common.h"
#include "control/tables.h"

namespace tv::control {
namespace {

// Adds the owner's details the ApiKey schema carries.
json::object KeyView(const json::object& user, json::object key) {
  key["user_email"] = user.at("email");
  key["user_given_name"] = user.at("given_name");
  key["user_family_name"] = user.at("family_name");
  return key;
}

Result<json::object> KeyView(ControlPlane& cp, json::object key) {
  TV_ASSIGN_OR_RETURN(json::object user, cp.accounts().GetUser(StringField(key, "user_id")));
  return KeyView(user, std::move(key));
}

// The keys a caller may see: their user's, and, when the calling key is
// restricted to one organization, only keys restricted to that organization
// (an org-scoped key must not manage keys that reach other organizations).
void VisibleKeys(const Principal& caller, meta::SqlWhere& w) {
  w.Add("user_id = ?", {caller.user_id});
  if (!caller.api_key_org_id.empty()) w.Add("org_id = ?", {caller.api_key_org_id});
}

Result<json::object> OwnKey(ControlPlane& cp, http::RequestContext& ctx) {
  std::string id(ctx.Param("id"));
  if (!IsUuid(id)) return InvalidArgument("'{}' is not a valid api_key id (expected a UUID)", id);
  meta::SqlWhere w;
  w.Add("id = ?", {id});
  VisibleKeys(ctx.principal(), w);
  TV_ASSIGN_OR_RETURN(auto key, ApiKeysTable().FindWhere(cp.db(), w));
  if (!key) return NotFound("api_key '{}' not found", id);
  ctx.Touch("api_key", id, std::string((*key)["name"].as_string()));
  return KeyView(cp, std::move(*key));
}

Result<http::Response> ListKeys(ControlPlane& cp, http::RequestContext& ctx) {
  const auto& req = ctx.request();
  TV_ASSIGN_OR_RETURN(ListQuery q, ParseListQuery(req));
  auto org_name = QueryString(req, "org_name");
  std::optional<std::string> org_id;
  if (org_name) {
    TV_ASSIGN_OR_RETURN(OrgMembership m, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
    org_id = m.org_id;
  }
  auto name = QueryString(req, "api_key_name");
  TV_ASSIGN_OR_RETURN(auto keys, ApiKeysTable().List(
                                     cp.db(),
                                     [&](meta::SqlWhere& w) {
                                       VisibleKeys(ctx.principal(), w);
                                       if (org_id) w.Add("(org_id = ? OR org_id IS NULL)", {*org_id});
                                       if (name) w.Add("name = ?", {*name});
                                     },
                                     q));
  TV_ASSIGN_OR_RETURN(json::object user, cp.accounts().GetUser(ctx.principal().user_id));
  for (auto& k : keys) k = KeyView(user, std::move(k));
  return ListResponse(std::move(keys));
}

Result<http::Response> CreateKey(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string name, ReqString(body, "name"));
  TV_ASSIGN_OR_RETURN(auto org_name, OptString(body, "org_name"));
  std::optional<std::string> org_id;
  if (org_name) {
    TV_ASSIGN_OR_RETURN(OrgMembership m, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
    org_id = m.org_id;
  }
  // An org-scoped key can only mint keys scoped to the same organization.
  if (!ctx.principal().api_key_org_id.empty()) org_id = ctx.principal().api_key_org_id;
  NewApiKey created;
  TV_RETURN_IF_ERROR(cp.db().Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(created, cp.accounts().CreateApiKey(tx, ctx.principal().user_id, org_id, name, std::nullopt));
    return Status::Ok();
  }));
  TV_ASSIGN_OR_RETURN(json::object view, KeyView(cp, std::move(created.record)));
  view["key"] = created.key;
  ctx.Touch("api_key", std::string(view["id"].as_string()), name);
  return JsonOk(view);
}

Result<http::Response> GetKey(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object key, OwnKey(cp, ctx));
  return JsonOk(key);
}

Result<http::Response> DeleteKey(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object key, OwnKey(cp, ctx));
  std::string id(ctx.Param("id"));
  TV_RETURN_IF_ERROR(cp.db().Execute("DELETE FROM api_keys WHERE id = $1", {id}));
  return JsonOk(key);
}

}  // namespace

void AddApiKeyRoutes(http::Router& router, ControlPlane& cp) {
  static constexpr Route kRoutes[] = {
      {http::Method::kGet, "/v1/api_key", ListKeys},
      {http::Method::kPost, "/v1/api_key", CreateKey},
      {http::Method::kGet, "/v1/api_key/:id", GetKey},
      {http::Method::kDelete, "/v1/api_key/:id", DeleteKey},
  };
  AddRoutes(router, cp, kRoutes);
}

}  // namespace tv::control
