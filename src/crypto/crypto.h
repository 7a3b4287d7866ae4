// Cryptographic primitives used across tracevault, all on OpenSSL 3. Nothing
// here is hand-rolled: these are thin, typed wrappers with constant-time
// comparison where secrets are compared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tv::crypto {

// `n` bytes from the OS CSPRNG.
std::string RandomBytes(size_t n);

// A random string of `length` characters from [0-9A-Za-z] (unbiased).
std::string RandomAlphanumeric(size_t length);

std::string HexEncode(std::string_view bytes);
std::string Sha256(std::string_view data);                            // raw 32 bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes

// PBKDF2-HMAC-SHA256 password hashing, encoded as
// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>".
std::string HashPassword(std::string_view password, int iterations = 210000);
bool VerifyPassword(std::string_view password, std::string_view encoded);

bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace tv::crypto
