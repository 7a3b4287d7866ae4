// Unit tests for src/store: transaction ids, WAL chunks (against the byte
// layout in docs/storage-format.md), the merge rules and row rules (the SDK's
// row schema, sdk-wire-protocol.md §4.2), and the SpanStore end to end on a
// temp-dir SQLite catalog and a local object folder with a fake clock: scans,
// snapshots, paging, restart, group commit, tail eviction, corruption and
// object-storage faults.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include <xxhash.h>
#include <zstd.h>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/mutex.h"
#include "meta/meta_store.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "objstore/faulty_object_store.h"
#include "objstore/local/local_object_store.h"
#include "objstore/object_store.h"
#include "store/catalog.h"
#include "store/merge.h"
#include "store/row_rules.h"
#include "store/scan.h"
#include "store/span_store.h"
#include "store/wal_chunk.h"
#include "store/xact.h"
#include "store_fixture.h"
#include "test_support.h"

namespace tv::store {
namespace {

// ---------------------------------------------------------------------------
// 1. Transaction ids
// ---------------------------------------------------------------------------

class XactTest : public ::testing::Test {
 protected:
  // Random ids with the 0x0DE1 prefix, extremes included.
  static std::vector<XactId> SampleIds(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<XactId> out = {kXactPrefix, kXactPrefix | ((uint64_t{1} << 48) - 1), 1000192656880881099ULL};
    while (out.size() < n) out.push_back(kXactPrefix | (rng() & ((uint64_t{1} << 48) - 1)));
    return out;
  }
};

TEST_F(XactTest, FormatIsNineteenDigits) {
  EXPECT_EQ(FormatXact(1000192656880881099ULL), "1000192656880881099");
  EXPECT_EQ(FormatXact(kXactPrefix), "1000080592252960768");
  EXPECT_EQ(FormatXact(kXactPrefix | ((uint64_t{1} << 48) - 1)), "1000362067229671423");
  // Fixed width: small values are zero-padded to 19 digits.
  EXPECT_EQ(FormatXact(1), "0000000000000000001");
  EXPECT_EQ(FormatXact(0), "0000000000000000000");
  for (XactId x : SampleIds(2000, 1)) EXPECT_TRUE(Is19Digits(FormatXact(x))) << x;
}

TEST_F(XactTest, DocumentedPrettyPair) {
  EXPECT_EQ(PrettyXact(1000192656880881099ULL), "81cd05ee665fdfb3");
  Result<XactId> from_pretty = ParseXact("81cd05ee665fdfb3");
  ASSERT_TRUE(from_pretty.ok()) << from_pretty.status().ToString();
  EXPECT_EQ(*from_pretty, 1000192656880881099ULL);
  Result<XactId> from_decimal = ParseXact("1000192656880881099");
  ASSERT_TRUE(from_decimal.ok()) << from_decimal.status().ToString();
  EXPECT_EQ(*from_decimal, 1000192656880881099ULL);
}

TEST_F(XactTest, FormatAndPrettyRoundTrip) {
  for (XactId x : SampleIds(5000, 2)) {
    std::string pretty = PrettyXact(x);
    ASSERT_EQ(pretty.size(), 16u) << x;
    EXPECT_EQ(pretty.find_first_not_of("0123456789abcdef"), std::string::npos) << pretty;
    Result<XactId> back = ParseXact(pretty);
    ASSERT_TRUE(back.ok()) << pretty << ": " << back.status().ToString();
    EXPECT_EQ(*back, x) << pretty;
    Result<XactId> dec = ParseXact(FormatXact(x));
    ASSERT_TRUE(dec.ok()) << x;
    EXPECT_EQ(*dec, x);
  }
}

TEST_F(XactTest, ParseRejectsGarbage) {
  for (std::string_view bad : {"", "abc", "hello world", "12a4", "-1", "+1000192656880881099", " 1000192656880881099",
                               "1000192656880881099 ", "1000192656880881099x", "0x0de1000000000000",
                               "100019265688088109912",  // 21 digits
                               "99999999999999999999",   // 20 digits, past uint64
                               "81CD05EE665FDFB3",       // pretty form is lowercase
                               "81cd05ee665fdfb",        // 15 hex
                               "81cd05ee665fdfb3a",      // 17 hex
                               "1e18", "1000192656880881099.0"}) {
    Result<XactId> r = ParseXact(bad, "as_of");
    EXPECT_FALSE(r.ok()) << "accepted '" << bad << "' as " << (r.ok() ? *r : 0);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
      EXPECT_NE(r.status().message().find("as_of"), std::string::npos) << r.status().message();
    }
  }
  Result<XactId> unnamed = ParseXact("nope");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(unnamed.status().message().find("version"), std::string::npos) << unnamed.status().message();
}

TEST_F(XactTest, AllocatorFollowsTheClockWhenItMovesForward) {
  const int64_t secs = kStart / kSecond;
  XactAllocator a(0);
  XactId x1 = a.Next(kStart);
  EXPECT_EQ(x1, kXactPrefix | (static_cast<uint64_t>(secs) << 16));
  EXPECT_EQ(x1 >> 48, 0x0DE1u);
  EXPECT_EQ(a.last(), x1);
  XactId x2 = a.Next(kStart + 2 * kSecond);
  EXPECT_EQ(x2, kXactPrefix | (static_cast<uint64_t>(secs + 2) << 16));
  // Sub-second precision does not matter: the same second, the next id.
  XactId x3 = a.Next(kStart + 2 * kSecond + 1);
  EXPECT_EQ(x3, x2 + 1);
  XactId x4 = a.Next(kStart + 100 * kSecond);
  EXPECT_EQ(x4, kXactPrefix | (static_cast<uint64_t>(secs + 100) << 16));
}

TEST_F(XactTest, AllocatorNeverGoesBackwards) {
  XactAllocator a(0);
  XactId first = a.Next(kStart);
  // The clock stands still: +1 each time.
  for (int i = 1; i <= 100; ++i) EXPECT_EQ(a.Next(kStart), first + i);
  // The clock goes back an hour: still +1.
  XactId before = a.last();
  EXPECT_EQ(a.Next(kStart - 3600 * kSecond), before + 1);
  EXPECT_EQ(a.Next(0), before + 2);
  EXPECT_EQ(a.Next(-5 * kSecond), before + 3);

  // Reloaded from a hwm that is ahead of the clock (e.g. written before the
  // clock was set back): continues from the hwm.
  XactId hwm = kXactPrefix | (static_cast<uint64_t>(kStart / kSecond + 86400) << 16);
  XactAllocator b(hwm);
  EXPECT_EQ(b.Next(kStart), hwm + 1);

  // A random walk of the clock: strictly increasing, always prefixed.
  std::mt19937_64 rng(3);
  XactAllocator c(0);
  int64_t now = kStart;
  XactId prev = 0;
  for (int i = 0; i < 5000; ++i) {
    now += static_cast<int64_t>(rng() % (4 * kSecond)) - 2 * kSecond;
    XactId x = c.Next(now);
    EXPECT_GT(x, prev);
    EXPECT_EQ(x >> 48, 0x0DE1u);
    EXPECT_TRUE(Is19Digits(FormatXact(x)));
    prev = x;
  }
}

TEST_F(XactTest, StringOrderIsNumericOrder) {
  std::vector<XactId> ids = SampleIds(5000, 4);
  XactAllocator a(0);
  for (int i = 0; i < 500; ++i) ids.push_back(a.Next(kStart + i * 7919));  // neighbours too
  std::vector<XactId> by_number = ids;
  std::sort(by_number.begin(), by_number.end());
  std::vector<std::string> by_string;
  for (XactId x : ids) by_string.push_back(FormatXact(x));
  std::sort(by_string.begin(), by_string.end());
  ASSERT_EQ(by_string.size(), by_number.size());
  for (size_t i = 0; i < by_number.size(); ++i) EXPECT_EQ(by_string[i], FormatXact(by_number[i])) << i;
}

// ---------------------------------------------------------------------------
// 2. WAL chunks
// ---------------------------------------------------------------------------

class WalChunkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 1200; ++i)
      big_ +=
          fmt::format(R"({{"id":"row-{:04d}","input":"the quick brown fox jumps over the lazy dog, again and again"}})"
                      "\n",
                      i);
    ASSERT_GT(big_.size(), 100000u);
    // Incompressible-ish but above the compression threshold.
    std::mt19937_64 rng(5);
    for (int i = 0; i < 6; ++i)
      medium_ += fmt::format(R"({{"id":"m{}","r":"{:016x}{:016x}"}})"
                             "\n",
                             i, rng(), rng());
    ChunkBuilder b;
    b.AddSection(ids_[0], big_, 1200, 100, 200);
    b.AddSection(ids_[1], tiny_, 1, 150, 150);
    b.AddSection(ids_[2], medium_, 6, 160, 190);
    infos_ = b.sections();
    chunk_ = b.Finish();
  }

  template <typename T>
  static T LE(std::string_view b, size_t at) {
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= uint64_t{static_cast<unsigned char>(b[at + i])} << (8 * i);
    return static_cast<T>(v);
  }

  std::string Section(size_t i) const { return chunk_.substr(infos_[i].offset, infos_[i].length); }

  static void ExpectCorrupt(const Status& s, std::string_view where, std::string_view why = "") {
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
    EXPECT_NE(s.message().find(where), std::string::npos) << s.message();
    if (!why.empty()) {
      EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
    }
  }

  const std::string key_ = "wal/1000192656880881099-0badcafe.tvwal";
  const std::vector<std::string> ids_ = {"experiment:" + NewUuid(), "dataset:" + NewUuid(),
                                         "project_logs:" + NewUuid()};
  std::string big_;
  std::string tiny_ = "{\"id\":\"x\"}\n";
  std::string medium_;
  std::vector<SectionInfo> infos_;
  std::string chunk_;
};

TEST_F(WalChunkTest, SectionsAreContiguousAndRecorded) {
  ASSERT_EQ(infos_.size(), 3u);
  EXPECT_EQ(infos_[0].offset, 16u);  // after the chunk header
  for (size_t i = 0; i + 1 < infos_.size(); ++i) EXPECT_EQ(infos_[i + 1].offset, infos_[i].offset + infos_[i].length);
  EXPECT_EQ(infos_.back().offset + infos_.back().length, chunk_.size());
  EXPECT_EQ(infos_[0].object_id, ids_[0]);
  EXPECT_EQ(infos_[0].row_count, 1200u);
  EXPECT_EQ(infos_[0].min_xact, 100u);
  EXPECT_EQ(infos_[0].max_xact, 200u);
  EXPECT_EQ(infos_[1].object_id, ids_[1]);
  EXPECT_EQ(infos_[1].row_count, 1u);
  EXPECT_EQ(infos_[2].min_xact, 160u);
  EXPECT_EQ(infos_[2].max_xact, 190u);
  // The big repetitive section is compressed, so the chunk is far smaller.
  EXPECT_LT(chunk_.size(), big_.size() / 5);
}

TEST_F(WalChunkTest, BytesFollowTheDocumentedLayout) {
  EXPECT_EQ(chunk_.substr(0, 8), "TVWALCHK");
  EXPECT_EQ(LE<uint32_t>(chunk_, 8), 1u);
  EXPECT_EQ(LE<uint32_t>(chunk_, 12), 3u);
  const std::vector<std::string*> raw = {&big_, &tiny_, &medium_};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    std::string s = Section(i);
    ASSERT_GE(s.size(), 56u);
    EXPECT_EQ(s.substr(0, 4), "TVWS");
    EXPECT_EQ(LE<uint16_t>(s, 4), 1u);
    uint16_t flags = LE<uint16_t>(s, 6);
    uint32_t id_len = LE<uint32_t>(s, 8);
    EXPECT_EQ(id_len, ids_[i].size());
    EXPECT_EQ(LE<uint32_t>(s, 12), infos_[i].row_count);
    EXPECT_EQ(LE<uint64_t>(s, 16), infos_[i].min_xact);
    EXPECT_EQ(LE<uint64_t>(s, 24), infos_[i].max_xact);
    uint64_t stored_len = LE<uint64_t>(s, 32);
    uint64_t raw_len = LE<uint64_t>(s, 40);
    uint64_t checksum = LE<uint64_t>(s, 48);
    EXPECT_EQ(raw_len, raw[i]->size());
    ASSERT_EQ(s.size(), 56 + id_len + stored_len);
    EXPECT_EQ(s.substr(56, id_len), ids_[i]);
    std::string payload = s.substr(56 + id_len);
    std::string hashed = ids_[i] + payload;
    EXPECT_EQ(checksum, XXH3_64bits(hashed.data(), hashed.size()));
    if (i == 1) {
      EXPECT_EQ(flags & 1, 0) << "a tiny payload is stored raw";
      EXPECT_EQ(payload, tiny_);
    }
    if (i == 0) {
      EXPECT_EQ(flags & 1, 1) << "a 100 KB repetitive payload is zstd-compressed";
      EXPECT_LT(stored_len, raw_len / 10);
    }
    if (flags & 1) {
      std::string out(raw_len, '\0');
      size_t n = ZSTD_decompress(out.data(), out.size(), payload.data(), payload.size());
      ASSERT_FALSE(ZSTD_isError(n));
      EXPECT_EQ(out, *raw[i]);
    } else {
      EXPECT_EQ(stored_len, raw_len);
      EXPECT_EQ(payload, *raw[i]);
    }
  }
}

