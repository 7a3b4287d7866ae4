// `tracevault admin ...`: operator commands on a data directory. They open the
// control database directly (SQLite in WAL mode with a busy timeout), so they
// work while a server is running on the same directory.
//
// Exit codes: 0 success, 1 the operation failed (message on stderr), 2 usage.
#include <cstdio>
#include <functional>
#include <iostream>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "common/clock.h"
#include "common/json.h"
#include "control/control_plane.h"
#include "control/tables.h"
#include "meta/sqlite/sqlite_meta_store.h"

namespace tv::cli {
namespace {

struct AdminArgs {
  std::string data_dir = "./tracevault-data";
  bool json = false;
  std::string org_name, email, name, role = "member", id;
  std::optional<std::string> api_key, password;
};

Result<std::unique_ptr<control::ControlPlane>> OpenControl(const AdminArgs& a) {
  TV_ASSIGN_OR_RETURN(DataDir dir, PrepareDataDir(a.data_dir));
  TV_ASSIGN_OR_RETURN(std::string secret, LoadOrCreateSecret(dir));
  TV_ASSIGN_OR_RETURN(auto db, meta::OpenSqliteMetaStore({.path = dir.control_db()}));
  return control::ControlPlane::Open(std::move(db), secret, {}, Clock::Real());
}

// Prints rows as JSON (--json) or one tab-separated line per row.
void PrintRows(const AdminArgs& a, const json::array& rows, const std::vector<std::string_view>& columns) {
  if (a.json) {
    std::cout << json::serialize(rows) << "\n";
    return;
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < columns.size(); ++i) line += (i ? "\t" : "") + StringField(r.as_object(), columns[i]);
    std::cout << line << "\n";
  }
}

Result<std::string> OrgIdByName(control::ControlPlane& cp, const std::string& name) {
  TV_ASSIGN_OR_RETURN(meta::Rows r, cp.db().Query("SELECT id FROM organizations WHERE name = $1", {name}));
  if (r.empty()) return NotFound("no organization is named '{}'", name);
  return r.Text(0, "id");
}

Result<std::string> UserIdByEmail(control::ControlPlane& cp, const std::string& email) {
  TV_ASSIGN_OR_RETURN(meta::Rows r, cp.db().Query("SELECT id FROM users WHERE email = $1", {email}));
  if (r.empty()) return NotFound("no user has the email '{}'", email);
  return r.Text(0, "id");
}

json::array ToArray(const meta::Rows& rows, const std::vector<std::string_view>& columns) {
  json::array out;
  for (size_t i = 0; i < rows.size(); ++i) {
    json::object o;
    for (auto c : columns) {
      auto v = rows.OptText(i, c);
      o[c] = v ? json::value(*v) : json::value(nullptr);
    }
    out.push_back(std::move(o));
  }
  return out;
}

Status CreateOrg(const AdminArgs& a) {
  TV_ASSIGN_OR_RETURN(auto cp, OpenControl(a));
  std::string email = a.email.empty() ? "admin@" + control::DatasetSlug(a.org_name) + ".local" : a.email;
  TV_ASSIGN_OR_RETURN(control::NewOrg org, cp->CreateOrgWithAdmin(a.org_name, email, a.api_key, a.password));
  if (a.json) {
    std::cout << json::serialize(json::object{{"org_id", org.org["id"]},
                                              {"org_name", org.org["name"]},
                                              {"user_id", org.user["id"]},
                                              {"user_email", org.user["email"]},
                                              {"api_key", org.api_key},
                                              {"api_key_id", org.api_key_id}})
              << "\n";
  } else {
    std::cout << "Created organization '" << StringField(org.org, "name") << "' (" << StringField(org.org, "id")
              << ")\n"
              << "Admin user: " << StringField(org.user, "email") << "\n"
              << "API key (shown once): " << org.api_key << "\n";
  }
  return Status::Ok();
}

Status CreateUser(const AdminArgs& a) {
  TV_ASSIGN_OR_RETURN(auto cp, OpenControl(a));
  if (a.role != "owner" && a.role != "member") return InvalidArgument("--role must be 'owner' or 'member'");
  TV_ASSIGN_OR_RETURN(std::string org_id, OrgIdByName(*cp, a.org_name));
  json::object user;
  TV_RETURN_IF_ERROR(cp->db().Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(user, cp->accounts().EnsureUser(tx, a.email, a.password));
    return cp->accounts().AddMember(tx, org_id, StringField(user, "id"), a.role);
  }));
  if (a.json)
    std::cout << json::serialize(user) << "\n";
  else
    std::cout << "User " << StringField(user, "email") << " (" << StringField(user, "id") << ") is a " << a.role
              << " of '" << a.org_name << "'\n";
  return Status::Ok();
}

