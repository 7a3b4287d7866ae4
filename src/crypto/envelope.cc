#include "crypto/envelope.h"

#include <memory>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

namespace tv::crypto {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
// On disk: never change; a new envelope layout takes a new prefix.
constexpr std::string_view kFormat = "tvs1";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// Wipes a string holding key or plaintext bytes when it goes out of scope.
struct Wiped {
  std::string bytes;
  ~Wiped() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

CipherCtx NewCtx() { return CipherCtx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free); }

// Sets cipher, key and nonce, then feeds the AAD.
bool Init(EVP_CIPHER_CTX* ctx, bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad) {
  auto init = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  auto update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  int len = 0;
  return init(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
         init(ctx, nullptr, nullptr, Bytes(key), Bytes(nonce)) == 1 &&
         (aad.empty() || update(ctx, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) == 1);
}

struct Stored {
  std::string_view key_id, wrapped_b64, sealed_b64;
};

Result<Stored> Parse(std::string_view stored) {
  std::string_view parts[4];
  size_t n = 0, start = 0;
  for (size_t i = 0; i <= stored.size() && n < 4; ++i) {
    if (i == stored.size() || stored[i] == '$') {
      parts[n++] = stored.substr(start, i - start);
      start = i + 1;
    }
  }
  if (n != 4 || start != stored.size() + 1 || parts[0] != kFormat || parts[1].size() != 16)
    return Internal("A stored secret is not in the tvs1 format");
  return Stored{parts[1], parts[2], parts[3]};
}

std::string WrapAad(std::string_view key_id) {
  return "tracevault/dek/v1" + std::string(1, '\0') + std::string(key_id);
}

}  // namespace

std::string MasterKeyId(std::string_view key) { return HexEncode(Sha256(key).substr(0, 8)); }

Keyring::Keyring(std::string current) : current_(std::move(current)), current_id_(MasterKeyId(current_)) {
  keys_[current_id_] = current_;
}

void Keyring::AddOld(std::string key) {
  std::string id = MasterKeyId(key);
  keys_.emplace(std::move(id), std::move(key));
}

const std::string* Keyring::Find(std::string_view id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> Keyring::old_keys() const {
  std::vector<std::string> out;
  for (const auto& [id, key] : keys_)
    if (id != current_id_) out.push_back(key);
  return out;
}

Result<std::string> AeadSeal(std::string_view key, std::string_view plaintext, std::string_view aad) {
  if (key.size() != kMasterKeyBytes) return Internal("AES-256-GCM needs a 32-byte key");
  std::string out = RandomBytes(kNonceBytes);
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  CipherCtx ctx = NewCtx();
  int len = 0, fin = 0;
  unsigned char* body = Bytes(out) + kNonceBytes;
  if (!ctx || !Init(ctx.get(), true, key, std::string_view(out).substr(0, kNonceBytes), aad) ||
      EVP_EncryptUpdate(ctx.get(), body, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), body + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, body + plaintext.size()) != 1)
    return Internal("AES-256-GCM encryption failed");
  return out;
}

Result<std::string> AeadOpen(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kMasterKeyBytes) return Internal("AES-256-GCM needs a 32-byte key");
  if (sealed.size() < kNonceBytes + kTagBytes) return Internal("The sealed bytes are too short");
  std::string_view nonce = sealed.substr(0, kNonceBytes);
  std::string_view body = sealed.substr(kNonceBytes, sealed.size() - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  std::string out(body.size(), '\0');
  CipherCtx ctx = NewCtx();
  int len = 0, fin = 0;
  bool ok = ctx && Init(ctx.get(), false, key, nonce, aad) &&
            EVP_DecryptUpdate(ctx.get(), Bytes(out), &len, Bytes(body), static_cast<int>(body.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), Bytes(out) + len, &fin) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return Internal("Authentication failed: wrong key, wrong owner or tampered bytes");
  }
  return out;
}

