// Unit tests for src/crypto against published test vectors.
#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include <sys/stat.h>

#include "crypto/crypto.h"
#include "crypto/envelope.h"
#include "crypto/master_key.h"
#include "test_support.h"

namespace tv::crypto {
namespace {

TEST(CryptoTest, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, HmacSha256Rfc4231Case1) {
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(CryptoTest, Sha256OfAbc) {
  std::string digest = Sha256("abc");
  EXPECT_EQ(digest.size(), 32u);
  EXPECT_EQ(HexEncode(digest), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, Sha256OfEmpty) {
  EXPECT_EQ(HexEncode(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, HexEncode) { EXPECT_EQ(HexEncode(std::string("\x00\x7f\xff", 3)), "007fff"); }

TEST(Base64Test, KnownVectors) {
  // RFC 4648 section 10.
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, RoundTripsEveryLengthAndByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= 10; ++n) {
    std::string data = all.substr(250 - n, n);
    Result<std::string> back = Base64Decode(Base64Encode(data));
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, data) << n;
  }
  Result<std::string> back = Base64Decode(Base64Encode(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(Base64Test, InvalidInput) {
  EXPECT_EQ(Base64Decode("abc").status().code(), StatusCode::kInvalidArgument) << "length not a multiple of 4";
  EXPECT_EQ(Base64Decode("ab!?").status().code(), StatusCode::kInvalidArgument) << "bad alphabet";
  EXPECT_EQ(Base64Decode("****").status().code(), StatusCode::kInvalidArgument);
}

// BUG (src/crypto/crypto.cc, Base64Decode): EVP_DecodeBlock decodes '=' as
// zero bits anywhere, and the padding count only looks at the last two
// characters, so malformed input decodes to made-up bytes instead of failing:
// "====" → "\0", "=AAA" → three zero bytes, "Zg=a" → "f\0", "AA==AA==" → four
// zero bytes, "Z===" → "d".
TEST(Base64Test, PaddingOnlyAtTheEnd) {
  for (std::string_view bad : {"====", "=AAA", "Zg=a", "AA==AA==", "Z==="})
    EXPECT_EQ(Base64Decode(bad).status().code(), StatusCode::kInvalidArgument) << bad;
}

TEST(PasswordTest, VerifiesRightPasswordOnly) {
  std::string encoded = HashPasswordPbkdf2("correct horse", 1000);
  EXPECT_TRUE(encoded.starts_with("pbkdf2-sha256$1000$")) << encoded;
  EXPECT_TRUE(VerifyPassword("correct horse", encoded));
  EXPECT_FALSE(VerifyPassword("correct horsE", encoded));
  EXPECT_FALSE(VerifyPassword("", encoded));
}

TEST(PasswordTest, SaltsDiffer) { EXPECT_NE(HashPasswordPbkdf2("pw", 1000), HashPasswordPbkdf2("pw", 1000)); }

TEST(PasswordTest, MalformedEncodingNeverVerifies) {
  std::string good = HashPasswordPbkdf2("pw", 1000);
  EXPECT_FALSE(VerifyPassword("pw", ""));
  EXPECT_FALSE(VerifyPassword("pw", "pw"));
  EXPECT_FALSE(VerifyPassword("pw", "pbkdf2-sha256$1000$abcd"));        // three parts
  EXPECT_FALSE(VerifyPassword("pw", "bcrypt$1000$abcd$abcd"));          // other scheme
  EXPECT_FALSE(VerifyPassword("pw", "pbkdf2-sha256$0$abcd$abcd"));      // zero iterations
  EXPECT_FALSE(VerifyPassword("pw", "pbkdf2-sha256$-5$abcd$abcd"));     // negative
  EXPECT_FALSE(VerifyPassword("pw", "pbkdf2-sha256$x$abcd$abcd"));      // not a number
  EXPECT_FALSE(VerifyPassword("pw", good + "$extra"));                  // five parts
  EXPECT_FALSE(VerifyPassword("pw", good.substr(0, good.size() - 2)));  // truncated hash
}

TEST(PasswordTest, HashesWithScryptAndVerifies) {
  std::string encoded = HashPassword("correct horse");
  EXPECT_TRUE(encoded.starts_with("scrypt$15$8$1$")) << encoded;
  auto parts = encoded.substr(std::string_view("scrypt$15$8$1$").size());
  ASSERT_EQ(parts.size(), 32 + 1 + 64) << encoded;  // 16-byte salt, 32-byte hash, in hex
  EXPECT_TRUE(VerifyPassword("correct horse", encoded));
  EXPECT_FALSE(VerifyPassword("correct horsE", encoded));
  EXPECT_FALSE(VerifyPassword("", encoded));
  EXPECT_NE(HashPassword("correct horse"), encoded);  // a fresh salt each time
}

// The encoding holds the standard function: RFC 7914's test vector.
TEST(PasswordTest, ScryptEncodingIsTheStandardFunction) {
  // scrypt("pleaseletmein", "SodiumChloride", N=16384, r=8, p=1), RFC 7914 §12,
  // its first 32 bytes (the encoding always holds 32).
  std::string encoded = "scrypt$14$8$1$" + HexEncode("SodiumChloride") +
                        "$7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2";
  EXPECT_TRUE(VerifyPassword("pleaseletmein", encoded));
  EXPECT_FALSE(VerifyPassword("pleaseletmeiN", encoded));
  EXPECT_TRUE(NeedsRehash(encoded));  // not today's parameters
}

TEST(PasswordTest, OldPbkdf2HashesStillVerifyAndNeedRehash) {
  std::string old = HashPasswordPbkdf2("pw", 1000);
  EXPECT_TRUE(VerifyPassword("pw", old));
  EXPECT_TRUE(NeedsRehash(old));
  EXPECT_FALSE(NeedsRehash(HashPassword("pw")));
  EXPECT_TRUE(NeedsRehash(""));
  EXPECT_TRUE(NeedsRehash("scrypt$15$8$1$abcd"));
}

TEST(PasswordTest, MalformedScryptNeverVerifies) {
  std::string good = HashPassword("pw");
  ASSERT_TRUE(VerifyPassword("pw", good));
  auto at = [&](int field) {
    size_t pos = 0;
    for (int i = 0; i < field; ++i) pos = good.find('$', pos) + 1;
    return pos;
  };
  std::string salt_and_hash = good.substr(at(4));
  for (std::string bad : {
           std::string("scrypt$15$8$1$abcd"),             // five parts
           good + "$extra",                               // seven parts
           "scrypt$0$8$1$" + salt_and_hash,               // N = 1
           "scrypt$-1$8$1$" + salt_and_hash,              // negative
           "scrypt$x$8$1$" + salt_and_hash,               // not a number
           "scrypt$15x$8$1$" + salt_and_hash,             // trailing junk
           "scrypt$40$8$1$" + salt_and_hash,              // absurd memory
           "scrypt$15$0$1$" + salt_and_hash,              // r = 0
           "scrypt$15$8$99$" + salt_and_hash,             // p too large
           "scrypt$15$8$1$$" + good.substr(at(5)),        // empty salt
           "scrypt$15$8$1$zz" + salt_and_hash.substr(2),  // not hex
           good.substr(0, good.size() - 1),               // odd-length hash
           good.substr(0, good.size() - 2),               // truncated hash
           good.substr(0, at(5)) + "abcd",                // hash too short
       }) {
    EXPECT_FALSE(VerifyPassword("pw", bad)) << bad;
  }
}

TEST(RandomTest, AlphanumericLengthAndAlphabet) {
  for (size_t n : {0u, 1u, 7u, 48u, 500u}) {
    std::string s = RandomAlphanumeric(n);
    ASSERT_EQ(s.size(), n);
    for (char c : s) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << int(c);
  }
}

TEST(RandomTest, AlphanumericUsesWholeAlphabet) {
  std::string s = RandomAlphanumeric(20000);
  std::set<char> seen(s.begin(), s.end());
  EXPECT_EQ(seen.size(), 62u);
}

TEST(RandomTest, RandomBytesLength) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(33).size(), 33u);
  EXPECT_NE(RandomBytes(16), RandomBytes(16));
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

// --- Envelope encryption (docs/security.md) ---

std::string Key(char fill) { return std::string(kMasterKeyBytes, fill); }

TEST(AeadTest, RoundTripAndTamper) {
  std::string key = RandomBytes(kMasterKeyBytes);
  auto sealed = AeadSeal(key, "hello world", "aad");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), 12 + 11 + 16u);
  auto opened = AeadOpen(key, *sealed, "aad");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "hello world");
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string bad = *sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(AeadOpen(key, bad, "aad").ok()) << "flipped byte " << i;
  }
  EXPECT_FALSE(AeadOpen(key, *sealed, "aae").ok());
  EXPECT_FALSE(AeadOpen(RandomBytes(kMasterKeyBytes), *sealed, "aad").ok());
  EXPECT_FALSE(AeadOpen(key, sealed->substr(0, 20), "aad").ok());
}

TEST(AeadTest, FreshNonceEachTime) {
  std::string key = RandomBytes(kMasterKeyBytes);
  EXPECT_NE(*AeadSeal(key, "same", ""), *AeadSeal(key, "same", ""));
}

TEST(EnvelopeTest, SealOpenAndFormat) {
  Keyring keys(Key('a'));
  std::string ctx = SecretContext("ai_secret", "org-1", "id-1");
  auto stored = SealSecret(keys, "sk-very-secret-value", ctx);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->rfind("tvs1$" + keys.current_id() + "$", 0), 0u);
  EXPECT_EQ(stored->find("sk-very"), std::string::npos);
  EXPECT_EQ(*StoredKeyId(*stored), keys.current_id());
  EXPECT_EQ(keys.current_id().size(), 16u);
  EXPECT_EQ(*OpenSecret(keys, *stored, ctx), "sk-very-secret-value");
  EXPECT_EQ(*OpenSecret(keys, *SealSecret(keys, "", ctx), ctx), "");
}

TEST(EnvelopeTest, WrongAadFails) {
  Keyring keys(Key('a'));
  auto stored = *SealSecret(keys, "value", SecretContext("ai_secret", "org-1", "id-1"));
  EXPECT_FALSE(OpenSecret(keys, stored, SecretContext("ai_secret", "org-2", "id-1")).ok());
  EXPECT_FALSE(OpenSecret(keys, stored, SecretContext("ai_secret", "org-1", "id-2")).ok());
  EXPECT_FALSE(OpenSecret(keys, stored, SecretContext("env_var", "org-1", "id-1")).ok());
}

TEST(EnvelopeTest, WrongKeyFailsWithClearError) {
  Keyring keys(Key('a'));
  std::string ctx = SecretContext("env_var", "project:p", "x");
  auto stored = *SealSecret(keys, "value", ctx);
  Keyring other(Key('b'));
  auto r = OpenSecret(other, stored, ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(keys.current_id()), std::string::npos);
  // Same key id recorded but a different key: forged id must still fail.
  std::string forged = stored;
  forged.replace(5, 16, other.current_id());
  EXPECT_FALSE(OpenSecret(other, forged, ctx).ok());
  EXPECT_FALSE(CheckKeyIds(other, {stored}, "the test database").ok());
  EXPECT_TRUE(CheckKeyIds(keys, {stored}, "the test database").ok());
}

TEST(EnvelopeTest, TamperedPartsFail) {
  Keyring keys(Key('a'));
  std::string ctx = SecretContext("ai_secret", "o", "i");
  std::string stored = *SealSecret(keys, "value-value", ctx);
  for (size_t i = 22; i < stored.size(); ++i) {
    if (stored[i] == '$' || stored[i] == '=') continue;
    std::string bad = stored;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(OpenSecret(keys, bad, ctx).ok()) << "changed char " << i;
  }
  EXPECT_FALSE(OpenSecret(keys, "tvs1$abc", ctx).ok());
  EXPECT_FALSE(OpenSecret(keys, "plain text", ctx).ok());
  // The sealed value cannot be moved under another row's wrapped key.
  std::string other = *SealSecret(keys, "other-value", ctx);
  std::string mixed = stored.substr(0, stored.rfind('$')) + other.substr(other.rfind('$'));
  EXPECT_FALSE(OpenSecret(keys, mixed, ctx).ok());
}

TEST(EnvelopeTest, RotationRoundTrip) {
  Keyring old_keys(Key('a'));
  std::string ctx = SecretContext("ai_secret", "o", "i");
  std::string stored = *SealSecret(old_keys, "rotate-me-please", ctx);
  Keyring new_keys(Key('b'));
  EXPECT_FALSE(RewrapSecret(new_keys, stored).ok());  // old key unknown
  new_keys.AddOld(Key('a'));
  auto rewrapped = RewrapSecret(new_keys, stored);
  ASSERT_TRUE(rewrapped.ok());
  EXPECT_EQ(*StoredKeyId(*rewrapped), new_keys.current_id());
  // Only the wrapped key changed; the sealed value is the same bytes.
  EXPECT_EQ(rewrapped->substr(rewrapped->rfind('$')), stored.substr(stored.rfind('$')));
  EXPECT_EQ(*RewrapSecret(new_keys, *rewrapped), *rewrapped);
  Keyring only_new(Key('b'));
  EXPECT_EQ(*OpenSecret(only_new, *rewrapped, ctx), "rotate-me-please");
  EXPECT_FALSE(OpenSecret(old_keys, *rewrapped, ctx).ok());
}

TEST(EnvelopeTest, Preview) {
  EXPECT_EQ(PreviewSecret("sk-abcdefghijklmnop"), "sk********op");
  EXPECT_EQ(PreviewSecret("short"), "********");
  EXPECT_EQ(PreviewSecret(""), "********");
}

TEST(MasterKeyTest, ParseFormats) {
  std::string key = RandomBytes(kMasterKeyBytes);
  EXPECT_EQ(*ParseMasterKey(Base64Encode(key) + "\n", "x"), key);
  EXPECT_EQ(*ParseMasterKey(" " + HexEncode(key) + " ", "x"), key);
  EXPECT_FALSE(ParseMasterKey(Base64Encode(key.substr(1)), "x").ok());
  EXPECT_FALSE(ParseMasterKey("not a key", "x").ok());
}

TEST(MasterKeyTest, GenerateOnceWithMode0600AndKeyring) {
  tv::testing::TempDir dir;
  MasterKeyConfig c;
  c.keys_dir = dir.File("keys");
  auto first = LoadKeys(c);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(first->generated);
  ASSERT_TRUE(PersistGeneratedKey(c, first->keyring.current()).ok());
  struct stat st {};
  ASSERT_EQ(stat(c.managed_key_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(c.keys_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto again = LoadKeys(c);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->generated);
  EXPECT_EQ(again->keyring.current_id(), first->keyring.current_id());
  // A second generated key cannot replace the file.
  EXPECT_FALSE(PersistGeneratedKey(c, RandomBytes(kMasterKeyBytes)).ok());
  ASSERT_TRUE(WriteKeyring(c, {Key('z')}).ok());
  auto with_ring = LoadKeys(c);
  ASSERT_TRUE(with_ring.ok());
  EXPECT_NE(with_ring->keyring.Find(MasterKeyId(Key('z'))), nullptr);
  ASSERT_TRUE(WriteKeyring(c, {}).ok());
  EXPECT_NE(stat(c.keyring_file().c_str(), &st), 0);
}

TEST(MasterKeyTest, ExclusiveLockExcludesServers) {
  tv::testing::TempDir dir;
  MasterKeyConfig c;
  c.keys_dir = dir.File("keys");
  {
    auto shared = KeysLock::Acquire(c, false);
    ASSERT_TRUE(shared.ok());
    EXPECT_FALSE(KeysLock::Acquire(c, true).ok());
  }
  EXPECT_TRUE(KeysLock::Acquire(c, true).ok());
}

}  // namespace
}  // namespace tv::crypto
