// Unit tests of provider secret resolution (data/secrets.h) against a real
// control plane through the in-process ControlPlaneClient, as in `serve`:
// project-level secrets replace org-level ones of the same name, another
// organization's org or project is not found, values are never cached.
#include <gtest/gtest.h>

#include "cli/in_process_client.h"
#include "control/control_plane.h"
#include "crypto/crypto.h"
#include "data/control_plane/caching_control_plane_client.h"
#include "data/data_plane.h"
#include "data/secrets/secrets.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "objstore/local/local_object_store.h"
#include "test_support.h"

namespace tv {
namespace {

using control::AiSecretFields;
using data::EnvVarFields;

std::map<std::string, ProviderSecret> ByName(const std::vector<ProviderSecret>& v) {
  std::map<std::string, ProviderSecret> out;
  for (const auto& s : v) out[s.name] = s;
  return out;
}

AiSecretFields OrgSecret(std::string name, std::string type, std::optional<std::string> value) {
  AiSecretFields f;
  f.name = std::move(name);
  f.type = json::value(std::move(type));
  if (value) f.secret = std::optional<std::string>(std::move(value));
  return f;
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = crypto::Keyring(crypto::RandomBytes(32));
    auto cdb = meta::OpenSqliteMetaStore({dir_.File("control.db")});
    ASSERT_TRUE(cdb.ok());
    auto cp = control::ControlPlane::Open(std::move(*cdb), "0123456789abcdef0123", {}, clock_);
    ASSERT_TRUE(cp.ok()) << cp.status().message();
    cp_ = std::move(*cp);
    ASSERT_TRUE(cp_->EnableSecrets(*keys_).ok());
    a_ = *cp_->CreateOrgWithAdmin("org-a", "a@example.test", std::nullopt, std::nullopt);
    b_ = *cp_->CreateOrgWithAdmin("org-b", "b@example.test", std::nullopt, std::nullopt);
    client_ = cli::MakeInProcessClient(*cp_);
    auto ddb = meta::OpenSqliteMetaStore({dir_.File("data.db")});
    auto objects = objstore::OpenLocalObjectStore(dir_.File("objects"));
    ASSERT_TRUE(ddb.ok() && objects.ok());
    data::DataPlaneOptions options;
    options.store.compactor.background = false;
    options.store.cache.disk_dir = dir_.File("cache");
    auto dp = data::DataPlane::Open(std::move(*ddb), *client_, std::move(*objects), clock_, options);
    ASSERT_TRUE(dp.ok()) << dp.status().message();
    dp_ = std::move(*dp);
    ASSERT_TRUE(dp_->secrets().Enable(*keys_).ok());
    project_a_ = Project(a_, "pa");
    project_b_ = Project(b_, "pb");
  }

  std::string OrgId(const control::NewOrg& o) { return StringField(o.org, "id"); }

  std::string Project(const control::NewOrg& o, const std::string& name) {
    auto c = cp_->registry().EnsureProject(OrgId(o), name, std::nullopt, StringField(o.user, "id"));
    EXPECT_TRUE(c.ok());
    return StringField(c->object, "id");
  }

  // A request context acting as `o`'s admin.
  std::unique_ptr<http::RequestContext> As(const control::NewOrg& o) {
    auto ctx = std::make_unique<http::RequestContext>(request_, "req");
    auto p = client_->Authenticate(o.api_key);
    EXPECT_TRUE(p.ok());
    ctx->set_principal(*p);
    return ctx;
  }

