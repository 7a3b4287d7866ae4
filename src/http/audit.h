// Audit headers. When a request carries "x-bt-enable-audit: true", its response
// names who acted (x-bt-audit-user-id / -user-email), the route with ids
// replaced by placeholders (x-bt-audit-normalized-url), and every resource the
// handler recorded through RequestContext::Touch (x-bt-audit-resources:
// base64 of gzip of a JSON list of {type, id, name}).
#pragma once

#include "http/context.h"
#include "http/message.h"

namespace tv::http {

bool AuditRequested(const Request& req);
void AddAuditHeaders(const RequestContext& ctx, Response& res);

}  // namespace tv::http