TEST_F(WalChunkTest, DecodeEachSectionFromItsExactRange) {
  const std::vector<std::string*> raw = {&big_, &tiny_, &medium_};
  for (size_t i = 0; i < 3; ++i) {
    Result<DecodedSection> d = DecodeSection(Section(i), key_);
    ASSERT_TRUE(d.ok()) << i << ": " << d.status().ToString();
    EXPECT_EQ(d->object_id, ids_[i]);
    EXPECT_EQ(d->jsonl, *raw[i]);
    EXPECT_EQ(d->row_count, infos_[i].row_count);
    EXPECT_EQ(d->min_xact, infos_[i].min_xact);
    EXPECT_EQ(d->max_xact, infos_[i].max_xact);
  }
  // One byte more or less than the recorded range is not a section.
  ExpectCorrupt(DecodeSection(chunk_.substr(infos_[1].offset, infos_[1].length + 1), key_).status(), key_);
  ExpectCorrupt(DecodeSection(chunk_.substr(infos_[1].offset, infos_[1].length - 1), key_).status(), key_);
}

TEST_F(WalChunkTest, DecodeWholeChunk) {
  Result<std::vector<DecodedSection>> d = DecodeChunk(chunk_, key_);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].object_id, ids_[0]);
  EXPECT_EQ((*d)[0].jsonl, big_);
  EXPECT_EQ((*d)[1].jsonl, tiny_);
  EXPECT_EQ((*d)[2].jsonl, medium_);
  EXPECT_EQ((*d)[2].row_count, 6u);

  // An empty chunk and an empty section are well-formed too.
  ChunkBuilder empty;
  std::string e = empty.Finish();
  EXPECT_EQ(e.size(), 16u);
  Result<std::vector<DecodedSection>> de = DecodeChunk(e, key_);
  ASSERT_TRUE(de.ok()) << de.status().ToString();
  EXPECT_TRUE(de->empty());
  ChunkBuilder one;
  one.AddSection("dataset:x", "", 0, 7, 7);
  Result<std::vector<DecodedSection>> d1 = DecodeChunk(one.Finish(), key_);
  ASSERT_TRUE(d1.ok()) << d1.status().ToString();
  ASSERT_EQ(d1->size(), 1u);
  EXPECT_EQ((*d1)[0].jsonl, "");
  EXPECT_EQ((*d1)[0].object_id, "dataset:x");
}

TEST_F(WalChunkTest, FlippedPayloadByteIsAChecksumError) {
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    // Last byte of the payload, and one in the middle of it.
    for (size_t at : {infos_[i].length - 1, 56 + ids_[i].size() + (infos_[i].length - 56 - ids_[i].size()) / 2}) {
      std::string s = Section(i);
      s[at] = static_cast<char>(s[at] ^ 0x5a);
      ExpectCorrupt(DecodeSection(s, key_).status(), key_, "checksum");
      std::string c = chunk_;
      c[infos_[i].offset + at] = static_cast<char>(c[infos_[i].offset + at] ^ 0x5a);
      ExpectCorrupt(DecodeChunk(c, key_).status(), key_, "checksum");
    }
  }
  // The object id is covered by the checksum as well.
  std::string s = Section(1);
  s[56] = static_cast<char>(s[56] ^ 1);
  ExpectCorrupt(DecodeSection(s, key_).status(), key_, "checksum");
}

TEST_F(WalChunkTest, TruncationIsAnError) {
  for (size_t cut : {size_t{1}, size_t{100}, chunk_.size() - 20, chunk_.size() - 10}) {
    SCOPED_TRACE(cut);
    ExpectCorrupt(DecodeChunk(chunk_.substr(0, chunk_.size() - cut), key_).status(), key_);
  }
  for (size_t i = 0; i < 3; ++i) {
    std::string s = Section(i);
    ExpectCorrupt(DecodeSection(s.substr(0, s.size() - 1), key_).status(), key_);
    ExpectCorrupt(DecodeSection(s.substr(0, s.size() / 2), key_).status(), key_);
    ExpectCorrupt(DecodeSection(s.substr(0, 40), key_).status(), key_);
  }
  ExpectCorrupt(DecodeSection("", key_).status(), key_);
  ExpectCorrupt(DecodeChunk("", key_).status(), key_);
  // Trailing bytes after the last section.
  ExpectCorrupt(DecodeChunk(chunk_ + "x", key_).status(), key_);
}

TEST_F(WalChunkTest, WrongMagicOrVersionIsAnError) {
  std::string c = chunk_;
  c[0] = 'X';
  ExpectCorrupt(DecodeChunk(c, key_).status(), key_);
  c = chunk_;
  c[8] = 2;  // chunk version
  ExpectCorrupt(DecodeChunk(c, key_).status(), key_);
  c = chunk_;
  c[infos_[1].offset] = 'X';  // section magic
  ExpectCorrupt(DecodeChunk(c, key_).status(), key_);
  std::string s = Section(2);
  s[1] = 'x';
  ExpectCorrupt(DecodeSection(s, key_).status(), key_, "magic");
  s = Section(2);
  s[4] = 9;  // section version
  ExpectCorrupt(DecodeSection(s, key_).status(), key_);
  // The zstd flag cleared on a compressed section, set on a raw one.
  s = Section(0);
  s[6] = static_cast<char>(s[6] & ~1);
  ExpectCorrupt(DecodeSection(s, key_).status(), key_);
  s = Section(1);
  s[6] = static_cast<char>(s[6] | 1);
  ExpectCorrupt(DecodeSection(s, key_).status(), key_);
  // raw_len that does not match the payload.
  s = Section(0);
  s[40] = static_cast<char>(s[40] ^ 1);
  ExpectCorrupt(DecodeSection(s, key_).status(), key_);
  s = Section(1);
  s[40] = static_cast<char>(s[40] ^ 1);
  ExpectCorrupt(DecodeSection(s, key_).status(), key_);
}

// ---------------------------------------------------------------------------
// 3. Merge rules (ApplyVersion)
// ---------------------------------------------------------------------------

class MergeTest : public ::testing::Test {
 protected:
  static constexpr XactId kX1 = 1000192656880881099ULL;
  static constexpr XactId kX2 = kX1 + 1;

  // Folds `versions` in order starting from `start` (null: no row).
  static RowPtr Fold(std::optional<json::object> start, const std::vector<std::string>& versions) {
    RowPtr row = start ? ApplyVersion(nullptr, *start, kX1) : nullptr;
    XactId x = kX1;
    for (const auto& v : versions) row = ApplyVersion(row.get(), Obj(v), ++x);
    return row;
  }

  static void ExpectNoControlFields(const json::object& row) {
    for (const auto& f : kControlFields) EXPECT_FALSE(row.contains(f)) << f << " leaked into " << row;
  }
};

TEST_F(MergeTest, InsertReplacesTheRowAndKeepsCreated) {
  json::object prev = Obj(R"({"id":"a","created":"2026-01-01T00:00:00.000000Z","input":1,"output":2,
                             "metadata":{"a":1},"tags":["t"]})");
  RowPtr p = ApplyVersion(nullptr, prev, kX1);
  RowPtr r = ApplyVersion(p.get(), Obj(R"({"id":"a","created":"2026-02-02T00:00:00.000000Z","input":3})"), kX2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("input"), 3);
  EXPECT_FALSE(r->contains("output"));
  EXPECT_FALSE(r->contains("metadata"));
  EXPECT_FALSE(r->contains("tags"));
  EXPECT_EQ(Str(*r, "created"), "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(Str(*r, "_xact_id"), FormatXact(kX2));
  // `_is_merge: false` is a replace too.
  RowPtr r2 = ApplyVersion(p.get(), Obj(R"({"id":"a","_is_merge":false,"output":"o"})"), kX2);
  EXPECT_FALSE(r2->contains("input"));
  EXPECT_EQ(r2->at("output"), "o");
  EXPECT_EQ(Str(*r2, "created"), "2026-01-01T00:00:00.000000Z");
  ExpectNoControlFields(*r2);
  // The previous state is not modified.
  EXPECT_EQ(p->at("input"), 1);
  EXPECT_EQ(Str(*p, "_xact_id"), FormatXact(kX1));
}

TEST_F(MergeTest, MergeDeepMergesObjectsAndReplacesScalarsAndArrays) {
  RowPtr r = Fold(Obj(R"({"id":"a","output":"o","input":[1,2],
                         "metadata":{"a":{"x":1,"y":2},"b":1,"list":[1,2],"s":"str","o":{"k":1}},
                         "scores":{"s1":0.5}})"),
                  {R"({"id":"a","_is_merge":true,"input":[3],
                       "metadata":{"a":{"y":3,"z":4},"list":[9],"s":{"now":"object"},"o":"scalar","n":{"new":1}},
                       "scores":{"s2":1}})"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("metadata"), Val(R"({"a":{"x":1,"y":3,"z":4},"b":1,"list":[9],"s":{"now":"object"},
                                        "o":"scalar","n":{"new":1}})"));
  EXPECT_EQ(r->at("scores"), Val(R"({"s1":0.5,"s2":1})"));
  EXPECT_EQ(r->at("input"), Val("[3]"));
  EXPECT_EQ(r->at("output"), "o");
  ExpectNoControlFields(*r);
}

TEST_F(MergeTest, NullOverwrites) {
  RowPtr r = Fold(Obj(R"({"id":"a","output":"o","metadata":{"a":1,"b":{"c":2}},"expected":{"e":1}})"),
                  {R"({"id":"a","_is_merge":true,"output":null,"metadata":{"a":null,"b":null},"expected":null})"});
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->contains("output"));
  EXPECT_TRUE(r->at("output").is_null());
  EXPECT_EQ(r->at("metadata"), Val(R"({"a":null,"b":null})"));
  EXPECT_TRUE(r->at("expected").is_null());
  // And a later merge of an object onto null sets it.
  RowPtr r2 = ApplyVersion(r.get(), Obj(R"({"id":"a","_is_merge":true,"expected":{"e":2}})"), kX2 + 5);
  EXPECT_EQ(r2->at("expected"), Val(R"({"e":2})"));
}

TEST_F(MergeTest, TopLevelTagsAreASetUnion) {
  RowPtr r = Fold(Obj(R"({"id":"a","tags":["a","b"],"metadata":{"tags":["m"]}})"),
                  {R"({"id":"a","_is_merge":true,"tags":["b","c","c"],"metadata":{"tags":["n"]}})"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("tags"), Val(R"(["a","b","c"])"));
  // Nested "tags" is just an array: replaced.
  EXPECT_EQ(r->at("metadata"), Val(R"({"tags":["n"]})"));
  // No tags yet: the merge sets them.
  RowPtr r2 = Fold(Obj(R"({"id":"a"})"), {R"({"id":"a","_is_merge":true,"tags":["x"]})"});
  EXPECT_EQ(r2->at("tags"), Val(R"(["x"])"));
  // A replace does not union.
  RowPtr r3 = Fold(Obj(R"({"id":"a","tags":["a"]})"), {R"({"id":"a","tags":["b"]})"});
  EXPECT_EQ(r3->at("tags"), Val(R"(["b"])"));
}

TEST_F(MergeTest, MergeKeepsCreatedAndSpanStructureOfTheExistingRow) {
  RowPtr r =
      Fold(Obj(R"({"id":"a","created":"C1","span_id":"S1","root_span_id":"R1","span_parents":["P1"],"output":1})"),
           {R"({"id":"a","_is_merge":true,"created":"C2","span_id":"S2","root_span_id":"R2",
                       "span_parents":["P2"],"output":2})"});
  ASSERT_TRUE(r);
  EXPECT_EQ(Str(*r, "created"), "C1");
  EXPECT_EQ(Str(*r, "span_id"), "S1");
  EXPECT_EQ(Str(*r, "root_span_id"), "R1");
  EXPECT_EQ(r->at("span_parents"), Val(R"(["P1"])"));
  EXPECT_EQ(r->at("output"), 2);
  EXPECT_EQ(r->at("is_root"), false);
}

TEST_F(MergeTest, MergeOnAMissingRowCreatesIt) {
  RowPtr r =
      ApplyVersion(nullptr, Obj(R"({"id":"a","_is_merge":true,"output":1,"created":"C","metadata":{"m":1}})"), kX1);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("output"), 1);
  EXPECT_EQ(Str(*r, "created"), "C");
  EXPECT_EQ(r->at("metadata"), Val(R"({"m":1})"));
  EXPECT_EQ(Str(*r, "_xact_id"), FormatXact(kX1));
  EXPECT_EQ(r->at("is_root"), true);
  ExpectNoControlFields(*r);
  // After a delete the row is missing again: a merge recreates it.
  RowPtr gone = ApplyVersion(r.get(), Obj(R"({"id":"a","_object_delete":true})"), kX2);
  EXPECT_FALSE(gone);
  RowPtr back = ApplyVersion(gone.get(), Obj(R"({"id":"a","_is_merge":true,"input":5})"), kX2 + 1);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at("input"), 5);
  EXPECT_FALSE(back->contains("output"));
}

