// REST: /v1/ai_secret (org-level AI provider secrets, write-only values), and
// the inter-plane POST /api/secret/reveal (docs/security.md).
#include <boost/json/array.hpp>

#include "common/ids.h"
#include "control/routes_common.h"
#include "crypto/crypto.h"

namespace tv::control {
namespace {

constexpr std::string_view kPlaneTokenHeader = "x-tracevault-plane-token";

Result<AiSecretStore*> Store(ControlPlane& cp) {
  if (AiSecretStore* s = cp.ai_secrets()) return s;
  return Unavailable("AI secrets are unavailable: this control plane was started without a master key");
}

// The secret `id` if it belongs to one of the caller's organizations.
Result<json::object> OwnSecret(ControlPlane& cp, http::RequestContext& ctx, std::string_view id) {
  if (!IsUuid(id)) return InvalidArgument("'{}' is not a valid ai_secret id (expected a UUID)", id);
  TV_ASSIGN_OR_RETURN(auto found, AiSecretsTable().Find(cp.db(), id));
  if (!found || !ctx.principal().FindOrg(StringField(*found, "org_id")))
    return NotFound("ai_secret '{}' not found", id);
  ctx.Touch("ai_secret", std::string(id), StringField(*found, "name"));
  return std::move(*found);
}

// Organization-level provider secrets are the organization's credentials:
// writing them is owner-only (the stopgap in docs/security.md).
Status RequireSecretsOwner(const http::RequestContext& ctx, std::string_view org_id) {
  return http::Tenancy::RequireOwner(ctx.principal(), org_id, "Changing the organization's AI secrets");
}

struct WriteRequest {
  std::string org_id;
  AiSecretFields fields;
};

Result<WriteRequest> ParseWrite(http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  WriteRequest w;
  TV_ASSIGN_OR_RETURN(w.fields, ParseAiSecretFields(body));
  if (!w.fields.name) return InvalidArgument("Field 'name' is required");
  TV_ASSIGN_OR_RETURN(auto org_name, OptString(body, "org_name"));
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
  TV_RETURN_IF_ERROR(RequireSecretsOwner(ctx, org.org_id));
  w.org_id = org.org_id;
  return w;
}

Result<http::Response> CreateSecret(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(AiSecretStore * store, Store(cp));
  TV_ASSIGN_OR_RETURN(WriteRequest w, ParseWrite(ctx));
  TV_ASSIGN_OR_RETURN(Created c, store->Create(w.org_id, w.fields, ctx.principal().user_id));
  ctx.Touch("ai_secret", StringField(c.object, "id"), *w.fields.name);
  return CreatedResponse(c);
}

Result<http::Response> ReplaceSecret(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(AiSecretStore * store, Store(cp));
  TV_ASSIGN_OR_RETURN(WriteRequest w, ParseWrite(ctx));
  TV_ASSIGN_OR_RETURN(json::object o, store->Replace(w.org_id, w.fields, ctx.principal().user_id));
  ctx.Touch("ai_secret", StringField(o, "id"), *w.fields.name);
  return JsonOk(o);
}

Result<http::Response> ListSecrets(ControlPlane& cp, http::RequestContext& ctx) {
  const auto& req = ctx.request();
  TV_ASSIGN_OR_RETURN(ListQuery q, ParseListQuery(req));
  TV_ASSIGN_OR_RETURN(auto orgs, http::Tenancy::OrgScope(ctx.principal(), QueryString(req, "org_name")));
  auto name = QueryString(req, "ai_secret_name");
  std::vector<std::string> types;
  for (auto t : req.QueryParams("ai_secret_type")) types.emplace_back(t);
  TV_ASSIGN_OR_RETURN(auto objects, AiSecretsTable().List(
                                        cp.db(),
                                        [&](meta::SqlWhere& w) {
                                          w.In("org_id", orgs);
                                          if (name) w.Add("name = ?", {*name});
                                          if (!types.empty()) w.In("type", types);
                                        },
                                        q));
  return ListResponse(std::move(objects));
}

Result<http::Response> DeleteByName(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(AiSecretStore * store, Store(cp));
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string name, ReqString(body, "name"));
  TV_ASSIGN_OR_RETURN(auto org_name, OptString(body, "org_name"));
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), std::nullopt, org_name));
  TV_RETURN_IF_ERROR(RequireSecretsOwner(ctx, org.org_id));
  meta::SqlWhere w;
  w.Add("org_id = ?", {org.org_id}).Add("name = ?", {name});
  TV_ASSIGN_OR_RETURN(auto found, AiSecretsTable().FindWhere(cp.db(), w));
  if (!found) return NotFound("ai_secret '{}' not found", name);
  TV_RETURN_IF_ERROR(store->Delete(StringField(*found, "id")));
  ctx.Touch("ai_secret", StringField(*found, "id"), name);
  return JsonOk(*found);
}

