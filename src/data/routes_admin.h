// The assembly's operator routes (routes_admin.cc): POST /v1/admin/compact,
// GET /v1/admin/outbound and GET /metrics.
#pragma once

#include "http/outbound.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "store/span_store.h"

namespace tv::data {

// What the operator routes use. Every reference outlives the router.
struct AdminDeps {
  const http::Tenancy& tenancy;
  store::SpanStore& store;
  http::OutboundClient& outbound;
};

void AddAdminRoutes(http::Router& router, const AdminDeps& deps);

}  // namespace tv::data