TEST_F(MergeTest, MergePathsStopDescent) {
  json::object base = Obj(R"({"id":"a","metadata":{"a":{"x":1,"y":2},"b":{"x":1}},"input":{"q":1,"r":2}})");
  RowPtr r = Fold(base, {R"({"id":"a","_is_merge":true,"_merge_paths":[["metadata","a"]],
                            "metadata":{"a":{"y":3},"b":{"y":2}},"input":{"q":9}})"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("metadata"), Val(R"({"a":{"y":3},"b":{"x":1,"y":2}})"));
  EXPECT_EQ(r->at("input"), Val(R"({"q":9,"r":2})"));
  ExpectNoControlFields(*r);
  // A top-level path replaces the whole field.
  RowPtr r2 = Fold(base, {R"({"id":"a","_is_merge":true,"_merge_paths":[["metadata"],["input"]],
                             "metadata":{"b":{"y":2}},"input":{"q":9}})"});
  EXPECT_EQ(r2->at("metadata"), Val(R"({"b":{"y":2}})"));
  EXPECT_EQ(r2->at("input"), Val(R"({"q":9})"));
}

TEST_F(MergeTest, ArrayDeleteRemovesValues) {
  RowPtr r = Fold(Obj(R"({"id":"a","tags":["a","b","c"],"metadata":{"list":[1,2,3,2],"keep":[2]}})"),
                  {R"({"id":"a","_is_merge":true,"_array_delete":[{"path":["tags"],"delete":["b"]},
                       {"path":["metadata","list"],"delete":[2,7]},{"path":["nowhere"],"delete":[1]}]})"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("tags"), Val(R"(["a","c"])"));
  EXPECT_EQ(r->at("metadata"), Val(R"({"list":[1,3],"keep":[2]})"));
  ExpectNoControlFields(*r);
  // Adding and deleting tags in one merge: union first, then delete.
  RowPtr r2 = ApplyVersion(r.get(), Obj(R"({"id":"a","_is_merge":true,"tags":["d"],
                                            "_array_delete":[{"path":["tags"],"delete":["a"]}]})"),
                           kX2 + 3);
  EXPECT_EQ(r2->at("tags"), Val(R"(["c","d"])"));
}

TEST_F(MergeTest, ObjectDeleteRemovesTheRow) {
  RowPtr r = Fold(Obj(R"({"id":"a","output":1})"), {R"({"id":"a","_object_delete":true})"});
  EXPECT_FALSE(r);
  EXPECT_FALSE(ApplyVersion(nullptr, Obj(R"({"id":"a","_object_delete":true})"), kX1));
  // `_object_delete: false` is an ordinary write.
  RowPtr kept = Fold(Obj(R"({"id":"a","output":1})"), {R"({"id":"a","_object_delete":false,"output":2})"});
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->at("output"), 2);
  EXPECT_FALSE(kept->contains("_object_delete"));
}

TEST_F(MergeTest, ResultsCarryXactIdAndIsRoot) {
  struct Case {
    std::string row;
    bool is_root;
  } cases[] = {{R"({"id":"a"})", true},
               {R"({"id":"a","span_parents":[]})", true},
               {R"({"id":"a","span_parents":null})", true},
               {R"({"id":"a","span_parents":["p"]})", false},
               {R"({"id":"a","span_parents":["p"],"is_root":true})", false},
               {R"({"id":"a","is_root":false})", true}};
  for (const auto& c : cases) {
    RowPtr r = ApplyVersion(nullptr, Obj(c.row), kX1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->at("is_root"), c.is_root) << c.row;
    EXPECT_EQ(Str(*r, "_xact_id"), "1000192656880881099") << c.row;
    EXPECT_TRUE(Is19Digits(Str(*r, "_xact_id")));
  }
  // A stale `_xact_id` in the version never survives.
  RowPtr r = ApplyVersion(nullptr, Obj(R"({"id":"a","_xact_id":"123"})"), kX2);
  EXPECT_EQ(Str(*r, "_xact_id"), FormatXact(kX2));
  RowPtr m =
      ApplyVersion(r.get(), Obj(R"({"id":"a","_is_merge":true,"_xact_id":"123","span_parents":["p"]})"), kX2 + 1);
  EXPECT_EQ(Str(*m, "_xact_id"), FormatXact(kX2 + 1));
  // A merge cannot re-parent a span: the root stays a root.
  EXPECT_EQ(m->at("is_root"), true);
  EXPECT_FALSE(m->contains("span_parents"));
}

TEST_F(MergeTest, ControlFieldsNeverAppearInResults) {
  const std::string control = R"("_merge_paths":[["metadata"]],"_array_delete":[],"_audit_source":"app",
      "_audit_metadata":{"u":1},"_parent_id":"p","_async_scoring_control":{},"_skip_async_scoring":true)";
  RowPtr ins = ApplyVersion(nullptr, Obj(R"({"id":"a","_is_merge":false,)" + control + "}"), kX1);
  ASSERT_TRUE(ins);
  ExpectNoControlFields(*ins);
  RowPtr merged = ApplyVersion(ins.get(), Obj(R"({"id":"a","_is_merge":true,)" + control + "}"), kX2);
  ASSERT_TRUE(merged);
  ExpectNoControlFields(*merged);
  RowPtr created = ApplyVersion(nullptr, Obj(R"({"id":"a","_is_merge":true,)" + control + "}"), kX2);
  ExpectNoControlFields(*created);
  for (const auto& f : kControlFields) EXPECT_TRUE(IsControlField(f)) << f;
  EXPECT_TRUE(IsControlField("_xact_id"));
  for (std::string_view f : {"id", "created", "input", "output", "tags", "is_root", "comment", "_other"})
    EXPECT_FALSE(IsControlField(f)) << f;
}

TEST_F(MergeTest, CommentTarget) {
  EXPECT_EQ(CommentTarget(Obj(R"({"id":"c","comment":{"text":"hi"},"origin":{"id":"t"}})")), "t");
  EXPECT_EQ(CommentTarget(Obj(R"({"id":"c","comment":{"text":"hi"},"origin":{"id":"t"},"span_id":"s"})")), "");
  EXPECT_EQ(CommentTarget(Obj(R"({"id":"c","comment":null,"origin":{"id":"t"}})")), "");
  EXPECT_EQ(CommentTarget(Obj(R"({"id":"c","origin":{"id":"t"}})")), "");
  EXPECT_EQ(CommentTarget(Obj(R"({"id":"c","comment":{"text":"hi"}})")), "");
  EXPECT_EQ(CommentTarget(Obj(R"({"id":"c","comment":{"text":"hi"},"origin":"t"})")), "");
  EXPECT_EQ(CommentTarget(Obj(R"({"id":"c","comment":{"text":"hi"},"origin":{"id":5}})")), "");
  EXPECT_EQ(CommentTarget(Obj(R"({"id":"c","comment":{"text":"hi"},"origin":{"object_type":"experiment"}})")), "");
}

// ---------------------------------------------------------------------------
// 4. Row rules
// ---------------------------------------------------------------------------

class RowRulesTest : public ::testing::Test {
 protected:
  static void ExpectInvalid(const Status& s, std::string_view where, std::string_view mentions = "") {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_EQ(s.message().rfind(where, 0), 0u) << "message does not start with '" << where << "': " << s.message();
    if (!mentions.empty()) {
      EXPECT_NE(s.message().find(mentions), std::string::npos) << s.message();
    }
  }
  // NormalizeRow on `text` for an experiment.
  Status Normalize(std::string_view text, json::object* out = nullptr, ObjectKind kind = ObjectKind::kExperiment) {
    json::object row = Obj(text);
    ObjectRef ref{kind, kind == ObjectKind::kProjectLogs ? project_ : obj_};
    Status s = NormalizeRow(row, ref, project_, kStart, "rows[7]");
    if (out) *out = std::move(row);
    return s;
  }

  std::string obj_ = NewUuid();
  std::string project_ = NewUuid();
};

TEST_F(RowRulesTest, RowObjectForEachKind) {
  std::string u = NewUuid();
  struct Case {
    json::object row;
    ObjectKind kind;
    std::string object_id;
  } cases[] = {
      {json::object{{"id", "a"}, {"experiment_id", u}}, ObjectKind::kExperiment, "experiment:" + u},
      {json::object{{"id", "a"}, {"experiment_id", u}, {"project_id", NewUuid()}}, ObjectKind::kExperiment,
       "experiment:" + u},
      {json::object{{"dataset_id", u}}, ObjectKind::kDataset, "dataset:" + u},
      {json::object{{"project_id", u}, {"log_id", "g"}}, ObjectKind::kProjectLogs, "project_logs:" + u},
      {json::object{{"prompt_session_id", u}, {"log_id", "x"}}, ObjectKind::kPromptSession, "prompt_session:" + u},
  };
  for (const auto& c : cases) {
    Result<ObjectRef> r = RowObject(c.row, "rows[0]");
    ASSERT_TRUE(r.ok()) << c.row << ": " << r.status().ToString();
    EXPECT_EQ(r->kind, c.kind) << c.row;
    EXPECT_EQ(r->id, u);
    EXPECT_EQ(r->ObjectId(), c.object_id);
  }
  for (auto k : {ObjectKind::kExperiment, ObjectKind::kDataset, ObjectKind::kProjectLogs, ObjectKind::kPromptSession})
    EXPECT_EQ(ParseObjectKind(ObjectKindName(k)), k);
  EXPECT_EQ(ObjectKindName(ObjectKind::kProjectLogs), "project_logs");
  EXPECT_EQ(ObjectKindName(ObjectKind::kPromptSession), "prompt_session");
  EXPECT_FALSE(ParseObjectKind("playground_logs").has_value());
}

TEST_F(RowRulesTest, RowObjectErrors) {
  std::string u = NewUuid(), v = NewUuid();
  const std::vector<std::pair<json::object, std::string>> cases = {
      {json::object{{"id", "a"}}, "names no object"},
      {json::object{{"experiment_id", ""}}, "names no object"},
      {json::object{{"project_id", u}}, "names no object"},  // project_id alone is not project logs
      {json::object{{"experiment_id", u}, {"dataset_id", v}}, "more than one"},
      {json::object{{"experiment_id", u}, {"project_id", v}, {"log_id", "g"}}, "more than one"},
      {json::object{{"dataset_id", u}, {"prompt_session_id", v}, {"log_id", "x"}}, "more than one"},
      {json::object{{"experiment_id", "not-a-uuid"}}, "experiment_id"},
      {json::object{{"dataset_id", "1234"}}, "dataset_id"},
      {json::object{{"project_id", "p"}, {"log_id", "g"}}, "project_id"},
      {json::object{{"log_id", "g"}}, "project_id"},
      {json::object{{"project_id", u}, {"log_id", "z"}}, "log_id"},
      {json::object{{"prompt_session_id", u}, {"log_id", "g"}}, "log_id"},
      {json::object{{"experiment_id", 5}}, "experiment_id"},
      {json::object{{"experiment_id", u}, {"log_id", 1}}, "log_id"},
  };
  for (const auto& [row, mentions] : cases) {
    Result<ObjectRef> r = RowObject(row, "rows[3]");
    EXPECT_FALSE(r.ok()) << "accepted " << row;
    if (!r.ok()) ExpectInvalid(r.status(), "rows[3]", mentions);
  }
}

TEST_F(RowRulesTest, NormalizeFillsIdsCreatedAndObjectFields) {
  json::object row;
  Status s = Normalize(R"({"input":"q","datasetRecordId":"keep-me"})", &row);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(IsUuid(Str(row, "id"))) << row;
  EXPECT_EQ(Str(row, "created"), FormatTimestamp(kStart));
  EXPECT_EQ(Str(row, "created"), "2026-11-23T09:20:29.024000Z");
  EXPECT_EQ(Str(row, "experiment_id"), obj_);
  EXPECT_EQ(Str(row, "project_id"), project_);
  EXPECT_EQ(Str(row, "datasetRecordId"), "keep-me");
  EXPECT_FALSE(row.contains("span_id"));  // only datasets synthesize span ids

  // Given id and created are kept; an empty id gets a fresh one.
  ASSERT_TRUE(Normalize(R"({"id":"custom-id","created":"2020-01-01T00:00:00.000Z"})", &row).ok());
  EXPECT_EQ(Str(row, "id"), "custom-id");
  EXPECT_EQ(Str(row, "created"), "2020-01-01T00:00:00.000Z");
  ASSERT_TRUE(Normalize(R"({"id":""})", &row).ok());
  EXPECT_TRUE(IsUuid(Str(row, "id")));
  std::string first = Str(row, "id");
  ASSERT_TRUE(Normalize(R"({})", &row).ok());
  EXPECT_NE(Str(row, "id"), first);

  // Project logs and playground rows get their log_id.
  ASSERT_TRUE(Normalize(R"({"id":"a"})", &row, ObjectKind::kProjectLogs).ok());
  EXPECT_EQ(Str(row, "project_id"), project_);
  EXPECT_EQ(Str(row, "log_id"), "g");
  ASSERT_TRUE(Normalize(R"({"id":"a"})", &row, ObjectKind::kPromptSession).ok());
  EXPECT_EQ(Str(row, "prompt_session_id"), obj_);
  EXPECT_EQ(Str(row, "log_id"), "x");
  EXPECT_EQ(Str(row, "project_id"), project_);
}

