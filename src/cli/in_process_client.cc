#include "cli/in_process_client.h"

namespace tv::cli {
namespace {

class InProcessClient final : public data::ControlPlaneClient {
 public:
  explicit InProcessClient(control::ControlPlane& cp) : cp_(cp) {}

  Result<Principal> Authenticate(std::string_view token) override { return cp_.Authenticate(token); }

  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id, const Principal&) override {
    return cp_.Resolve(type, id);
  }

  Result<ObjectInfo> FindProject(std::string_view org_id, std::string_view name, const Principal&) override {
    return cp_.registry().FindProject(org_id, name);
  }

  Result<std::vector<ProviderSecret>> OrgProviderSecrets(std::string_view org_id, const Principal& caller) override {
    if (!caller.FindOrg(std::string(org_id))) return NotFound("organization '{}' not found", org_id);
    control::AiSecretStore* store = cp_.ai_secrets();
    if (!store) return Unavailable("AI secrets are unavailable: the control plane has no master key");
    return store->Reveal(std::string(org_id));
  }

  Status Health() override { return cp_.db().Query("SELECT 1 AS ok").status(); }

 private:
  control::ControlPlane& cp_;
};

}  // namespace

std::unique_ptr<data::ControlPlaneClient> MakeInProcessClient(control::ControlPlane& cp) {
  return std::make_unique<InProcessClient>(cp);
}

}  // namespace tv::cli
