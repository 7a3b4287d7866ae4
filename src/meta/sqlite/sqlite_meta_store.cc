#include "meta/sqlite/sqlite_meta_store.h"

#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include "common/mutex.h"

namespace tv::meta {
namespace {

// One sqlite3 handle and its statement cache. Used by one thread at a time.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st);
    sqlite3_close_v2(db_);
  }

  Status Exec(std::string_view script) {
    char* err = nullptr;
    std::string s(script);
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return ErrorFor(sqlite3_extended_errcode(db_), msg);
    }
    return Status::Ok();
  }

  Result<Rows> Run(std::string_view sql, const SqlParams& params, int64_t* changes) {
    TV_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql));
    TV_RETURN_IF_ERROR(Bind(st, params));
    std::vector<std::string> columns;
    int ncol = sqlite3_column_count(st);
    for (int i = 0; i < ncol; ++i) columns.emplace_back(sqlite3_column_name(st, i));
    std::vector<std::vector<SqlValue>> rows;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) rows.push_back(ReadRow(st, ncol));
    Status result = rc == SQLITE_DONE ? Status::Ok() : ErrorFor(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    TV_RETURN_IF_ERROR(result);
    if (changes) *changes = sqlite3_changes64(db_);
    return Rows(std::move(columns), std::move(rows));
  }

 private:
  static Status ErrorFor(int code, std::string_view msg) {
    if ((code & 0xff) == SQLITE_CONSTRAINT) return AlreadyExists("constraint violated: {}", msg);
    if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) return Unavailable("database busy: {}", msg);
    return Internal("sqlite: {}", msg);
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
        SQLITE_OK)
      return Internal("sqlite prepare failed: {} in: {}", sqlite3_errmsg(db_), key);
    cache_.emplace(std::move(key), st);
    return st;
  }

  Status Bind(sqlite3_stmt* st, const SqlParams& params) {
    for (size_t i = 0; i < params.size(); ++i) {
      std::string name = "$" + std::to_string(i + 1);
      int idx = sqlite3_bind_parameter_index(st, name.c_str());
      if (idx == 0) continue;  // parameter not used by this statement
      const SqlValue& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v))
        rc = sqlite3_bind_null(st, idx);
      else if (auto* n = std::get_if<int64_t>(&v))
        rc = sqlite3_bind_int64(st, idx, *n);
      else if (auto* d = std::get_if<double>(&v))
        rc = sqlite3_bind_double(st, idx, *d);
      else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text64(st, idx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return Internal("sqlite bind failed: {}", sqlite3_errmsg(db_));
    }
    return Status::Ok();
  }

  static std::vector<SqlValue> ReadRow(sqlite3_stmt* st, int ncol) {
    std::vector<SqlValue> row;
    row.reserve(ncol);
    for (int i = 0; i < ncol; ++i) {
      switch (sqlite3_column_type(st, i)) {
        case SQLITE_NULL:
          row.emplace_back(std::monostate{});
          break;
        case SQLITE_INTEGER:
          row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(st, i)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(sqlite3_column_double(st, i));
          break;
        default: {
          auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
          row.emplace_back(std::string(p ? p : "", sqlite3_column_bytes(st, i)));
        }
      }
    }
    return row;
  }

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// A MetaStore bound to one connection inside an open transaction.
class TxStore final : public MetaStore {
 public:
  explicit TxStore(Connection& c) : c_(c) {}
  std::string_view dialect() const override { return "sqlite"; }
  Result<Rows> Query(std::string_view sql, const SqlParams& params) override { return c_.Run(sql, params, nullptr); }
  Result<int64_t> Execute(std::string_view sql, const SqlParams& params) override {
    int64_t changes = 0;
    TV_RETURN_IF_ERROR(c_.Run(sql, params, &changes));
    return changes;
  }
  Status ExecuteScript(std::string_view sql) override { return c_.Exec(sql); }
  Status Transaction(const std::function<Status(MetaStore&)>& fn) override { return fn(*this); }

 private:
  Connection& c_;
};

class SqliteMetaStore final : public MetaStore {
 public:
  explicit SqliteMetaStore(std::vector<std::unique_ptr<Connection>> conns) : all_(std::move(conns)) {
    for (auto& c : all_) free_.push_back(c.get());
  }

  std::string_view dialect() const override { return "sqlite"; }

  Result<Rows> Query(std::string_view sql, const SqlParams& params) override {
    Lease l(*this);
    return l.conn->Run(sql, params, nullptr);
  }

  Result<int64_t> Execute(std::string_view sql, const SqlParams& params) override {
    Lease l(*this);
    int64_t changes = 0;
    TV_RETURN_IF_ERROR(l.conn->Run(sql, params, &changes));
    return changes;
  }

  Status ExecuteScript(std::string_view sql) override {
    Lease l(*this);
    return l.conn->Exec(sql);
  }

  Status Transaction(const std::function<Status(MetaStore&)>& fn) override {
    Lease l(*this);
    // IMMEDIATE takes the write lock up front, so two writers never deadlock
    // upgrading read locks; the busy timeout queues them instead.
    TV_RETURN_IF_ERROR(l.conn->Exec("BEGIN IMMEDIATE"));
    TxStore tx(*l.conn);
    Status s = fn(tx);
    if (s.ok()) s = l.conn->Exec("COMMIT");
    if (!s.ok()) (void)l.conn->Exec("ROLLBACK");
    return s;
  }

 private:
  struct Lease {
    explicit Lease(SqliteMetaStore& s) : store(s) {
      MutexLock lock(s.mu_);
      while (s.free_.empty()) s.cv_.Wait(s.mu_);
      conn = s.free_.back();
      s.free_.pop_back();
    }
    ~Lease() {
      {
        MutexLock lock(store.mu_);
        store.free_.push_back(conn);
      }
      store.cv_.Signal();
    }
    SqliteMetaStore& store;
    Connection* conn;
  };

  std::vector<std::unique_ptr<Connection>> all_;
  Mutex mu_;
  CondVar cv_;
  std::vector<Connection*> free_ GUARDED_BY(mu_);
};

Result<std::unique_ptr<Connection>> OpenConnection(const SqliteOptions& opt) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(opt.path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Unavailable("Cannot open database {}: {}", opt.path, msg);
  }
  sqlite3_busy_timeout(db, opt.busy_timeout_ms);
  auto conn = std::make_unique<Connection>(db);
  TV_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return conn;
}

}  // namespace

Result<std::unique_ptr<MetaStore>> OpenSqliteMetaStore(const SqliteOptions& options) {
  std::vector<std::unique_ptr<Connection>> conns;
  int n = options.path == ":memory:" ? 1 : std::max(1, options.pool_size);
  for (int i = 0; i < n; ++i) {
    TV_ASSIGN_OR_RETURN(auto c, OpenConnection(options));
    conns.push_back(std::move(c));
  }
  return std::unique_ptr<MetaStore>(std::make_unique<SqliteMetaStore>(std::move(conns)));
}

}  // namespace tv::meta
