// Unit tests for src/meta: the SQLite MetaStore on a temp-dir file,
// migrations, and the SqlWhere builder.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "common/ids.h"
#include "common/json.h"
#include "crypto/crypto.h"
#include "crypto/envelope.h"
#include "meta/meta_store.h"
#include "meta/sealed_column.h"
#include "meta/sql_where.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "test_support.h"

namespace tv::meta {
namespace {

using tv::testing::TempDir;

namespace fs = std::filesystem;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Open();
    ASSERT_TRUE(store_->Execute("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, note TEXT, x REAL)").ok());
  }

  std::unique_ptr<MetaStore> Open() {
    Result<std::unique_ptr<MetaStore>> s = OpenSqliteMetaStore({dir_.File("meta.db")});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }

  int64_t Count(MetaStore& db) {
    Result<Rows> r = db.Query("SELECT COUNT(*) AS n FROM t");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r->Int(0, "n");
  }

  TempDir dir_;
  std::unique_ptr<MetaStore> store_;
};

TEST_F(SqliteStoreTest, ExecuteAndQueryWithParams) {
  EXPECT_EQ(store_->dialect(), "sqlite");
  Result<int64_t> changed =
      store_->Execute("INSERT INTO t (id, n, note, x) VALUES ($1, $2, $3, $4)", {"a", int64_t{42}, Null(), 1.5});
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(*changed, 1);

  Result<Rows> rows = store_->Query("SELECT id, n, note, x FROM t WHERE id = $1", {"a"});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->Text(0, "id"), "a");
  EXPECT_EQ(rows->Int(0, "n"), 42);
  EXPECT_EQ(rows->OptText(0, "note"), std::nullopt);
  EXPECT_EQ(rows->Text(0, "note"), "");
  EXPECT_EQ(rows->OptText(0, "n"), std::optional<std::string>("42"));
  EXPECT_EQ(rows->Int(0, "x"), 1);
}

TEST_F(SqliteStoreTest, ParamsMayBeReusedAndReordered) {
  ASSERT_TRUE(store_->Execute("INSERT INTO t (id, n, note) VALUES ($2, $1, $2)", {int64_t{7}, "b"}).ok());
  Result<Rows> rows = store_->Query("SELECT note FROM t WHERE id = $1 AND n = $2", {"b", int64_t{7}});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->Text(0, "note"), "b");
}

TEST_F(SqliteStoreTest, ValuesAreNeverSplicedIntoSql) {
  std::string hostile = "x'); DROP TABLE t; --";
  ASSERT_TRUE(store_->Execute("INSERT INTO t (id) VALUES ($1)", {hostile}).ok());
  Result<Rows> rows = store_->Query("SELECT id FROM t");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Text(0, "id"), hostile);
}

TEST_F(SqliteStoreTest, ExecuteCountsChangedRows) {
  for (std::string id : {"a", "b", "c"})
    ASSERT_TRUE(store_->Execute("INSERT INTO t (id, n) VALUES ($1, 1)", {id}).ok());
  Result<int64_t> changed = store_->Execute("UPDATE t SET n = 2 WHERE id <> $1", {"a"});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 2);
  EXPECT_EQ(*store_->Execute("DELETE FROM t WHERE id = $1", {"zzz"}), 0);
}

TEST_F(SqliteStoreTest, MissingColumnsAndRowsReadAsDefaults) {
  Rows empty;
  EXPECT_EQ(empty.Text(0, "id"), "");
  EXPECT_EQ(empty.Int(3, "id"), 0);
  EXPECT_EQ(empty.OptText(0, "id"), std::nullopt);
  ASSERT_TRUE(store_->Execute("INSERT INTO t (id) VALUES ('a')").ok());
  Result<Rows> rows = store_->Query("SELECT id FROM t");
  EXPECT_EQ(rows->Text(0, "nope"), "");
  EXPECT_EQ(rows->Text(1, "id"), "");
}

