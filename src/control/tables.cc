#include "control/tables.h"

namespace tv::control {
namespace {
constexpr ColumnKind kText = ColumnKind::kText;
constexpr ColumnKind kJson = ColumnKind::kJson;
constexpr ColumnKind kBool = ColumnKind::kBool;
}  // namespace

const ObjectTable& OrganizationsTable() {
  static const auto* t = new ObjectTable(TableSpec{"organizations",
                                                   {{"id", "id", kText},
                                                    {"name", "name", kText},
                                                    {"api_url", "api_url", kText},
                                                    {"proxy_url", "proxy_url", kText},
                                                    {"realtime_url", "realtime_url", kText},
                                                    {"is_universal_api", "is_universal_api", kBool},
                                                    {"is_dataplane_private", "is_dataplane_private", kBool},
                                                    {"image_rendering_mode", "image_rendering_mode", kText},
                                                    {"created", "created", kText}},
                                                   false});
  return *t;
}

const ObjectTable& ProjectsTable() {
  static const auto* t = new ObjectTable(TableSpec{"projects",
                                                   {{"id", "id", kText},
                                                    {"org_id", "org_id", kText},
                                                    {"name", "name", kText},
                                                    {"description", "description", kText},
                                                    {"user_id", "user_id", kText},
                                                    {"settings", "settings", kJson},
                                                    {"created", "created", kText},
                                                    {"deleted_at", "deleted_at", kText}},
                                                   true});
  return *t;
}

const ObjectTable& ExperimentsTable() {
  static const auto* t = new ObjectTable(TableSpec{"experiments",
                                                   {{"id", "id", kText},
                                                    {"project_id", "project_id", kText},
                                                    {"name", "name", kText},
                                                    {"description", "description", kText},
                                                    {"repo_info", "repo_info", kJson},
                                                    {"commit_sha", "commit", kText},
                                                    {"base_exp_id", "base_exp_id", kText},
                                                    {"dataset_id", "dataset_id", kText},
                                                    {"dataset_version", "dataset_version", kText},
                                                    {"parameters_id", "parameters_id", kText},
                                                    {"parameters_version", "parameters_version", kText},
                                                    {"internal_metadata", "internal_metadata", kJson},
                                                    {"public", "public", kBool},
                                                    {"user_id", "user_id", kText},
                                                    {"metadata", "metadata", kJson},
                                                    {"tags", "tags", kJson},
                                                    {"created", "created", kText},
                                                    {"deleted_at", "deleted_at", kText}},
                                                   true});
  return *t;
}

const ObjectTable& DatasetsTable() {
  static const auto* t = new ObjectTable(TableSpec{"datasets",
                                                   {{"id", "id", kText},
                                                    {"project_id", "project_id", kText},
                                                    {"name", "name", kText},
                                                    {"description", "description", kText},
                                                    {"user_id", "user_id", kText},
                                                    {"metadata", "metadata", kJson},
                                                    {"tags", "tags", kJson},
                                                    {"created", "created", kText},
                                                    {"deleted_at", "deleted_at", kText}},
                                                   true});
  return *t;
}

const ObjectTable& ApiKeysTable() {
  static const auto* t = new ObjectTable(TableSpec{"api_keys",
                                                   {{"id", "id", kText},
                                                    {"name", "name", kText},
                                                    {"preview_name", "preview_name", kText},
                                                    {"user_id", "user_id", kText},
                                                    {"org_id", "org_id", kText},
                                                    {"created", "created", kText}},
                                                   false});
  return *t;
}

}  // namespace tv::control
