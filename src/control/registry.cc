#include "control/registry.h"

#include <cctype>

#include "common/ids.h"
#include "common/names.h"
#include "control/tables.h"
#include "meta/sql_where.h"

namespace tv::control {

std::string_view RegistrySchemaSql() {
  return R"sql(CREATE TABLE projects (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  description TEXT,
  user_id TEXT,
  settings TEXT,
  created TEXT NOT NULL,
  deleted_at TEXT
);
CREATE UNIQUE INDEX projects_org_name ON projects(org_id, name) WHERE deleted_at IS NULL;
CREATE INDEX projects_org_created ON projects(org_id, created, id);
CREATE TABLE experiments (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  description TEXT,
  repo_info TEXT,
  commit_sha TEXT,
  base_exp_id TEXT,
  dataset_id TEXT,
  dataset_version TEXT,
  parameters_id TEXT,
  parameters_version TEXT,
  internal_metadata TEXT,
  public BIGINT NOT NULL DEFAULT 0,
  user_id TEXT,
  metadata TEXT,
  tags TEXT,
  created TEXT NOT NULL,
  deleted_at TEXT
);
CREATE UNIQUE INDEX experiments_project_name ON experiments(project_id, name) WHERE deleted_at IS NULL;
CREATE INDEX experiments_project_created ON experiments(project_id, created, id);
CREATE TABLE datasets (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  description TEXT,
  user_id TEXT,
  metadata TEXT,
  tags TEXT,
  created TEXT NOT NULL,
  deleted_at TEXT
);
CREATE UNIQUE INDEX datasets_project_name ON datasets(project_id, name) WHERE deleted_at IS NULL;
CREATE INDEX datasets_project_created ON datasets(project_id, created, id);
)sql";
}
namespace {

const ObjectTable& TableFor(ObjectType type) {
  switch (type) {
    case ObjectType::kOrganization:
      return OrganizationsTable();
    case ObjectType::kProject:
      return ProjectsTable();
    case ObjectType::kExperiment:
      return ExperimentsTable();
    case ObjectType::kDataset:
      return DatasetsTable();
  }
  return ProjectsTable();
}

// The name-uniqueness scope of an object: its org for projects, else its project.
std::pair<std::string_view, std::string> NameScope(ObjectType type, const json::object& o) {
  if (type == ObjectType::kProject) return {"org_id", StringField(o, "org_id")};
  return {"project_id", StringField(o, "project_id")};
}

Result<bool> NameTaken(meta::MetaStore& tx, ObjectType type, const json::object& o, const std::string& name) {
  auto [col, scope] = NameScope(type, o);
  meta::SqlWhere w;
  w.Add("deleted_at IS NULL").Add(std::string(col) + " = ?", {scope}).Add("name = ?", {name});
  TV_ASSIGN_OR_RETURN(auto found, TableFor(type).FindWhere(tx, w));
  return found.has_value() && StringField(*found, "id") != StringField(o, "id");
}

}  // namespace

std::string DatasetSlug(std::string_view name) {
  std::string out;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out.push_back(static_cast<char>(std::tolower(u)));
    else if (!out.empty() && out.back() != '-')
      out.push_back('-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "dataset" : out;
}

json::object DatasetView(json::object dataset) {
  dataset["url_slug"] = DatasetSlug(StringField(dataset, "name"));
  return dataset;
}

Result<ObjectInfo> Registry::Resolve(ObjectType type, std::string_view id) const {
  ObjectInfo info;
  info.type = type;
  info.id = std::string(id);
  meta::Rows rows;
  switch (type) {
    case ObjectType::kOrganization: {
      TV_ASSIGN_OR_RETURN(rows,
                          db_.Query("SELECT id AS org_id, name FROM organizations WHERE id = $1", {std::string(id)}));
      break;
    }
    case ObjectType::kProject: {
      TV_ASSIGN_OR_RETURN(
          rows, db_.Query("SELECT org_id, name FROM projects WHERE id = $1 AND deleted_at IS NULL", {std::string(id)}));
      break;
    }
    case ObjectType::kExperiment:
    case ObjectType::kDataset: {
      std::string table = type == ObjectType::kExperiment ? "experiments" : "datasets";
      TV_ASSIGN_OR_RETURN(
          rows, db_.Query("SELECT p.org_id, o.name, p.id AS project_id, p.name AS project_name FROM " + table +
                              " o JOIN projects p ON p.id = o.project_id "
                              "WHERE o.id = $1 AND o.deleted_at IS NULL AND p.deleted_at IS NULL",
                          {std::string(id)}));
      break;
    }
  }
  if (rows.empty()) return NotFound("{} '{}' not found", ObjectTypeName(type), id);
  info.org_id = rows.Text(0, "org_id");
  info.name = rows.Text(0, "name");
  info.project_id = rows.Text(0, "project_id");
  info.project_name = rows.Text(0, "project_name");
  return info;
}

Result<ObjectInfo> Registry::FindProject(std::string_view org_id, std::string_view name) const {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT id, org_id, name FROM projects "
                                                 "WHERE org_id = $1 AND name = $2 AND deleted_at IS NULL",
                                                 {std::string(org_id), std::string(name)}));
  if (rows.empty()) return NotFound("project '{}' not found", name);
  ObjectInfo info;
  info.type = ObjectType::kProject;
  info.id = rows.Text(0, "id");
  info.org_id = rows.Text(0, "org_id");
  info.name = rows.Text(0, "name");
  return info;
}

