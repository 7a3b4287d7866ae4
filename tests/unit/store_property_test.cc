// Property: whatever batch the writer accepts — random nested JSON with
// extreme numbers, any Unicode, deep nesting, huge strings, merges and
// deletes — every object stays readable and compactable, and reads back
// exactly what was accepted, before and after compaction and restarts. A
// batch the writer refuses changes nothing. Seeded and deterministic.
#include <cmath>
#include <limits>
#include <random>

#include "store/quarantine.h"
#include "store_fixture.h"

namespace tv::store {
namespace {

class JsonGen {
 public:
  explicit JsonGen(uint64_t seed) : rng_(seed) {}

  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool OneIn(size_t n) { return Below(n) == 0; }

  json::value Number() {
    switch (Below(9)) {
      case 0:
        return std::numeric_limits<int64_t>::min();
      case 1:
        return std::numeric_limits<int64_t>::max();
      case 2:
        return std::numeric_limits<uint64_t>::max();
      case 3:
        return 1.7976931348623157e308;
      case 4:
        return -4.9406564584124654e-324;
      case 5:
        return 2.2250738585072014e-308;
      case 6:
        return static_cast<int64_t>(rng_());
      case 7:
        return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
      default:
        return 0.1 * static_cast<double>(Below(100));
    }
  }

  std::string Text() {
    static const char* const kPieces[] = {"plain", "héllo",       "日本語のテキスト", "😀🚀",       "e\xcc\x81",
                                          "\"q\"", "back\\slash", "tab\tnl\n",        "\x01\x1f", "",
                                          "Ωmega", "مرحبا",       "\xef\xbb\xbf",     "a b c",    "0"};
    std::string out;
    for (size_t n = Below(5); n-- > 0;) out += kPieces[Below(std::size(kPieces))];
    if (OneIn(60)) out += std::string(200000 + Below(1000), static_cast<char>('a' + Below(26)));
    return out;
  }

  json::value Value(int depth) {
    size_t kind = depth <= 0 ? Below(4) : Below(7);
    switch (kind) {
      case 0:
        return Number();
      case 1:
        return json::value(Text());
      case 2:
        return OneIn(2) ? json::value(true) : json::value(nullptr);
      case 3:
        return Number();
      case 4: {
        json::array a;
        for (size_t n = Below(4); n-- > 0;) a.push_back(Value(depth - 1));
        return a;
      }
      default:
        return Object(depth - 1);
    }
  }

  json::object Object(int depth) {
    json::object o;
    for (size_t n = Below(4); n-- > 0;) o[Key()] = Value(depth);
    return o;
  }

  std::string Key() {
    static const char* const kKeys[] = {"a", "b", "model", "ключ", "鍵", "😀", "with space", "x.y"};
    return kKeys[Below(std::size(kKeys))];
  }

  // A metadata object nesting as deep as the store keeps (the row is one level).
  json::object Deep() {
    json::value v(Text());
    for (size_t i = 0; i + 2 < kMaxStoredDepth; ++i)
      v = OneIn(2) ? json::value(json::array{v}) : json::value(json::object{{"d", v}});
    return json::object{{"deep", v}};
  }

  // Something readers could not decode, somewhere in `o`.
  void Poison(json::object& o) {
    switch (Below(4)) {
      case 0:
        o["metadata"] = json::object{{"bad", std::numeric_limits<double>::infinity()}};
        break;
      case 1:
        o["input"] = json::array{1, std::nan("")};
        break;
      case 2:
        o["output"] = "\xff\xfe not UTF-8";
        break;
      default: {
        json::value v = 1;
        for (size_t i = 0; i < kMaxStoredDepth; ++i) v = json::array{v};
        o["expected"] = v;
      }
    }
  }

