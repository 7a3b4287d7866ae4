// The rows room: the routes that write, read, purge and upload the rows of
// experiments, datasets and project logs (docs/api.md). They reach the span
// store, the upload slots and the tenancy rule only through RowsDeps.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "data/rows/uploads.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "store/span_store.h"

namespace tv::data {

// What the rows routes use. Every reference outlives the router the routes
// are added to.
struct RowsDeps {
  const http::Tenancy& tenancy;
  store::SpanStore& store;
  Uploads& uploads;
  const Clock& clock;
  // Advertised in /version; a larger /logs3 body is refused (413) and the SDK
  // sends it through the overflow upload instead.
  uint64_t logs3_payload_max_bytes = 0;
  // The URL clients reach this server at, read when an upload URL is built:
  // it is set after the routes are added, so this names the owner's string.
  const std::string& public_url;
};

// POST /logs3, /v1/insert, /v1/<object>/:id/{insert,feedback,fetch,purge},
// /dataset-summary, /xact-id, /logs3/overflow, /attachment..., /upload/:token.
void AddRowsRoutes(http::Router& router, const RowsDeps& deps);

}  // namespace tv::data
