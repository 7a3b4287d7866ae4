#include "crypto/crypto.h"

#include <charconv>
#include <cstdlib>
#include <optional>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace tv::crypto {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    std::abort();  // no usable entropy source: nothing secure can continue
  return out;
}

std::string RandomAlphanumeric(size_t length) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    for (unsigned char c : RandomBytes(length)) {
      if (c >= 248) continue;  // 248 = 4 * 62: reject to stay unbiased
      out.push_back(kAlphabet[c % 62]);
      if (out.size() == length) break;
    }
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) fmt::format_to(std::back_inserter(out), "{:02x}", c);
  return out;
}

std::string Sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), reinterpret_cast<unsigned char*>(out.data()), &len);
  out.resize(len);
  return out;
}

namespace {

std::string Pbkdf2(std::string_view password, std::string_view salt, int iterations) {
  std::string out(32, '\0');
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                    EVP_sha256(), static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::string HexDecode(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    unsigned v = 0;
    std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    out.push_back(static_cast<char>(v));
  }
  return out;
}

}  // namespace

namespace {

// scrypt's parameters today; VerifyPassword accepts others within the bounds
// below, so a stored hash never needs a flag day.
constexpr int kScryptLog2N = 15;
constexpr int kScryptR = 8;
constexpr int kScryptP = 1;
constexpr size_t kScryptSaltBytes = 16;
constexpr size_t kScryptHashBytes = 32;
// Bounds on what a stored hash may ask for (memory is 128 * r * N bytes).
constexpr int kScryptMaxLog2N = 20;
constexpr int kScryptMaxR = 16;
constexpr int kScryptMaxP = 4;
constexpr uint64_t kScryptMaxMem = uint64_t{1} << 30;

std::optional<int> ParsePositive(std::string_view text, int max) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0 || v > max) return std::nullopt;
  return v;
}

// Strict: an even number of hex digits and nothing else.
std::optional<std::string> StrictHexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<char>(v));
  }
  return out;
}

std::optional<std::string> Scrypt(std::string_view password, std::string_view salt, int log2_n, int r, int p,
                                  size_t length) {
  std::string out(length, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                     uint64_t{1} << log2_n, static_cast<uint64_t>(r), static_cast<uint64_t>(p), kScryptMaxMem,
                     reinterpret_cast<unsigned char*>(out.data()), out.size()) != 1)
    return std::nullopt;
  return out;
}

bool VerifyScrypt(std::string_view password, const std::vector<std::string_view>& parts) {
  if (parts.size() != 6) return false;
  auto log2_n = ParsePositive(parts[1], kScryptMaxLog2N);
  auto r = ParsePositive(parts[2], kScryptMaxR);
  auto p = ParsePositive(parts[3], kScryptMaxP);
  auto salt = StrictHexDecode(parts[4]);
  auto expected = StrictHexDecode(parts[5]);
  if (!log2_n || !r || !p || !salt || !expected || salt->empty() || salt->size() > 64 ||
      expected->size() != kScryptHashBytes)
    return false;
  auto actual = Scrypt(password, *salt, *log2_n, *r, *p, expected->size());
  return actual && ConstantTimeEquals(*actual, *expected);
}

bool VerifyPbkdf2(std::string_view password, const std::vector<std::string_view>& parts) {
  if (parts.size() != 4) return false;
  int iterations = 0;
  std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (iterations <= 0) return false;
  std::string expected = HexDecode(parts[3]);
  return ConstantTimeEquals(Pbkdf2(password, HexDecode(parts[2]), iterations), expected);
}

}  // namespace

std::string HashPassword(std::string_view password) {
  std::string salt = RandomBytes(kScryptSaltBytes);
  auto hash = Scrypt(password, salt, kScryptLog2N, kScryptR, kScryptP, kScryptHashBytes);
  // Fixed, valid parameters: OpenSSL fails here only when out of memory.
  if (!hash) std::abort();
  return fmt::format("scrypt${}${}${}${}${}", kScryptLog2N, kScryptR, kScryptP, HexEncode(salt), HexEncode(*hash));
}

std::string HashPasswordPbkdf2(std::string_view password, int iterations) {
  std::string salt = RandomBytes(16);
  return fmt::format("pbkdf2-sha256${}${}${}", iterations, HexEncode(salt),
                     HexEncode(Pbkdf2(password, salt, iterations)));
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  auto parts = Split(encoded, '$');
  if (parts[0] == "scrypt") return VerifyScrypt(password, parts);
  if (parts[0] == "pbkdf2-sha256") return VerifyPbkdf2(password, parts);
  return false;
}

bool NeedsRehash(std::string_view encoded) {
  auto parts = Split(encoded, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return true;
  return parts[1] != std::to_string(kScryptLog2N) || parts[2] != std::to_string(kScryptR) ||
         parts[3] != std::to_string(kScryptP) || parts[4].size() != 2 * kScryptSaltBytes ||
         parts[5].size() != 2 * kScryptHashBytes;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("Invalid base64 length");
  size_t first_pad = text.find('=');
  if (first_pad != std::string_view::npos &&
      (first_pad + 2 < text.size() || text.find_first_not_of('=', first_pad) != std::string_view::npos))
    return InvalidArgument("Invalid base64 padding");
  std::string out(3 * (text.size() / 4) + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return InvalidArgument("Invalid base64");
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace tv::crypto
