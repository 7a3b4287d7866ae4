// Repair: finds every stored row of an object that cannot be decoded — in
// its WAL sections and in its segments — without recording anything, so
// `tracevault admin quarantine` can show (--dry-run) or record what an older
// build left behind. docs/storage-format.md, "Quarantine".
#pragma once

#include <string>
#include <vector>

#include "objstore/object_store.h"
#include "store/catalog.h"
#include "store/quarantine.h"

namespace tv::store {

// The undecodable rows of `object_id`, as quarantine records (not recorded).
Result<std::vector<QuarantineRecord>> FindUndecodable(Catalog& catalog, objstore::ObjectStore& objects,
                                                      const std::string& object_id);

}  // namespace tv::store
