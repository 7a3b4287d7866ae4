// Unit tests for src/control: bootstrap, API keys and authentication, the
// object registry (names, base experiments, soft deletes, patches) and
// keyset pagination, on a temp-dir SQLite file with a fake clock.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include "common/ids.h"
#include "control/accounts.h"
#include "control/control_plane.h"
#include "control/registry.h"

#include "control/sessions.h"
#include "control/tables.h"
#include "crypto/crypto.h"
#include "http/info_routes.h"
#include "http/pipeline.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "test_support.h"

namespace tv::control {
namespace {

using tv::testing::FakeClock;

namespace fs = std::filesystem;

std::string Str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tv-control-test-" + NewUuid());
    fs::create_directories(dir_);
    auto db = meta::OpenSqliteMetaStore({(dir_ / "control.db").string()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto cp = ControlPlane::Open(std::move(*db), std::string(32, 'k'), {}, clock_);
    ASSERT_TRUE(cp.ok()) << cp.status().ToString();
    cp_ = std::move(*cp);
  }

  void TearDown() override {
    cp_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  NewOrg Bootstrap() {
    auto created = cp_->BootstrapIfEmpty(InitSettings{});
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_TRUE(created->has_value());
    return **created;
  }

  Registry& registry() { return cp_->registry(); }

  std::string NewProject(const std::string& name = "proj") {
    auto p = registry().EnsureProject(org_id_, name, std::nullopt, "user");
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return Str(p->object, "id");
  }

  // Creates an experiment and advances the clock so `created` values differ.
  json::object NewExperiment(const std::string& project_id, std::optional<std::string> name, BaseChoice base = {},
                             json::object fields = {}, OnExistingName on_existing = OnExistingName::kSuffixName) {
    ExperimentSpec spec;
    spec.project_id = project_id;
    spec.name = std::move(name);
    spec.user_id = "user";
    spec.fields = std::move(fields);
    spec.base = std::move(base);
    spec.on_existing = on_existing;
    auto e = registry().CreateExperiment(spec);
    clock_.Advance(1000);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? e->object : json::object{};
  }

  FakeClock clock_;
  fs::path dir_;
  std::unique_ptr<ControlPlane> cp_;
  std::string org_id_;  // set by RegistryTest
};

// Registry tests run in one organization created up front.
class RegistryTest : public ControlTest {
 protected:
  void SetUp() override {
    ControlTest::SetUp();
    org_id_ = NewOrgId("registry-org");
  }

  std::string NewOrgId(const std::string& name) {
    std::string id;
    Status s = cp_->db().Transaction([&](meta::MetaStore& tx) -> Status {
      TV_ASSIGN_OR_RETURN(json::object org, cp_->accounts().CreateOrg(tx, name));
      id = Str(org, "id");
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return id;
  }
};

// --- Bootstrap, keys, authentication ---

TEST(ControlOpenTest, ShortSecretIsRejected) {
  FakeClock clock;
  auto db = meta::OpenSqliteMetaStore({":memory:"});
  ASSERT_TRUE(db.ok());
  auto cp = ControlPlane::Open(std::move(*db), "short", {}, clock);
  EXPECT_EQ(cp.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ControlTest, BootstrapCreatesOnceThenReturnsNullopt) {
  NewOrg first = Bootstrap();
  EXPECT_EQ(Str(first.org, "name"), "tracevault");
  EXPECT_EQ(Str(first.user, "email"), "admin@localhost");
  EXPECT_TRUE(first.api_key.starts_with("sk-")) << first.api_key;
  EXPECT_EQ(first.api_key.size(), 3u + 48u);
  EXPECT_TRUE(IsUuid(first.api_key_id));

  auto again = cp_->BootstrapIfEmpty(InitSettings{});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(cp_->db().Query("SELECT COUNT(*) AS n FROM organizations")->Int(0, "n"), 1);
}

TEST_F(ControlTest, BootstrapWithExplicitKeyAndNames) {
  InitSettings init;
  init.org_name = "acme";
  init.user_email = "root@acme.test";
  init.api_key = "my-chosen-key-123";
  auto created = cp_->BootstrapIfEmpty(init);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)->api_key, "my-chosen-key-123");
  auto p = cp_->Authenticate("my-chosen-key-123");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->user_email, "root@acme.test");
  ASSERT_EQ(p->orgs.size(), 1u);
  EXPECT_EQ(p->orgs[0].org_name, "acme");
}

TEST_F(ControlTest, AuthenticateReturnsPrincipalWithOrg) {
  NewOrg org = Bootstrap();
  Result<Principal> p = cp_->Authenticate(org.api_key);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->authenticated());
  EXPECT_EQ(p->user_id, Str(org.user, "id"));
  EXPECT_EQ(p->user_email, "admin@localhost");
  EXPECT_EQ(p->api_key_id, org.api_key_id);
  ASSERT_EQ(p->orgs.size(), 1u);
  EXPECT_EQ(p->orgs[0].org_id, Str(org.org, "id"));
  EXPECT_EQ(p->orgs[0].org_name, "tracevault");
  EXPECT_EQ(p->orgs[0].role, "owner");
}

TEST_F(ControlTest, WrongKeyIsUnauthenticated) {
  NewOrg org = Bootstrap();
  for (std::string bad : {std::string("sk-wrong"), std::string(""), org.api_key + "x", org.api_key.substr(1)}) {
    Result<Principal> p = cp_->Authenticate(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kUnauthenticated);
  }
}

TEST_F(ControlTest, PlaintextKeyIsNeverStored) {
  NewOrg org = Bootstrap();
  auto rows = cp_->db().Query("SELECT key_hash, preview_name FROM api_keys");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  std::string hash = rows->Text(0, "key_hash");
  EXPECT_NE(hash, org.api_key);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos) << hash;
  EXPECT_EQ(hash, cp_->accounts().HashKey(org.api_key));
  std::string preview = rows->Text(0, "preview_name");
  EXPECT_EQ(preview, "sk-****" + org.api_key.substr(org.api_key.size() - 4));
}

TEST_F(ControlTest, HashDependsOnServerSecret) {
  Accounts other(cp_->db(), std::string(32, 'z'), clock_);
  EXPECT_NE(other.HashKey("sk-abc"), cp_->accounts().HashKey("sk-abc"));
}

TEST_F(ControlTest, CreateOrgWithExistingUserJoinsThem) {
  NewOrg first = Bootstrap();
  auto second = cp_->CreateOrgWithAdmin("second-org", "admin@localhost", std::nullopt, std::nullopt);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(Str(second->user, "id"), Str(first.user, "id"));
  EXPECT_NE(second->api_key, first.api_key);

  for (const std::string& key : {first.api_key, second->api_key}) {
    Result<Principal> p = cp_->Authenticate(key);
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p->orgs.size(), 2u);
    std::set<std::string> names{p->orgs[0].org_name, p->orgs[1].org_name};
    EXPECT_EQ(names, (std::set<std::string>{"tracevault", "second-org"}));
  }
  EXPECT_EQ(cp_->db().Query("SELECT COUNT(*) AS n FROM users")->Int(0, "n"), 1);
}