 private:
  std::mt19937_64 rng_;
};

// Values as stored: doubles may come back one unit in the last place off
// (the JSON parser reads them imprecisely); everything else exactly.
bool Same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::nextafter(x, y) == y || std::nextafter(std::nextafter(x, y), y) == y;
  }
  if (a.is_object() && b.is_object()) {
    const json::object &oa = a.get_object(), &ob = b.get_object();
    if (oa.size() != ob.size()) return false;
    for (const auto& kv : oa) {
      const json::value* other = ob.if_contains(kv.key());
      if (!other || !Same(kv.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    const json::array &aa = a.get_array(), &ab = b.get_array();
    if (aa.size() != ab.size()) return false;
    for (size_t i = 0; i < aa.size(); ++i)
      if (!Same(aa[i], ab[i])) return false;
    return true;
  }
  return a == b;
}

const char* const kUserFields[] = {"input", "output", "expected", "metadata"};

class StorePropertyTest : public StoreTestBase {
 protected:
  using Model = std::map<std::string, json::object>;  // id → user fields

  void Check(const ObjectRef& ref, const Model& model, const std::string& when) {
    std::vector<RowPtr> rows = Rows(ref);
    std::map<std::string, RowPtr> got = ById(rows);
    ASSERT_EQ(got.size(), model.size()) << when;
    for (const auto& [id, fields] : model) {
      auto it = got.find(id);
      ASSERT_TRUE(it != got.end()) << when << ": " << id << " is missing";
      for (const char* f : kUserFields) {
        const json::value* want = fields.if_contains(f);
        const json::value* have = it->second->if_contains(f);
        ASSERT_EQ(want != nullptr, have != nullptr) << when << ": " << id << "." << f;
        if (want) {
          ASSERT_TRUE(Same(*want, *have)) << when << ": " << id << "." << f;
        }
      }
    }
  }
};

TEST_F(StorePropertyTest, AcceptedBatchesStayReadableAndCompactable) {
  Open();
  JsonGen gen(20261207);
  std::vector<ObjectRef> refs = {Experiment(), Experiment(), {ObjectKind::kProjectLogs, project_}};
  std::map<std::string, Model> models;
  size_t accepted = 0, refused = 0;
  for (int batch = 0; batch < 60; ++batch) {
    std::vector<ObjectWrite> writes;
    std::map<std::string, Model> next = models;
    bool poisoned = gen.OneIn(6);
    for (const auto& ref : refs) {
      if (gen.OneIn(2)) continue;
      Model& model = next[ref.ObjectId()];
      std::vector<json::object> rows;
      for (size_t n = 1 + gen.Below(4); n-- > 0;) {
        std::string id = "r" + std::to_string(gen.Below(8));
        json::object row{{"id", id}};
        size_t op = gen.Below(10);
        if (op < 2 && model.count(id)) {
          row["_object_delete"] = true;
          model.erase(id);
        } else if (op < 5) {
          row["_is_merge"] = true;
          row["metadata"] = gen.Object(3);
          if (gen.OneIn(2)) row["output"] = gen.Value(0);
          json::object& m = model[id];
          json::object patch;
          for (const char* f : kUserFields)
            if (const auto* v = row.if_contains(f)) patch[f] = *v;
          DeepMerge(m, patch);
        } else {
          for (const char* f : kUserFields)
            if (gen.OneIn(3) || std::string_view(f) == "input")
              row[f] = std::string_view(f) == "metadata" ? json::value(gen.Object(4)) : gen.Value(4);
          if (gen.OneIn(10)) row["metadata"] = gen.Deep();
          json::object fields;
          for (const char* f : kUserFields)
            if (const auto* v = row.if_contains(f)) fields[f] = *v;
          model[id] = std::move(fields);
        }
        rows.push_back(std::move(row));
      }
      if (poisoned) gen.Poison(rows[gen.Below(rows.size())]);
      writes.push_back(W(ref, std::move(rows)));
    }
    if (writes.empty()) continue;
    Result<XactId> x = Write(std::move(writes));
    if (poisoned) {
      ASSERT_FALSE(x.ok()) << "batch " << batch;
      EXPECT_EQ(x.status().code(), StatusCode::kInvalidArgument) << x.status().ToString();
      ++refused;
    } else {
      ASSERT_TRUE(x.ok()) << "batch " << batch << ": " << x.status().ToString();
      models = std::move(next);
      ++accepted;
    }
    std::string when = "after batch " + std::to_string(batch);
    for (const auto& ref : refs) Check(ref, models[ref.ObjectId()], when);
    if (batch % 7 == 6) {
      for (const auto& ref : refs) {
        Result<CompactReport> r = store_->compactor().CompactObject(ref.ObjectId());
        ASSERT_TRUE(r.ok()) << when << ": " << r.status().ToString();
        Check(ref, models[ref.ObjectId()], when + ", compacted");
      }
    }
    if (batch % 13 == 12) {
      Restart();
      for (const auto& ref : refs) Check(ref, models[ref.ObjectId()], when + ", restarted");
    }
  }
  EXPECT_GT(accepted, 30u);
  EXPECT_GT(refused, 3u);
  Result<uint64_t> quarantined = store_->quarantine().Count();
  ASSERT_TRUE(quarantined.ok());
  EXPECT_EQ(*quarantined, 0u);  // nothing the writer accepted became undecodable
}

}  // namespace
}  // namespace tv::store