Status CreateApiKey(const AdminArgs& a) {
  TV_ASSIGN_OR_RETURN(auto cp, OpenControl(a));
  TV_ASSIGN_OR_RETURN(std::string user_id, UserIdByEmail(*cp, a.email));
  std::optional<std::string> org_id;
  if (!a.org_name.empty()) {
    TV_ASSIGN_OR_RETURN(org_id, OrgIdByName(*cp, a.org_name));
  }
  control::NewApiKey key;
  TV_RETURN_IF_ERROR(cp->db().Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(key, cp->accounts().CreateApiKey(tx, user_id, org_id, a.name, a.api_key));
    return Status::Ok();
  }));
  key.record["key"] = key.key;
  if (a.json)
    std::cout << json::serialize(key.record) << "\n";
  else
    std::cout << "API key (shown once): " << key.key << "\n";
  return Status::Ok();
}

Status DeleteApiKey(const AdminArgs& a) {
  TV_ASSIGN_OR_RETURN(auto cp, OpenControl(a));
  TV_ASSIGN_OR_RETURN(int64_t n, cp->db().Execute("DELETE FROM api_keys WHERE id = $1", {a.id}));
  if (n == 0) return NotFound("no API key has the id '{}'", a.id);
  std::cout << "Deleted API key " << a.id << "\n";
  return Status::Ok();
}

Status CreateProject(const AdminArgs& a) {
  TV_ASSIGN_OR_RETURN(auto cp, OpenControl(a));
  TV_ASSIGN_OR_RETURN(std::string org_id, OrgIdByName(*cp, a.org_name));
  TV_ASSIGN_OR_RETURN(control::Created c, cp->registry().EnsureProject(org_id, a.name, std::nullopt, ""));
  if (a.json)
    std::cout << json::serialize(c.object) << "\n";
  else
    std::cout << (c.found_existing ? "Project exists: " : "Created project ") << StringField(c.object, "name") << " ("
              << StringField(c.object, "id") << ")\n";
  return Status::Ok();
}

Status List(const AdminArgs& a, const std::string& sql, const meta::SqlParams& params,
            const std::vector<std::string_view>& columns) {
  TV_ASSIGN_OR_RETURN(auto cp, OpenControl(a));
  TV_ASSIGN_OR_RETURN(meta::Rows rows, cp->db().Query(sql, params));
  PrintRows(a, ToArray(rows, columns), columns);
  return Status::Ok();
}

}  // namespace