Result<Created> Registry::EnsureProject(const std::string& org_id, const std::string& name,
                                        const std::optional<std::string>& description,
                                        const std::string& user_id) const {
  TV_RETURN_IF_ERROR(CheckName("name", name));
  Created out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    meta::SqlWhere w;
    w.Add("deleted_at IS NULL").Add("org_id = ?", {org_id}).Add("name = ?", {name});
    TV_ASSIGN_OR_RETURN(auto found, ProjectsTable().FindWhere(tx, w));
    if (found) {
      out = {std::move(*found), true};
      return Status::Ok();
    }
    json::object p{
        {"id", NewUuid()},    {"org_id", org_id},
        {"name", name},       {"description", description ? json::value(*description) : json::value(nullptr)},
        {"user_id", user_id}, {"settings", nullptr},
        {"created", Now()},   {"deleted_at", nullptr}};
    TV_RETURN_IF_ERROR(ProjectsTable().Insert(tx, p));
    out = {std::move(p), false};
    return Status::Ok();
  }));
  return out;
}

Result<std::optional<std::string>> Registry::ChooseBase(meta::MetaStore& tx, const std::string& project_id,
                                                        const BaseChoice& choice) const {
  using Opt = std::optional<std::string>;
  if (choice.base_exp_id) return Opt(*choice.base_exp_id);
  meta::SqlWhere w;
  w.Add("deleted_at IS NULL").Add("project_id = ?", {project_id});
  if (choice.base_experiment_name) {
    w.Add("name = ?", {*choice.base_experiment_name});
    TV_ASSIGN_OR_RETURN(auto found, ExperimentsTable().FindWhere(tx, w));
    if (!found) return InvalidArgument("base experiment '{}' not found in this project", *choice.base_experiment_name);
    return Opt(StringField(*found, "id"));
  }
  if (choice.ancestor_commits && !choice.ancestor_commits->empty()) {
    meta::SqlWhere wc = w;
    wc.In("commit_sha", *choice.ancestor_commits);
    TV_ASSIGN_OR_RETURN(auto found, ExperimentsTable().FindWhere(tx, wc));
    if (found) return Opt(StringField(*found, "id"));
  }
  if (choice.fall_back_to_latest) {
    TV_ASSIGN_OR_RETURN(auto found, ExperimentsTable().FindWhere(tx, w));
    if (found) return Opt(StringField(*found, "id"));
  }
  return Opt();
}

Result<Created> Registry::CreateExperiment(const ExperimentSpec& spec) const {
  Created out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    std::string name = spec.name.value_or("");
    if (!name.empty()) TV_RETURN_IF_ERROR(CheckName("name", name));
    if (name.empty()) {
      std::string branch;
      if (auto it = spec.fields.find("repo_info"); it != spec.fields.end() && it->value().is_object())
        branch = StringField(it->value().as_object(), "branch");
      name = (branch.empty() ? "experiment" : branch) + "-" + std::to_string(clock_.NowMicros() / 1000000);
    }
    json::object probe{{"project_id", spec.project_id}};
    TV_ASSIGN_OR_RETURN(bool taken, NameTaken(tx, ObjectType::kExperiment, probe, name));
    if (taken && spec.on_existing == OnExistingName::kReturnExisting) {
      meta::SqlWhere w;
      w.Add("deleted_at IS NULL").Add("project_id = ?", {spec.project_id}).Add("name = ?", {name});
      TV_ASSIGN_OR_RETURN(auto found, ExperimentsTable().FindWhere(tx, w));
      out = {std::move(*found), true};
      return Status::Ok();
    }
    if (taken) {
      std::string base = name;
      for (int i = 1; taken; ++i) {
        name = base + "-" + std::to_string(i);
        TV_ASSIGN_OR_RETURN(taken, NameTaken(tx, ObjectType::kExperiment, probe, name));
      }
    }
    TV_ASSIGN_OR_RETURN(std::optional<std::string> base_id, ChooseBase(tx, spec.project_id, spec.base));
    json::object e = spec.fields;
    e["id"] = NewUuid();
    e["project_id"] = spec.project_id;
    e["name"] = name;
    e["user_id"] = spec.user_id;
    e["created"] = Now();
    e["deleted_at"] = nullptr;
    e["base_exp_id"] = base_id ? json::value(*base_id) : json::value(nullptr);
    if (!e.contains("public")) e["public"] = false;
    if (auto it = e.find("repo_info"); it != e.end() && it->value().is_object())
      e["commit"] = it->value().as_object().contains("commit") ? it->value().as_object().at("commit") : nullptr;
    TV_RETURN_IF_ERROR(ExperimentsTable().Insert(tx, e));
    TV_ASSIGN_OR_RETURN(out.object, ExperimentsTable().Get(tx, StringField(e, "id"), "Experiment"));
    return Status::Ok();
  }));
  return out;
}