TEST_F(RowRulesTest, NormalizeDatasetSpanIds) {
  json::object row;
  ASSERT_TRUE(Normalize(R"({"id":"rec-1","input":1})", &row, ObjectKind::kDataset).ok());
  EXPECT_EQ(Str(row, "dataset_id"), obj_);
  EXPECT_EQ(Str(row, "span_id"), "rec-1");
  EXPECT_EQ(Str(row, "root_span_id"), "rec-1");
  // A generated id is used for the span ids too.
  ASSERT_TRUE(Normalize(R"({"input":1})", &row, ObjectKind::kDataset).ok());
  EXPECT_EQ(Str(row, "span_id"), Str(row, "id"));
  EXPECT_EQ(Str(row, "root_span_id"), Str(row, "id"));
  // Given span ids are kept.
  ASSERT_TRUE(Normalize(R"({"id":"r","span_id":"s","root_span_id":"t"})", &row, ObjectKind::kDataset).ok());
  EXPECT_EQ(Str(row, "span_id"), "s");
  EXPECT_EQ(Str(row, "root_span_id"), "t");
  // Comment rows stay comments: no span ids.
  ASSERT_TRUE(
      Normalize(R"({"id":"c","comment":{"text":"hi"},"origin":{"id":"rec-1"}})", &row, ObjectKind::kDataset).ok());
  EXPECT_FALSE(row.contains("span_id")) << row;
  EXPECT_FALSE(row.contains("root_span_id")) << row;
  EXPECT_EQ(CommentTarget(row), "rec-1");
  // Deletes get neither span ids nor created.
  ASSERT_TRUE(Normalize(R"({"id":"r","_object_delete":true})", &row, ObjectKind::kDataset).ok());
  EXPECT_FALSE(row.contains("span_id"));
  EXPECT_FALSE(row.contains("created"));
}

TEST_F(RowRulesTest, NormalizeStripsReadOnlyFields) {
  json::object row;
  ASSERT_TRUE(Normalize(R"({"id":"a","_xact_id":"1000192656880881099","is_root":true,"org_id":"o",
                           "_is_merge":true,"_audit_source":"app"})",
                        &row)
                  .ok());
  EXPECT_FALSE(row.contains("_xact_id"));
  EXPECT_FALSE(row.contains("is_root"));
  EXPECT_FALSE(row.contains("org_id"));
  // Control fields stay on the stored version for the reader to apply.
  EXPECT_EQ(row.at("_is_merge"), true);
  EXPECT_EQ(Str(row, "_audit_source"), "app");
}

TEST_F(RowRulesTest, NormalizeScores) {
  json::object row;
  ASSERT_TRUE(Normalize(R"({"scores":{"t":true,"f":false,"n":null,"q":0.25,"zero":0,"one":1}})", &row).ok());
  EXPECT_EQ(row.at("scores"), Val(R"({"t":1,"f":0,"n":null,"q":0.25,"zero":0,"one":1})"));
  ExpectInvalid(Normalize(R"({"scores":{"s":1.5}})"), "rows[7]", "scores.s");
  ExpectInvalid(Normalize(R"({"scores":{"s":-0.1}})"), "rows[7]", "scores.s");
  ExpectInvalid(Normalize(R"({"scores":{"s":"0.5"}})"), "rows[7]", "scores.s");
  ExpectInvalid(Normalize(R"({"scores":{"s":[0.5]}})"), "rows[7]", "scores.s");
  ExpectInvalid(Normalize(R"({"scores":{"s":{"v":0.5}}})"), "rows[7]", "scores.s");
  ExpectInvalid(Normalize(R"({"scores":0.5})"), "rows[7]", "scores");
  ExpectInvalid(Normalize(R"({"scores":[0.5]})"), "rows[7]", "scores");
}

TEST_F(RowRulesTest, NormalizeRejectsBadTypes) {
  json::object row;
  ASSERT_TRUE(Normalize(R"({"metrics":{"start":1795425629.024,"tokens":10,"x":null}})", &row).ok());
  ASSERT_TRUE(Normalize(R"({"tags":["a","b"],"span_parents":["p"],"metadata":{},"_merge_paths":[["a","b"],[]],
                           "_array_delete":[{"path":["tags"],"delete":["a",1]}],"_is_merge":false})")
                  .ok());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"metrics":{"start":"x"}})", "metrics.start"},
      {R"({"metrics":{"ok":true}})", "metrics.ok"},
      {R"({"metrics":[1]})", "metrics"},
      {R"({"tags":"a"})", "tags"},
      {R"({"tags":["a",1]})", "tags"},
      {R"({"tags":[["a"]]})", "tags"},
      {R"({"span_parents":"p"})", "span_parents"},
      {R"({"_merge_paths":"metadata"})", "_merge_paths"},
      {R"({"_merge_paths":["metadata"]})", "_merge_paths"},
      {R"({"_merge_paths":[["metadata",1]]})", "_merge_paths"},
      {R"({"_array_delete":"tags"})", "_array_delete"},
      {R"({"_array_delete":[1]})", "_array_delete"},
      {R"({"_array_delete":[{"path":"tags","delete":["a"]}]})", "_array_delete"},
      {R"({"_array_delete":[{"path":["tags"]}]})", "_array_delete"},
      {R"({"_array_delete":[{"path":["tags"],"delete":"a"}]})", "_array_delete"},
      {R"({"_array_delete":[{"path":[1],"delete":[]}]})", "_array_delete"},
      {R"({"_is_merge":"yes"})", "_is_merge"},
      {R"({"_object_delete":1})", "_object_delete"},
      {R"({"id":5})", "id"},
      {R"({"span_id":5})", "span_id"},
      {R"({"created":12345})", "created"},
      {R"({"metadata":[1]})", "metadata"},
      {R"({"comment":"text"})", "comment"},
  };
  for (const auto& [text, mentions] : bad) {
    Status s = Normalize(text);
    EXPECT_FALSE(s.ok()) << "accepted " << text;
    if (!s.ok()) ExpectInvalid(s, "rows[7]", mentions);
  }
  ExpectInvalid(Normalize(json::serialize(json::object{{"id", std::string(1025, 'a')}})), "rows[7]", "id");
  EXPECT_TRUE(Normalize(json::serialize(json::object{{"id", std::string(1024, 'a')}})).ok());
}

TEST_F(RowRulesTest, FeedbackScoresBecomeOneMergeRow) {
  Result<std::vector<json::object>> r =
      FeedbackRows(Obj(R"({"id":"span-1","scores":{"good":1},"expected":"e","tags":["t"],"metadata":{"user":"u1"}})"),
                   ObjectKind::kExperiment, "feedback[0]");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const json::object& m = (*r)[0];
  EXPECT_EQ(json::value(m), Val(R"({"id":"span-1","_is_merge":true,"_audit_source":"external",
                                    "_audit_metadata":{"user":"u1"},"scores":{"good":1},"expected":"e","tags":["t"]})"));
  EXPECT_FALSE(m.contains("metadata"));
  // Without metadata the audit metadata is empty; the source is passed on.
  r = FeedbackRows(Obj(R"({"id":"span-1","expected":null,"source":"app"})"), ObjectKind::kExperiment, "f");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(Str((*r)[0], "_audit_source"), "app");
  EXPECT_EQ((*r)[0].at("_audit_metadata"), json::object());
  EXPECT_TRUE((*r)[0].at("expected").is_null());
}

TEST_F(RowRulesTest, FeedbackCommentBecomesACommentRow) {
  Result<std::vector<json::object>> r =
      FeedbackRows(Obj(R"({"id":"span-1","comment":"nice","metadata":{"m":1},"source":"api"})"),
                   ObjectKind::kExperiment, "feedback[1]");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  const json::object& c = (*r)[0];
  EXPECT_TRUE(IsUuid(Str(c, "id")));
  EXPECT_EQ(c.at("origin"), Val(R"({"id":"span-1"})"));
  EXPECT_EQ(c.at("comment"), Val(R"({"text":"nice"})"));
  EXPECT_EQ(Str(c, "_audit_source"), "api");
  EXPECT_EQ(c.at("_audit_metadata"), Val(R"({"m":1})"));
  EXPECT_FALSE(c.contains("_is_merge"));
  EXPECT_FALSE(c.contains("span_id"));
  EXPECT_EQ(CommentTarget(c), "span-1");

  // Both: the merge row, then the comment row.
  r = FeedbackRows(Obj(R"({"id":"span-1","scores":{"s":0},"comment":"c"})"), ObjectKind::kExperiment, "f");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].at("_is_merge"), true);
  EXPECT_EQ(Str((*r)[0], "id"), "span-1");
  EXPECT_EQ(CommentTarget((*r)[1]), "span-1");
  EXPECT_NE(Str((*r)[1], "id"), "span-1");
  EXPECT_EQ(Str((*r)[1], "_audit_source"), "external");

  // Comments on dataset rows normalize without span ids.
  json::object row = (*r)[1];
  ASSERT_TRUE(NormalizeRow(row, {ObjectKind::kDataset, obj_}, "", kStart, "f").ok());
  EXPECT_FALSE(row.contains("span_id"));
}

TEST_F(RowRulesTest, FeedbackErrors) {
  const std::vector<std::tuple<std::string, ObjectKind, std::string>> bad = {
      {R"({"id":"a"})", ObjectKind::kExperiment, "nothing to record"},
      {R"({"id":"a","metadata":{"m":1}})", ObjectKind::kExperiment, "nothing to record"},
      {R"({"id":"a","comment":null})", ObjectKind::kExperiment, "nothing to record"},
      {R"({"scores":{"s":1}})", ObjectKind::kExperiment, "id"},
      {R"({"id":"","scores":{"s":1}})", ObjectKind::kExperiment, "id"},
      {R"({"id":"a","scores":{"s":1}})", ObjectKind::kDataset, "scores"},
      {R"({"id":"a","scores":{"s":1},"source":"user"})", ObjectKind::kExperiment, "source"},
      {R"({"id":"a","scores":{"s":1},"source":5})", ObjectKind::kExperiment, "source"},
      {R"({"id":"a","comment":5})", ObjectKind::kExperiment, "comment"},
      {R"({"id":"a","tags":"t"})", ObjectKind::kExperiment, "tags"},
      {R"({"id":"a","scores":{"s":1},"metadata":"m"})", ObjectKind::kExperiment, "metadata"},
  };
  for (const auto& [text, kind, mentions] : bad) {
    Result<std::vector<json::object>> r = FeedbackRows(Obj(text), kind, "feedback[2]");
    EXPECT_FALSE(r.ok()) << "accepted " << text;
    if (!r.ok()) ExpectInvalid(r.status(), "feedback[2]", mentions);
  }
  // Expected and tags are fine on datasets.
  EXPECT_TRUE(FeedbackRows(Obj(R"({"id":"a","expected":1,"tags":["t"]})"), ObjectKind::kDataset, "f").ok());
}

// ---------------------------------------------------------------------------
// 5. SpanStore end to end
// ---------------------------------------------------------------------------

class SpanStoreTest : public StoreTestBase {
 protected:
  void SetUp() override {
    StoreTestBase::SetUp();
    if (HasFatalFailure()) return;
    Open();
  }
};

TEST_F(SpanStoreTest, WritesToTwoObjectsAndScansEach) {
  ObjectRef e1 = Experiment(), e2 = Experiment();
  XactId x1 = MustWrite({W(e1, {Obj(R"({"id":"a","output":1})"), Obj(R"({"id":"b","output":2})")}),
                         W(e2, {Obj(R"({"id":"c","output":3})")})});
  clock_.Advance(3 * kSecond);
  XactId x2 = MustWrite({W(e1, {Obj(R"({"id":"d","output":4})")})});
  XactId x3 = MustWrite({W(e2, {Obj(R"({"id":"e"})"), Obj(R"({"id":"f"})")})});
  EXPECT_LT(x1, x2);
  EXPECT_LT(x2, x3);
  EXPECT_EQ(x1, kXactPrefix | (static_cast<uint64_t>(kStart / kSecond) << 16));
  EXPECT_EQ(x2, kXactPrefix | (static_cast<uint64_t>(kStart / kSecond + 3) << 16));
  EXPECT_EQ(x3, x2 + 1);
  EXPECT_EQ(store_->watermark(), x3);

  std::vector<RowPtr> r1 = Rows(e1);
  EXPECT_EQ(Ids(r1), (std::vector<std::string>{"d", "b", "a"}));  // newest first, then id descending
  auto m1 = ById(r1);
  ASSERT_EQ(m1.size(), 3u);
  EXPECT_EQ(Str(*m1["a"], "_xact_id"), FormatXact(x1));
  EXPECT_EQ(Str(*m1["b"], "_xact_id"), FormatXact(x1));
  EXPECT_EQ(Str(*m1["d"], "_xact_id"), FormatXact(x2));
  EXPECT_EQ(m1["a"]->at("output"), 1);
  EXPECT_EQ(Str(*m1["a"], "experiment_id"), e1.id);
  EXPECT_EQ(Str(*m1["a"], "project_id"), project_);
  EXPECT_EQ(Str(*m1["a"], "created"), FormatTimestamp(kStart));
  EXPECT_EQ(Str(*m1["d"], "created"), FormatTimestamp(kStart + 3 * kSecond));
  EXPECT_EQ(m1["a"]->at("is_root"), true);
  for (const auto& [id, row] : m1)
    for (const auto& f : kControlFields) EXPECT_FALSE(row->contains(f)) << f;

  auto m2 = ById(Rows(e2));
  ASSERT_EQ(m2.size(), 3u);
  EXPECT_EQ(Str(*m2["c"], "_xact_id"), FormatXact(x1));
  EXPECT_EQ(Str(*m2["e"], "_xact_id"), FormatXact(x3));
  EXPECT_EQ(Str(*m2["f"], "_xact_id"), FormatXact(x3));
  EXPECT_EQ(Str(*m2["c"], "experiment_id"), e2.id);

  // Both objects in one scan; an unknown object adds nothing.
  ScanSpec both;
  both.objects = {e1.ObjectId(), e2.ObjectId(), Experiment().ObjectId()};
  Result<ScanResult> all = ScanWith(both);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->snapshot, x3);
  EXPECT_EQ(Ids(all->rows), (std::vector<std::string>{"f", "e", "d", "c", "b", "a"}));

  // The catalog: one chunk per sequential write, the watermark, the owners.
  EXPECT_EQ(CountChunks(), 3);
  Result<XactId> hwm = store_->catalog().LoadWatermark();
  ASSERT_TRUE(hwm.ok());
  EXPECT_EQ(*hwm, x3);
  Result<std::optional<ObjectOwner>> owner = store_->catalog().Owner(e1.ObjectId());
  ASSERT_TRUE(owner.ok() && owner->has_value());
  EXPECT_EQ((*owner)->org_id, org_);
  EXPECT_EQ((*owner)->project_id, project_);
  Result<std::vector<SectionRef>> secs = store_->catalog().Sections(e1.ObjectId());
  ASSERT_TRUE(secs.ok());
  ASSERT_EQ(secs->size(), 2u);
  EXPECT_EQ((*secs)[0].min_xact, x1);
  EXPECT_EQ((*secs)[1].min_xact, x2);
}