void AddAdminCommands(CLI::App& app, int* exit_code) {
  auto* admin = app.add_subcommand("admin", "Operator commands on a data directory (safe while serving)");
  admin->require_subcommand(1);
  AddStoreAdminCommands(*admin, exit_code);
  AddKeyAdminCommands(*admin, exit_code);
  AddQuarantineAdminCommand(*admin, exit_code);
  auto args = std::make_shared<AdminArgs>();
  auto add = [&, args](const std::string& name, const std::string& help, std::function<Status()> fn) {
    auto* cmd = admin->add_subcommand(name, help);
    cmd->add_option("--data-dir", args->data_dir, "Data directory")->envname("TRACEVAULT_DATA_DIR");
    cmd->add_flag("--json", args->json, "Print JSON");
    cmd->callback([fn, exit_code] {
      Status s = fn();
      if (!s.ok()) std::cerr << "error: " << s.message() << "\n";
      *exit_code = s.ok() ? 0 : (s.code() == StatusCode::kInvalidArgument ? 2 : 1);
    });
    return cmd;
  };
  auto opt = [args](CLI::App* cmd, const std::string& flag, std::optional<std::string>& target,
                    const std::string& help) {
    cmd->add_option_function<std::string>(
        flag, [&target](const std::string& v) { target = v; }, help);
  };
  auto* c = add("create-org", "Create an organization with an admin user and an API key",
                [args] { return CreateOrg(*args); });
  c->add_option("--org-name", args->org_name, "Organization name")->required();
  c->add_option("--user-email", args->email, "Admin email (default admin@<org>.local; joins an existing user)");
  opt(c, "--api-key", args->api_key, "Use this API key instead of generating one");
  opt(c, "--password", args->password, "Password for a new admin user");

  add("list-orgs", "List organizations", [args] {
    return List(*args, "SELECT id, name, created FROM organizations ORDER BY created, name", {},
                {"id", "name", "created"});
  });

  c = add("create-user", "Create a user (or reuse one) and add it to an organization",
          [args] { return CreateUser(*args); });
  c->add_option("--email", args->email, "Email")->required();
  c->add_option("--org-name", args->org_name, "Organization")->required();
  c->add_option("--role", args->role, "owner or member")->capture_default_str();
  opt(c, "--password", args->password, "Password");

  c = add("list-users", "List users and their organizations", [args] {
    return List(*args,
                "SELECT u.id, u.email, o.name AS org_name, m.role FROM users u "
                "LEFT JOIN org_members m ON m.user_id = u.id LEFT JOIN organizations o ON o.id = m.org_id "
                "WHERE ($1 = '' OR o.name = $1) ORDER BY u.email, o.name",
                {args->org_name}, {"id", "email", "org_name", "role"});
  });
  c->add_option("--org-name", args->org_name, "Only this organization");

  c = add("create-api-key", "Create an API key for a user", [args] { return CreateApiKey(*args); });
  c->add_option("--user-email", args->email, "Owner")->required();
  c->add_option("--org-name", args->org_name, "Restrict the key to this organization");
  c->add_option("--name", args->name, "Key name");
  opt(c, "--api-key", args->api_key, "Use this key instead of generating one");

  c = add("list-api-keys", "List API keys (previews only)", [args] {
    return List(*args,
                "SELECT k.id, k.name, k.preview_name, u.email AS user_email, k.org_id, k.created FROM api_keys k "
                "JOIN users u ON u.id = k.user_id WHERE ($1 = '' OR u.email = $1) ORDER BY k.created",
                {args->email}, {"id", "name", "preview_name", "user_email", "org_id", "created"});
  });
  c->add_option("--user-email", args->email, "Only this user's keys");

  c = add("delete-api-key", "Revoke an API key", [args] { return DeleteApiKey(*args); });
  c->add_option("--id", args->id, "Key id")->required();

  c = add("create-project", "Create a project", [args] { return CreateProject(*args); });
  c->add_option("--org-name", args->org_name, "Organization")->required();
  c->add_option("--name", args->name, "Project name")->required();

  c = add("list-projects", "List live projects", [args] {
    return List(*args,
                "SELECT p.id, p.name, o.name AS org_name, p.created FROM projects p "
                "JOIN organizations o ON o.id = p.org_id WHERE p.deleted_at IS NULL AND ($1 = '' OR o.name = $1) "
                "ORDER BY p.created",
                {args->org_name}, {"id", "name", "org_name", "created"});
  });
  c->add_option("--org-name", args->org_name, "Only this organization");
}

}  // namespace tv::cli
