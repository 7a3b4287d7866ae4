// Unit tests for src/text: the tokenizer (ASCII, case folding, scripts,
// invalid UTF-8, the 64-byte cut), the JSON walks, and the term index from
// builder to bytes to lookups, including corrupt `terms` parts and a
// randomized comparison against a brute-force index.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "text/term_index.h"
#include "text/tokenizer.h"

namespace tv::text {
namespace {

using Strings = std::vector<std::string>;

json::value Json(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

Strings JsonTokens(const json::value& v) {
  Strings out;
  TokenizeJson(v, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}

// ---- Tokenizer ----

TEST(Tokenizer, AsciiWordsAndPunctuation) {
  EXPECT_EQ(Tokens("Hello, world! (it's) a-b c.d"), (Strings{"hello", "world", "it", "s", "a", "b", "c", "d"}));
  EXPECT_EQ(Tokens(""), Strings{});
  EXPECT_EQ(Tokens("  ,;:!?  \t\n"), Strings{});
  EXPECT_EQ(Tokens("x"), Strings{"x"});
  EXPECT_EQ(Tokens("repeat repeat"), (Strings{"repeat", "repeat"}));
  EXPECT_EQ(Tokens("{\"k\":\"v\"}"), (Strings{"k", "v"}));
}

TEST(Tokenizer, DigitsAndUnderscores) {
  EXPECT_EQ(Tokens("foo_bar 42 x2y 3.14 _lead trail_"),
            (Strings{"foo_bar", "42", "x2y", "3", "14", "_lead", "trail_"}));
  EXPECT_EQ(Tokens("__"), Strings{"__"});
  // Non-ASCII digits (Nd) and other connector punctuation (Pc, not '_').
  EXPECT_EQ(Tokens("\u0663\u0664 a\u203Fb"), (Strings{"\u0663\u0664", "a", "b"}));
}

TEST(Tokenizer, AsciiCaseFolding) { EXPECT_EQ(Tokens("ABC aBc XYZ@Q"), (Strings{"abc", "abc", "xyz", "q"})); }

TEST(Tokenizer, NonAsciiSimpleCaseFolding) {
  EXPECT_EQ(Tokens("ÄPFEL Äpfel äpfel"), (Strings{"äpfel", "äpfel", "äpfel"}));
  // Simple folding: ß stays ß (only full folding makes it "ss"), and capital
  // sharp s folds to ß; so Straße and STRASSE are different tokens.
  EXPECT_EQ(Tokens("Straße STRASSE STRAẞE"), (Strings{"straße", "strasse", "straße"}));
  // Greek: capital, small and final sigma all fold to σ.
  EXPECT_EQ(Tokens("ΣΑΣ σας Σας"), (Strings{"σασ", "σασ", "σασ"}));
  EXPECT_EQ(Tokens("ΟΔΥΣΣΕΥΣ"), Strings{"οδυσσευσ"});
  // Folding may shrink a code point: KELVIN SIGN (3 bytes) folds to 'k'.
  EXPECT_EQ(Tokens("\u212Aelvin"), Strings{"kelvin"});
  EXPECT_EQ(Tokens("ДОБРЫЙ День"), (Strings{"добрый", "день"}));
}

TEST(Tokenizer, CombiningMarksJoinTheRun) {
  EXPECT_EQ(Tokens("cafe\u0301 ok"), (Strings{"cafe\u0301", "ok"}));
  EXPECT_EQ(Tokens(" \u0301x"), Strings{"\u0301x"});
  EXPECT_EQ(Tokens("नमस्ते दुनिया"), (Strings{"नमस्ते", "दुनिया"}));  // Devanagari vowel signs are M*
}

TEST(Tokenizer, CjkCodePointsAreTokensOfTheirOwn) {
  EXPECT_EQ(Tokens("日本語"), (Strings{"日", "本", "語"}));
  EXPECT_EQ(Tokens("ひらがな"), (Strings{"ひ", "ら", "が", "な"}));
  EXPECT_EQ(Tokens("カタカナ"), (Strings{"カ", "タ", "カ", "ナ"}));
  EXPECT_EQ(Tokens("한국어"), (Strings{"한", "국", "어"}));
  EXPECT_EQ(Tokens("東京、大阪。"), (Strings{"東", "京", "大", "阪"}));
}

TEST(Tokenizer, MixedScripts) {
  EXPECT_EQ(Tokens("hello世界World"), (Strings{"hello", "世", "界", "world"}));
  EXPECT_EQ(Tokens("GPT-4は速い"), (Strings{"gpt", "4", "は", "速", "い"}));
  EXPECT_EQ(Tokens("abcδεζ123"), Strings{"abcδεζ123"});  // Latin, Greek, digits: one run
  EXPECT_EQ(Tokens("Привет мир and 你好"), (Strings{"привет", "мир", "and", "你", "好"}));
}

TEST(Tokenizer, EmojiAndSymbolsSeparate) {
  EXPECT_EQ(Tokens("hi😀there"), (Strings{"hi", "there"}));
  EXPECT_EQ(Tokens("a👍🏽b c→d €5"), (Strings{"a", "b", "c", "d", "5"}));  // the skin tone is Sk
  // A variation selector is a mark (Mn), so by the rule it is a token.
  EXPECT_EQ(Tokens("❤️ x"), (Strings{"\uFE0F", "x"}));
  EXPECT_EQ(Tokens("👨‍👩‍👧"), Strings{});
}

TEST(Tokenizer, InvalidUtf8Separates) {
  EXPECT_EQ(Tokens("ab\xFF"
                   "cd"),
            (Strings{"ab", "cd"}));
  EXPECT_EQ(Tokens("ab\xC3"), Strings{"ab"});    // truncated sequence at the end
  EXPECT_EQ(Tokens("\xE6\x97x"), Strings{"x"});  // truncated in the middle
  EXPECT_EQ(Tokens("a\xC0\xAF"
                   "b"),
            (Strings{"a", "b"}));  // overlong '/'
  EXPECT_EQ(Tokens("a\xED\xA0\x80"
                   "b"),
            (Strings{"a", "b"}));  // encoded surrogate
  EXPECT_EQ(Tokens("a\x80\x80\x80"
                   "b"),
            (Strings{"a", "b"}));                        // stray continuations
  EXPECT_EQ(Tokens("\xF4\x90\x80\x80z"), Strings{"z"});  // past U+10FFFF
  std::string with_nul("a\0b", 3);
  EXPECT_EQ(Tokens(with_nul), (Strings{"a", "b"}));
}

TEST(Tokenizer, LongRunsAreCutAt64Bytes) {
  const std::string a64(64, 'a');
  EXPECT_EQ(Tokens(a64), Strings{a64});
  // The rest of a cut run is dropped, not started over as a new token.
  EXPECT_EQ(Tokens(a64 + "bcd next"), (Strings{a64, "next"}));
  EXPECT_EQ(Tokens(std::string(1000, 'Z') + " z"), (Strings{std::string(64, 'z'), "z"}));
  // A 2-byte code point that would straddle the limit is left out whole, and
  // so is everything after it in the run, ASCII included.
  const std::string a63(63, 'a');
  EXPECT_EQ(Tokens(a63 + "éb"), Strings{a63});
  EXPECT_EQ(Tokens(a63 + "bé"), Strings{a63 + "b"});
  // 21 three-byte code points make 63 bytes; the 22nd does not fit.
  auto cut = Tokens(Repeat("\u0905", 25));  // Devanagari letter a, 3 bytes
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0].size(), 63u);
  // The limit counts folded bytes: 'K' (KELVIN SIGN, 3 bytes) folds to 1 byte.
  EXPECT_EQ(Tokens(Repeat("\u212A", 70)), Strings{std::string(64, 'k')});
  for (const auto& t : Tokens(std::string(200, 'x') + " ü" + Repeat("ß", 200))) EXPECT_LE(t.size(), kMaxTokenBytes);
}

TEST(Tokenizer, TokenizeSinkSeesTheSameTokens) {
  const std::string text =
      "Mixed CASE 日本 ab\xFF"
      "cd " +
      std::string(80, 'q');
  Strings seen;
  Tokenize(text, [&](std::string_view t) { seen.emplace_back(t); });
  EXPECT_EQ(seen, Tokens(text));
}

// ---- JSON ----

TEST(TokenizeJson, StringValuesOnlyInDocumentOrder) {
  auto v = Json(R"({"key_word": "Value one", "n": 42, "f": 1.5, "b": true, "z": null,
                    "arr": ["two", 3, {"deep_key": "three", "more": ["four"]}], "last": "five"})");
  EXPECT_EQ(JsonTokens(v), (Strings{"value", "one", "two", "three", "four", "five"}));
  EXPECT_EQ(JsonTokens(Json(R"("Just A String")")), (Strings{"just", "a", "string"}));
  EXPECT_EQ(JsonTokens(Json("12345")), Strings{});
  EXPECT_EQ(JsonTokens(Json(R"({"only_keys": {"nested_key": 7}})")), Strings{});
}

TEST(TokenizeJson, DeepNestingDoesNotRecurse) {
  json::value v = "bottom";
  for (int i = 0; i < 100000; ++i) {
    json::array a;
    a.push_back(std::move(v));
    v = std::move(a);
  }
  EXPECT_EQ(JsonTokens(v), Strings{"bottom"});
}

TEST(ContainsAllTokens, WholeTokens) {
  auto v = Json(R"({"text": "The xylophone player", "tags": ["Music", "wood"], "n": 42})");
  EXPECT_TRUE(ContainsAllTokens(v, {"xylophone"}));
  EXPECT_TRUE(ContainsAllTokens(v, {"music", "the", "wood"}));
  EXPECT_TRUE(ContainsAllTokens(v, {"wood", "wood"}));
  EXPECT_FALSE(ContainsAllTokens(v, {"x"}));  // a token, not a substring
  EXPECT_FALSE(ContainsAllTokens(v, {"xylo"}));
  EXPECT_FALSE(ContainsAllTokens(v, {"text"}));  // keys are not text
  EXPECT_FALSE(ContainsAllTokens(v, {"42"}));    // numbers are not text
  EXPECT_FALSE(ContainsAllTokens(v, {"music", "piano"}));
  EXPECT_FALSE(ContainsAllTokens(v, {}));  // an empty query matches nothing
  EXPECT_FALSE(ContainsAllTokens(Json("null"), {"a"}));
  EXPECT_TRUE(ContainsAllTokens(Json(R"("東京")"), {"京"}));
}

TEST(IsTextField, IdsAndSystemFieldsAreNot) {
  for (const char* f :
       {"id", "span_id", "root_span_id", "span_parents", "_xact_id", "created", "project_id", "experiment_id",
        "dataset_id", "log_id", "org_id", "prompt_session_id", "is_root", "_pagination_key"}) {
    EXPECT_FALSE(IsTextField(f)) << f;
  }
  for (const char* f : {"input", "output", "expected", "metadata", "error", "tags", "scores", "metrics",
                        "span_attributes", "ID", "ids", "", "comment"}) {
    EXPECT_TRUE(IsTextField(f)) << f;
  }
}

// ---- Term index ----

std::set<uint32_t> RowsOf(const TermIndexBuilder::Output& out, const TermIndex& index, std::string_view field,
                          std::string_view term) {
  auto ref = index.Find(field, term);
  if (!ref) return {};
  EXPECT_LE(ref->offset + ref->length, out.postings.size());
  auto rows = DecodePostings(std::string_view(out.postings).substr(ref->offset, ref->length));
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  if (!rows.ok()) return {};
  std::set<uint32_t> s;
  for (uint32_t r : *rows) s.insert(r);
  return s;
}

struct Cell {
  uint32_t row;
  std::string field;
  std::string json;
};

const std::vector<Cell> kCells = {
    {0, "input", R"("hello world")"},
    {0, "output", R"({"text": "Hello again", "n": 3})"},
    {0, "metadata", R"({"model": "gpt"})"},
    {1, "input", R"("world peace")"},
    {1, "output", R"("again and AGAIN")"},
    {2, "input", R"("日本")"},
    {2, "metadata", R"({"model": "claude", "n": 5})"},
    {2, "scores", R"({"accuracy": 0.5})"},
    {7, "output", R"(["hello", "World"])"},
};

TermIndexBuilder::Output Build(const std::vector<Cell>& cells) {
  TermIndexBuilder b;
  for (const auto& c : cells) b.Add(c.field, c.row, Json(c.json));
  return b.Finish();
}

TEST(TermIndex, RoundTripWithSeveralFields) {
  auto out = Build(kCells);
  EXPECT_EQ(out.fields, (Strings{"input", "metadata", "output"}));  // sorted; "scores" has no text
  auto index = TermIndex::Open(out.fields, out.terms);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(index->fields(), out.fields);
  // input: hello world peace 日 本; metadata: gpt claude; output: hello again and world
  EXPECT_EQ(index->term_count(), 5u + 2u + 4u);
  EXPECT_EQ(RowsOf(out, *index, "input", "world"), (std::set<uint32_t>{0, 1}));
  EXPECT_EQ(RowsOf(out, *index, "input", "hello"), (std::set<uint32_t>{0}));
  EXPECT_EQ(RowsOf(out, *index, "input", "日"), (std::set<uint32_t>{2}));
  EXPECT_EQ(RowsOf(out, *index, "output", "again"), (std::set<uint32_t>{0, 1}));
  EXPECT_EQ(RowsOf(out, *index, "output", "world"), (std::set<uint32_t>{7}));
  EXPECT_EQ(RowsOf(out, *index, "output", "hello"), (std::set<uint32_t>{0, 7}));
  EXPECT_EQ(RowsOf(out, *index, "metadata", "claude"), (std::set<uint32_t>{2}));
  EXPECT_FALSE(index->Find("input", "again"));
  EXPECT_FALSE(index->Find("metadata", "model"));  // a key
  EXPECT_FALSE(index->Find("output", "text"));
  EXPECT_FALSE(index->Find("output", "3"));  // a number
  EXPECT_FALSE(index->Find("scores", "accuracy"));
  EXPECT_FALSE(index->Find("nosuch", "hello"));
  EXPECT_FALSE(index->Find("input", "Hello"));  // terms are stored folded
  EXPECT_FALSE(index->Find("input", ""));
  EXPECT_FALSE(index->Find("output", "zzz"));  // past the last entry
  EXPECT_FALSE(index->Find("input", "aaa"));   // before the first entry
}

TEST(TermIndex, RowNumbersUpTo2To32) {
  TermIndexBuilder b;
  const std::set<uint32_t> rows = {0, 65535, 65536, 4000000000u, 0xFFFFFFFFu};
  for (uint32_t r : rows) b.Add("input", r, Json(R"("edge")"));
  auto out = b.Finish();
  auto index = TermIndex::Open(out.fields, out.terms);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(RowsOf(out, *index, "input", "edge"), rows);
}

TEST(TermIndex, ManyDistinctTerms) {
  // Enough terms to grow the builder's table several times; the same term
  // in two fields is two entries.
  TermIndexBuilder b;
  for (uint32_t r = 0; r < 20000; ++r) {
    b.Add("input", r, json::value("w" + std::to_string(r) + " shared"));
    if (r % 2 == 0) b.Add("output", r / 2, json::value("w" + std::to_string(r)));
  }
  auto out = b.Finish();
  auto index = TermIndex::Open(out.fields, out.terms);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(index->term_count(), 20000u + 1u + 10000u);
  for (uint32_t r = 0; r < 20000; r += 7) {
    const std::string term = "w" + std::to_string(r);
    EXPECT_EQ(RowsOf(out, *index, "input", term), std::set<uint32_t>{r});
    if (r % 2 == 0) {
      EXPECT_EQ(RowsOf(out, *index, "output", term), std::set<uint32_t>{r / 2});
    } else {
      EXPECT_FALSE(index->Find("output", term));
    }
  }
  EXPECT_EQ(RowsOf(out, *index, "input", "shared").size(), 20000u);
}

TEST(TermIndex, EmptyBuilder) {
  TermIndexBuilder b;
  b.Add("scores", 0, Json("1"));
  auto out = b.Finish();
  EXPECT_TRUE(out.fields.empty());
  EXPECT_TRUE(out.postings.empty());
  auto index = TermIndex::Open(out.fields, out.terms);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(index->term_count(), 0u);
  EXPECT_FALSE(index->Find("input", "x"));
}

TEST(TermIndex, SameRowsInAnyOrderGiveTheSameBytes) {
  auto a = Build(kCells);
  auto reversed = kCells;
  std::reverse(reversed.begin(), reversed.end());
  auto b = Build(reversed);
  auto shuffled = kCells;
  std::mt19937 rng(7);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  shuffled.push_back(kCells[3]);  // a repeated cell changes nothing
  auto c = Build(shuffled);
  for (const auto* other : {&b, &c}) {
    EXPECT_EQ(a.fields, other->fields);
    EXPECT_EQ(a.terms, other->terms);
    EXPECT_EQ(a.postings, other->postings);
  }
}

TEST(TermIndex, FieldsPastTheLimitAreSkipped) {
  TermIndexBuilder b;
  for (int f = 0; f < 300; ++f) b.Add("field" + std::to_string(1000 + f), 0, Json(R"("word")"));
  auto out = b.Finish();
  ASSERT_EQ(out.fields.size(), TermIndexBuilder::kMaxFields);
  EXPECT_EQ(out.fields.front(), "field1000");
  EXPECT_EQ(out.fields.back(), "field1254");
  auto index = TermIndex::Open(out.fields, out.terms);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_TRUE(index->Find("field1254", "word"));
  EXPECT_FALSE(index->Find("field1255", "word"));
}

TEST(TermIndex, BuilderIsReusableAfterFinish) {
  TermIndexBuilder b;
  b.Add("input", 0, Json(R"("first")"));
  (void)b.Finish();
  b.Add("output", 1, Json(R"("second")"));
  auto out = b.Finish();
  EXPECT_EQ(out.fields, Strings{"output"});
  auto index = TermIndex::Open(out.fields, out.terms);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->term_count(), 1u);
}