TEST_F(SpanStoreTest, ClaimRecordsTheFirstOwnerAndReportsItToLaterClaims) {
  Catalog catalog(*db_);
  ObjectOwner a{"prompt_session:" + NewUuid(), org_, ""};
  ObjectOwner b{a.object_id, NewUuid(), ""};
  Result<ObjectOwner> first = catalog.Claim(a, "2026-01-01T00:00:00Z");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->org_id, org_);
  Result<ObjectOwner> second = catalog.Claim(b, "2026-01-01T00:00:01Z");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->org_id, org_) << "the later claim reads back the first owner";
  EXPECT_TRUE(second->project_id.empty());
  Result<ObjectOwner> again = catalog.Claim(a, "2026-01-01T00:00:02Z");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->org_id, org_) << "claiming one's own object again is fine";
  Result<std::optional<ObjectOwner>> owner = catalog.Owner(a.object_id);
  ASSERT_TRUE(owner.ok() && owner->has_value());
  EXPECT_EQ((*owner)->org_id, org_);
}

TEST_F(SpanStoreTest, ChunkOnDiskFollowsTheFormat) {
  ObjectRef e1 = Experiment();
  ObjectRef logs{ObjectKind::kProjectLogs, project_};
  XactId x = MustWrite({W(e1, {Obj(R"({"id":"a","_is_merge":false,"output":1})"), Obj(R"({"id":"b"})")}),
                        W(logs, {Obj(R"({"id":"l","_is_merge":true,"metadata":{"k":1}})")})});
  Result<meta::Rows> chunks = db_->Query("SELECT chunk_key, bytes, min_xact, max_xact, created FROM wal_chunk");
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 1u);
  std::string key = chunks->Text(0, "chunk_key");
  EXPECT_TRUE(std::regex_match(key, std::regex("wal/[0-9]{19}-[0-9a-f]{8}\\.tvwal"))) << key;
  EXPECT_EQ(key.substr(4, 19), FormatXact(x));
  EXPECT_EQ(chunks->Int(0, "min_xact"), static_cast<int64_t>(x));
  EXPECT_EQ(chunks->Int(0, "max_xact"), static_cast<int64_t>(x));
  EXPECT_EQ(chunks->Text(0, "created"), FormatTimestamp(kStart));
  EXPECT_EQ(static_cast<uintmax_t>(chunks->Int(0, "bytes")), fs::file_size(fs::path(folder_) / key));

  Result<std::string> bytes = store_->objects().Get(key);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  Result<std::vector<DecodedSection>> decoded = DecodeChunk(*bytes, key);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 2u);  // one section per object

  Result<meta::Rows> secs = db_->Query(
      "SELECT object_id, byte_offset, byte_length, min_xact, max_xact, row_count FROM wal_section ORDER BY "
      "byte_offset");
  ASSERT_TRUE(secs.ok());
  ASSERT_EQ(secs->size(), 2u);
  EXPECT_EQ(secs->Text(0, "object_id"), e1.ObjectId());
  EXPECT_EQ(secs->Int(0, "row_count"), 2);
  EXPECT_EQ(secs->Text(1, "object_id"), logs.ObjectId());
  EXPECT_EQ(secs->Int(1, "row_count"), 1);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(secs->Int(i, "min_xact"), static_cast<int64_t>(x));
    EXPECT_EQ(secs->Int(i, "max_xact"), static_cast<int64_t>(x));
    objstore::ByteRange range{static_cast<uint64_t>(secs->Int(i, "byte_offset")),
                              static_cast<uint64_t>(secs->Int(i, "byte_length"))};
    Result<std::string> part = store_->objects().Get(key, range);
    ASSERT_TRUE(part.ok());
    Result<DecodedSection> d = DecodeSection(*part, key);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->object_id, secs->Text(i, "object_id"));
    EXPECT_EQ(d->jsonl, (*decoded)[i].jsonl);
  }
  // Each line: the normalized row plus `_xact_id`, control fields kept.
  std::vector<json::object> lines;
  std::string_view rest = (*decoded)[0].jsonl;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    ASSERT_NE(nl, std::string_view::npos) << "every line ends with a newline";
    lines.push_back(Obj(rest.substr(0, nl)));
    rest.remove_prefix(nl + 1);
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Str(lines[0], "id"), "a");
  EXPECT_EQ(Str(lines[0], "_xact_id"), FormatXact(x));
  EXPECT_EQ(lines[0].at("_is_merge"), false);
  EXPECT_EQ(Str(lines[0], "experiment_id"), e1.id);
  EXPECT_EQ(Str(lines[0], "project_id"), project_);
  EXPECT_EQ(Str(lines[0], "created"), FormatTimestamp(kStart));
  EXPECT_EQ(Str(lines[1], "id"), "b");
  json::object l = Obj((*decoded)[1].jsonl);
  EXPECT_EQ(l.at("_is_merge"), true);
  EXPECT_EQ(Str(l, "log_id"), "g");
  EXPECT_EQ(Str(l, "project_id"), project_);
  // store_object: one row per object, owned by the org.
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM store_object"), 2);
}

TEST_F(SpanStoreTest, AsOfOlderXactReturnsOlderState) {
  ObjectRef e = Experiment();
  XactId x1 = MustWrite({W(e, {Obj(R"({"id":"r","output":"v1","metadata":{"a":1}})")})});
  XactId x2 = MustWrite({W(e, {Obj(R"({"id":"r","_is_merge":true,"output":"v2","metadata":{"b":2}})")})});
  XactId x3 = MustWrite({W(e, {Obj(R"({"id":"s","output":"s1"})")})});
  XactId x4 = MustWrite({W(e, {Obj(R"({"id":"r","_object_delete":true})")})});

  auto at1 = ById(Rows(e, x1));
  ASSERT_EQ(at1.size(), 1u);
  EXPECT_EQ(at1["r"]->at("output"), "v1");
  EXPECT_EQ(at1["r"]->at("metadata"), Val(R"({"a":1})"));
  EXPECT_EQ(Str(*at1["r"], "_xact_id"), FormatXact(x1));

  auto at2 = ById(Rows(e, x2));
  ASSERT_EQ(at2.size(), 1u);
  EXPECT_EQ(at2["r"]->at("output"), "v2");
  EXPECT_EQ(at2["r"]->at("metadata"), Val(R"({"a":1,"b":2})"));
  EXPECT_EQ(Str(*at2["r"], "_xact_id"), FormatXact(x2));

  auto at3 = ById(Rows(e, x3));
  EXPECT_EQ(at3.size(), 2u);
  EXPECT_EQ(Sorted(Ids(Rows(e, x4))), (std::set<std::string>{"s"}));
  EXPECT_EQ(Sorted(Ids(Rows(e))), (std::set<std::string>{"s"}));
  EXPECT_TRUE(Rows(e, x1 - 1).empty());

  // A snapshot past the watermark is clipped to it.
  ScanSpec future;
  future.objects = {e.ObjectId()};
  future.as_of = x4 + 1000;
  Result<ScanResult> f = ScanWith(future);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->snapshot, x4);
  EXPECT_EQ(Sorted(Ids(f->rows)), (std::set<std::string>{"s"}));
}

TEST_F(SpanStoreTest, SpanWritesMergeIntoOneRow) {
  ObjectRef logs{ObjectKind::kProjectLogs, project_};
  json::object first = Obj(R"({"id":"c4eb75349dd2f332","span_id":"2ef9e39a3e5264fe",
      "root_span_id":"a3868950c2fa710499da284e2f96356b","metrics":{"start":1795425629.024},
      "context":{"caller_functionname":"main"},"span_attributes":{"name":"root-req","type":"task","exec_counter":0},
      "created":"2026-11-23T09:20:29.024Z","_is_merge":false,"project_id":"PID","log_id":"g"})");
  first["project_id"] = project_;
  XactId x1 = MustWrite({W(logs, {first})});
  clock_.Advance(5 * kSecond);
  json::object second = Obj(R"({"id":"c4eb75349dd2f332","input":{"q":"hello"},"output":"x","scores":{"good":1},
      "metrics":{"end":1795425629.13},"_is_merge":true,"log_id":"g","span_id":"2ef9e39a3e5264fe",
      "root_span_id":"a3868950c2fa710499da284e2f96356b"})");
  second["project_id"] = project_;
  XactId x2 = MustWrite({W(logs, {second})});
  ASSERT_GT(x2, x1);

  std::vector<RowPtr> rows = Rows(logs);
  ASSERT_EQ(rows.size(), 1u);
  const json::object& r = *rows[0];
  EXPECT_EQ(Str(r, "id"), "c4eb75349dd2f332");
  EXPECT_EQ(r.at("metrics"), Val(R"({"start":1795425629.024,"end":1795425629.13})"));
  EXPECT_EQ(r.at("input"), Val(R"({"q":"hello"})"));
  EXPECT_EQ(r.at("output"), "x");
  EXPECT_EQ(r.at("scores"), Val(R"({"good":1})"));
  EXPECT_EQ(r.at("span_attributes"), Val(R"({"name":"root-req","type":"task","exec_counter":0})"));
  EXPECT_EQ(r.at("context"), Val(R"({"caller_functionname":"main"})"));
  EXPECT_EQ(Str(r, "created"), "2026-11-23T09:20:29.024Z");  // the first write's, not the merge's
  EXPECT_EQ(Str(r, "span_id"), "2ef9e39a3e5264fe");
  EXPECT_EQ(Str(r, "root_span_id"), "a3868950c2fa710499da284e2f96356b");
  EXPECT_EQ(Str(r, "project_id"), project_);
  EXPECT_EQ(Str(r, "log_id"), "g");
  EXPECT_EQ(r.at("is_root"), true);
  EXPECT_EQ(Str(r, "_xact_id"), FormatXact(x2));
  EXPECT_FALSE(r.contains("_is_merge"));
}

TEST_F(SpanStoreTest, DeleteHidesTheRowAndALaterWriteRecreatesIt) {
  ObjectRef e = Experiment();
  MustWrite({W(e, {Obj(R"({"id":"a","output":1})"), Obj(R"({"id":"b","output":2})")})});
  MustWrite({W(e, {Obj(R"({"id":"a","_object_delete":true})")})});
  EXPECT_EQ(Ids(Rows(e)), (std::vector<std::string>{"b"}));
  ScanSpec by_id;
  by_id.objects = {e.ObjectId()};
  by_id.ids = std::vector<std::string>{"a"};
  Result<ScanResult> r = ScanWith(by_id);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->rows.empty());

  clock_.Advance(kSecond);
  XactId x = MustWrite({W(e, {Obj(R"({"id":"a","input":9})")})});
  auto rows = ById(Rows(e));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows["a"]->at("input"), 9);
  EXPECT_FALSE(rows["a"]->contains("output"));
  EXPECT_EQ(Str(*rows["a"], "_xact_id"), FormatXact(x));
  EXPECT_EQ(Str(*rows["a"], "created"), FormatTimestamp(kStart + kSecond));
}

