// Envelope encryption of secret values (docs/security.md): each value is
// sealed with its own random data key under AES-256-GCM, and that data key is
// wrapped by a master key. The stored form is one printable string,
//   tvs1$<key id>$<base64 wrapped data key>$<base64 sealed value>.
//
// Thread-safety: everything here is stateless or immutable after
// construction; a Keyring may be shared across threads.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tv::crypto {

inline constexpr size_t kMasterKeyBytes = 32;

// The id of a master key: 16 hex digits of SHA-256(key).
std::string MasterKeyId(std::string_view key);

// The master key new seals use plus older keys that may still unwrap stored
// data keys (during or after an interrupted rotation).
class Keyring {
 public:
  // REQUIRES: current.size() == kMasterKeyBytes.
  explicit Keyring(std::string current);

  // Adds a key used only to unwrap. REQUIRES: key.size() == kMasterKeyBytes.
  void AddOld(std::string key);

  const std::string& current() const { return current_; }
  const std::string& current_id() const { return current_id_; }
  // The key with this id (current or old), or nullptr.
  const std::string* Find(std::string_view id) const;
  // Old keys, excluding the current one.
  std::vector<std::string> old_keys() const;

 private:
  std::string current_;
  std::string current_id_;
  std::map<std::string, std::string, std::less<>> keys_;  // id -> key, current included
};

// AES-256-GCM with a random 96-bit nonce: nonce || ciphertext || tag.
Result<std::string> AeadSeal(std::string_view key, std::string_view plaintext, std::string_view aad);
// The inverse; an error when the key, the AAD or any byte is wrong.
Result<std::string> AeadOpen(std::string_view key, std::string_view sealed, std::string_view aad);

// The AAD binding a value to its row: kind ("ai_secret", "env_var"), owner and id.
std::string SecretContext(std::string_view kind, std::string_view owner, std::string_view id);

// Seals `plaintext` under a fresh data key wrapped by the keyring's current key.
Result<std::string> SealSecret(const Keyring& keys, std::string_view plaintext, std::string_view context);
// Opens a stored value. Errors name the problem (format, unknown key id,
// authentication failure) but never include key or value bytes.
Result<std::string> OpenSecret(const Keyring& keys, std::string_view stored, std::string_view context);
// The stored value with its data key re-wrapped under the current key; the
// sealed value is unchanged. Already current: returned as is.
Result<std::string> RewrapSecret(const Keyring& keys, std::string_view stored);
// The master key id recorded in a stored value.
Result<std::string> StoredKeyId(std::string_view stored);

// Checks that every stored value's key id is in `keys`; the error counts and
// names the unknown ids and says where they were found.
Status CheckKeyIds(const Keyring& keys, const std::vector<std::string>& stored, std::string_view where);

// What reads show of a value: "ab********yz" for 12+ characters, else "********".
std::string PreviewSecret(std::string_view plaintext);

}  // namespace tv::crypto