TEST_F(ControlTest, CreateOrgFailuresRollBack) {
  Bootstrap();
  auto dup = cp_->CreateOrgWithAdmin("tracevault", "other@x.test", std::nullopt, std::nullopt);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  auto bad_email = cp_->CreateOrgWithAdmin("new-org", "not-an-email", std::nullopt, std::nullopt);
  EXPECT_EQ(bad_email.status().code(), StatusCode::kInvalidArgument);
  auto short_key = cp_->CreateOrgWithAdmin("new-org", "new@x.test", std::string("short"), std::nullopt);
  EXPECT_EQ(short_key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cp_->db().Query("SELECT COUNT(*) AS n FROM organizations")->Int(0, "n"), 1);
  EXPECT_EQ(cp_->db().Query("SELECT COUNT(*) AS n FROM users")->Int(0, "n"), 1);
}

TEST_F(ControlTest, ReusedExplicitKeyIsAlreadyExists) {
  Bootstrap();
  auto again = cp_->CreateOrgWithAdmin("org2", "b@x.test", std::string("explicit-key-111"), std::nullopt);
  ASSERT_TRUE(again.ok());
  auto dup = cp_->CreateOrgWithAdmin("org3", "c@x.test", std::string("explicit-key-111"), std::nullopt);
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
}

TEST_F(ControlTest, OrgScopedKeySeesOnlyItsOrg) {
  NewOrg first = Bootstrap();
  auto second = cp_->CreateOrgWithAdmin("second-org", "admin@localhost", std::nullopt, std::nullopt);
  ASSERT_TRUE(second.ok());
  std::string second_id = Str(second->org, "id");
  NewApiKey scoped;
  ASSERT_TRUE(cp_->db()
                  .Transaction([&](meta::MetaStore& tx) -> Status {
                    TV_ASSIGN_OR_RETURN(scoped, cp_->accounts().CreateApiKey(tx, Str(first.user, "id"), second_id,
                                                                             "scoped", std::nullopt));
                    return Status::Ok();
                  })
                  .ok());
  Result<Principal> p = cp_->Authenticate(scoped.key);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->api_key_org_id, second_id);
  ASSERT_EQ(p->orgs.size(), 1u);
  EXPECT_EQ(p->orgs[0].org_id, second_id);
  EXPECT_EQ(cp_->Authenticate(first.api_key)->api_key_org_id, "") << "unscoped key";
}

TEST(AccountsTest, PreviewOf) {
  EXPECT_EQ(PreviewOf("sk-abcdefgh"), "sk-****efgh");
  EXPECT_EQ(PreviewOf("plainkey"), "****nkey");
  EXPECT_EQ(PreviewOf("abc"), "****abc");
  std::string k = GenerateApiKey();
  EXPECT_TRUE(k.starts_with("sk-"));
  EXPECT_EQ(k.size(), 51u);
}

// --- Registry ---

TEST_F(RegistryTest, EnsureProjectIsIdempotent) {
  auto a = registry().EnsureProject(org_id_, "p", std::string("desc"), "u");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FALSE(a->found_existing);
  auto b = registry().EnsureProject(org_id_, "p", std::nullopt, "u");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->found_existing);
  EXPECT_EQ(Str(a->object, "id"), Str(b->object, "id"));
  EXPECT_EQ(Str(b->object, "description"), "desc");
  auto other_org = registry().EnsureProject(NewOrgId("other-org"), "p", std::nullopt, "u");
  ASSERT_TRUE(other_org.ok());
  EXPECT_FALSE(other_org->found_existing) << "names are unique per organization";
  EXPECT_EQ(registry().EnsureProject(org_id_, "", std::nullopt, "u").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, ResolveReportsOrgAndProject) {
  std::string project = NewProject();
  json::object exp = NewExperiment(project, "e");
  auto pinfo = registry().Resolve(ObjectType::kProject, project);
  ASSERT_TRUE(pinfo.ok());
  EXPECT_EQ(pinfo->org_id, org_id_);
  EXPECT_EQ(pinfo->name, "proj");
  auto einfo = registry().Resolve(ObjectType::kExperiment, Str(exp, "id"));
  ASSERT_TRUE(einfo.ok());
  EXPECT_EQ(einfo->org_id, org_id_);
  EXPECT_EQ(einfo->project_id, project);
  EXPECT_EQ(einfo->project_name, "proj");
  EXPECT_EQ(registry().Resolve(ObjectType::kDataset, Str(exp, "id")).status().code(), StatusCode::kNotFound)
      << "ids are typed";
  EXPECT_EQ(registry().Resolve(ObjectType::kProject, NewUuid()).status().code(), StatusCode::kNotFound);
}

TEST_F(RegistryTest, SuffixNameOnTakenName) {
  std::string project = NewProject();
  EXPECT_EQ(Str(NewExperiment(project, "exp"), "name"), "exp");
  EXPECT_EQ(Str(NewExperiment(project, "exp"), "name"), "exp-1");
  EXPECT_EQ(Str(NewExperiment(project, "exp"), "name"), "exp-2");
}

TEST_F(RegistryTest, ReturnExistingGivesSameId) {
  std::string project = NewProject();
  json::object first = NewExperiment(project, "exp");
  ExperimentSpec spec;
  spec.project_id = project;
  spec.name = "exp";
  spec.on_existing = OnExistingName::kReturnExisting;
  auto again = registry().CreateExperiment(spec);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->found_existing);
  EXPECT_EQ(Str(again->object, "id"), Str(first, "id"));
}

TEST_F(RegistryTest, GeneratedNameUsesBranch) {
  std::string project = NewProject();
  json::object e = NewExperiment(project, std::nullopt, {}, json::object{{"repo_info", {{"branch", "main"}}}});
  EXPECT_EQ(Str(e, "name"), "main-1700000000");
  json::object f = NewExperiment(project, std::nullopt);
  EXPECT_TRUE(Str(f, "name").starts_with("experiment-")) << Str(f, "name");
}

