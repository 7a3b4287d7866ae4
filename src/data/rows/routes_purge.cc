// POST /v1/{experiment,dataset,project_logs}/{id}/purge: removes rows for good
// (GDPR) — from WAL chunks, segments, history and caches, and the attachments
// they referenced — and answers a receipt. Body: {"ids": [...]} or
// {"all": true}. store/purge.h does the store's part.
#include <boost/json/value_from.hpp>

#include "data/rows/object_access.h"
#include "data/rows/row_routes.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

constexpr size_t kMaxPurgeIds = 10000;

Result<store::PurgeRequest> ParsePurge(const json::object& body, std::string object_id) {
  store::PurgeRequest req;
  req.object_id = std::move(object_id);
  TV_ASSIGN_OR_RETURN(std::optional<bool> all, OptBool(body, "all"));
  TV_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> ids, OptStringArray(body, "ids"));
  for (const auto& kv : body)
    if (kv.key() != "all" && kv.key() != "ids")
      return InvalidArgument("unknown field '{}' (expected 'ids' or 'all')", kv.key());
  req.all = all.value_or(false);
  if (req.all == (ids && !ids->empty())) return InvalidArgument("pass either a non-empty 'ids' list or \"all\": true");
  if (ids) {
    if (ids->size() > kMaxPurgeIds) return InvalidArgument("at most {} ids per purge", kMaxPurgeIds);
    for (const auto& id : *ids)
      if (id.empty()) return InvalidArgument("'ids' must not contain empty strings");
    req.ids = std::move(*ids);
  }
  return req;
}

Result<http::Response> Purge(const RowsDeps& deps, http::RequestContext& ctx, store::ObjectKind kind) {
  TV_ASSIGN_OR_RETURN(store::ObjectRef ref, PathObject(ctx, kind));
  TV_ASSIGN_OR_RETURN(store::ObjectOwner owner,
                      ResolveObject(ctx, deps.tenancy, deps.store.catalog(), ref, Access::kWrite));
  TV_RETURN_IF_ERROR(http::Tenancy::RequireOwner(ctx.principal(), owner.org_id, "Purging rows"));
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(store::PurgeRequest req, ParsePurge(body, owner.object_id));
  TV_ASSIGN_OR_RETURN(store::PurgeReceipt receipt, deps.store.Purge(req));
  int64_t attachments = 0;
  for (const auto& key : receipt.attachment_keys) {
    TV_ASSIGN_OR_RETURN(bool deleted, deps.uploads.DeleteAttachment(owner.org_id, key));
    attachments += deleted ? 1 : 0;
  }
  json::object out = receipt.ToJson();
  out["all"] = req.all;
  out["attachments_deleted"] = attachments;
  return http::JsonOk(out);
}

}  // namespace

void AddPurgeRoutes(http::Router& router, const RowsDeps& deps) {
  for (auto kind : kRowObjectKinds) {
    router.Add(
        http::Method::kPost, fmt::format("/v1/{}/:id/purge", store::ObjectKindName(kind)),
        [deps, kind](http::RequestContext& ctx) { return Purge(deps, ctx, kind); }, http::RequestClass::kHeavy);
  }
}

}  // namespace tv::data