// A `terms` part written by hand, offsets computed unless given.
struct RawEntry {
  uint8_t field;
  std::string term;
};

template <typename T>
void Put(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
}

std::string RawTerms(const std::vector<RawEntry>& entries) {
  std::string body;
  std::vector<uint32_t> offsets;
  const size_t start = 4 + 4 * entries.size();
  for (const auto& e : entries) {
    offsets.push_back(static_cast<uint32_t>(start + body.size()));
    body.push_back(static_cast<char>(e.field));
    Put<uint16_t>(body, static_cast<uint16_t>(e.term.size()));
    body += e.term;
    Put<uint64_t>(body, 0);
    Put<uint32_t>(body, 8);
  }
  std::string out;
  Put<uint32_t>(out, static_cast<uint32_t>(entries.size()));
  for (uint32_t o : offsets) Put<uint32_t>(out, o);
  return out + body;
}

void ExpectCorrupt(const Strings& fields, const std::string& terms, std::string_view why) {
  auto index = TermIndex::Open(fields, terms);
  ASSERT_FALSE(index.ok()) << why;
  EXPECT_EQ(index.status().code(), StatusCode::kInternal) << why;
  EXPECT_NE(index.status().message().find("corrupt term index"), std::string::npos) << index.status().message();
}

TEST(TermIndex, OpenAcceptsAHandWrittenPart) {
  auto index = TermIndex::Open({"a", "b"}, RawTerms({{0, "x"}, {0, "y"}, {1, "a"}}));
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(index->term_count(), 3u);
  EXPECT_TRUE(index->Find("b", "a"));
  EXPECT_FALSE(index->Find("a", "a"));
}

