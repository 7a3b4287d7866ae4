// The span store test harness shared by store_test and compaction_test: a
// SQLite catalog file, an object folder, a fake clock and the store over
// them, plus row builders.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "meta/meta_store.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "objstore/faulty_object_store.h"
#include "objstore/local/local_object_store.h"
#include "objstore/object_store.h"
#include "store/catalog.h"
#include "store/row_rules.h"
#include "store/scan.h"
#include "store/segment_set.h"
#include "store/span_store.h"
#include "test_support.h"

namespace tv::store {
namespace {

using tv::testing::FakeClock;
using tv::testing::TempDir;

namespace fs = std::filesystem;
using objstore::ObjectStore;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// 2026-11-23T09:20:29.024Z, the wire protocol's sample span.
constexpr int64_t kStart = int64_t{1795425629} * 1000000 + 24000;
constexpr int64_t kSecond = 1000000;

inline json::object Obj(std::string_view text) {
  Result<json::object> r = ParseJsonObject(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " in " << text;
  return r.ok() ? *r : json::object();
}

inline json::value Val(std::string_view text) {
  Result<json::value> r = ParseJson(text);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " in " << text;
  return r.ok() ? *r : json::value();
}

inline std::string Str(const json::object& o, std::string_view key) { return StringField(o, key); }

inline bool Is19Digits(std::string_view s) {
  return s.size() == 19 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

inline XactId RowXact(const json::object& row) {
  Result<XactId> x = ParseXact(Str(row, "_xact_id"), "_xact_id");
  EXPECT_TRUE(x.ok()) << "row without a valid _xact_id: " << row;
  return x.ok() ? *x : 0;
}

inline std::vector<std::string> Ids(const std::vector<RowPtr>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(Str(*r, "id"));
  return out;
}

inline std::map<std::string, RowPtr> ById(const std::vector<RowPtr>& rows) {
  std::map<std::string, RowPtr> out;
  for (const auto& r : rows) {
    bool fresh = out.emplace(Str(*r, "id"), r).second;
    EXPECT_TRUE(fresh) << "row listed twice: " << *r;
  }
  return out;
}

inline std::set<std::string> Sorted(std::vector<std::string> v) { return std::set<std::string>(v.begin(), v.end()); }

// The write-only control fields, none of which a read may return.
const std::vector<std::string> kControlFields = {"_is_merge",      "_merge_paths",           "_array_delete",
                                                 "_object_delete", "_audit_source",          "_audit_metadata",
                                                 "_parent_id",     "_async_scoring_control", "_skip_async_scoring"};

// An ObjectStore decorator the test can switch between a good store and a
// bad one (e.g. WrapWithFaults over the same folder), and make fail the next
// N Puts or Gets.
class SwitchableStore final : public ObjectStore {
 public:
  SwitchableStore(std::unique_ptr<ObjectStore> good, std::unique_ptr<ObjectStore> bad)
      : good_(std::move(good)), bad_(std::move(bad)) {}

  std::atomic<bool> use_bad{false};
  std::atomic<int> fail_puts{0};
  std::atomic<int> fail_gets{0};
  std::atomic<int> puts{0};
  std::atomic<int> gets{0};

  Status Put(std::string_view key, std::string_view data) override {
    ++puts;
    if (fail_puts.fetch_sub(1) > 0) return Unavailable("test: put {} failed", key);
    return Current().Put(key, data);
  }
  Result<std::string> Get(std::string_view key, std::optional<objstore::ByteRange> range) override {
    ++gets;
    if (fail_gets.fetch_sub(1) > 0) return Unavailable("test: get {} failed", key);
    return Current().Get(key, range);
  }
  Result<std::vector<objstore::ObjectEntry>> List(std::string_view prefix) override { return Current().List(prefix); }
  Status Delete(std::string_view key) override { return Current().Delete(key); }
  std::string Describe() const override { return "switchable(" + good_->Describe() + ")"; }

 private:
  ObjectStore& Current() { return use_bad.load() && bad_ ? *bad_ : *good_; }
  std::unique_ptr<ObjectStore> good_;
  std::unique_ptr<ObjectStore> bad_;
};

inline std::unique_ptr<ObjectStore> Local(const std::string& folder) {
  Result<std::unique_ptr<ObjectStore>> r = objstore::OpenLocalObjectStore(folder);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

// A span row as the SDK sends it (ids are 16 / 32 hex in real life; any
// string works for the store).
inline json::object Span(std::string_view id, std::string_view root, std::optional<std::string_view> parent,
                         std::string_view output) {
  json::object row{{"id", id}, {"span_id", id}, {"root_span_id", root}, {"output", output}};
  if (parent) row["span_parents"] = json::array{json::value(*parent)};
  return row;
}

// Harness shared by the SpanStore and fault fixtures: a SQLite catalog file,
// an object folder, a fake clock and the store over them.
class StoreTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenDb();
    ASSERT_TRUE(db_);
    Status s = meta::Migrate(*db_, {{1, "catalog", CatalogSchemaSql()},
                                    {2, "segments", SegmentSchemaSql()},
                                    {3, "quarantine", QuarantineSchemaSql()}});
    ASSERT_TRUE(s.ok()) << s.ToString();
    folder_ = dir_.File("objects");
    org_ = NewUuid();
    project_ = NewUuid();
  }

  void OpenDb() {
    Result<std::unique_ptr<meta::MetaStore>> db = meta::OpenSqliteMetaStore({.path = dir_.File("catalog.db")});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }

  static SpanStoreOptions Options(std::chrono::milliseconds deadline = std::chrono::milliseconds(5000)) {
    SpanStoreOptions o;
    o.writer.deadline = deadline;
    o.compactor.background = false;  // these tests look at the WAL as written
    return o;
  }

  // Opens the store over `objects` (default: the local folder).
  void Open(SpanStoreOptions options = Options(), std::unique_ptr<ObjectStore> objects = nullptr) {
    store_.reset();
    objects_ = objects ? std::move(objects) : Local(folder_);
    ASSERT_TRUE(objects_);
    Result<std::unique_ptr<SpanStore>> s = SpanStore::Open(*db_, *objects_, clock_, options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  // Destroys the store, its object store and the database handle, and opens
  // them again from the same file and folder.
  void Restart(SpanStoreOptions options = Options()) {
    store_.reset();
    objects_.reset();
    db_.reset();
    OpenDb();
    Open(options);
  }

  ObjectRef Experiment() { return {ObjectKind::kExperiment, NewUuid()}; }

  // The rows of one request to one object, normalized like /logs3 does.
  ObjectWrite W(const ObjectRef& ref, std::vector<json::object> rows) {
    ObjectWrite w;
    std::string project = ref.kind == ObjectKind::kProjectLogs ? ref.id : project_;
    w.owner = {ref.ObjectId(), org_, project};
    for (size_t i = 0; i < rows.size(); ++i) {
      Status s = NormalizeRow(rows[i], ref, project, clock_.NowMicros(), fmt::format("rows[{}]", i));
      EXPECT_TRUE(s.ok()) << s.ToString();
      w.rows.push_back(std::move(rows[i]));
    }
    return w;
  }

  Result<XactId> Write(std::vector<ObjectWrite> objects) {
    WriteBatch b;
    b.objects = std::move(objects);
    return store_->Write(std::move(b));
  }

  XactId MustWrite(std::vector<ObjectWrite> objects) {
    Result<XactId> x = Write(std::move(objects));
    EXPECT_TRUE(x.ok()) << x.status().ToString();
    return x.ok() ? *x : 0;
  }

  std::vector<RowPtr> Rows(const ObjectRef& ref, std::optional<XactId> as_of = std::nullopt) {
    ScanSpec spec;
    spec.objects = {ref.ObjectId()};
    spec.as_of = as_of;
    spec.limit = 100000;
    Result<ScanResult> r = store_->Scan(spec);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_FALSE(r->next.has_value());
    return r->rows;
  }

  Result<ScanResult> ScanWith(ScanSpec spec) { return store_->Scan(spec); }

  int64_t Count(std::string_view sql) {
    Result<meta::Rows> r = db_->Query(sql);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->Int(0, "n") : -1;
  }
  int64_t CountChunks() { return Count("SELECT COUNT(*) AS n FROM wal_chunk"); }

  std::vector<std::string> WalFiles() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(folder_) / "wal", ec))
      if (e.is_regular_file()) out.push_back(e.path().filename().string());
    return out;
  }

  struct Paged {
    std::vector<std::vector<RowPtr>> pages;
    std::vector<std::optional<ScanKey>> nexts;
    XactId snapshot = 0;
  };
  // Follows `next` from the first page to the last, pinning the first
  // page's snapshot; `between` runs before each later page.
  Paged PageAll(ScanSpec spec, const std::function<void(int)>& between = {}) {
    Paged out;
    for (int page = 0; page < 1000; ++page) {
      if (page > 0 && between) between(page);
      Result<ScanResult> r = store_->Scan(spec);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) break;
      if (page == 0) {
        out.snapshot = r->snapshot;
        spec.as_of = r->snapshot;
      }
      EXPECT_EQ(r->snapshot, out.snapshot) << "page " << page;
      out.pages.push_back(r->rows);
      out.nexts.push_back(r->next);
      if (!r->next) break;
      spec.after = r->next;
    }
    return out;
  }

  TempDir dir_;
  FakeClock clock_{kStart};
  std::unique_ptr<meta::MetaStore> db_;
  std::string folder_;
  std::unique_ptr<ObjectStore> objects_;
  std::unique_ptr<SpanStore> store_;
  std::string org_;
  std::string project_;
};

}  // namespace
}  // namespace tv::store
