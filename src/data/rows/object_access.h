// The tenancy rule for span-store objects: resolves an object a request
// names to its owner, or NotFound when it does not exist or belongs to an
// organization the caller is not in. Experiments, datasets and projects are
// control-plane objects (asked through the Tenancy resolver); playground
// sessions (UUIDs; anything else is InvalidArgument) are owned by the
// organization whose first write claims them (store::Catalog::Claim). For a
// session nobody owns yet, a write resolves to the caller's organization
// without claiming it.
#pragma once

#include "http/context.h"
#include "http/tenancy.h"
#include "store/catalog.h"
#include "store/row_rules.h"

namespace tv::data {

enum class Access { kRead, kWrite };

Result<store::ObjectOwner> ResolveObject(http::RequestContext& ctx, const http::Tenancy& tenancy,
                                         store::Catalog& catalog, const store::ObjectRef& ref, Access access);

}  // namespace tv::data
