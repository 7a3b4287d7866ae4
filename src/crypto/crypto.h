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

// Password hashing. HashPassword is scrypt (N = 2^15, r = 8, p = 1, 16-byte
// salt, 32-byte hash), encoded as
// "scrypt$<log2 N>$<r>$<p>$<salt hex>$<hash hex>". VerifyPassword accepts that
// and the older "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>", compares in
// constant time, and is false (never a crash) for any malformed encoding.
std::string HashPassword(std::string_view password);
bool VerifyPassword(std::string_view password, std::string_view encoded);
// True when `encoded` is not a hash of the current scheme and parameters, so a
// good sign-in should store HashPassword's instead.
bool NeedsRehash(std::string_view encoded);
// The older scheme, kept so stored hashes keep verifying (and for tests).
std::string HashPasswordPbkdf2(std::string_view password, int iterations = 210000);

bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace tv::crypto
