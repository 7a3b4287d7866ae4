// The on-disk layout of a data directory:
//
//   DIR/control/meta.db      control plane database (SQLite)
//   DIR/control/secret.key   server secret keying API-key hashes (0600)
//   DIR/data/meta.db         data plane database (SQLite)
//   DIR/keys/                master key, keyring and lock of sealed secrets
//                            (crypto/master_key.h, docs/security.md)
//   DIR/initial-api-key      the first API key, when it was generated (0600)
//   DIR/initial-password     the first user's password, when it was generated (0600)
//
// `serve` uses both halves of one directory; `control` and `data` each use
// their half of their own directory.
#pragma once

#include <string>

#include "common/status.h"

namespace tv::cli {

struct DataDir {
  std::string root;
  std::string control_db() const { return root + "/control/meta.db"; }
  std::string data_db() const { return root + "/data/meta.db"; }
  std::string secret_file() const { return root + "/control/secret.key"; }
  std::string initial_key_file() const { return root + "/initial-api-key"; }
  std::string initial_password_file() const { return root + "/initial-password"; }
  std::string keys_dir() const { return root + "/keys"; }
};

// Creates DIR, DIR/control and DIR/data (mode 0700) as needed.
Result<DataDir> PrepareDataDir(const std::string& root);

// The server secret: $TRACEVAULT_SECRET, else DIR/control/secret.key, created
// with 32 random bytes on first use.
Result<std::string> LoadOrCreateSecret(const DataDir& dir);

// Writes `contents` to `path` with mode 0600, durably.
Status WritePrivateFile(const std::string& path, const std::string& contents);

}  // namespace tv::cli
