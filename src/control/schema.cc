#include "control/schema.h"

namespace tv::control {

// On disk: never renumber or reorder; append only.
const std::vector<meta::Migration>& ControlMigrations() {
  static const auto* migrations = new std::vector<meta::Migration>{
      {1, "organizations, users, keys, projects, experiments, datasets", R"sql(
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  api_url TEXT,
  proxy_url TEXT,
  realtime_url TEXT,
  is_universal_api BIGINT,
  is_dataplane_private BIGINT,
  image_rendering_mode TEXT,
  created TEXT NOT NULL
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  given_name TEXT,
  family_name TEXT,
  avatar_url TEXT,
  password_hash TEXT,
  created TEXT NOT NULL
);
CREATE TABLE org_members (
  org_id TEXT NOT NULL REFERENCES organizations(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role TEXT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members(user_id);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  preview_name TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id),
  org_id TEXT REFERENCES organizations(id),
  created TEXT NOT NULL
);
CREATE INDEX api_keys_user ON api_keys(user_id, created, id);
CREATE TABLE projects (
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
)sql"},
      {2, "org-level AI provider secrets", R"sql(
CREATE TABLE ai_secrets (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organizations(id),
  name TEXT NOT NULL,
  type TEXT,
  metadata TEXT,
  secret_sealed TEXT,
  preview_secret TEXT,
  created TEXT NOT NULL,
  updated_at TEXT,
  secret_updated_at TEXT,
  secret_updated_by_user_id TEXT
);
CREATE UNIQUE INDEX ai_secrets_org_name ON ai_secrets(org_id, name);
CREATE INDEX ai_secrets_org_created ON ai_secrets(org_id, created, id);
)sql"},
  };
  return *migrations;
}

}  // namespace tv::control
