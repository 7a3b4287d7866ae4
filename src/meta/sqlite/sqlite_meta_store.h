// SqliteMetaStore: the embedded MetaStore. WAL mode, synchronous=FULL (a
// commit is on disk before it returns), a busy timeout so the `admin` CLI and
// a running server can share the file, and a small pool of connections with
// per-connection prepared-statement caches.
#pragma once

#include <memory>
#include <string>

#include "meta/meta_store.h"

namespace tv::meta {

struct SqliteOptions {
  std::string path;  // a file path, or ":memory:" for tests (one shared connection)
  int pool_size = 4;
  int busy_timeout_ms = 10000;
};

Result<std::unique_ptr<MetaStore>> OpenSqliteMetaStore(const SqliteOptions& options);

}  // namespace tv::meta
