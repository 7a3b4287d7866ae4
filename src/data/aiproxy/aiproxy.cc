#include "data/aiproxy/aiproxy.h"

#include "data/aiproxy/room.h"
#include "data/secrets/secrets.h"

namespace tv::data {

AiProxyRoom::AiProxyRoom(const AiProxyDeps& deps)
    : functions(deps.functions),
      spans(deps.tenancy, deps.store, deps.clock, deps.functions),
      calls{deps.tenancy,
            deps.clock,
            deps.outbound,
            deps.cache,
            spans,
            deps.options,
            [&secrets = deps.secrets](http::RequestContext& ctx, std::string_view org_id,
                                      std::optional<std::string_view> project_id) {
              return secrets.ResolveProviderSecrets(ctx, org_id, project_id);
            },
            [&secrets = deps.secrets] { return secrets.keys(); }} {}

void AddAiProxyRoutes(http::Router& router, const AiProxyDeps& deps) {
  std::shared_ptr<const AiProxyRoom> room = std::make_shared<AiProxyRoom>(deps);
  AddProxyRoutes(router, room);
  AddInvokeRoutes(router, room);
}

}  // namespace tv::data
