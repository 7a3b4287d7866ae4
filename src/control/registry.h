// Registry: projects, experiments and datasets — their names, descriptions,
// settings, git metadata and links — and the id → organization lookups the
// tenancy check runs on.
//
// Creation is idempotent by name within the parent (a found object is
// returned with found_existing = true), except that experiments can ask for a
// fresh, suffixed name instead. Deletes are soft: deleted objects read as
// absent and free their name.
//
// Callers check tenancy (http::Tenancy) before calling: the registry trusts
// the ids it is given.
#pragma once

#include <string_view>

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/object_info.h"
#include "meta/meta_store.h"

namespace tv::control {

// The tables of projects, experiments and datasets: the second half of the
// control plane's migration 1 (schema.cc); never rewritten.
std::string_view RegistrySchemaSql();

struct Created {
  json::object object;
  bool found_existing = false;
};

enum class OnExistingName { kReturnExisting, kSuffixName };

// How to choose an experiment's base experiment when none is given by id.
struct BaseChoice {
  std::optional<std::string> base_exp_id;           // wins when set
  std::optional<std::string> base_experiment_name;  // then a name in the project
  std::optional<std::vector<std::string>> ancestor_commits;
  bool fall_back_to_latest = false;  // then the newest earlier experiment
};

struct ExperimentSpec {
  std::string project_id;
  std::optional<std::string> name;
  std::string user_id;
  json::object fields;  // description, repo_info, dataset_id, dataset_version, public, metadata, tags, ...
  BaseChoice base;
  OnExistingName on_existing = OnExistingName::kReturnExisting;
};

class Registry {
 public:
  Registry(meta::MetaStore& db, const Clock& clock) : db_(db), clock_(clock) {}

  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id) const;
  // The live project named `name` in organization `org_id`; NotFound when none.
  Result<ObjectInfo> FindProject(std::string_view org_id, std::string_view name) const;

  Result<Created> EnsureProject(const std::string& org_id, const std::string& name,
                                const std::optional<std::string>& description, const std::string& user_id) const;
  Result<Created> CreateExperiment(const ExperimentSpec& spec) const;
  Result<Created> EnsureDataset(const std::string& project_id, const std::string& name, const json::object& fields,
                                const std::string& user_id) const;

  Result<json::object> Get(ObjectType type, std::string_view id) const;
  // Deep-merges `patch` (already validated) into the object; renames must not collide.
  Result<json::object> Patch(ObjectType type, std::string_view id, const json::object& patch) const;
  Result<json::object> SoftDelete(ObjectType type, std::string_view id) const;

  // The experiment's base, as {base_exp_id, base_exp_name}; NotFound when none.
  Result<json::object> BaseExperimentOf(std::string_view experiment_id) const;

  meta::MetaStore& db() const { return db_; }

 private:
  Result<std::optional<std::string>> ChooseBase(meta::MetaStore& tx, const std::string& project_id,
                                                const BaseChoice& choice) const;
  std::string Now() const { return FormatTimestamp(clock_.NowMicros()); }

  meta::MetaStore& db_;
  const Clock& clock_;
};

// The URL slug the UI uses for a dataset name.
std::string DatasetSlug(std::string_view name);
// Adds the computed fields the API returns (Dataset.url_slug).
json::object DatasetView(json::object dataset);

}  // namespace tv::control