TEST_F(SqliteStoreTest, TransactionCommits) {
  Status s = store_->Transaction([](MetaStore& tx) -> Status {
    TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO t (id) VALUES ($1)", {"a"}));
    TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO t (id) VALUES ($1)", {"b"}));
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Count(*store_), 2);
}

TEST_F(SqliteStoreTest, FailingCallbackRollsBackEverything) {
  Status s = store_->Transaction([](MetaStore& tx) -> Status {
    TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO t (id) VALUES ($1)", {"a"}));
    TV_RETURN_IF_ERROR(tx.Execute("CREATE TABLE side (x TEXT)"));
    return InvalidArgument("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "changed my mind");
  EXPECT_EQ(Count(*store_), 0);
  EXPECT_FALSE(store_->Query("SELECT * FROM side").ok()) << "DDL is rolled back too";
}

TEST_F(SqliteStoreTest, FailingStatementRollsBackEarlierOnes) {
  ASSERT_TRUE(store_->Execute("INSERT INTO t (id) VALUES ('dup')").ok());
  Status s = store_->Transaction([](MetaStore& tx) -> Status {
    TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO t (id) VALUES ($1)", {"new"}));
    TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO t (id) VALUES ($1)", {"dup"}));
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Count(*store_), 1);
}

TEST_F(SqliteStoreTest, NestedTransactionJoinsOuter) {
  Status s = store_->Transaction([](MetaStore& tx) -> Status {
    TV_RETURN_IF_ERROR(tx.Transaction(
        [](MetaStore& inner) -> Status { return inner.Execute("INSERT INTO t (id) VALUES ('inner')").status(); }));
    return Internal("outer fails");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Count(*store_), 0);
}

TEST_F(SqliteStoreTest, StoreIsUsableAfterRollback) {
  (void)store_->Transaction([](MetaStore&) -> Status { return Internal("x"); });
  EXPECT_TRUE(
      store_
          ->Transaction([](MetaStore& tx) -> Status { return tx.Execute("INSERT INTO t (id) VALUES ('ok')").status(); })
          .ok());
  EXPECT_EQ(Count(*store_), 1);
}

TEST_F(SqliteStoreTest, ConstraintViolationIsAlreadyExists) {
  ASSERT_TRUE(store_->Execute("INSERT INTO t (id) VALUES ($1)", {"a"}).ok());
  Result<int64_t> dup = store_->Execute("INSERT INTO t (id) VALUES ($1)", {"a"});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  // The cached statement is reusable after the failure.
  EXPECT_TRUE(store_->Execute("INSERT INTO t (id) VALUES ($1)", {"b"}).ok());
}

TEST_F(SqliteStoreTest, BadSqlIsInternal) {
  EXPECT_EQ(store_->Query("SELEKT nonsense").status().code(), StatusCode::kInternal);
  EXPECT_EQ(store_->Query("SELECT * FROM no_such_table").status().code(), StatusCode::kInternal);
  EXPECT_EQ(store_->ExecuteScript("CREATE TABLE ok1 (x); NOT SQL;").code(), StatusCode::kInternal);
}

TEST_F(SqliteStoreTest, DataSurvivesReopen) {
  ASSERT_TRUE(store_->Execute("INSERT INTO t (id, n) VALUES ('a', 5)").ok());
  store_.reset();
  std::unique_ptr<MetaStore> again = Open();
  Result<Rows> rows = again->Query("SELECT n FROM t WHERE id = 'a'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Int(0, "n"), 5);
}

TEST_F(SqliteStoreTest, ConcurrentTransactionsAllCommit) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        Status s = store_->Transaction([&](MetaStore& tx) -> Status {
          return tx.Execute("INSERT INTO t (id, n) VALUES ($1, $2)", {NewUuid(), int64_t{t}}).status();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Count(*store_), 80);
}

TEST(SqliteMemoryTest, InMemoryStoreWorks) {
  Result<std::unique_ptr<MetaStore>> s = OpenSqliteMetaStore({":memory:"});
  ASSERT_TRUE(s.ok());
  MetaStore& db = **s;
  ASSERT_TRUE(
      db.ExecuteScript("CREATE TABLE a (x TEXT); INSERT INTO a VALUES ('1'); INSERT INTO a VALUES ('2');").ok());
  EXPECT_EQ(db.Query("SELECT COUNT(*) AS n FROM a")->Int(0, "n"), 2);
  EXPECT_TRUE(db.Transaction([](MetaStore& tx) { return tx.Execute("INSERT INTO a VALUES ('3')").status(); }).ok());
}

TEST(SqliteOpenTest, UnopenablePathIsUnavailable) {
  Result<std::unique_ptr<MetaStore>> s = OpenSqliteMetaStore({"/nonexistent-dir-" + NewUuid() + "/x.db"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
}

// --- Migrations ---

const std::vector<Migration> kTwoMigrations = {
    {1, "first", "CREATE TABLE one (x TEXT);"},
    {2, "second", "CREATE TABLE two (y TEXT); INSERT INTO two VALUES ('seed');"},
};

class MigrateTest : public SqliteStoreTest {
 protected:
  int64_t AppliedCount(MetaStore& db) { return db.Query("SELECT COUNT(*) AS n FROM schema_migrations")->Int(0, "n"); }
};

TEST_F(MigrateTest, AppliesOnceAndIsIdempotent) {
  ASSERT_TRUE(Migrate(*store_, kTwoMigrations).ok());
  EXPECT_EQ(AppliedCount(*store_), 2);
  ASSERT_TRUE(Migrate(*store_, kTwoMigrations).ok());
  EXPECT_EQ(AppliedCount(*store_), 2);
  EXPECT_EQ(store_->Query("SELECT COUNT(*) AS n FROM two")->Int(0, "n"), 1) << "seed inserted once";

  store_.reset();
  std::unique_ptr<MetaStore> reopened = Open();
  ASSERT_TRUE(Migrate(*reopened, kTwoMigrations).ok());
  EXPECT_EQ(AppliedCount(*reopened), 2);
  Result<Rows> names = reopened->Query("SELECT version, name FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->Text(0, "name"), "first");
  EXPECT_EQ(names->Int(1, "version"), 2);
}

TEST_F(MigrateTest, AppliesOnlyNewerMigrations) {
  ASSERT_TRUE(Migrate(*store_, {kTwoMigrations[0]}).ok());
  EXPECT_EQ(AppliedCount(*store_), 1);
  ASSERT_TRUE(Migrate(*store_, kTwoMigrations).ok());
  EXPECT_EQ(AppliedCount(*store_), 2);
  EXPECT_TRUE(store_->Query("SELECT * FROM two").ok());
}

TEST_F(MigrateTest, DatabaseNewerThanBinaryIsAnError) {
  ASSERT_TRUE(Migrate(*store_, kTwoMigrations).ok());
  Status s = Migrate(*store_, {kTwoMigrations[0]});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("newer"), std::string::npos) << s.message();
  EXPECT_FALSE(Migrate(*store_, {}).ok());
}

TEST_F(MigrateTest, FailedMigrationLeavesNoTrace) {
  std::vector<Migration> bad = {
      kTwoMigrations[0],
      {2, "half", "CREATE TABLE half_done (x TEXT); CREATE TABLE one (x TEXT);"},  // second statement fails
  };
  Status s = Migrate(*store_, bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("half"), std::string::npos) << s.message();
  EXPECT_EQ(AppliedCount(*store_), 1) << "migration 1 stays applied";
  EXPECT_FALSE(store_->Query("SELECT * FROM half_done").ok()) << "migration 2 rolled back entirely";
  EXPECT_TRUE(Migrate(*store_, kTwoMigrations).ok()) << "a fixed binary can proceed";
}

// --- SqlWhere ---

TEST(SqlWhereTest, EmptyHasNoWhere) {
  SqlWhere w;
  EXPECT_EQ(w.Sql(), "");
  EXPECT_TRUE(w.params().empty());
}

TEST(SqlWhereTest, AddNumbersPlaceholders) {
  SqlWhere w;
  w.Add("deleted_at IS NULL")
      .Add("org_id = ?", {"o1"})
      .Add("(created < ? OR (created = ? AND id < ?))", {"t", "t", "i"});
  EXPECT_EQ(w.Sql(), " WHERE deleted_at IS NULL AND org_id = $1 AND (created < $2 OR (created = $3 AND id < $4))");
  ASSERT_EQ(w.params().size(), 4u);
  EXPECT_EQ(std::get<std::string>(w.params()[0]), "o1");
  EXPECT_EQ(std::get<std::string>(w.params()[3]), "i");
}

TEST(SqlWhereTest, InListAndEmptyIn) {
  SqlWhere w;
  w.Add("a = ?", {int64_t{1}}).In("id", {"x", "y"});
  EXPECT_EQ(w.Sql(), " WHERE a = $1 AND id IN ($2, $3)");
  EXPECT_EQ(w.params().size(), 3u);

  SqlWhere none;
  none.In("id", {});
  EXPECT_EQ(none.Sql(), " WHERE 1 = 0");
  EXPECT_TRUE(none.params().empty());
}

TEST(SqlWhereTest, BindContinuesNumbering) {
  SqlWhere w;
  w.Add("a = ?", {"x"});
  EXPECT_EQ(w.Bind(int64_t{10}), "$2");
  EXPECT_EQ(w.Bind(Null()), "$3");
  EXPECT_EQ(w.params().size(), 3u);
  EXPECT_EQ(w.Sql(), " WHERE a = $1") << "Bind adds no condition";
}

TEST(SqlWhereTest, ExtraQuestionMarksStayLiteral) {
  SqlWhere w;
  w.Add("a = ? AND b = '?'", {"x"});
  EXPECT_EQ(w.Sql(), " WHERE a = $1 AND b = '?'");
}

TEST_F(SqliteStoreTest, SqlWhereRunsAgainstSqlite) {
  for (std::string id : {"a", "b", "c"})
    ASSERT_TRUE(store_->Execute("INSERT INTO t (id, n) VALUES ($1, 1)", {id}).ok());
  SqlWhere w;
  w.Add("n = ?", {int64_t{1}}).In("id", {"a", "c", "zzz"});
  std::string limit = w.Bind(int64_t{10});
  Result<Rows> rows = store_->Query("SELECT id FROM t" + w.Sql() + " ORDER BY id LIMIT " + limit, w.params());
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->Text(1, "id"), "c");

  SqlWhere none;
  none.In("id", {});
  EXPECT_TRUE(store_->Query("SELECT id FROM t" + none.Sql(), none.params())->empty());
}

// --- Sealed columns ---

SealedColumn Secrets() {
  return {"secrets", "sealed", "org_id", "ai_secret", [](const std::string& owner, const std::string& id) {
            return crypto::SecretContext("ai_secret", owner, id);
          }};
}

TEST(OpenProviderSecretTest, OpensTheValueAndReadsTheColumns) {
  crypto::Keyring keys(crypto::RandomBytes(crypto::kMasterKeyBytes));
  Result<std::string> sealed = crypto::SealSecret(keys, "sk-plain", crypto::SecretContext("ai_secret", "org", "s1"));
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  Rows rows(
      {"id", "name", "kind", "metadata", "sealed"},
      {{"s1", "openai", "openai", R"({"api_base":"http://x"})", *sealed}, {"s2", "bare", Null(), "not json", Null()}});
  Result<ProviderSecret> first = OpenProviderSecret(rows, 0, keys, Secrets(), "kind", "org");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->id, "s1");
  EXPECT_EQ(first->name, "openai");
  EXPECT_EQ(first->type, "openai");
  EXPECT_EQ(first->secret, "sk-plain");
  EXPECT_EQ(StringField(first->metadata, "api_base"), "http://x");
  EXPECT_FALSE(first->project_level);

  Result<ProviderSecret> second = OpenProviderSecret(rows, 1, keys, Secrets(), "kind", "org");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->type, "");
  EXPECT_EQ(second->secret, "");
  EXPECT_TRUE(second->metadata.empty());
}

TEST(OpenProviderSecretTest, AValueBoundToAnotherOwnerIsInternal) {
  crypto::Keyring keys(crypto::RandomBytes(crypto::kMasterKeyBytes));
  Result<std::string> sealed = crypto::SealSecret(keys, "sk-plain", crypto::SecretContext("ai_secret", "org", "s1"));
  ASSERT_TRUE(sealed.ok());
  Rows rows({"id", "name", "type", "metadata", "sealed"}, {{"s1", "openai", "openai", Null(), *sealed}});
  Result<ProviderSecret> r = OpenProviderSecret(rows, 0, keys, Secrets(), "type", "other-org");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("ai_secret 's1' cannot be decrypted"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("sk-plain"), std::string::npos);
}

}  // namespace
}  // namespace tv::meta
