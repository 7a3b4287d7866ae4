// LocalObjectStore: objects as files under a root folder. A Put writes a temp
// file, fsyncs it, renames it over the key and fsyncs the folder, so a Put
// that returned OK survives a crash and a reader never sees a partial file.
#pragma once

#include <memory>
#include <string>

#include "objstore/object_store.h"

namespace tv::objstore {

Result<std::unique_ptr<ObjectStore>> OpenLocalObjectStore(const std::string& root);

}  // namespace tv::objstore
