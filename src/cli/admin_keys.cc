// `tracevault admin rotate-master-key`: re-wraps every sealed secret's data
// key under a new master key (docs/security.md, "Rotation"). The servers on
// the directory must be stopped (they hold DIR/keys/lock shared).
#include <filesystem>
#include <iostream>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "common/json.h"
#include "control/ai_secrets.h"
#include "control/schema.h"
#include "crypto/crypto.h"
#include "crypto/master_key.h"
#include "data/data_plane.h"
#include "data/secrets/secrets.h"
#include "meta/sqlite/sqlite_meta_store.h"

namespace tv::cli {
namespace {

struct RotateArgs {
  std::string data_dir = "./tracevault-data";
  std::string master_key_file;
  std::string new_key_file;
  bool json = false;
};

// One database holding sealed secrets, with its plane's rewrap.
struct SealedDb {
  std::string name;  // "control" or "data"
  std::unique_ptr<meta::MetaStore> db;
  Result<std::vector<std::string>> (*all_sealed)(meta::MetaStore&);
  Result<size_t> (*rewrap)(meta::MetaStore&, const crypto::Keyring&);
  Result<std::vector<std::string>> (*failing)(meta::MetaStore&, const crypto::Keyring&);
};

Result<std::vector<SealedDb>> OpenSealedDbs(const DataDir& dir) {
  std::vector<SealedDb> out;
  if (std::filesystem::exists(dir.control_db())) {
    TV_ASSIGN_OR_RETURN(auto db, meta::OpenSqliteMetaStore({.path = dir.control_db()}));
    TV_RETURN_IF_ERROR(meta::Migrate(*db, control::ControlMigrations()));
    out.push_back({"control", std::move(db), &control::AiSecretStore::AllSealed, &control::AiSecretStore::RewrapAll,
                   &control::AiSecretStore::FailingToOpen});
  }
  if (std::filesystem::exists(dir.data_db())) {
    TV_ASSIGN_OR_RETURN(auto db, meta::OpenSqliteMetaStore({.path = dir.data_db()}));
    TV_RETURN_IF_ERROR(meta::Migrate(*db, data::DataMigrations()));
    out.push_back(
        {"data", std::move(db), &data::Secrets::AllSealed, &data::Secrets::RewrapAll, &data::Secrets::FailingToOpen});
  }
  return out;
}

Result<std::string> NewKey(const RotateArgs& a, const crypto::MasterKeyConfig& config) {
  if (!a.new_key_file.empty()) return crypto::ReadMasterKeyFile(a.new_key_file);
  if (!config.managed())
    return InvalidArgument(
        "--new-key-file is required when the master key comes from --master-key-file, "
        "TRACEVAULT_MASTER_KEY_FILE or TRACEVAULT_MASTER_KEY");
  return crypto::RandomBytes(crypto::kMasterKeyBytes);
}

Status Rotate(const RotateArgs& a) {
  TV_ASSIGN_OR_RETURN(DataDir dir, PrepareDataDir(a.data_dir));
  crypto::MasterKeyConfig config = crypto::MasterKeyConfigFromEnv(a.master_key_file, dir.keys_dir());
  TV_ASSIGN_OR_RETURN(crypto::KeysLock lock, crypto::KeysLock::Acquire(config, true));
  if (config.managed() && !std::filesystem::exists(config.managed_key_file()))
    return InvalidArgument("'{}' does not exist: there is no master key to rotate (a server creates it on first start)",
                           config.managed_key_file());
  TV_ASSIGN_OR_RETURN(crypto::LoadedKeys loaded, crypto::LoadKeys(config));
  const crypto::Keyring& current = loaded.keyring;
  TV_ASSIGN_OR_RETURN(std::vector<SealedDb> dbs, OpenSealedDbs(dir));
  for (auto& d : dbs) {
    TV_ASSIGN_OR_RETURN(auto sealed, d.all_sealed(*d.db));
    TV_RETURN_IF_ERROR(crypto::CheckKeyIds(current, sealed, "the " + d.name + " plane database"));
  }
  TV_ASSIGN_OR_RETURN(std::string new_key, NewKey(a, config));
  std::string new_id = crypto::MasterKeyId(new_key);
  // Every key that may still be needed, until all rows are under the new one.
  std::vector<std::string> keep;
  for (const auto& k : current.old_keys())
    if (crypto::MasterKeyId(k) != new_id) keep.push_back(k);
  if (current.current_id() != new_id) keep.push_back(current.current());
  TV_RETURN_IF_ERROR(crypto::WriteKeyring(config, keep));
  if (config.managed()) TV_RETURN_IF_ERROR(crypto::WriteKeyFile(config.managed_key_file(), new_key));
  crypto::Keyring next(new_key);
  for (const auto& k : keep) next.AddOld(k);
  json::object rewrapped;
  for (auto& d : dbs) {
    TV_ASSIGN_OR_RETURN(size_t n, d.rewrap(*d.db, next));
    rewrapped[d.name] = n;
    TV_ASSIGN_OR_RETURN(auto sealed, d.all_sealed(*d.db));
    TV_RETURN_IF_ERROR(crypto::CheckKeyIds(crypto::Keyring(new_key), sealed, "the " + d.name + " plane database"));
  }
  TV_RETURN_IF_ERROR(crypto::WriteKeyring(config, {}));
  json::object out{{"old_key_id", current.current_id()},
                   {"new_key_id", new_id},
                   {"rewrapped", std::move(rewrapped)},
                   {"key_file", config.managed() ? json::value(config.managed_key_file()) : json::value(nullptr)}};
  if (a.json) {
    std::cout << json::serialize(out) << "\n";
  } else {
    std::cout << "Rotated the master key " << current.current_id() << " -> " << new_id << "\n";
    if (!config.managed())
      std::cout << "Configure the new master key (id " << new_id << ") before starting the servers again.\n";
  }
  return Status::Ok();
}

// Opens every sealed secret of DIR with the configured keys; safe while serving.
Status Verify(const RotateArgs& a) {
  TV_ASSIGN_OR_RETURN(DataDir dir, PrepareDataDir(a.data_dir));
  crypto::MasterKeyConfig config = crypto::MasterKeyConfigFromEnv(a.master_key_file, dir.keys_dir());
  if (config.managed() && !std::filesystem::exists(config.managed_key_file()))
    return InvalidArgument("'{}' does not exist: no master key to verify with", config.managed_key_file());
  TV_ASSIGN_OR_RETURN(crypto::LoadedKeys loaded, crypto::LoadKeys(config));
  TV_ASSIGN_OR_RETURN(std::vector<SealedDb> dbs, OpenSealedDbs(dir));
  json::object out{{"key_id", loaded.keyring.current_id()}};
  size_t bad = 0;
  for (auto& d : dbs) {
    TV_ASSIGN_OR_RETURN(auto sealed, d.all_sealed(*d.db));
    TV_ASSIGN_OR_RETURN(auto failing, d.failing(*d.db, loaded.keyring));
    json::array ids;
    for (auto& id : failing) ids.push_back(json::string(id));
    bad += failing.size();
    out[d.name] = json::object{{"sealed", sealed.size()}, {"failing", std::move(ids)}};
  }
  if (a.json)
    std::cout << json::serialize(out) << "\n";
  else
    std::cout << "Master key " << loaded.keyring.current_id() << ": " << bad << " sealed secret(s) fail to open\n";
  if (bad) return Internal("{} sealed secret(s) cannot be opened with the configured master key", bad);
  return Status::Ok();
}

}  // namespace

void AddKeyAdminCommands(CLI::App& admin, int* exit_code) {
  auto args = std::make_shared<RotateArgs>();
  auto* cmd = admin.add_subcommand("rotate-master-key",
                                   "Re-wrap every sealed secret under a new master key (servers must be stopped)");
  cmd->add_option("--data-dir", args->data_dir, "Data directory")->envname("TRACEVAULT_DATA_DIR");
  cmd->add_option("--master-key-file", args->master_key_file, "The current master key, when not DIR/keys/master.key")
      ->envname("TRACEVAULT_MASTER_KEY_FILE");
  cmd->add_option("--new-key-file", args->new_key_file, "The new master key (default: 32 random bytes)");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args, exit_code] {
    Status s = Rotate(*args);
    if (!s.ok()) std::cerr << "error: " << s.message() << "\n";
    *exit_code = s.ok() ? 0 : (s.code() == StatusCode::kInvalidArgument ? 2 : 1);
  });
  auto verify_args = std::make_shared<RotateArgs>();
  auto* verify = admin.add_subcommand("verify-secrets", "Check that every sealed secret opens with the master key");
  verify->add_option("--data-dir", verify_args->data_dir, "Data directory")->envname("TRACEVAULT_DATA_DIR");
  verify->add_option("--master-key-file", verify_args->master_key_file, "The master key, when not DIR/keys/master.key")
      ->envname("TRACEVAULT_MASTER_KEY_FILE");
  verify->add_flag("--json", verify_args->json, "Print JSON");
  verify->callback([verify_args, exit_code] {
    Status s = Verify(*verify_args);
    if (!s.ok()) std::cerr << "error: " << s.message() << "\n";
    *exit_code = s.ok() ? 0 : (s.code() == StatusCode::kInvalidArgument ? 2 : 1);
  });
}

}  // namespace tv::cli