TEST_F(RegistryTest, CommitComesFromRepoInfo) {
  std::string project = NewProject();
  json::object e = NewExperiment(project, "e", {}, json::object{{"repo_info", {{"commit", "abc123"}}}});
  EXPECT_EQ(Str(e, "commit"), "abc123");
  EXPECT_EQ(e.at("public"), false);
}

class BaseChoiceTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    project_ = NewProject();
    e1_ = Str(NewExperiment(project_, "e1", {}, json::object{{"repo_info", {{"commit", "c1"}}}}), "id");
    e2_ = Str(NewExperiment(project_, "e2", {}, json::object{{"repo_info", {{"commit", "c2"}}}}), "id");
    e3_ = Str(NewExperiment(project_, "e3"), "id");
  }

  std::string BaseOf(BaseChoice choice) {
    json::object e = NewExperiment(project_, std::nullopt, std::move(choice));
    latest_ = Str(e, "id");
    return Str(e, "base_exp_id");
  }

  std::string project_, e1_, e2_, e3_, latest_;
};

TEST_F(BaseChoiceTest, ExplicitIdWinsOverEverything) {
  BaseChoice c;
  c.base_exp_id = e1_;
  c.base_experiment_name = "e2";
  c.ancestor_commits = std::vector<std::string>{"c2"};
  c.fall_back_to_latest = true;
  EXPECT_EQ(BaseOf(c), e1_);
}

TEST_F(BaseChoiceTest, NameBeatsCommits) {
  BaseChoice c;
  c.base_experiment_name = "e1";
  c.ancestor_commits = std::vector<std::string>{"c2"};
  c.fall_back_to_latest = true;
  EXPECT_EQ(BaseOf(c), e1_);
}

TEST_F(BaseChoiceTest, UnknownNameIsInvalidArgument) {
  ExperimentSpec spec;
  spec.project_id = project_;
  spec.name = "new";
  spec.base.base_experiment_name = "nope";
  spec.base.fall_back_to_latest = true;
  auto r = registry().CreateExperiment(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("base experiment"), std::string::npos) << r.status().message();
  EXPECT_EQ(cp_->db().Query("SELECT COUNT(*) AS n FROM experiments WHERE name = 'new'")->Int(0, "n"), 0);
}

TEST_F(BaseChoiceTest, AncestorCommitsBeatLatest) {
  BaseChoice c;
  c.ancestor_commits = std::vector<std::string>{"zzz", "c1"};
  c.fall_back_to_latest = true;
  EXPECT_EQ(BaseOf(c), e1_);
}

TEST_F(BaseChoiceTest, NoMatchingCommitFallsBackToLatest) {
  BaseChoice c;
  c.ancestor_commits = std::vector<std::string>{"zzz"};
  c.fall_back_to_latest = true;
  EXPECT_EQ(BaseOf(c), e3_);
  std::string previous = latest_;
  EXPECT_EQ(BaseOf(c), previous) << "the experiment just created is now the latest";
}

TEST_F(BaseChoiceTest, NoMatchingCommitWithoutFallbackHasNoBase) {
  BaseChoice c;
  c.ancestor_commits = std::vector<std::string>{"zzz"};
  EXPECT_EQ(BaseOf(c), "");
  EXPECT_EQ(registry().BaseExperimentOf(latest_).status().code(), StatusCode::kNotFound);
}

TEST_F(BaseChoiceTest, BaseExperimentOf) {
  BaseChoice c;
  c.base_experiment_name = "e2";
  BaseOf(c);
  auto base = registry().BaseExperimentOf(latest_);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(Str(*base, "base_exp_id"), e2_);
  EXPECT_EQ(Str(*base, "base_exp_name"), "e2");
  EXPECT_EQ(registry().BaseExperimentOf(e1_).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry().BaseExperimentOf(NewUuid()).status().code(), StatusCode::kNotFound);

  ASSERT_TRUE(registry().SoftDelete(ObjectType::kExperiment, e2_).ok());
  EXPECT_EQ(registry().BaseExperimentOf(latest_).status().code(), StatusCode::kNotFound) << "deleted base";
}

