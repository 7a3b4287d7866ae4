#include "http/audit.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/crypto.h"
#include "http/gzip.h"

namespace tv::http {

bool AuditRequested(const Request& req) {
  auto v = req.headers.Get("x-bt-enable-audit");
  return v && (EqualsIgnoreCase(*v, "true") || *v == "1");
}

void AddAuditHeaders(const RequestContext& ctx, Response& res) {
  res.headers.Set("x-bt-audit-user-id", ctx.principal().user_id);
  res.headers.Set("x-bt-audit-user-email", ctx.principal().user_email);
  res.headers.Set("x-bt-audit-normalized-url", ctx.normalized_path());
  boost::json::array resources;
  for (const auto& r : ctx.audit_resources()) {
    resources.push_back(boost::json::object{{"type", r.type}, {"id", r.id}, {"name", r.name}});
  }
  res.headers.Set("x-bt-audit-resources", crypto::Base64Encode(GzipCompress(boost::json::serialize(resources))));
}

}  // namespace tv::http