  void SeedSecrets() {
    auto& org = *cp_->ai_secrets();
    ASSERT_TRUE(org.Create(OrgId(a_), OrgSecret("OPENAI_API_KEY", "openai", "org-openai-value"), "").ok());
    ASSERT_TRUE(org.Create(OrgId(a_), OrgSecret("ANTHROPIC_API_KEY", "anthropic", "org-anthropic-value"), "").ok());
    ASSERT_TRUE(org.Create(OrgId(b_), OrgSecret("OPENAI_API_KEY", "openai", "org-b-value"), "").ok());
    EnvVarFields f;
    f.name = "OPENAI_API_KEY";
    f.value = std::optional<std::string>("project-openai-value");
    f.secret_type = json::value("openai");
    f.metadata = json::value(json::object{{"api_base", "https://proxy.example.test/v1"}});
    ASSERT_TRUE(dp_->secrets().Create(OrgId(a_), project_a_, f, "").ok());
    EnvVarFields plain;
    plain.name = "NOT_A_PROVIDER";
    plain.value = std::optional<std::string>("plain-value");
    ASSERT_TRUE(dp_->secrets().Create(OrgId(a_), project_a_, plain, "").ok());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::optional<crypto::Keyring> keys_;
  std::unique_ptr<control::ControlPlane> cp_;
  control::NewOrg a_, b_;
  std::unique_ptr<data::ControlPlaneClient> client_;
  std::unique_ptr<data::DataPlane> dp_;
  std::string project_a_, project_b_;
  http::Request request_;
};

TEST_F(SecretsTest, OrgLevelOnlyWithoutProject) {
  SeedSecrets();
  auto ctx = As(a_);
  auto r = dp_->secrets().ResolveProviderSecrets(*ctx, OrgId(a_), std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto m = ByName(*r);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m["OPENAI_API_KEY"].secret, "org-openai-value");
  EXPECT_EQ(m["OPENAI_API_KEY"].type, "openai");
  EXPECT_FALSE(m["OPENAI_API_KEY"].project_level);
  EXPECT_EQ(m["ANTHROPIC_API_KEY"].secret, "org-anthropic-value");
}

TEST_F(SecretsTest, ProjectLevelReplacesOrgLevelOfTheSameName) {
  SeedSecrets();
  auto ctx = As(a_);
  auto r = dp_->secrets().ResolveProviderSecrets(*ctx, OrgId(a_), project_a_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto m = ByName(*r);
  ASSERT_EQ(m.size(), 2u);  // the plain env_var is not a provider secret
  EXPECT_EQ(m["OPENAI_API_KEY"].secret, "project-openai-value");
  EXPECT_TRUE(m["OPENAI_API_KEY"].project_level);
  EXPECT_EQ(StringField(m["OPENAI_API_KEY"].metadata, "api_base"), "https://proxy.example.test/v1");
  EXPECT_EQ(m["ANTHROPIC_API_KEY"].secret, "org-anthropic-value");
}

TEST_F(SecretsTest, OtherOrganizationsAreNotFound) {
  SeedSecrets();
  auto ctx = As(a_);
  auto org_b = dp_->secrets().ResolveProviderSecrets(*ctx, OrgId(b_), std::nullopt);
  EXPECT_EQ(org_b.status().code(), StatusCode::kNotFound);
  auto project_b = dp_->secrets().ResolveProviderSecrets(*ctx, OrgId(a_), project_b_);
  EXPECT_EQ(project_b.status().code(), StatusCode::kNotFound);
  auto ctx_b = As(b_);
  auto a_project_as_b = dp_->secrets().ResolveProviderSecrets(*ctx_b, OrgId(b_), project_a_);
  EXPECT_EQ(a_project_as_b.status().code(), StatusCode::kNotFound);
  auto own = dp_->secrets().ResolveProviderSecrets(*ctx_b, OrgId(b_), project_b_);
  ASSERT_TRUE(own.ok());
  ASSERT_EQ(own->size(), 1u);
  EXPECT_EQ((*own)[0].secret, "org-b-value");
}

TEST_F(SecretsTest, ReplaceWithoutSecretKeepsTheValue) {
  SeedSecrets();
  auto& org = *cp_->ai_secrets();
  AiSecretFields f = OrgSecret("OPENAI_API_KEY", "openai", std::nullopt);
  f.metadata = json::value(json::object{{"models", json::array{"gpt-x"}}});
  ASSERT_TRUE(org.Replace(OrgId(a_), f, "").ok());
  auto ctx = As(a_);
  auto m = ByName(*dp_->secrets().ResolveProviderSecrets(*ctx, OrgId(a_), std::nullopt));
  EXPECT_EQ(m["OPENAI_API_KEY"].secret, "org-openai-value");
  EXPECT_TRUE(m["OPENAI_API_KEY"].metadata.contains("models"));
  ASSERT_TRUE(org.Replace(OrgId(a_), OrgSecret("OPENAI_API_KEY", "openai", "rotated-value"), "").ok());
  m = ByName(*dp_->secrets().ResolveProviderSecrets(*ctx, OrgId(a_), std::nullopt));
  EXPECT_EQ(m["OPENAI_API_KEY"].secret, "rotated-value");
}

TEST_F(SecretsTest, CachingClientNeverCachesValues) {
  SeedSecrets();
  data::CachingControlPlaneClient cache(cli::MakeInProcessClient(*cp_), std::chrono::seconds(60), clock_);
  auto ctx = As(a_);
  auto first = cache.OrgProviderSecrets(OrgId(a_), ctx->principal());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(cp_->ai_secrets()->Replace(OrgId(a_), OrgSecret("OPENAI_API_KEY", "openai", "changed"), "").ok());
  auto second = cache.OrgProviderSecrets(OrgId(a_), ctx->principal());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(ByName(*second)["OPENAI_API_KEY"].secret, "changed");
}

TEST_F(SecretsTest, StoredValuesAreSealedAndBoundToTheirRow) {
  SeedSecrets();
  auto rows = cp_->db().Query("SELECT id, org_id, secret_sealed, preview_secret FROM ai_secrets");
  ASSERT_TRUE(rows.ok());
  for (size_t i = 0; i < rows->size(); ++i) {
    std::string sealed = rows->Text(i, "secret_sealed");
    EXPECT_EQ(sealed.rfind("tvs1$" + keys_->current_id() + "$", 0), 0u);
    EXPECT_EQ(sealed.find("value"), std::string::npos);
    EXPECT_EQ(rows->Text(i, "preview_secret").find("value"), std::string::npos);
  }
  // A ciphertext moved onto another row no longer opens.
  ASSERT_TRUE(cp_->db()
                  .Execute("UPDATE ai_secrets SET secret_sealed = (SELECT secret_sealed FROM ai_secrets "
                           "WHERE org_id = $1) WHERE org_id = $2 AND name = 'OPENAI_API_KEY'",
                           {OrgId(b_), OrgId(a_)})
                  .ok());
  auto ctx = As(a_);
  auto r = dp_->secrets().ResolveProviderSecrets(*ctx, OrgId(a_), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("cannot be decrypted"), std::string::npos);
  EXPECT_EQ(r.status().message().find("org-b-value"), std::string::npos);
}

TEST_F(SecretsTest, UnknownMasterKeyRefusesToEnable) {
  SeedSecrets();
  crypto::Keyring other(crypto::RandomBytes(32));
  Status control = cp_->EnableSecrets(other);
  EXPECT_FALSE(control.ok());
  EXPECT_NE(control.message().find(keys_->current_id()), std::string::npos);
  EXPECT_FALSE(data::Secrets(dp_->db(), *client_, dp_->tenancy(), clock_).Enable(other).ok());
  other.AddOld(keys_->current());
  EXPECT_TRUE(cp_->EnableSecrets(other).ok());
}

}  // namespace
}  // namespace tv