TEST_F(RegistryTest, SoftDeleteHidesAndFreesName) {
  std::string project = NewProject();
  std::string id = Str(NewExperiment(project, "exp"), "id");
  auto deleted = registry().SoftDelete(ObjectType::kExperiment, id);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_FALSE(deleted->at("deleted_at").is_null());
  EXPECT_EQ(registry().Get(ObjectType::kExperiment, id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry().Resolve(ObjectType::kExperiment, id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry().SoftDelete(ObjectType::kExperiment, id).status().code(), StatusCode::kNotFound);

  json::object again = NewExperiment(project, "exp");
  EXPECT_EQ(Str(again, "name"), "exp") << "the name is free again";
  EXPECT_NE(Str(again, "id"), id);
}

TEST_F(RegistryTest, DeletedProjectHidesItsChildren) {
  std::string project = NewProject();
  std::string exp = Str(NewExperiment(project, "exp"), "id");
  ASSERT_TRUE(registry().SoftDelete(ObjectType::kProject, project).ok());
  EXPECT_EQ(registry().Resolve(ObjectType::kExperiment, exp).status().code(), StatusCode::kNotFound);
  auto fresh = registry().EnsureProject(org_id_, "proj", std::nullopt, "u");
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->found_existing);
  EXPECT_EQ(registry().SoftDelete(ObjectType::kOrganization, org_id_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, PatchDeepMergesMetadata) {
  std::string project = NewProject();
  std::string id =
      Str(NewExperiment(project, "exp", {}, json::object{{"metadata", {{"a", {{"x", 1}, {"y", 2}}}, {"keep", "k"}}}}),
          "id");
  auto patched =
      registry().Patch(ObjectType::kExperiment, id,
                       json::object{{"metadata", {{"a", {{"y", 3}}}, {"arr", json::array{1}}}}, {"description", "d"}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  json::object expected_meta = ParseJsonObject(R"({"a": {"x": 1, "y": 3}, "keep": "k", "arr": [1]})").value();
  EXPECT_EQ(patched->at("metadata"), expected_meta);
  EXPECT_EQ(Str(*patched, "description"), "d");
  EXPECT_EQ(registry().Get(ObjectType::kExperiment, id)->at("metadata"), expected_meta) << "persisted";
}

TEST_F(RegistryTest, PatchRenames) {
  std::string project = NewProject();
  std::string a = Str(NewExperiment(project, "a"), "id");
  NewExperiment(project, "b");
  auto clash = registry().Patch(ObjectType::kExperiment, a, json::object{{"name", "b"}});
  EXPECT_EQ(clash.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Str(*registry().Get(ObjectType::kExperiment, a), "name"), "a");
  EXPECT_TRUE(registry().Patch(ObjectType::kExperiment, a, json::object{{"name", "a"}}).ok()) << "own name";
  auto renamed = registry().Patch(ObjectType::kExperiment, a, json::object{{"name", "c"}});
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(Str(*renamed, "name"), "c");
  EXPECT_EQ(registry().Patch(ObjectType::kExperiment, NewUuid(), json::object{{"name", "z"}}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(RegistryTest, PatchCommitFollowsRepoInfo) {
  std::string project = NewProject();
  std::string id = Str(NewExperiment(project, "e", {}, json::object{{"repo_info", {{"commit", "c1"}}}}), "id");
  auto patched = registry().Patch(ObjectType::kExperiment, id, json::object{{"repo_info", {{"commit", "c9"}}}});
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ(Str(*patched, "commit"), "c9");
}

TEST_F(RegistryTest, DatasetsAreIdempotentWithSlug) {
  std::string project = NewProject();
  auto a = registry().EnsureDataset(project, "My Data Set!", json::object{{"description", "d"}}, "u");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FALSE(a->found_existing);
  EXPECT_EQ(Str(a->object, "url_slug"), "my-data-set");
  auto b = registry().EnsureDataset(project, "My Data Set!", {}, "u");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->found_existing);
  EXPECT_EQ(Str(a->object, "id"), Str(b->object, "id"));
  EXPECT_EQ(DatasetSlug(""), "dataset");
  EXPECT_EQ(DatasetSlug("--!!--"), "dataset");
  EXPECT_EQ(DatasetSlug("  A  b  "), "a-b");
}

// --- ObjectTable pagination ---

class ListTest : public RegistryTest {
 protected:
  void SetUp() override {
    RegistryTest::SetUp();
    for (int i = 0; i < 5; ++i) {
      ids_.push_back(NewProject("p" + std::to_string(i)));
      clock_.Advance(1000);
    }
  }

  // Names of the projects a list returns, in order.
  std::vector<std::string> Names(const ListQuery& q) {
    auto r = ProjectsTable().List(
        cp_->db(), [&](meta::SqlWhere& w) { w.Add("org_id = ?", {org_id_}); }, q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    if (r.ok())
      for (const auto& o : *r) out.push_back(Str(o, "name"));
    return out;
  }

  static ListQuery Q(int64_t limit, std::optional<std::string> after = {}, std::optional<std::string> before = {}) {
    ListQuery q;
    q.limit = limit;
    q.starting_after = std::move(after);
    q.ending_before = std::move(before);
    return q;
  }

  std::vector<std::string> ids_;  // p0 (oldest) .. p4 (newest)
};

TEST_F(ListTest, NewestFirstWithLimit) {
  EXPECT_EQ(Names(Q(1000)), (std::vector<std::string>{"p4", "p3", "p2", "p1", "p0"}));
  EXPECT_EQ(Names(Q(2)), (std::vector<std::string>{"p4", "p3"}));
}

TEST_F(ListTest, StartingAfter) {
  EXPECT_EQ(Names(Q(2, ids_[3])), (std::vector<std::string>{"p2", "p1"}));
  EXPECT_EQ(Names(Q(10, ids_[0])), (std::vector<std::string>{}));
}

TEST_F(ListTest, EndingBefore) {
  EXPECT_EQ(Names(Q(2, std::nullopt, ids_[1])), (std::vector<std::string>{"p3", "p2"}))
      << "the two just newer than p1, still newest first";
  EXPECT_EQ(Names(Q(10, std::nullopt, ids_[1])), (std::vector<std::string>{"p4", "p3", "p2"}));
  EXPECT_EQ(Names(Q(10, std::nullopt, ids_[4])), (std::vector<std::string>{}));
}

TEST_F(ListTest, IdsFilterAndDeletedRows) {
  ListQuery q = Q(10);
  q.ids = {ids_[0], ids_[2]};
  EXPECT_EQ(Names(q), (std::vector<std::string>{"p2", "p0"}));
  ASSERT_TRUE(registry().SoftDelete(ObjectType::kProject, ids_[2]).ok());
  EXPECT_EQ(Names(q), (std::vector<std::string>{"p0"}));
  EXPECT_EQ(Names(Q(10)).size(), 4u);
}

TEST_F(ListTest, UnknownCursorIsInvalidArgument) {
  auto r = ProjectsTable().List(
      cp_->db(), [&](meta::SqlWhere& w) { w.Add("org_id = ?", {org_id_}); }, Q(10, NewUuid()));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // A cursor from another scope is not accepted either.
  auto other = ProjectsTable().List(
      cp_->db(), [&](meta::SqlWhere& w) { w.Add("org_id = ?", {NewUuid()}); }, Q(10, ids_[0]));
  EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, PaginationWithEqualTimestampsVisitsEachOnce) {
  for (int i = 0; i < 6; ++i) NewProject("same" + std::to_string(i));  // clock not advanced
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  for (int page = 0; page < 10; ++page) {
    ListQuery q;
    q.limit = 1;
    q.starting_after = cursor;
    auto r = ProjectsTable().List(
        cp_->db(), [&](meta::SqlWhere& w) { w.Add("org_id = ?", {org_id_}); }, q);
    ASSERT_TRUE(r.ok());
    if (r->empty()) break;
    cursor = Str(r->front(), "id");
    seen.push_back(*cursor);
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 6u);
}

// ---- Sessions (human sign-in) ----

constexpr int64_t kHour = int64_t{3600} * 1000000;

TEST_F(ControlTest, SessionTokenIsStoredOnlyAsItsHmac) {
  NewOrg org = Bootstrap();
  const Sessions& sessions = cp_->sessions();
  auto created = sessions.Create(Str(org.user, "id"), "agent/1", "127.0.0.1");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->token.starts_with("tvs-")) << created->token;
  EXPECT_EQ(created->token.size(), 4u + 48u);
  EXPECT_EQ(created->session.csrf_token.size(), 32u);
  auto rows =
      cp_->db().Query("SELECT token_hash, user_agent, address FROM sessions WHERE id = $1", {created->session.id});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->Text(0, "token_hash"), sessions.HashToken(created->token));
  EXPECT_NE(rows->Text(0, "token_hash"), created->token);
  EXPECT_EQ(rows->Text(0, "user_agent"), "agent/1");

  auto found = sessions.Lookup(created->token);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, created->session.id);
  EXPECT_EQ(found->user_id, Str(org.user, "id"));
  EXPECT_EQ(found->csrf_token, created->session.csrf_token);
  EXPECT_EQ(sessions.Lookup(created->token + "x").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(sessions.Lookup("").status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ControlTest, SessionExpiresAfterTwelveIdleHoursUnlessTouched) {
  NewOrg org = Bootstrap();
  const Sessions& sessions = cp_->sessions();
  auto idle = sessions.Create(Str(org.user, "id"), "", "");
  auto used = sessions.Create(Str(org.user, "id"), "", "");
  ASSERT_TRUE(idle.ok() && used.ok());
  clock_.Advance(11 * kHour);
  auto touched = sessions.Touch(used->session);
  ASSERT_TRUE(touched.ok()) << touched.status().ToString();
  EXPECT_EQ(touched->idle_expires, clock_.NowMicros() + 12 * kHour);
  EXPECT_TRUE(sessions.Lookup(idle->token).ok());
  clock_.Advance(kHour);  // 12 h after creation: the idle one is gone
  EXPECT_EQ(sessions.Lookup(idle->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(sessions.Lookup(used->token).ok());
  clock_.Advance(11 * kHour - 1);
  EXPECT_TRUE(sessions.Lookup(used->token).ok());
  clock_.Advance(1);  // 12 h after its last use
  EXPECT_EQ(sessions.Lookup(used->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ControlTest, SessionEndsSevenDaysAfterCreationHoweverUsed) {
  NewOrg org = Bootstrap();
  const Sessions& sessions = cp_->sessions();
  auto created = sessions.Create(Str(org.user, "id"), "", "");
  ASSERT_TRUE(created.ok());
  int64_t start = clock_.NowMicros();
  EXPECT_EQ(created->session.absolute_expires, start + 7 * 24 * kHour);
  for (int i = 0; i < 15; ++i) {  // used every 11 hours
    clock_.Advance(11 * kHour);
    auto s = sessions.Lookup(created->token);
    ASSERT_TRUE(s.ok()) << "hour " << (i + 1) * 11;
    auto touched = sessions.Touch(*s);
    ASSERT_TRUE(touched.ok());
    EXPECT_LE(touched->idle_expires, created->session.absolute_expires);
  }
  clock_.Set(start + 7 * 24 * kHour - 1);
  EXPECT_TRUE(sessions.Lookup(created->token).ok());
  clock_.Set(start + 7 * 24 * kHour);
  EXPECT_EQ(sessions.Lookup(created->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ControlTest, RevokedSessionsNoLongerLookUp) {
  NewOrg org = Bootstrap();
  const Sessions& sessions = cp_->sessions();
  std::string user = Str(org.user, "id");
  auto a = sessions.Create(user, "", "");
  auto b = sessions.Create(user, "", "");
  auto c = sessions.Create(user, "", "");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(sessions.Revoke(a->session.id).ok());
  EXPECT_EQ(sessions.Lookup(a->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(sessions.Lookup(b->token).ok());
  ASSERT_TRUE(sessions.RevokeAllOfUser(cp_->db(), user, c->session.id).ok());
  EXPECT_EQ(sessions.Lookup(b->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(sessions.Lookup(c->token).ok());  // the kept one
  ASSERT_TRUE(sessions.RevokeAllOfUser(cp_->db(), user, std::nullopt).ok());
  EXPECT_EQ(sessions.Lookup(c->token).status().code(), StatusCode::kUnauthenticated);
}

// ---- Data-plane tokens ----

constexpr int64_t kMinute = int64_t{60} * 1000000;

TEST_F(ControlTest, DataTokenIsStoredOnlyAsItsHmacAndActsForTheUserInAllOrgs) {
  NewOrg org = Bootstrap();
  ASSERT_TRUE(cp_->CreateOrgWithAdmin("second-org", "admin@localhost", std::nullopt, std::nullopt).ok());
  const Sessions& sessions = cp_->sessions();
  auto session = sessions.Create(Str(org.user, "id"), "", "");
  ASSERT_TRUE(session.ok());
  auto token = sessions.IssueDataToken(session->session);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_TRUE(token->token.starts_with("tvd-")) << token->token;
  EXPECT_EQ(token->token.size(), 4u + 48u);
  EXPECT_EQ(token->expires, clock_.NowMicros() + 10 * kMinute);
  auto rows = cp_->db().Query("SELECT token_hash, session_id, user_id FROM session_tokens");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->Text(0, "token_hash"), sessions.HashToken(token->token));
  EXPECT_EQ(rows->Text(0, "session_id"), session->session.id);

  auto p = cp_->Authenticate(token->token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user_id, Str(org.user, "id"));
  EXPECT_EQ(p->user_email, "admin@localhost");
  EXPECT_EQ(p->api_key_id, "") << "a session token is no API key";
  EXPECT_EQ(p->api_key_org_id, "");
  ASSERT_EQ(p->orgs.size(), 2u);
  EXPECT_NE(p->FindOrgByName("tracevault"), nullptr);
  ASSERT_NE(p->FindOrgByName("second-org"), nullptr);
  EXPECT_EQ(p->FindOrgByName("second-org")->role, "owner");
}

TEST_F(ControlTest, DataTokenExpiresAfterTenMinutes) {
  NewOrg org = Bootstrap();
  const Sessions& sessions = cp_->sessions();
  auto session = sessions.Create(Str(org.user, "id"), "", "");
  ASSERT_TRUE(session.ok());
  auto token = sessions.IssueDataToken(session->session);
  ASSERT_TRUE(token.ok());
  clock_.Advance(10 * kMinute - 1);
  EXPECT_TRUE(cp_->Authenticate(token->token).ok());
  clock_.Advance(1);
  EXPECT_EQ(sessions.DataTokenUser(token->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(cp_->Authenticate(token->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(sessions.Lookup(session->token).ok()) << "the session outlives its token";
  // The next token issued clears the expired one away.
  auto next = sessions.IssueDataToken(session->session);
  ASSERT_TRUE(next.ok());
  auto rows = cp_->db().Query("SELECT token_hash FROM session_tokens");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->Text(0, "token_hash"), sessions.HashToken(next->token));
}

TEST_F(ControlTest, DataTokensAreRevokedWithTheirSession) {
  NewOrg org = Bootstrap();
  const Sessions& sessions = cp_->sessions();
  std::string user = Str(org.user, "id");
  auto a = sessions.Create(user, "", "");
  auto b = sessions.Create(user, "", "");
  auto c = sessions.Create(user, "", "");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto ta = sessions.IssueDataToken(a->session);
  auto tb = sessions.IssueDataToken(b->session);
  auto tc = sessions.IssueDataToken(c->session);
  ASSERT_TRUE(ta.ok() && tb.ok() && tc.ok());
  ASSERT_TRUE(sessions.Revoke(a->session.id).ok());
  EXPECT_EQ(cp_->Authenticate(ta->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(cp_->Authenticate(tb->token).ok()) << "another session's token";
  ASSERT_TRUE(sessions.RevokeAllOfUser(cp_->db(), user, c->session.id).ok());
  EXPECT_EQ(cp_->Authenticate(tb->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(cp_->Authenticate(tc->token).ok()) << "the kept session's token";
}

TEST_F(ControlTest, DataTokenNeverOutlivesItsSession) {
  NewOrg org = Bootstrap();
  const Sessions& sessions = cp_->sessions();
  auto created = sessions.Create(Str(org.user, "id"), "", "");
  ASSERT_TRUE(created.ok());
  int64_t start = clock_.NowMicros();

  // Used every 11 hours, then 5 minutes before the session's absolute end a
  // token is issued: it ends with the session.
  int64_t end = start + 7 * 24 * kHour;
  Session live;
  auto use_at = [&](int64_t t) {
    clock_.Set(t);
    auto found = sessions.Lookup(created->token);
    ASSERT_TRUE(found.ok()) << (t - start) / kHour << " h";
    auto touched = sessions.Touch(*found);
    ASSERT_TRUE(touched.ok());
    live = *touched;
  };
  for (int64_t t = start + 11 * kHour; t < end; t += 11 * kHour) use_at(t);
  use_at(end - 5 * kMinute);
  auto late = sessions.IssueDataToken(live);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->expires, created->session.absolute_expires);
  clock_.Set(end - 1);
  EXPECT_TRUE(cp_->Authenticate(late->token).ok());
  clock_.Set(end);
  EXPECT_EQ(cp_->Authenticate(late->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ControlTest, DataTokenDiesWhenItsSessionGoesIdle) {
  NewOrg org = Bootstrap();
  const Sessions& sessions = cp_->sessions();
  auto created = sessions.Create(Str(org.user, "id"), "", "");
  ASSERT_TRUE(created.ok());
  // The stored session is what counts, not the copy the token was issued
  // from: this copy claims a later idle expiry than the database holds.
  Session stale = created->session;
  stale.idle_expires = stale.absolute_expires;
  clock_.Advance(12 * kHour - 5 * kMinute);
  auto token = sessions.IssueDataToken(stale);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->expires, clock_.NowMicros() + 10 * kMinute);
  EXPECT_TRUE(cp_->Authenticate(token->token).ok());
  clock_.Advance(5 * kMinute);  // the session's 12 idle hours are over
  EXPECT_EQ(sessions.Lookup(created->token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(cp_->Authenticate(token->token).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ControlTest, UnknownDataTokenIsUnauthenticatedButAnExplicitKeyOfThatFormWorks) {
  InitSettings init;
  init.api_key = "tvd-an-explicit-api-key";
  auto created = cp_->BootstrapIfEmpty(init);
  ASSERT_TRUE(created.ok() && created->has_value());
  auto garbage = cp_->Authenticate("tvd-" + std::string(48, 'a'));
  EXPECT_EQ(garbage.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(garbage.status().message(), "Invalid API key");
  EXPECT_EQ(cp_->Authenticate("tvd-").status().code(), StatusCode::kUnauthenticated);
  auto key = cp_->Authenticate("tvd-an-explicit-api-key");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->api_key_id, (*created)->api_key_id);
}

TEST(LoginThrottleTest, BlocksAfterMaxFailuresUntilTheWindowCloses) {
  FakeClock clock;
  LoginThrottle throttle(3, std::chrono::minutes(15), clock);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(throttle.Blocked("a@x")) << i;
    throttle.RecordFailure("a@x");
  }
  auto blocked = throttle.Blocked("a@x");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(*blocked, std::chrono::minutes(15));
  EXPECT_FALSE(throttle.Blocked("b@x"));  // per key
  clock.Advance(int64_t{10} * 60 * 1000000);
  ASSERT_TRUE(throttle.Blocked("a@x"));
  EXPECT_EQ(*throttle.Blocked("a@x"), std::chrono::minutes(5));
  clock.Advance(int64_t{5} * 60 * 1000000);
  EXPECT_FALSE(throttle.Blocked("a@x"));
}

TEST(LoginThrottleTest, ResetClearsTheCount) {
  FakeClock clock;
  LoginThrottle throttle(2, std::chrono::minutes(15), clock);
  throttle.RecordFailure("a@x");
  throttle.Reset("a@x");
  throttle.RecordFailure("a@x");
  EXPECT_FALSE(throttle.Blocked("a@x"));
  throttle.RecordFailure("a@x");
  EXPECT_TRUE(throttle.Blocked("a@x"));
}

// ---- The sign-in routes, through the real pipeline ----

class AuthRoutesTest : public ControlTest {
 protected:
  static constexpr std::string_view kPassword = "a good password";

  void SetUp() override {
    ControlTest::SetUp();
    cp_->set_options({"https://tv.example.com/base", "https://tv.example.com"});
    InitSettings init;
    init.user_email = "person@example.com";
    init.user_password = std::string(kPassword);
    auto created = cp_->BootstrapIfEmpty(init);
    ASSERT_TRUE(created.ok() && created->has_value());
    user_id_ = Str((*created)->user, "id");
    cp_->RegisterRoutes(router_);
    auto publics = http::InfoPublicRoutes();
    for (auto& r : AuthPublicRoutes()) publics.push_back(r);
    pipeline_ = std::make_unique<http::Pipeline>(
        router_, [this](std::string_view t) { return cp_->Authenticate(t); }, http::CorsPolicy({}), std::move(publics));
  }

  http::Response Send(http::Method m, std::string path, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::string address = "10.0.0.1:5000") {
    http::Request r;
    r.method = m;
    r.target = std::move(path);
    EXPECT_TRUE(r.ParseTarget());
    for (auto& [k, v] : headers) r.headers.Add(k, v);
    if (!body.empty()) r.headers.Add("Content-Type", "application/json");
    r.body = std::move(body);
    r.remote_address = std::move(address);
    return pipeline_->Handle(r);
  }
  http::Response Login(std::string_view email, std::string_view password, std::string address = "10.0.0.1:5000") {
    json::object body{{"email", email}, {"password", password}};
    return Send(http::Method::kPost, "/api/auth/login", json::serialize(body), {}, std::move(address));
  }
  std::string StoredHash() {
    auto rows = cp_->db().Query("SELECT password_hash FROM users WHERE id = $1", {user_id_});
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    return rows->Text(0, "password_hash");
  }
  static std::string CookieOf(const http::Response& res) {
    std::string set(res.headers.Get("Set-Cookie").value_or(""));
    return set.substr(0, set.find(';'));
  }

  std::string user_id_;
  http::Router router_;
  std::unique_ptr<http::Pipeline> pipeline_;
};

TEST_F(AuthRoutesTest, GoodSignInRehashesAnOldPbkdf2Hash) {
  ASSERT_TRUE(cp_->db()
                  .Execute("UPDATE users SET password_hash = $1 WHERE id = $2",
                           {crypto::HashPasswordPbkdf2(kPassword, 1000), user_id_})
                  .ok());
  EXPECT_EQ(Login("person@example.com", "not it").status, 401);
  EXPECT_TRUE(StoredHash().starts_with("pbkdf2-sha256$")) << "a failed sign-in changes nothing";
  http::Response res = Login("person@example.com", kPassword);
  ASSERT_EQ(res.status, 200) << res.body;
  std::string stored = StoredHash();
  EXPECT_TRUE(stored.starts_with("scrypt$15$8$1$")) << stored;
  EXPECT_TRUE(crypto::VerifyPassword(kPassword, stored));
  EXPECT_FALSE(crypto::NeedsRehash(stored));
  EXPECT_EQ(Login("person@example.com", kPassword).status, 200);
}

TEST_F(AuthRoutesTest, HttpsPublicUrlMakesTheCookieSecureAndSetsTheOrigin) {
  http::Response res = Login("person@example.com", kPassword);
  ASSERT_EQ(res.status, 200) << res.body;
  std::string set(res.headers.Get("Set-Cookie").value_or(""));
  EXPECT_TRUE(set.ends_with("; HttpOnly; SameSite=Lax; Path=/; Max-Age=604800; Secure")) << set;
  std::string cookie = CookieOf(res);
  auto body = json::parse(res.body).as_object();
  std::string csrf(body.at("csrf_token").as_string());
  // The origin is the public URL's scheme, host and port, without its path.
  EXPECT_EQ(Send(http::Method::kPost, "/api/auth/logout", "{}",
                 {{"Cookie", cookie}, {"X-TV-CSRF", csrf}, {"Origin", "http://tv.example.com"}})
                .status,
            403);
  EXPECT_EQ(Send(http::Method::kPost, "/api/auth/logout", "{}",
                 {{"Cookie", cookie}, {"X-TV-CSRF", csrf}, {"Origin", "https://tv.example.com"}})
                .status,
            204);
  EXPECT_EQ(Send(http::Method::kGet, "/api/auth/session", "", {{"Cookie", cookie}}).status, 401);
}

TEST_F(AuthRoutesTest, TwentyFailuresFromOneAddressBlockItForFifteenMinutes) {
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Login(fmt::format("nobody{}@example.com", i), "x").status, 401) << i;
  http::Response blocked = Login("person@example.com", kPassword);
  EXPECT_EQ(blocked.status, 429) << blocked.body;
  EXPECT_EQ(blocked.headers.Get("Retry-After").value_or(""), "900");
  EXPECT_EQ(Login("person@example.com", kPassword, "10.0.0.2:6000").status, 200) << "another address";
  EXPECT_EQ(Login("person@example.com", kPassword, "10.0.0.1:5001").status, 429) << "the port does not matter";
  clock_.Advance(int64_t{15} * 60 * 1000000);
  EXPECT_EQ(Login("person@example.com", kPassword).status, 200);
}

TEST_F(AuthRoutesTest, ASessionIdleForTwelveHoursIsGoneThroughTheRoute) {
  http::Response res = Login("person@example.com", kPassword);
  ASSERT_EQ(res.status, 200);
  std::string cookie = CookieOf(res);
  clock_.Advance(11 * kHour);
  EXPECT_EQ(Send(http::Method::kGet, "/api/auth/session", "", {{"Cookie", cookie}}).status, 200);
  clock_.Advance(11 * kHour);  // used 11 h ago: still alive
  EXPECT_EQ(Send(http::Method::kGet, "/api/auth/session", "", {{"Cookie", cookie}}).status, 200);
  clock_.Advance(12 * kHour);
  EXPECT_EQ(Send(http::Method::kGet, "/api/auth/session", "", {{"Cookie", cookie}}).status, 401);
}

TEST_F(AuthRoutesTest, DataTokenRouteNeedsTheCookieAndTheCsrfToken) {
  http::Response res = Login("person@example.com", kPassword);
  ASSERT_EQ(res.status, 200);
  std::string cookie = CookieOf(res);
  std::string csrf(json::parse(res.body).as_object().at("csrf_token").as_string());
  EXPECT_EQ(Send(http::Method::kPost, "/api/auth/data_token", "", {{"X-TV-CSRF", csrf}}).status, 401);
  EXPECT_EQ(Send(http::Method::kPost, "/api/auth/data_token", "", {{"Cookie", "tv_session=tvs-nope"}}).status, 401);
  EXPECT_EQ(Send(http::Method::kPost, "/api/auth/data_token", "", {{"Cookie", cookie}}).status, 403);
  EXPECT_EQ(
      Send(http::Method::kPost, "/api/auth/data_token", "", {{"Cookie", cookie}, {"X-TV-CSRF", "0" + csrf}}).status,
      403);
  EXPECT_EQ(Send(http::Method::kPost, "/api/auth/data_token", "",
                 {{"Cookie", cookie}, {"X-TV-CSRF", csrf}, {"Origin", "https://evil.example.com"}})
                .status,
            403);

  http::Response issued = Send(http::Method::kPost, "/api/auth/data_token", "",
                               {{"Cookie", cookie}, {"X-TV-CSRF", csrf}, {"Origin", "https://tv.example.com"}});
  ASSERT_EQ(issued.status, 200) << issued.body;
  EXPECT_EQ(issued.headers.Get("Cache-Control").value_or(""), "no-store");
  auto body = json::parse(issued.body).as_object();
  std::string token(body.at("token").as_string());
  EXPECT_TRUE(token.starts_with("tvd-")) << token;
  EXPECT_EQ(body.at("expires_at").as_string(), FormatTimestamp(clock_.NowMicros() + 10 * kMinute));
  EXPECT_EQ(body.at("data_plane_url").as_string(), "https://tv.example.com");
  EXPECT_EQ(issued.headers.Get("Set-Cookie"), std::nullopt) << "the cookie is left alone";

  // The token is a bearer token; the cookie is not.
  http::Response me = Send(http::Method::kGet, "/api/self/me", "", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(me.status, 200) << me.body;
  auto who = json::parse(me.body).as_object();
  EXPECT_EQ(who.at("user_id").as_string(), user_id_);
  EXPECT_EQ(who.at("user_email").as_string(), "person@example.com");
  EXPECT_EQ(who.at("organizations").as_array().size(), 1u);
  EXPECT_EQ(Send(http::Method::kGet, "/api/self/me", "", {{"Cookie", cookie}}).status, 401);
  EXPECT_EQ(
      Send(http::Method::kGet, "/api/self/me", "", {{"Authorization", "Bearer tvd-" + std::string(48, 'x')}}).status,
      401);
}

TEST_F(AuthRoutesTest, DataTokenListsAndCreatesTheUsersApiKeys) {
  http::Response res = Login("person@example.com", kPassword);
  ASSERT_EQ(res.status, 200);
  std::string csrf(json::parse(res.body).as_object().at("csrf_token").as_string());
  http::Response issued =
      Send(http::Method::kPost, "/api/auth/data_token", "", {{"Cookie", CookieOf(res)}, {"X-TV-CSRF", csrf}});
  ASSERT_EQ(issued.status, 200) << issued.body;
  std::string bearer = "Bearer " + std::string(json::parse(issued.body).as_object().at("token").as_string());

  http::Response list = Send(http::Method::kGet, "/v1/api_key", "", {{"Authorization", bearer}});
  ASSERT_EQ(list.status, 200) << list.body;
  auto keys = json::parse(list.body).as_object().at("objects").as_array();
  ASSERT_EQ(keys.size(), 1u) << list.body;
  EXPECT_EQ(keys[0].as_object().at("name").as_string(), "initial");

  http::Response made =
      Send(http::Method::kPost, "/v1/api_key", R"({"name":"from-the-app"})", {{"Authorization", bearer}});
  ASSERT_EQ(made.status, 200) << made.body;
  auto key = json::parse(made.body).as_object();
  EXPECT_EQ(key.at("user_id").as_string(), user_id_);
  EXPECT_TRUE(key.at("org_id").is_null()) << "an unrestricted key, like the token";
  std::string secret(key.at("key").as_string());
  EXPECT_EQ(Send(http::Method::kGet, "/api/self/me", "", {{"Authorization", "Bearer " + secret}}).status, 200);
  list = Send(http::Method::kGet, "/v1/api_key", "", {{"Authorization", bearer}});
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body).as_object().at("objects").as_array().size(), 2u);
}

TEST_F(AuthRoutesTest, RenewingTheDataTokenKeepsTheSessionAliveAndLogoutEndsIt) {
  http::Response res = Login("person@example.com", kPassword);
  ASSERT_EQ(res.status, 200);
  std::string cookie = CookieOf(res);
  std::string csrf(json::parse(res.body).as_object().at("csrf_token").as_string());
  auto renew = [&] {
    return Send(http::Method::kPost, "/api/auth/data_token", "", {{"Cookie", cookie}, {"X-TV-CSRF", csrf}});
  };
  std::string token;
  for (int i = 0; i < 3; ++i) {  // an app open for 33 hours, renewing (here every 11 h)
    clock_.Advance(11 * kHour);
    http::Response r = renew();
    ASSERT_EQ(r.status, 200) << "hour " << (i + 1) * 11 << ": " << r.body;
    token = std::string(json::parse(r.body).as_object().at("token").as_string());
  }
  std::string bearer = "Bearer " + token;
  EXPECT_EQ(Send(http::Method::kGet, "/v1/project", "", {{"Authorization", bearer}}).status, 200);
  EXPECT_EQ(Send(http::Method::kPost, "/api/auth/logout", "", {{"Cookie", cookie}, {"X-TV-CSRF", csrf}}).status, 204);
  http::Response refused = Send(http::Method::kGet, "/v1/project", "", {{"Authorization", bearer}});
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("Invalid API key"), std::string::npos) << refused.body;
  EXPECT_EQ(renew().status, 401);
}

TEST_F(AuthRoutesTest, PasswordChangeRevokesTheOtherSessionsTokens) {
  http::Response mine = Login("person@example.com", kPassword);
  http::Response other = Login("person@example.com", kPassword, "10.0.0.9:1000");
  ASSERT_EQ(mine.status, 200);
  ASSERT_EQ(other.status, 200);
  auto token_of = [&](const http::Response& login) {
    std::string csrf(json::parse(login.body).as_object().at("csrf_token").as_string());
    http::Response r =
        Send(http::Method::kPost, "/api/auth/data_token", "", {{"Cookie", CookieOf(login)}, {"X-TV-CSRF", csrf}});
    EXPECT_EQ(r.status, 200) << r.body;
    return "Bearer " + std::string(json::parse(r.body).as_object().at("token").as_string());
  };
  std::string my_token = token_of(mine);
  std::string other_token = token_of(other);
  std::string csrf(json::parse(mine.body).as_object().at("csrf_token").as_string());
  json::object change{{"current_password", kPassword}, {"new_password", "another good password"}};
  ASSERT_EQ(Send(http::Method::kPost, "/api/auth/password", json::serialize(change),
                 {{"Cookie", CookieOf(mine)}, {"X-TV-CSRF", csrf}})
                .status,
            204);
  EXPECT_EQ(Send(http::Method::kGet, "/api/self/me", "", {{"Authorization", other_token}}).status, 401);
  EXPECT_EQ(Send(http::Method::kGet, "/api/self/me", "", {{"Authorization", my_token}}).status, 200);
}

}  // namespace
}  // namespace tv::control
