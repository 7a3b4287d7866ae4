// EnvironmentStore: organization-level named environments ("production",
// "staging") and the version of each function they serve, in the tables of
// data-plane migration 4 (docs/prompts.md).
//
// It trusts the ids and organizations it is given: callers apply the tenancy
// rule first. Objects are returned as the API's JSON: an Environment is
// {id, org_id, name, slug, description, created, deleted_at}; an assignment is
// {object_type, object_id, environment_id, environment_slug, object_version,
// org_id, created}.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "meta/meta_store.h"
#include "store/xact.h"

namespace tv::functions {

struct EnvironmentWrite {
  json::object environment;
  bool found_existing = false;
};

class EnvironmentStore {
 public:
  EnvironmentStore(meta::MetaStore& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<std::optional<json::object>> Get(std::string_view id);
  Result<std::optional<json::object>> BySlug(std::string_view org_id, std::string_view slug);
  // Newest first; `ids` and `name` narrow when given.
  Result<std::vector<json::object>> List(const std::vector<std::string>& org_ids, const std::vector<std::string>& ids,
                                         const std::optional<std::string>& name);
  // Idempotent by (org_id, slug): an existing one is returned unchanged.
  Result<EnvironmentWrite> Ensure(const std::string& org_id, const std::string& name, const std::string& slug,
                                  const std::optional<std::string>& description);
  // `patch` holds name / slug / description; AlreadyExists when the new slug is taken.
  Result<json::object> Patch(std::string_view id, const json::object& patch);
  // Drops the environment and every assignment it has.
  Result<json::object> Delete(std::string_view id);

  // Points environment `env` (an Environment object) at `version` of function `object_id`.
  Result<json::object> Assign(const json::object& env, std::string_view object_id, store::XactId version);
  Result<std::optional<json::object>> Assignment(const json::object& env, std::string_view object_id);
  Result<std::vector<json::object>> Assignments(std::string_view object_id);
  Result<std::optional<json::object>> Unassign(const json::object& env, std::string_view object_id);

 private:
  meta::MetaStore& db_;
  const Clock& clock_;
};

}  // namespace tv::functions
