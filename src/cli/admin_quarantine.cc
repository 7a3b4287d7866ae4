// `tracevault admin quarantine`: finds every stored row of a data directory
// that cannot be decoded (WAL lines and segment rows an older build wrote
// with numbers JSON cannot carry, or any other undecodable bytes), records
// each in the quarantine table with its raw bytes, and compacts the objects
// it touched so the rest of each object is folded and served as before.
// `--dry-run` only prints; `--list` prints what is already recorded.
// docs/storage-format.md, "Quarantine". The servers on the directory must be
// stopped (the command takes DIR/keys/lock exclusively).
#include <filesystem>
#include <iostream>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/object_store_config.h"
#include "common/clock.h"
#include "common/log.h"
#include "crypto/master_key.h"
#include "data/data_plane.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "store/repair.h"
#include "store/span_store.h"

namespace tv::cli {
namespace {

struct QuarantineArgs {
  std::string data_dir = "./tracevault-data";
  bool dry_run = false;
  bool list = false;
  bool json = false;
  StoreFlags store;
};

void Print(const QuarantineArgs& a, const json::object& summary, const std::vector<store::QuarantineRecord>& records) {
  if (a.json) {
    json::object out = summary;
    json::array rows;
    for (const auto& r : records) rows.push_back(r.ToJson());
    out["rows"] = std::move(rows);
    std::cout << json::serialize(out) << "\n";
    return;
  }
  for (const auto& r : records)
    std::cout << r.object_id << "\t" << r.source_key << "\t" << r.position << "\t"
              << (r.row_id.empty() ? "-" : r.row_id) << "\t" << r.reason << "\n";
  std::cout << json::serialize(summary) << "\n";
}

Status Run(const QuarantineArgs& a) {
  ConfigureLogging("warn");  // diagnostics on stderr; stdout is the report
  if (!std::filesystem::exists(a.data_dir + "/data/meta.db"))
    return InvalidArgument("'{}' has no data plane database (data/meta.db)", a.data_dir);
  TV_ASSIGN_OR_RETURN(DataDir dir, PrepareDataDir(a.data_dir));
  crypto::MasterKeyConfig keys = crypto::MasterKeyConfigFromEnv("", dir.keys_dir());
  TV_ASSIGN_OR_RETURN(crypto::KeysLock lock, crypto::KeysLock::Acquire(keys, true));
  TV_ASSIGN_OR_RETURN(auto db, meta::OpenSqliteMetaStore({.path = dir.data_db()}));
  TV_RETURN_IF_ERROR(meta::Migrate(*db, data::DataMigrations()));
  TV_ASSIGN_OR_RETURN(auto objects, OpenObjectStore(a.store, dir));
  store::SpanStoreOptions options;
  options.compactor.background = false;
  options.compactor.grace = std::chrono::seconds(a.store.gc_grace_s);
  options.compactor.history_retention = std::chrono::hours(a.store.history_retention_hours);
  options.compactor.compress = options.writer.compress = a.store.compression;
  TV_ASSIGN_OR_RETURN(auto span_store, store::SpanStore::Open(*db, *objects, Clock::Real(), options));
  if (a.list) {
    TV_ASSIGN_OR_RETURN(auto recorded, span_store->quarantine().List());
    Print(a, json::object{{"recorded", recorded.size()}}, recorded);
    return Status::Ok();
  }
  TV_ASSIGN_OR_RETURN(std::vector<std::string> ids, span_store->catalog().AllObjects());
  std::vector<store::QuarantineRecord> found;
  std::vector<std::string> touched;
  json::array errors;
  for (const auto& id : ids) {
    Result<std::vector<store::QuarantineRecord>> rows = store::FindUndecodable(span_store->catalog(), *objects, id);
    if (!rows.ok()) {
      errors.push_back(json::object{{"object_id", id}, {"error", rows.status().message()}});
      continue;
    }
    if (!rows->empty()) touched.push_back(id);
    for (auto& r : *rows) found.push_back(std::move(r));
  }
  if (!a.dry_run) {
    for (const auto& r : found) TV_RETURN_IF_ERROR(span_store->quarantine().Record(r));
    TV_ASSIGN_OR_RETURN(store::CompactReport report, span_store->compactor().CompactAll(&touched));
    for (const auto& [id, error] : report.failed) errors.push_back(json::object{{"object_id", id}, {"error", error}});
  }
  json::object summary{{"objects_scanned", ids.size()},
                       {"objects_with_undecodable_rows", touched.size()},
                       {"undecodable_rows", found.size()},
                       {"recorded", !a.dry_run},
                       {"errors", std::move(errors)}};
  Print(a, summary, found);
  return summary.at("errors").as_array().empty() ? Status::Ok()
                                                 : Internal("some objects could not be scanned or compacted");
}

}  // namespace

void AddQuarantineAdminCommand(CLI::App& admin, int* exit_code) {
  auto args = std::make_shared<QuarantineArgs>();
  auto* cmd =
      admin.add_subcommand("quarantine",
                           "Find stored rows that cannot be decoded, record them in the quarantine and serve the rest "
                           "(stopped servers only)");
  cmd->add_option("--data-dir", args->data_dir, "Data directory")->envname("TRACEVAULT_DATA_DIR");
  cmd->add_flag("--dry-run", args->dry_run, "Only print what would be quarantined");
  cmd->add_flag("--list", args->list, "Print the rows already quarantined");
  cmd->add_flag("--json", args->json, "Print JSON");
  AddStoreFlags(*cmd, args->store);
  cmd->callback([args, exit_code] {
    Status s = Run(*args);
    if (!s.ok()) std::cerr << "error: " << s.message() << "\n";
    *exit_code = s.ok() ? 0 : (s.code() == StatusCode::kInvalidArgument ? 2 : 1);
  });
}

}  // namespace tv::cli