TEST(TermIndex, OpenRejectsCorruptParts) {
  const Strings fields = {"input", "output"};
  const std::string good = RawTerms({{0, "alpha"}, {0, "beta"}, {1, "alpha"}});
  ASSERT_TRUE(TermIndex::Open(fields, good).ok());

  ExpectCorrupt(fields, "", "empty");
  ExpectCorrupt(fields, good.substr(0, 3), "truncated count");
  for (size_t n = 4; n < good.size(); n += 3) ExpectCorrupt(fields, good.substr(0, n), "truncated");
  ExpectCorrupt(fields, good.substr(0, good.size() - 1), "truncated by one");
  ExpectCorrupt(fields, good + "x", "trailing byte");

  std::string many = good;
  many[0] = '\xFF';  // a count whose offsets cannot fit
  ExpectCorrupt(fields, many, "count too large");
  std::string far = good;
  far[4] = '\xF0';  // first offset out of range
  far[5] = far[6] = far[7] = '\xFF';
  ExpectCorrupt(fields, far, "offset out of range");
  std::string shifted = good;
  shifted[8] = static_cast<char>(shifted[8] + 1);  // second entry not where the first ends
  ExpectCorrupt(fields, shifted, "offset not packed");

  ExpectCorrupt(fields, RawTerms({{0, "beta"}, {0, "alpha"}}), "unsorted terms");
  ExpectCorrupt(fields, RawTerms({{1, "alpha"}, {0, "beta"}}), "unsorted fields");
  ExpectCorrupt(fields, RawTerms({{0, "alpha"}, {0, "alpha"}}), "duplicate entry");
  ExpectCorrupt(fields, RawTerms({{2, "alpha"}}), "field out of range");
  ExpectCorrupt(fields, RawTerms({{0, ""}}), "empty term");
  ExpectCorrupt(fields, RawTerms({{0, std::string(65, 'a')}}), "term too long");
  ExpectCorrupt({"input", "input"}, RawTerms({{0, "a"}}), "duplicate field name");

  std::string huge = RawTerms({{0, "a"}});
  for (size_t i = 0; i < 8; ++i) huge[4 + 4 + 4 + i] = '\xFF';  // postings_offset near 2^64
  ExpectCorrupt(fields, huge, "postings range overflows");
}

