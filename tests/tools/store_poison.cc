// Test tool: writes what an older build wrote for a metadata number outside
// the double range — a WAL line holding the text `Infinity` — into a stopped
// server's data directory, beneath every validation (the way a data dir
// poisoned by such a build looks). Used by tests/integration/quarantine.test.mjs.
//
//   tv-store-poison DATA_DIR OBJECT_ID ORG_ID PROJECT_ID ROW_ID
//
// Appends one committed WAL chunk for OBJECT_ID with two rows: ROW_ID with
// {"metadata":{"n":Infinity}}, and ROW_ID-ok, a good row. Prints the chunk key.
#include <iostream>

#include <fmt/format.h>

#include "common/clock.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "objstore/local/local_object_store.h"
#include "store/catalog.h"
#include "store/wal_chunk.h"

namespace {

tv::Status Poison(const std::string& dir, const std::string& object_id, const std::string& org,
                  const std::string& project, const std::string& row_id) {
  using namespace tv;
  TV_ASSIGN_OR_RETURN(auto db, meta::OpenSqliteMetaStore({.path = dir + "/data/meta.db"}));
  TV_ASSIGN_OR_RETURN(auto objects, objstore::OpenLocalObjectStore(dir + "/data/objects"));
  store::Catalog catalog(*db);
  TV_ASSIGN_OR_RETURN(store::XactId last, catalog.LoadWatermark());
  int64_t now = Clock::Real().NowMicros();
  store::XactId x = std::max(last + 1, store::XactAtTime(now));
  std::string xact = store::FormatXact(x);
  std::string experiment = object_id.substr(object_id.find(':') + 1);
  auto line = [&](const std::string& id, const std::string& metadata) {
    return fmt::format(R"({{"_xact_id":"{}","id":"{}","span_id":"{}","root_span_id":"{}","experiment_id":"{}",)"
                       R"("project_id":"{}","created":"{}","input":"in {}","metadata":{}}})"
                       "\n",
                       xact, id, id, id, experiment, project, FormatTimestamp(now), id, metadata);
  };
  std::string jsonl = line(row_id, R"({"n":Infinity})") + line(row_id + "-ok", R"({"n":1})");
  store::ChunkBuilder builder(false);
  builder.AddSection(object_id, jsonl, 2, x, x);
  store::ChunkCommit c;
  c.chunk_key = store::WalChunkKey(x, "0badc0de");
  c.min_xact = c.max_xact = x;
  c.sections = builder.sections();
  c.objects = {{object_id, org, project}};
  c.created = FormatTimestamp(now);
  std::string bytes = builder.Finish();
  c.bytes = bytes.size();
  TV_RETURN_IF_ERROR(objects->Put(c.chunk_key, bytes));
  TV_RETURN_IF_ERROR(catalog.Commit(c));
  std::cout << c.chunk_key << "\n";
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: tv-store-poison DATA_DIR OBJECT_ID ORG_ID PROJECT_ID ROW_ID\n";
    return 2;
  }
  tv::Status s = Poison(argv[1], argv[2], argv[3], argv[4], argv[5]);
  if (!s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
