// Builds the data plane's object store from the store flags: a local folder
// (default DIR/data/objects), or S3; wrapped in fault injection when asked
// (tests only).
#pragma once

#include <memory>

#include "cli/data_dir.h"
#include "cli/server_config.h"
#include "objstore/object_store.h"

namespace tv::cli {

Result<std::unique_ptr<objstore::ObjectStore>> OpenObjectStore(const StoreFlags& flags, const DataDir& dir);

}  // namespace tv::cli