TEST(TermIndex, RandomBytesNeverOpenBadly) {
  std::mt19937 rng(11);
  const std::string good = Build(kCells).terms;
  const Strings fields = {"input", "metadata", "output"};
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = good;
    bytes[rng() % bytes.size()] = static_cast<char>(rng());
    auto index = TermIndex::Open(fields, bytes);
    if (index.ok()) {  // a flipped postings offset still opens; lookups must stay in bounds
      for (const auto& f : fields) (void)index->Find(f, "hello");
    }
  }
}

TEST(DecodePostings, RejectsBadBytes) {
  Roaring r;
  for (uint32_t v : {1u, 5u, 70000u, 4000000000u}) r.add(v);
  r.runOptimize();
  std::string bytes(r.getSizeInBytes(true), '\0');
  r.write(bytes.data(), true);
  auto ok = DecodePostings(bytes);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(*ok == r);

  EXPECT_FALSE(DecodePostings("").ok());
  EXPECT_FALSE(DecodePostings(bytes + "x").ok());
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(DecodePostings(bytes.substr(0, n)).ok()) << n;
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    (void)DecodePostings(junk);  // must not crash
  }
}

TEST(DecodePostings, EveryContainerShapeRoundTrips) {
  std::vector<Roaring> shapes(6);
  shapes[1].addRange(0, 1000);                                                   // one run container, no offsets header
  shapes[2].add(4000000000u);                                                    // one array container
  for (uint32_t v = 0; v < 20000; v += 2) shapes[3].add(v);                      // one bitset container
  for (uint32_t k = 0; k < 6; ++k) shapes[4].addRange(k << 16, (k << 16) + 50);  // runs, with offsets
  for (uint32_t k = 0; k < 6; ++k) shapes[5].add(k << 16);                       // arrays, no runs
  for (auto& r : shapes) {
    r.runOptimize();
    std::string bytes(r.getSizeInBytes(true), '\0');
    r.write(bytes.data(), true);
    auto decoded = DecodePostings(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_TRUE(*decoded == r);
  }
}

TEST(DecodePostings, MutatedBitmapsNeverCrash) {
  Roaring r;
  for (uint32_t v = 0; v < 3000; v += 3) r.add(v);         // array container
  r.addRange(100000, 110000);                              // run container
  for (uint32_t v = 200000; v < 265536; v += 2) r.add(v);  // bitset container
  r.runOptimize();
  std::string bytes(r.getSizeInBytes(true), '\0');
  r.write(bytes.data(), true);
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; ++i) {
    std::string bad = bytes;
    const size_t at = i % 2 ? rng() % std::min<size_t>(bad.size(), 64) : rng() % bad.size();
    bad[at] = static_cast<char>(rng());
    auto rows = DecodePostings(bad);
    if (rows.ok()) {
      uint64_t n = 0;
      for (uint32_t row : *rows) n += row & 1;
      (void)n;
    }
  }
}