TEST_F(SpanStoreTest, CommentsAreListedUnderTheirTarget) {
  ObjectRef e = Experiment();
  MustWrite({W(e, {Span("t", "t", std::nullopt, "out"), Span("u", "t", "t", "child")})});
  auto feedback = [&](std::string_view text) {
    Result<std::vector<json::object>> rows = FeedbackRows(Obj(text), ObjectKind::kExperiment, "feedback[0]");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<json::object>();
  };
  clock_.Advance(kSecond);
  std::vector<json::object> fb1 = feedback(R"({"id":"t","comment":"first","scores":{"good":1}})");
  ASSERT_EQ(fb1.size(), 2u);
  std::string c1 = Str(fb1[1], "id");
  XactId x1 = MustWrite({W(e, fb1)});
  clock_.Advance(kSecond);
  std::vector<json::object> fb2 = feedback(R"({"id":"t","comment":"second"})");
  ASSERT_EQ(fb2.size(), 1u);
  std::string c2 = Str(fb2[0], "id");
  XactId x2 = MustWrite({W(e, fb2)});

  std::vector<RowPtr> rows = Rows(e);
  EXPECT_EQ(Sorted(Ids(rows)), (std::set<std::string>{"t", "u"}));  // comments are not rows
  auto m = ById(rows);
  ASSERT_TRUE(m.count("t"));
  const json::object& t = *m["t"];
  EXPECT_EQ(t.at("scores"), Val(R"({"good":1})"));
  EXPECT_EQ(t.at("output"), "out");
  EXPECT_EQ(Str(t, "_xact_id"), FormatXact(x1));  // the comment at x2 does not change the row
  ASSERT_TRUE(t.contains("comments")) << t;
  const json::array& comments = t.at("comments").as_array();
  ASSERT_EQ(comments.size(), 2u);
  const json::object& first = comments[0].as_object();
  const json::object& second = comments[1].as_object();
  EXPECT_EQ(Str(first, "id"), c1);  // oldest first
  EXPECT_EQ(first.at("comment"), Val(R"({"text":"first"})"));
  EXPECT_EQ(first.at("origin"), Val(R"({"id":"t"})"));
  EXPECT_EQ(Str(first, "_xact_id"), FormatXact(x1));
  EXPECT_EQ(Str(first, "created"), FormatTimestamp(kStart + kSecond));
  EXPECT_FALSE(first.contains("is_root"));
  EXPECT_EQ(Str(second, "id"), c2);
  EXPECT_EQ(second.at("comment"), Val(R"({"text":"second"})"));
  EXPECT_EQ(Str(second, "_xact_id"), FormatXact(x2));
  EXPECT_FALSE(m["u"]->contains("comments"));

  // At the older snapshot only the first comment exists.
  auto old = ById(Rows(e, x1));
  ASSERT_TRUE(old.count("t"));
  ASSERT_TRUE(old["t"]->contains("comments"));
  EXPECT_EQ(old["t"]->at("comments").as_array().size(), 1u);
  // A comment id is not a row id.
  ScanSpec by_id;
  by_id.objects = {e.ObjectId()};
  by_id.ids = std::vector<std::string>{c1, c2};
  Result<ScanResult> r = ScanWith(by_id);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->rows.empty());
  // Projection without "comments" leaves them out.
  ScanSpec proj;
  proj.objects = {e.ObjectId()};
  proj.projection = {"id", "output"};
  r = ScanWith(proj);
  ASSERT_TRUE(r.ok());
  for (const auto& row : r->rows) {
    EXPECT_FALSE(row->contains("comments"));
    EXPECT_EQ(row->size(), 2u) << *row;
  }
}

TEST_F(SpanStoreTest, CommentsCarryAuditFields) {
  ObjectRef e = Experiment();
  MustWrite({W(e, {Span("t", "t", std::nullopt, "out")})});
  Result<std::vector<json::object>> fb = FeedbackRows(
      Obj(R"({"id":"t","comment":"hi","source":"app","metadata":{"user":"u1"}})"), ObjectKind::kExperiment, "f");
  ASSERT_TRUE(fb.ok());
  MustWrite({W(e, *fb)});
  auto m = ById(Rows(e));
  ASSERT_TRUE(m.count("t") && m["t"]->contains("comments"));
  const json::object& c = m["t"]->at("comments").as_array().at(0).as_object();
  EXPECT_EQ(Str(c, "_audit_source"), "app") << c;
  ASSERT_TRUE(c.contains("_audit_metadata")) << c;
  EXPECT_EQ(c.at("_audit_metadata"), Val(R"({"user":"u1"})"));
}

TEST_F(SpanStoreTest, IdsAndRootSpanIdsNarrowTheScan) {
  ObjectRef e = Experiment();
  MustWrite(
      {W(e, {Span("r1", "T1", std::nullopt, "a"), Span("c1a", "T1", "r1", "b"), Span("r2", "T2", std::nullopt, "c")})});
  clock_.Advance(kSecond);
  MustWrite({W(e, {Span("c1b", "T1", "c1a", "d"), Span("c2a", "T2", "r2", "e")})});
  auto scan = [&](std::optional<std::vector<std::string>> ids, std::optional<std::vector<std::string>> roots) {
    ScanSpec spec;
    spec.objects = {e.ObjectId()};
    spec.ids = std::move(ids);
    spec.root_span_ids = std::move(roots);
    Result<ScanResult> r = ScanWith(spec);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Sorted(Ids(r->rows)) : std::set<std::string>();
  };
  using S = std::set<std::string>;
  using V = std::vector<std::string>;
  EXPECT_EQ(scan(std::nullopt, std::nullopt), (S{"r1", "c1a", "c1b", "r2", "c2a"}));
  EXPECT_EQ(scan(V{"c1a", "r2", "nope"}, std::nullopt), (S{"c1a", "r2"}));
  EXPECT_EQ(scan(V{"c1a", "c1a"}, std::nullopt), (S{"c1a"}));
  EXPECT_EQ(scan(V{}, std::nullopt), S{});
  EXPECT_EQ(scan(std::nullopt, V{"T1"}), (S{"r1", "c1a", "c1b"}));
  EXPECT_EQ(scan(std::nullopt, V{"T2", "T9"}), (S{"r2", "c2a"}));
  EXPECT_EQ(scan(V{"r1", "r2", "c2a"}, V{"T2"}), (S{"r2", "c2a"}));
  EXPECT_EQ(scan(V{"r1"}, V{"T2"}), S{});

  auto m = ById(Rows(e));
  EXPECT_EQ(m["r1"]->at("is_root"), true);
  EXPECT_EQ(m["r2"]->at("is_root"), true);
  EXPECT_EQ(m["c1a"]->at("is_root"), false);
  EXPECT_EQ(m["c1b"]->at("is_root"), false);

  // Time range and residual predicate.
  ScanSpec timed;
  timed.objects = {e.ObjectId()};
  timed.created_from = FormatTimestamp(kStart + kSecond);
  Result<ScanResult> later = ScanWith(timed);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(Sorted(Ids(later->rows)), (S{"c1b", "c2a"}));
  timed.created_from.reset();
  timed.created_until = FormatTimestamp(kStart + kSecond);
  Result<ScanResult> earlier = ScanWith(timed);
  ASSERT_TRUE(earlier.ok());
  EXPECT_EQ(Sorted(Ids(earlier->rows)), (S{"r1", "c1a", "r2"}));
  ScanSpec filtered;
  filtered.objects = {e.ObjectId()};
  filtered.filter = [](const json::object& row) { return StringField(row, "output") < "c"; };
  Result<ScanResult> f = ScanWith(filtered);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Sorted(Ids(f->rows)), (S{"r1", "c1a"}));
}

TEST_F(SpanStoreTest, RowPagingVisitsEveryRowOnce) {
  ObjectRef e = Experiment();
  std::set<std::string> all;
  int n = 0;
  for (int w = 0; w < 6; ++w) {  // 6 writes of 1..6 rows: 21 rows, ties within a write
    std::vector<json::object> rows;
    for (int i = 0; i <= w; ++i, ++n) {
      std::string id = fmt::format("row-{:02d}", (n * 8) % 21);  // a permutation of 0..20
      rows.push_back(json::object{{"id", id}, {"output", n}});
      all.insert(id);
    }
    MustWrite({W(e, rows)});
  }
  ASSERT_EQ(all.size(), 21u);
  for (size_t limit : {size_t{1}, size_t{4}, size_t{7}, size_t{21}, size_t{50}}) {
    SCOPED_TRACE(limit);
    ScanSpec spec;
    spec.objects = {e.ObjectId()};
    spec.limit = limit;
    Paged p = PageAll(spec);
    EXPECT_EQ(p.pages.size(), (21 + limit - 1) / limit);
    std::vector<std::string> seen;
    std::vector<std::pair<XactId, std::string>> keys;
    for (size_t i = 0; i < p.pages.size(); ++i) {
      EXPECT_LE(p.pages[i].size(), limit);
      if (i + 1 < p.pages.size()) {
        EXPECT_EQ(p.pages[i].size(), limit);
        ASSERT_TRUE(p.nexts[i].has_value());
        // `next` is the key of the page's last row.
        EXPECT_EQ(p.nexts[i]->xact, RowXact(*p.pages[i].back()));
        EXPECT_EQ(p.nexts[i]->tie, Str(*p.pages[i].back(), "id"));
      } else {
        EXPECT_FALSE(p.nexts[i].has_value()) << "next is set on the last page";
      }
      for (const auto& r : p.pages[i]) {
        seen.push_back(Str(*r, "id"));
        keys.emplace_back(RowXact(*r), Str(*r, "id"));
      }
    }
    EXPECT_EQ(seen.size(), 21u);
    EXPECT_EQ(Sorted(seen), all);
    for (size_t i = 1; i < keys.size(); ++i) EXPECT_GT(keys[i - 1], keys[i]) << "not newest first at " << i;
  }
}

