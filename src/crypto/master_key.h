// Where master keys come from and how they are kept on disk
// (docs/security.md, "Master keys" and "Rotation"):
//
//   DIR/keys/master.key   the managed master key, base64, mode 0600
//   DIR/keys/keyring      older keys still needed to unwrap (one base64 line each)
//   DIR/keys/lock         flock: servers hold it shared, rotation exclusively
//
// A key in a file or variable is 32 bytes as base64 (44 characters) or hex
// (64 digits). Nothing here logs or prints key bytes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/envelope.h"

namespace tv::crypto {

struct MasterKeyConfig {
  std::string key_file;    // --master-key-file / TRACEVAULT_MASTER_KEY_FILE
  std::string key_base64;  // TRACEVAULT_MASTER_KEY
  std::string keys_dir;    // DIR/keys

  bool managed() const { return key_file.empty() && key_base64.empty(); }
  std::string managed_key_file() const { return keys_dir + "/master.key"; }
  std::string keyring_file() const { return keys_dir + "/keyring"; }
  std::string lock_file() const { return keys_dir + "/lock"; }
};

// The config from flags/environment: `flag_file` wins over
// TRACEVAULT_MASTER_KEY_FILE, which wins over TRACEVAULT_MASTER_KEY.
MasterKeyConfig MasterKeyConfigFromEnv(const std::string& flag_file, const std::string& keys_dir);

// 32 key bytes from base64 or hex text; `where` names the source in errors.
Result<std::string> ParseMasterKey(std::string_view text, std::string_view where);
Result<std::string> ReadMasterKeyFile(const std::string& path);

struct LoadedKeys {
  Keyring keyring;
  // Set when the managed key file did not exist and a key was generated in
  // memory; persist it with PersistGeneratedKey once the planes opened.
  bool generated = false;
};

// The keyring: the configured (or generated) current key plus DIR/keys/keyring.
// Creates DIR/keys (0700) as needed.
Result<LoadedKeys> LoadKeys(const MasterKeyConfig& config);

// Writes a generated key to DIR/keys/master.key with an exclusive create
// (0600). If another process created the file meanwhile with a different key,
// fails: start again to use that one.
Status PersistGeneratedKey(const MasterKeyConfig& config, const std::string& key);

// Replaces a key file atomically (0600, fsync, rename).
Status WriteKeyFile(const std::string& path, const std::string& key);
// Replaces DIR/keys/keyring with these keys; removes it when empty.
Status WriteKeyring(const MasterKeyConfig& config, const std::vector<std::string>& keys);

// An flock on DIR/keys/lock, released on destruction.
class KeysLock {
 public:
  // Shared (servers) or exclusive without waiting (rotation: fails while a
  // server runs on the directory).
  static Result<KeysLock> Acquire(const MasterKeyConfig& config, bool exclusive);
  KeysLock(KeysLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  KeysLock& operator=(KeysLock&&) = delete;
  ~KeysLock();

 private:
  explicit KeysLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace tv::crypto