Result<http::Response> GetSecret(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object o, OwnSecret(cp, ctx, ctx.Param("id")));
  return JsonOk(o);
}

Result<http::Response> PatchSecret(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(AiSecretStore * store, Store(cp));
  TV_ASSIGN_OR_RETURN(json::object existing, OwnSecret(cp, ctx, ctx.Param("id")));
  TV_RETURN_IF_ERROR(RequireSecretsOwner(ctx, StringField(existing, "org_id")));
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(AiSecretFields fields, ParseAiSecretFields(body));
  TV_ASSIGN_OR_RETURN(json::object o, store->Patch(existing, fields, ctx.principal().user_id));
  return JsonOk(o);
}

Result<http::Response> DeleteSecret(ControlPlane& cp, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(AiSecretStore * store, Store(cp));
  TV_ASSIGN_OR_RETURN(json::object existing, OwnSecret(cp, ctx, ctx.Param("id")));
  TV_RETURN_IF_ERROR(RequireSecretsOwner(ctx, StringField(existing, "org_id")));
  TV_RETURN_IF_ERROR(store->Delete(StringField(existing, "id")));
  return JsonOk(existing);
}

// Plaintext for a data plane: the caller's bearer token (a member of org_id)
// plus the shared plane token.
Result<http::Response> Reveal(ControlPlane& cp, http::RequestContext& ctx) {
  if (cp.plane_token().empty())
    return PermissionDenied("This control plane shares no org-level secrets with data planes (no --plane-token)");
  auto presented = ctx.request().headers.Get(kPlaneTokenHeader);
  if (!presented || !crypto::ConstantTimeEquals(*presented, cp.plane_token()))
    return PermissionDenied("A valid {} header is required", kPlaneTokenHeader);
  TV_ASSIGN_OR_RETURN(AiSecretStore * store, Store(cp));
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string org_id, ReqString(body, "org_id"));
  if (!ctx.principal().FindOrg(org_id)) return NotFound("organization '{}' not found", org_id);
  TV_ASSIGN_OR_RETURN(auto secrets, store->Reveal(org_id));
  json::array out;
  for (auto& s : secrets)
    out.push_back(
        json::object{{"id", s.id}, {"name", s.name}, {"type", s.type}, {"metadata", s.metadata}, {"secret", s.secret}});
  return JsonOk(json::object{{"secrets", std::move(out)}});
}

}  // namespace

void AddAiSecretRoutes(http::Router& router, ControlPlane& cp) {
  static constexpr Route kRoutes[] = {
      {http::Method::kPost, "/v1/ai_secret", CreateSecret},
      {http::Method::kPut, "/v1/ai_secret", ReplaceSecret},
      {http::Method::kGet, "/v1/ai_secret", ListSecrets},
      {http::Method::kDelete, "/v1/ai_secret", DeleteByName},
      {http::Method::kGet, "/v1/ai_secret/:id", GetSecret},
      {http::Method::kPatch, "/v1/ai_secret/:id", PatchSecret},
      {http::Method::kDelete, "/v1/ai_secret/:id", DeleteSecret},
      {http::Method::kPost, "/api/secret/reveal", Reveal},
  };
  AddRoutes(router, cp, kRoutes);
}

}  // namespace tv::control