std::string SecretContext(std::string_view kind, std::string_view owner, std::string_view id) {
  std::string out = "tracevault/secret/v1";
  for (auto part : {kind, owner, id}) {
    out.push_back('\0');
    out += part;
  }
  return out;
}

Result<std::string> SealSecret(const Keyring& keys, std::string_view plaintext, std::string_view context) {
  Wiped dek{RandomBytes(kMasterKeyBytes)};
  TV_ASSIGN_OR_RETURN(std::string wrapped, AeadSeal(keys.current(), dek.bytes, WrapAad(keys.current_id())));
  TV_ASSIGN_OR_RETURN(std::string sealed, AeadSeal(dek.bytes, plaintext, context));
  return fmt::format("{}${}${}${}", kFormat, keys.current_id(), Base64Encode(wrapped), Base64Encode(sealed));
}

namespace {

Result<std::string> UnwrapDek(const Keyring& keys, const Stored& s) {
  const std::string* kek = keys.Find(s.key_id);
  if (!kek)
    return Internal("The secret is sealed under master key id {}, which is not loaded (current id {})", s.key_id,
                    keys.current_id());
  TV_ASSIGN_OR_RETURN(std::string wrapped, Base64Decode(s.wrapped_b64));
  Result<std::string> dek = AeadOpen(*kek, wrapped, WrapAad(s.key_id));
  if (!dek.ok()) return Internal("The data key does not unwrap under master key id {}", s.key_id);
  return dek;
}

}  // namespace

Result<std::string> OpenSecret(const Keyring& keys, std::string_view stored, std::string_view context) {
  TV_ASSIGN_OR_RETURN(Stored s, Parse(stored));
  TV_ASSIGN_OR_RETURN(std::string dek_bytes, UnwrapDek(keys, s));
  Wiped dek{std::move(dek_bytes)};
  TV_ASSIGN_OR_RETURN(std::string sealed, Base64Decode(s.sealed_b64));
  return AeadOpen(dek.bytes, sealed, context);
}

Result<std::string> RewrapSecret(const Keyring& keys, std::string_view stored) {
  TV_ASSIGN_OR_RETURN(Stored s, Parse(stored));
  if (s.key_id == keys.current_id()) return std::string(stored);
  TV_ASSIGN_OR_RETURN(std::string dek_bytes, UnwrapDek(keys, s));
  Wiped dek{std::move(dek_bytes)};
  TV_ASSIGN_OR_RETURN(std::string wrapped, AeadSeal(keys.current(), dek.bytes, WrapAad(keys.current_id())));
  return fmt::format("{}${}${}${}", kFormat, keys.current_id(), Base64Encode(wrapped), s.sealed_b64);
}

Result<std::string> StoredKeyId(std::string_view stored) {
  TV_ASSIGN_OR_RETURN(Stored s, Parse(stored));
  return std::string(s.key_id);
}

Status CheckKeyIds(const Keyring& keys, const std::vector<std::string>& stored, std::string_view where) {
  std::set<std::string> unknown;
  size_t count = 0;
  for (const auto& v : stored) {
    TV_ASSIGN_OR_RETURN(std::string id, StoredKeyId(v));
    if (keys.Find(id)) continue;
    unknown.insert(id);
    ++count;
  }
  if (unknown.empty()) return Status::Ok();
  return Internal(
      "{} secret(s) in {} are sealed under master key id {}, which is neither the configured master key (id {}) "
      "nor in the keyring; start with the master key that sealed them (--master-key-file, TRACEVAULT_MASTER_KEY "
      "or DIR/keys/master.key)",
      count, where, fmt::join(unknown, ", "), keys.current_id());
}

std::string PreviewSecret(std::string_view plaintext) {
  if (plaintext.size() < 12) return "********";
  return std::string(plaintext.substr(0, 2)) + "********" + std::string(plaintext.substr(plaintext.size() - 2));
}

}  // namespace tv::crypto