Result<Created> Registry::EnsureDataset(const std::string& project_id, const std::string& name,
                                        const json::object& fields, const std::string& user_id) const {
  TV_RETURN_IF_ERROR(CheckName("name", name));
  Created out;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    meta::SqlWhere w;
    w.Add("deleted_at IS NULL").Add("project_id = ?", {project_id}).Add("name = ?", {name});
    TV_ASSIGN_OR_RETURN(auto found, DatasetsTable().FindWhere(tx, w));
    if (found) {
      out = {DatasetView(std::move(*found)), true};
      return Status::Ok();
    }
    json::object d = fields;
    d["id"] = NewUuid();
    d["project_id"] = project_id;
    d["name"] = name;
    d["user_id"] = user_id;
    d["created"] = Now();
    d["deleted_at"] = nullptr;
    TV_RETURN_IF_ERROR(DatasetsTable().Insert(tx, d));
    TV_ASSIGN_OR_RETURN(json::object stored, DatasetsTable().Get(tx, StringField(d, "id"), "Dataset"));
    out = {DatasetView(std::move(stored)), false};
    return Status::Ok();
  }));
  return out;
}

Result<json::object> Registry::Get(ObjectType type, std::string_view id) const {
  TV_ASSIGN_OR_RETURN(json::object o, TableFor(type).Get(db_, id, ObjectTypeName(type)));
  return type == ObjectType::kDataset ? DatasetView(std::move(o)) : o;
}

Result<json::object> Registry::Patch(ObjectType type, std::string_view id, const json::object& patch) const {
  json::object result;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(json::object o, TableFor(type).Get(tx, id, ObjectTypeName(type)));
    if (auto it = patch.find("name"); it != patch.end())
      TV_RETURN_IF_ERROR(CheckName("name", it->value().is_string() ? std::string_view(it->value().as_string()) : ""));
    DeepMerge(o, patch);
    if (patch.contains("name") && type != ObjectType::kOrganization) {
      TV_ASSIGN_OR_RETURN(bool taken, NameTaken(tx, type, o, StringField(o, "name")));
      if (taken) return AlreadyExists("A {} named '{}' already exists", ObjectTypeName(type), StringField(o, "name"));
    }
    if (type == ObjectType::kExperiment && patch.contains("repo_info")) {
      const json::value& repo = o["repo_info"];
      o["commit"] = repo.is_object() && repo.as_object().contains("commit") ? repo.as_object().at("commit")
                                                                            : json::value(nullptr);
    }
    TV_RETURN_IF_ERROR(TableFor(type).Update(tx, o));
    TV_ASSIGN_OR_RETURN(result, TableFor(type).Get(tx, id, ObjectTypeName(type)));
    return Status::Ok();
  }));
  return type == ObjectType::kDataset ? DatasetView(std::move(result)) : result;
}

Result<json::object> Registry::SoftDelete(ObjectType type, std::string_view id) const {
  if (type == ObjectType::kOrganization) return InvalidArgument("Organizations cannot be deleted through the API");
  json::object o;
  TV_RETURN_IF_ERROR(db_.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(o, TableFor(type).Get(tx, id, ObjectTypeName(type)));
    o["deleted_at"] = Now();
    return TableFor(type).Update(tx, o);
  }));
  return type == ObjectType::kDataset ? DatasetView(std::move(o)) : o;
}

Result<json::object> Registry::BaseExperimentOf(std::string_view experiment_id) const {
  TV_ASSIGN_OR_RETURN(json::object e, ExperimentsTable().Get(db_, experiment_id, "Experiment"));
  std::string base_id = StringField(e, "base_exp_id");
  if (base_id.empty()) return NotFound("Experiment '{}' has no base experiment", experiment_id);
  TV_ASSIGN_OR_RETURN(auto base, ExperimentsTable().Find(db_, base_id));
  if (!base) return NotFound("The base experiment of '{}' no longer exists", experiment_id);
  return json::object{{"base_exp_id", base_id}, {"base_exp_name", StringField(*base, "name")}};
}

}  // namespace tv::control