TEST_F(SpanStoreTest, TracePagingReturnsWholeTraces) {
  ObjectRef e = Experiment();
  // 7 traces of 1..4 spans, written interleaved over several requests.
  std::map<std::string, std::set<std::string>> traces;
  std::vector<std::vector<json::object>> writes(4);
  for (int t = 0; t < 7; ++t) {
    std::string root = fmt::format("T{}", t);
    int spans = 1 + t % 4;
    for (int s = 0; s < spans; ++s) {
      std::string id = fmt::format("{}-s{}", root, s);
      std::optional<std::string_view> parent;
      std::string parent_id = fmt::format("{}-s0", root);
      if (s > 0) parent = parent_id;
      writes[(t + s) % 4].push_back(Span(id, root, parent, "o"));
      traces[root].insert(id);
    }
  }
  for (auto& w : writes) MustWrite({W(e, w)});
  size_t total = 0;
  for (const auto& [root, ids] : traces) total += ids.size();

  for (size_t limit : {size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
    SCOPED_TRACE(limit);
    ScanSpec spec;
    spec.objects = {e.ObjectId()};
    spec.limit_unit = LimitUnit::kTraces;
    spec.limit = limit;
    Paged p = PageAll(spec);
    EXPECT_EQ(p.pages.size(), (7 + limit - 1) / limit);
    std::map<std::string, int> page_of;
    size_t rows = 0;
    std::vector<std::pair<XactId, std::string>> trace_keys;
    for (size_t i = 0; i < p.pages.size(); ++i) {
      std::map<std::string, std::set<std::string>> on_page;
      for (const auto& r : p.pages[i]) on_page[Str(*r, "root_span_id")].insert(Str(*r, "id"));
      rows += p.pages[i].size();
      EXPECT_LE(on_page.size(), limit);
      if (i + 1 < p.pages.size()) {
        EXPECT_EQ(on_page.size(), limit);
        EXPECT_TRUE(p.nexts[i].has_value());
      } else {
        EXPECT_FALSE(p.nexts[i].has_value());
      }
      for (const auto& [root, ids] : on_page) {
        EXPECT_EQ(ids, traces[root]) << "trace " << root << " split across pages";
        EXPECT_TRUE(page_of.emplace(root, static_cast<int>(i)).second) << "trace " << root << " on two pages";
        XactId newest = 0;
        for (const auto& r : p.pages[i])
          if (Str(*r, "root_span_id") == root) newest = std::max(newest, RowXact(*r));
        trace_keys.emplace_back(newest, root);
      }
    }
    EXPECT_EQ(page_of.size(), 7u);
    EXPECT_EQ(rows, total);
    // Traces come newest first by their newest span.
    std::vector<std::pair<XactId, std::string>> sorted = trace_keys;
    std::sort(sorted.rbegin(), sorted.rend());
    std::vector<std::pair<XactId, std::string>> by_page = trace_keys;
    std::stable_sort(by_page.begin(), by_page.end(),
                     [&](const auto& a, const auto& b) { return page_of[a.second] < page_of[b.second]; });
    std::vector<std::string> order_expected, order_got;
    for (const auto& k : sorted) order_expected.push_back(k.second);
    for (const auto& k : by_page) order_got.push_back(k.second);
    if (limit == 1) {
      EXPECT_EQ(order_got, order_expected);
    }
  }
}

TEST_F(SpanStoreTest, TracePagesFollowRootOrderWhenIdsSortTheOtherWay) {
  // One request, four single-span traces whose ids sort opposite to their
  // roots, as rows with server-made span ids do.
  ObjectRef e = Experiment();
  MustWrite({W(e, {Span("a", "root-z", std::nullopt, "o"), Span("b", "root-y", std::nullopt, "o"),
                   Span("c", "root-x", std::nullopt, "o"), Span("d", "root-w", std::nullopt, "o")})});
  for (size_t limit : {size_t{1}, size_t{2}, size_t{3}}) {
    SCOPED_TRACE(limit);
    ScanSpec spec;
    spec.objects = {e.ObjectId()};
    spec.limit_unit = LimitUnit::kTraces;
    spec.limit = limit;
    Paged p = PageAll(spec);
    std::vector<std::string> roots;
    for (const auto& page : p.pages)
      for (const auto& r : page) roots.push_back(Str(*r, "root_span_id"));
    EXPECT_EQ(roots, (std::vector<std::string>{"root-z", "root-y", "root-x", "root-w"}))
        << "every trace once, in (xact, root) order";
  }
}

TEST_F(SpanStoreTest, PinnedSnapshotDoesNotChangeAcrossPages) {
  ObjectRef e = Experiment();
  std::set<std::string> original;
  for (int w = 0; w < 4; ++w) {
    std::vector<json::object> rows;
    for (int i = 0; i < 3; ++i) {
      std::string id = fmt::format("r{:02d}", w * 3 + i);
      rows.push_back(json::object{{"id", id}, {"output", "orig"}});
      original.insert(id);
    }
    MustWrite({W(e, rows)});
  }
  ScanSpec spec;
  spec.objects = {e.ObjectId()};
  spec.limit = 4;
  int extra = 0;
  Paged p = PageAll(spec, [&](int page) {
    // Between pages: new rows, merges to rows not yet paged (oldest), a delete.
    clock_.Advance(kSecond);
    MustWrite({W(e, {json::object{{"id", fmt::format("new{}", ++extra)}, {"output", "new"}},
                     json::object{{"id", "r00"}, {"_is_merge", true}, {"output", "changed"}},
                     json::object{{"id", "r01"}, {"output", "replaced"}}})});
    MustWrite({W(e, {json::object{{"id", page == 1 ? "r05" : "r02"}, {"_object_delete", true}}})});
  });
  ASSERT_EQ(p.pages.size(), 3u);
  std::vector<std::string> seen;
  for (const auto& page : p.pages)
    for (const auto& r : page) {
      seen.push_back(Str(*r, "id"));
      EXPECT_EQ(r->at("output"), "orig") << *r;
      EXPECT_LE(RowXact(*r), p.snapshot);
    }
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_EQ(Sorted(seen), original);
  EXPECT_GT(store_->watermark(), p.snapshot);

  // The current state has all the changes.
  auto now = ById(Rows(e));
  EXPECT_EQ(now.size(), 12u - 2 + 2);
  EXPECT_EQ(now["r00"]->at("output"), "changed");
  EXPECT_EQ(now["r01"]->at("output"), "replaced");
  EXPECT_FALSE(now.count("r02"));
  EXPECT_FALSE(now.count("r05"));
  EXPECT_TRUE(now.count("new2"));
}

TEST_F(SpanStoreTest, RestartKeepsRowsAndXactsKeepIncreasing) {
  ObjectRef e1 = Experiment(), e2 = Experiment();
  ObjectRef ds{ObjectKind::kDataset, NewUuid()};
  MustWrite({W(e1, {Span("r", "r", std::nullopt, "o"), Span("c", "r", "r", "o2")}),
             W(ds, {Obj(R"({"id":"d1","input":{"x":1.25},"expected":[1,"two",null]})")})});
  clock_.Advance(kSecond);
  MustWrite({W(e1, {Obj(R"({"id":"r","_is_merge":true,"metrics":{"end":1795425629.13},"tags":["t1"]})")}),
             W(e2, {Obj(R"({"id":"z","output":"unicode \u00e9\u4e2d"})")})});
  Result<std::vector<json::object>> fb =
      FeedbackRows(Obj(R"({"id":"r","comment":"note"})"), ObjectKind::kExperiment, "f");
  ASSERT_TRUE(fb.ok());
  MustWrite({W(e1, *fb)});
  MustWrite({W(ds, {Obj(R"({"id":"d1","_object_delete":true})"), Obj(R"({"id":"d2","input":2})")})});
  XactId w = store_->watermark();

  auto snapshot = [&](const ObjectRef& ref) {
    std::vector<json::value> out;
    for (const auto& r : Rows(ref)) out.push_back(*r);
    return out;
  };
  auto before1 = snapshot(e1), before2 = snapshot(e2), before_ds = snapshot(ds);
  auto old_ds = Rows(ds, w - 1);
  ASSERT_EQ(before1.size(), 2u);
  ASSERT_EQ(before_ds.size(), 1u);
  ASSERT_EQ(old_ds.size(), 1u);

  // The clock goes back a day while the server is down.
  clock_.Set(kStart - 86400 * kSecond);
  Restart();
  EXPECT_EQ(store_->watermark(), w);
  EXPECT_EQ(snapshot(e1), before1);
  EXPECT_EQ(snapshot(e2), before2);
  EXPECT_EQ(snapshot(ds), before_ds);
  std::vector<RowPtr> old_again = Rows(ds, w - 1);
  ASSERT_EQ(old_again.size(), 1u);
  EXPECT_EQ(json::value(*old_again[0]), json::value(*old_ds[0]));

  XactId x = MustWrite({W(e2, {Obj(R"({"id":"after","output":1})")})});
  EXPECT_GT(x, w);
  EXPECT_EQ(x, w + 1);
  EXPECT_EQ(store_->watermark(), x);
  EXPECT_EQ(Sorted(Ids(Rows(e2))), (std::set<std::string>{"z", "after"}));

  // And again: the new write survives too.
  Restart();
  EXPECT_EQ(store_->watermark(), x);
  EXPECT_EQ(Sorted(Ids(Rows(e2))), (std::set<std::string>{"z", "after"}));
  EXPECT_GT(MustWrite({W(e1, {Obj(R"({"id":"later"})")})}), x);
}

TEST_F(SpanStoreTest, ConcurrentWritersAreGroupCommitted) {
  ObjectRef e = Experiment();
  ObjectRef other = Experiment();
  constexpr int kThreads = 8, kWrites = 50;
  std::vector<std::vector<std::pair<std::string, XactId>>> got(kThreads);
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::atomic<int> scans{0};

  // A reader scanning throughout: never sees a row past its snapshot, and
  // never loses a row it saw before.
  std::thread reader([&] {
    size_t last_count = 0;
    XactId last_snapshot = 0;
    while (!done.load()) {
      ScanSpec spec;
      spec.objects = {e.ObjectId()};
      spec.limit = 100000;
      Result<ScanResult> r = store_->Scan(spec);
      if (!r.ok()) {
        ++reader_errors;
        continue;
      }
      ++scans;
      if (r->snapshot < last_snapshot || r->rows.size() < last_count) ++reader_errors;
      for (const auto& row : r->rows)
        if (RowXact(*row) > r->snapshot) ++reader_errors;
      last_count = r->rows.size();
      last_snapshot = r->snapshot;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        std::string id = fmt::format("t{}-w{:02d}", t, i);
        std::vector<ObjectWrite> ws = {W(e, {json::object{{"id", id}, {"thread", t}, {"i", i}}})};
        if (i % 10 == 0) ws.push_back(W(other, {json::object{{"id", id}}}));
        Result<XactId> x = Write(std::move(ws));
        if (!x.ok()) {
          ++failures;
          continue;
        }
        got[t].emplace_back(id, *x);
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_GT(scans.load(), 0);

  std::set<XactId> xacts;
  std::map<std::string, XactId> expected;
  for (int t = 0; t < kThreads; ++t) {
    XactId prev = 0;
    for (const auto& [id, x] : got[t]) {
      EXPECT_GT(x, prev) << "one thread's writes are ordered";
      prev = x;
      xacts.insert(x);
      expected[id] = x;
    }
  }
  EXPECT_EQ(xacts.size(), size_t{kThreads * kWrites}) << "every request gets its own xact";
  EXPECT_EQ(store_->watermark(), *xacts.rbegin());

  auto rows = ById(Rows(e));
  ASSERT_EQ(rows.size(), size_t{kThreads * kWrites});
  for (const auto& [id, x] : expected) {
    ASSERT_TRUE(rows.count(id)) << id;
    EXPECT_EQ(Str(*rows[id], "_xact_id"), FormatXact(x)) << id;
  }
  EXPECT_EQ(Rows(other).size(), size_t{kThreads * kWrites / 10});

  int64_t chunks = CountChunks();
  EXPECT_GT(chunks, 0);
  EXPECT_LT(chunks, kThreads * kWrites) << "group commit put several requests in one chunk";
  EXPECT_EQ(Count("SELECT SUM(row_count) AS n FROM wal_section"), kThreads * kWrites + kThreads * kWrites / 10);
  EXPECT_EQ(static_cast<int64_t>(WalFiles().size()), chunks);
  std::cout << "[ info     ] " << kThreads * kWrites << " writes in " << chunks << " WAL chunks\n";

  // The same state after a restart, read from the chunks.
  Restart();
  auto reread = ById(Rows(e));
  ASSERT_EQ(reread.size(), rows.size());
  for (const auto& [id, x] : expected) EXPECT_EQ(Str(*reread[id], "_xact_id"), FormatXact(x)) << id;
}

TEST_F(SpanStoreTest, MaxChunkBytesBoundsTheGroup) {
  SpanStoreOptions o = Options();
  o.writer.max_chunk_bytes = 1;  // every request is bigger: one chunk each
  o.writer.window = std::chrono::microseconds(20000);
  Open(o);
  ObjectRef e = Experiment();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i)
        if (!Write({W(e, {json::object{{"id", fmt::format("t{}-{}", t, i)}}})}).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(CountChunks(), 20);
  EXPECT_EQ(Rows(e).size(), 20u);
}

TEST_F(SpanStoreTest, TinyTailBudgetEvictsAndReloads) {
  SpanStoreOptions o = Options();
  o.tail_memory_bytes = 1024;
  Open(o);
  std::vector<ObjectRef> objs;
  for (int k = 0; k < 5; ++k) objs.push_back(Experiment());
  std::string filler(150, 'x');
  for (int k = 0; k < 5; ++k) {
    std::vector<json::object> rows;
    for (int i = 0; i < 8; ++i)
      rows.push_back(json::object{{"id", fmt::format("o{}-r{}", k, i)}, {"output", 0}, {"pad", filler}});
    MustWrite({W(objs[k], rows)});
  }
  auto check = [&](int k, int round) {
    auto m = ById(Rows(objs[k]));
    ASSERT_EQ(m.size(), 8u) << "object " << k << " round " << round;
    for (int i = 0; i < 8; ++i) {
      std::string id = fmt::format("o{}-r{}", k, i);
      ASSERT_TRUE(m.count(id)) << id;
      // Round r merged output = r into rows i < r.
      EXPECT_EQ(m[id]->at("output"), (i < round ? json::value(round) : json::value(0))) << id << " round " << round;
      EXPECT_EQ(Str(*m[id], "experiment_id"), objs[k].id);
    }
  };
  size_t one_tail = 0;
  for (int round = 0; round < 4; ++round) {
    if (round > 0) {
      // Merge into rows 0..round-1 of every object; some tails are loaded,
      // the evicted ones must pick the change up on reload.
      for (int k = 0; k < 5; ++k) {
        std::vector<json::object> rows;
        for (int i = 0; i < round; ++i)
          rows.push_back(json::object{{"id", fmt::format("o{}-r{}", k, i)}, {"_is_merge", true}, {"output", round}});
        MustWrite({W(objs[k], rows)});
      }
    }
    for (int k : {0, 3, 1, 4, 2, 0}) {
      check(k, round);
      if (HasFatalFailure()) return;
      if (one_tail == 0) one_tail = store_->tails().bytes();
      EXPECT_GT(store_->tails().bytes(), 0u);
      // Past the budget, only the tail just read stays (plus what writes add).
      EXPECT_LE(store_->tails().bytes(), 3 * one_tail + 4096) << "round " << round << " object " << k;
    }
  }
  // All five in one scan.
  ScanSpec spec;
  for (const auto& o2 : objs) spec.objects.push_back(o2.ObjectId());
  Result<ScanResult> all = ScanWith(spec);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->rows.size(), 40u);
}

TEST_F(SpanStoreTest, EvictionUnderConcurrentReadsAndWrites) {
  SpanStoreOptions o = Options();
  o.tail_memory_bytes = 2048;
  Open(o);
  constexpr int kObjects = 5, kWriters = 3, kWrites = 40, kReaders = 2;
  std::vector<ObjectRef> objs;
  for (int k = 0; k < kObjects; ++k) objs.push_back(Experiment());
  Mutex mu;
  std::map<std::string, std::map<std::string, int>> expected;  // object id -> row id -> output
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937 rng(100 + r);
      std::vector<size_t> last(kObjects, 0);
      while (!done.load()) {
        int k = static_cast<int>(rng() % kObjects);
        ScanSpec spec;
        spec.objects = {objs[k].ObjectId()};
        spec.limit = 100000;
        Result<ScanResult> res = store_->Scan(spec);
        if (!res.ok()) {
          ADD_FAILURE() << res.status().ToString();
          ++errors;
          continue;
        }
        if (res->rows.size() < last[k]) {
          ADD_FAILURE() << "object " << k << " went from " << last[k] << " rows to " << res->rows.size();
          ++errors;
        }
        last[k] = res->rows.size();
        for (const auto& row : res->rows) {
          if (RowXact(*row) > res->snapshot || Str(*row, "experiment_id") != objs[k].id) ++errors;
        }
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(w);
      for (int i = 0; i < kWrites; ++i) {
        int k = static_cast<int>(rng() % kObjects);
        std::string id = fmt::format("w{}-{}", w, i);
        std::vector<json::object> rows = {json::object{{"id", id}, {"output", 0}, {"pad", std::string(100, 'p')}}};
        // Now and then merge into one of this writer's earlier rows.
        std::string merged;
        int merged_k = -1;
        if (i > 0 && i % 3 == 0) {
          MutexLock lock(mu);
          for (int kk = 0; kk < kObjects && merged.empty(); ++kk)
            for (const auto& [rid, out] : expected[objs[kk].ObjectId()])
              if (rid.rfind(fmt::format("w{}-", w), 0) == 0) {
                merged = rid;
                merged_k = kk;
                break;
              }
        }
        std::vector<ObjectWrite> ws = {W(objs[k], std::move(rows))};
        if (merged_k >= 0)
          ws.push_back(W(objs[merged_k], {json::object{{"id", merged}, {"_is_merge", true}, {"output", i}}}));
        Result<XactId> x = Write(std::move(ws));
        if (!x.ok()) {
          ADD_FAILURE() << x.status().ToString();
          continue;
        }
        MutexLock lock(mu);
        expected[objs[k].ObjectId()][id] = 0;
        if (merged_k >= 0) expected[objs[merged_k].ObjectId()][merged] = i;
      }
    });
  }
  for (int t = kReaders; t < kReaders + kWriters; ++t) threads[t].join();
  done = true;
  for (int t = 0; t < kReaders; ++t) threads[t].join();
  EXPECT_EQ(errors.load(), 0);

  auto verify = [&] {
    size_t total = 0;
    for (const auto& ref : objs) {
      auto rows = ById(Rows(ref));
      const auto& want = expected[ref.ObjectId()];
      EXPECT_EQ(rows.size(), want.size()) << ref.ObjectId();
      for (const auto& [id, out] : want) {
        ASSERT_TRUE(rows.count(id)) << id;
        EXPECT_EQ(rows[id]->at("output"), out) << id;
      }
      total += rows.size();
    }
    EXPECT_EQ(total, size_t{kWriters * kWrites});
  };
  verify();
  if (HasFatalFailure()) return;
  Restart(o);
  verify();
}

TEST_F(SpanStoreTest, CorruptChunkIsDetectedNeverServed) {
  ObjectRef e = Experiment();
  MustWrite({W(e, {Obj(R"({"id":"a","output":"hello hello hello"})")})});
  Result<meta::Rows> c = db_->Query("SELECT chunk_key, bytes FROM wal_chunk");
  ASSERT_TRUE(c.ok() && c->size() == 1);
  std::string key = c->Text(0, "chunk_key");
  fs::path file = fs::path(folder_) / key;
  std::string good;
  {
    std::ifstream in(file, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(good.size(), static_cast<size_t>(c->Int(0, "bytes")));
  auto write_file = [&](const std::string& bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << bytes;
  };

  // A flipped byte in the payload.
  std::string bad = good;
  bad[bad.size() - 3] = static_cast<char>(bad[bad.size() - 3] ^ 0x20);
  write_file(bad);
  Restart();
  ScanSpec spec;
  spec.objects = {e.ObjectId()};
  Result<ScanResult> r = ScanWith(spec);
  ASSERT_FALSE(r.ok()) << "served " << r->rows.size() << " rows from a corrupt chunk";
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().message();

  // A torn (truncated) chunk.
  write_file(good.substr(0, good.size() / 2));
  Restart();
  r = ScanWith(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().message();

  // Repaired: readable again (the failed load was not cached).
  write_file(good);
  r = ScanWith(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(r->rows), (std::vector<std::string>{"a"}));
}

TEST_F(SpanStoreTest, SectionOfAnotherObjectIsDetected) {
  ObjectRef a = Experiment(), b = Experiment();
  MustWrite({W(a, {Obj(R"({"id":"a"})")}), W(b, {Obj(R"({"id":"b"})")})});
  // Point a's catalog row at b's section of the same chunk.
  Result<int64_t> n = db_->Execute(
      "UPDATE wal_section SET byte_offset = (SELECT byte_offset FROM wal_section WHERE object_id = $2), "
      "byte_length = (SELECT byte_length FROM wal_section WHERE object_id = $2) WHERE object_id = $1",
      {a.ObjectId(), b.ObjectId()});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, 1);
  Restart();
  ScanSpec spec;
  spec.objects = {a.ObjectId()};
  Result<ScanResult> r = ScanWith(spec);
  ASSERT_FALSE(r.ok()) << "served b's rows as a's";
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_EQ(Ids(Rows(b)), (std::vector<std::string>{"b"}));
}

// ---------------------------------------------------------------------------
// 6. Object-storage faults
// ---------------------------------------------------------------------------

class StoreFaultTest : public StoreTestBase {
 protected:
  // The store over a switch between the plain folder and WrapWithFaults(folder).
  SwitchableStore* OpenSwitchable(objstore::FaultOptions faults, std::chrono::milliseconds deadline) {
    auto sw = std::make_unique<SwitchableStore>(Local(folder_), objstore::WrapWithFaults(Local(folder_), faults));
    SwitchableStore* raw = sw.get();
    Open(Options(deadline), std::move(sw));
    return raw;
  }

  // The batch whose fate the tests follow: 3 rows over 2 objects.
  std::vector<ObjectWrite> Batch(const ObjectRef& a, const ObjectRef& b, std::string_view tag) {
    return {W(a, {json::object{{"id", fmt::format("{}-1", tag)}}, json::object{{"id", fmt::format("{}-2", tag)}}}),
            W(b, {json::object{{"id", fmt::format("{}-3", tag)}}})};
  }
  // How many of the batch's rows are visible.
  int Visible(const ObjectRef& a, const ObjectRef& b, std::string_view tag) {
    int n = 0;
    for (const ObjectRef* ref : {&a, &b})
      for (const auto& id : Ids(Rows(*ref)))
        if (id.rfind(std::string(tag) + "-", 0) == 0) ++n;
    return n;
  }

  // A good write, a write that fails through `faults`, then a good write
  // again; checks what is visible at each step and after a restart.
  void FailedWriteThenRecover(objstore::FaultOptions faults, bool may_be_visible) {
    SwitchableStore* sw = OpenSwitchable(faults, std::chrono::milliseconds(200));
    ObjectRef a = Experiment(), b = Experiment();
    XactId good1 = MustWrite(Batch(a, b, "good1"));
    ASSERT_EQ(store_->watermark(), good1);
    ASSERT_EQ(Visible(a, b, "good1"), 3);  // loads both tails

    sw->use_bad = true;
    auto t0 = std::chrono::steady_clock::now();
    Result<XactId> failed = Write(Batch(a, b, "bad"));
    auto elapsed = std::chrono::steady_clock::now() - t0;
    ASSERT_FALSE(failed.ok()) << "a write through a failing store succeeded";
    EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable) << failed.status().ToString();
    EXPECT_LT(elapsed, std::chrono::seconds(3)) << "the deadline is 200 ms";
    EXPECT_GT(sw->puts.load(), 2) << "the writer retries within its deadline";
    sw->use_bad = false;  // reads below go to the plain folder
    EXPECT_EQ(store_->watermark(), good1) << "a failed write moved the watermark";
    int bad_visible = Visible(a, b, "bad");
    EXPECT_TRUE(bad_visible == 0 || bad_visible == 3) << bad_visible << " of 3 rows visible: half-applied";
    if (!may_be_visible) {
      EXPECT_EQ(bad_visible, 0);
      EXPECT_EQ(CountChunks(), 1);
    }
    EXPECT_EQ(Visible(a, b, "good1"), 3);

    XactId good2 = MustWrite(Batch(a, b, "good2"));
    EXPECT_GT(good2, good1);
    EXPECT_EQ(store_->watermark(), good2);
    EXPECT_EQ(Visible(a, b, "good2"), 3);
    EXPECT_EQ(Visible(a, b, "bad"), bad_visible);

    Restart();
    EXPECT_EQ(store_->watermark(), good2);
    EXPECT_EQ(Visible(a, b, "good1"), 3);
    EXPECT_EQ(Visible(a, b, "good2"), 3);
    int after = Visible(a, b, "bad");
    EXPECT_TRUE(after == 0 || after == 3) << after << " of 3 rows visible after restart";
    if (!may_be_visible) {
      EXPECT_EQ(after, 0);
    }
  }
};

TEST_F(StoreFaultTest, HalfTheCallsFailingStillStoresEveryWrite) {
  objstore::FaultOptions faults;
  faults.error_rate = 0.5;
  faults.seed = 20261123;
  Open(Options(std::chrono::milliseconds(10000)), objstore::WrapWithFaults(Local(folder_), faults));
  ObjectRef a = Experiment(), b = Experiment();
  // Load both (empty) tails first, so reads are served from memory while
  // half of the object-storage calls fail.
  ASSERT_TRUE(Rows(a).empty());
  ASSERT_TRUE(Rows(b).empty());
  std::vector<XactId> xacts;
  constexpr int kN = 12;
  for (int i = 0; i < kN; ++i) {
    Result<XactId> x = Write(Batch(a, b, fmt::format("w{:02d}", i)));
    ASSERT_TRUE(x.ok()) << "write " << i << ": " << x.status().ToString();
    if (!xacts.empty()) {
      EXPECT_GT(*x, xacts.back());
    }
    xacts.push_back(*x);
  }
  EXPECT_EQ(store_->watermark(), xacts.back());
  EXPECT_EQ(Rows(a).size(), 2u * kN);
  EXPECT_EQ(Rows(b).size(), 1u * kN);
  EXPECT_EQ(CountChunks(), kN);
  EXPECT_EQ(WalFiles().size(), size_t{kN}) << "failed puts left files behind";

  // Everything is readable from object storage, fault-free.
  Restart();
  auto ra = ById(Rows(a));
  auto rb = ById(Rows(b));
  ASSERT_EQ(ra.size(), 2u * kN);
  ASSERT_EQ(rb.size(), 1u * kN);
  for (int i = 0; i < kN; ++i) {
    std::string tag = fmt::format("w{:02d}", i);
    ASSERT_TRUE(ra.count(tag + "-1") && ra.count(tag + "-2") && rb.count(tag + "-3")) << tag;
    EXPECT_EQ(Str(*ra[tag + "-1"], "_xact_id"), FormatXact(xacts[i]));
    EXPECT_EQ(Str(*rb[tag + "-3"], "_xact_id"), FormatXact(xacts[i]));
  }

  // And through the failing store again, loading every section from it: reads
  // retry too.
  faults.seed = 7;
  Open(Options(std::chrono::milliseconds(10000)), objstore::WrapWithFaults(Local(folder_), faults));
  EXPECT_EQ(Rows(a).size(), 2u * kN);
  EXPECT_EQ(Rows(b).size(), 1u * kN);
}

TEST_F(StoreFaultTest, EveryPutFailingIsUnavailableAndInvisible) {
  objstore::FaultOptions faults;
  faults.error_rate = 1.0;
  FailedWriteThenRecover(faults, /*may_be_visible=*/false);
  EXPECT_EQ(WalFiles().size(), 2u);
}

TEST_F(StoreFaultTest, TornPutsAreInvisible) {
  objstore::FaultOptions faults;
  faults.torn_rate = 1.0;
  FailedWriteThenRecover(faults, /*may_be_visible=*/false);
  // The torn chunk is an orphan: in the folder, not in the catalog.
  EXPECT_EQ(WalFiles().size(), 3u);
  EXPECT_EQ(CountChunks(), 2);
}

TEST_F(StoreFaultTest, LostRepliesFailTheWriteAndNeverHalfApply) {
  objstore::FaultOptions faults;
  faults.lost_rate = 1.0;
  FailedWriteThenRecover(faults, /*may_be_visible=*/true);
  // The whole chunk reached storage although the caller was told it failed.
  bool found_whole_orphan = false;
  Result<meta::Rows> keys = db_->Query("SELECT chunk_key FROM wal_chunk");
  ASSERT_TRUE(keys.ok());
  std::set<std::string> committed;
  for (size_t i = 0; i < keys->size(); ++i) committed.insert(fs::path(keys->Text(i, "chunk_key")).filename());
  for (const auto& f : WalFiles()) {
    if (committed.count(f)) continue;
    Result<std::string> bytes = store_->objects().Get("wal/" + f);
    ASSERT_TRUE(bytes.ok());
    found_whole_orphan = found_whole_orphan || DecodeChunk(*bytes, f).ok();
  }
  EXPECT_TRUE(found_whole_orphan || CountChunks() == 3);
}

TEST_F(StoreFaultTest, TransientPutFailuresAreRetried) {
  SwitchableStore* sw = OpenSwitchable({}, std::chrono::milliseconds(5000));
  ObjectRef a = Experiment(), b = Experiment();
  sw->fail_puts = 3;
  Result<XactId> x = Write(Batch(a, b, "w"));
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(sw->puts.load(), 4);
  EXPECT_EQ(CountChunks(), 1);
  EXPECT_EQ(Visible(a, b, "w"), 3);
  EXPECT_EQ(store_->watermark(), *x);
}

TEST_F(StoreFaultTest, TransientGetFailuresAreRetriedByReads) {
  Open();
  ObjectRef a = Experiment(), b = Experiment();
  MustWrite(Batch(a, b, "w"));
  // A fresh store must load the tail from object storage.
  auto sw = std::make_unique<SwitchableStore>(Local(folder_), nullptr);
  SwitchableStore* raw = sw.get();
  Open(Options(), std::move(sw));
  raw->fail_gets = 2;
  ScanSpec spec;
  spec.objects = {a.ObjectId()};
  Result<ScanResult> r = ScanWith(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(raw->gets.load(), 3) << "one section, two failed attempts, one good";
  EXPECT_EQ(Sorted(Ids(r->rows)), (std::set<std::string>{"w-1", "w-2"}));
}

}  // namespace
}  // namespace tv::store