// Random rows against a brute-force index: for every (field, token) the
// posting list equals the set of rows whose field holds the token.
TEST(TermIndex, MatchesBruteForceOnRandomRows) {
  const Strings vocab = {"alpha",  "Beta",   "GAMMA",  "delta",  "Ärger", "straße", "σοφία", "日本", "x_1", "42",
                         "common", "common", "common", "common", "zeta",  "eta",    "ЁЖ",    "🙂", "a-b", "q"};
  const Strings fields = {"input", "output", "metadata", "expected", "error"};
  std::mt19937 rng(2024);
  auto word = [&] { return vocab[rng() % vocab.size()]; };
  auto text = [&] {
    std::string s;
    for (int n = static_cast<int>(rng() % 8); n > 0; --n) s += word() + (rng() % 3 ? " " : ", ");
    return json::value(s);
  };
  auto value = [&]() -> json::value {
    switch (rng() % 4) {
      case 0:
        return text();
      case 1:
        return json::array{text(), static_cast<int64_t>(rng() % 100), text()};
      case 2:
        return json::object{{word(), text()}, {"k", json::object{{"deep", text()}}}};
      default:
        return static_cast<int64_t>(rng() % 1000);
    }
  };

  std::vector<uint32_t> rows(3000);
  for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i * 3 + (i % 7 == 0 ? 70000 : 0);
  std::shuffle(rows.begin(), rows.end(), rng);

  TermIndexBuilder builder;
  std::map<std::pair<std::string, std::string>, std::set<uint32_t>> expected;
  std::vector<std::tuple<uint32_t, std::string, json::value>> added;
  for (uint32_t row : rows) {
    for (const auto& field : fields) {
      if (rng() % 3 == 0) continue;
      json::value v = value();
      builder.Add(field, row, v);
      TokenizeJson(v, [&](std::string_view t) { expected[{field, std::string(t)}].insert(row); });
      added.emplace_back(row, field, std::move(v));
    }
  }
  auto out = builder.Finish();
  auto index = TermIndex::Open(out.fields, out.terms);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ(index->term_count(), expected.size());
  for (const auto& [key, want] : expected) {
    EXPECT_EQ(RowsOf(out, *index, key.first, key.second), want) << key.first << " " << key.second;
  }

  // ContainsAllTokens agrees with the index on two-token queries.
  for (int i = 0; i < 500; ++i) {
    const auto& [row, field, v] = added[rng() % added.size()];
    Strings query;
    while (query.size() < 2) {
      if (auto t = Tokens(word()); !t.empty()) query.push_back(t[0]);
    }
    bool want = true;
    for (const auto& t : query) {
      auto it = expected.find({field, t});
      want = want && it != expected.end() && it->second.count(row) > 0;
    }
    EXPECT_EQ(ContainsAllTokens(v, query), want);
  }
}

}  // namespace
}  // namespace tv::text
