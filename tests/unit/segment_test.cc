// The segment file against docs/storage-format.md ("Segments"): header,
// trailer and directory bytes, typed columns, JSON blocks that rebuild each
// row exactly, id / trace / comment maps, posting lists per field, and the
// writer's ordering rule.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/json.h"
#include "store/codec.h"
#include "store/segment.h"
#include "store/segment_format.h"
#include "store/segment_writer.h"

namespace tv::store {
namespace {

constexpr XactId kBase = kXactPrefix | (XactId{1795425629} << 16);

RowPtr Row(std::string_view text) { return std::make_shared<const json::object>(json::parse(text).as_object()); }

// Rows newest first: (xact, id) descending.
std::vector<SegmentRow> SampleRows() {
  return {
      {kBase + 9, "s3", Row(R"({"id":"s3","root_span_id":"s1","span_parents":["s1"],"input":{"q":"Quick brown FOX"},
                               "output":"jumps","metrics":{"tokens":12,"start":1.5},"_xact_id":"x","is_root":false})")},
      {kBase + 8, "s2", nullptr},  // deleted at this xact
      {kBase + 7, "s2",
       Row(R"({"id":"s2","root_span_id":"s1","output":"fox 日本","scores":{"acc":0.25},"is_root":false})")},
      {kBase + 6, "c1",
       Row(R"({"id":"c1","comment":{"text":"nice fox"},"origin":{"id":"s1"},"created":"2026-11-23T09:20:29.024Z"})")},
      {kBase + 5, "s1", Row(R"({"id":"s1","root_span_id":"s1","metadata":{"model":"m","n":[1,2,3]},"tags":["a"],
                               "output":null,"error":"boom","expected":{"x":1},"created":"2026-11-23T09:20:29.024Z",
                               "scores":{"acc":1},"is_root":true})")},
  };
}

class SegmentTest : public ::testing::Test {
 protected:
  void Build(size_t block_bytes = 512u << 10) {
    SegmentWriter w("experiment:e", kBase, kBase + 9, block_bytes);
    for (const auto& r : SampleRows()) ASSERT_TRUE(w.Add(r).ok());
    built_ = w.Finish();
    Result<std::shared_ptr<const Segment>> s =
        Segment::Open("seg/test", built_.bytes.size(), MemorySegmentFile(built_.bytes), blocks_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    seg_ = *s;
  }

  BlockCache blocks_{1 << 20};
  BuiltSegment built_;
  std::shared_ptr<const Segment> seg_;
};

TEST_F(SegmentTest, BytesFollowTheDocumentedLayout) {
  Build();
  const std::string& b = built_.bytes;
  ASSERT_GT(b.size(), segfmt::kHeaderSize + segfmt::kTrailerSize);
  EXPECT_EQ(b.substr(0, 8), "TVSEGMNT");
  EXPECT_EQ(codec::GetLE<uint32_t>(b.data() + 8), 1u);
  EXPECT_EQ(b.substr(b.size() - 8), "TVSEGEND");
  const char* t = b.data() + b.size() - segfmt::kTrailerSize;
  uint64_t off = codec::GetLE<uint64_t>(t), len = codec::GetLE<uint64_t>(t + 8), raw = codec::GetLE<uint64_t>(t + 16);
  EXPECT_EQ(codec::GetLE<uint64_t>(t + 24), codec::Hash64(std::string_view(b).substr(off, len)));
  Result<std::string> dir = codec::ZstdDecompress(std::string_view(b).substr(off, len), raw, "test");
  ASSERT_TRUE(dir.ok());
  json::object d = json::parse(*dir).as_object();
  EXPECT_EQ(d.at("format").to_number<int>(), 1);
  EXPECT_EQ(d.at("rows").to_number<int>(), 5);
  EXPECT_EQ(d.at("object_id").as_string(), "experiment:e");
  EXPECT_EQ(d.at("max_xact").as_string(), FormatXact(kBase + 9));
  for (auto c : {"id", "root_span_id", "xact", "created", "flags", "comment_target", "scores", "metrics", "id_index",
                 "root_index"})
    EXPECT_TRUE(d.at("columns").as_object().contains(c)) << c;
  EXPECT_EQ(d.at("json_columns"), json::parse(R"(["input","output","expected","metadata","error","rest"])"));
  EXPECT_EQ(d.at("blocks").as_array().size(), 1u);
  EXPECT_EQ(d.at("postings").as_array()[4].as_string(), "raw");
  // Text fields: every top-level field with a word in it except ids and system fields.
  std::vector<std::string> fields;
  for (const auto& f : d.at("text_fields").as_array()) fields.emplace_back(f.as_string());
  EXPECT_EQ(fields, (std::vector<std::string>{"comment", "error", "input", "metadata", "origin", "output", "tags"}));
}

TEST_F(SegmentTest, ColumnsMapsAndRowsComeBackExactly) {
  Build();
  ASSERT_EQ(seg_->rows(), 5u);
  auto rows = SampleRows();
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(seg_->xact(r), rows[r].xact);
    EXPECT_EQ(seg_->id(r), rows[r].id);
    Result<RowPtr> got = seg_->Row(r);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    if (!rows[r].row) {
      EXPECT_TRUE(seg_->tombstone(r));
      EXPECT_EQ(*got, nullptr);
    } else {
      // Field order and number types survive: the serialization is identical.
      EXPECT_EQ(json::serialize(**got), json::serialize(*rows[r].row));
    }
  }
  EXPECT_EQ(seg_->RowsWithId("s2"), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(seg_->RowsWithRoot("s1"), (std::vector<uint32_t>{0, 2, 4}));
  EXPECT_TRUE(seg_->RowsWithId("nope").empty());
  EXPECT_TRUE(seg_->comment(3));
  EXPECT_EQ(seg_->CommentsOn("s1"), (std::vector<uint32_t>{3}));
  EXPECT_EQ(seg_->created_micros(4), int64_t{1795425629024000});
  ASSERT_EQ(seg_->scores().size(), 1u);
  EXPECT_EQ(seg_->scores()[0].name, "acc");
  EXPECT_EQ(seg_->scores()[0].rows, (std::vector<uint32_t>{2, 4}));
  EXPECT_EQ(seg_->scores()[0].values, (std::vector<double>{0.25, 1.0}));
  ASSERT_EQ(seg_->metrics().size(), 2u);
}

TEST_F(SegmentTest, PostingsArePerFieldWholeWordsCaseFolded) {
  Build();
  auto rows = [&](std::string_view field, std::string_view term) {
    Result<Roaring> p = seg_->Postings(field, term);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    std::vector<uint32_t> out;
    if (p.ok())
      p->iterate(
          [](uint32_t v, void* ctx) {
            static_cast<std::vector<uint32_t>*>(ctx)->push_back(v);
            return true;
          },
          &out);
    return out;
  };
  EXPECT_EQ(rows("input", "fox"), (std::vector<uint32_t>{0}));
  EXPECT_EQ(rows("output", "fox"), (std::vector<uint32_t>{2}));
  EXPECT_EQ(rows("", "fox"), (std::vector<uint32_t>{0, 2, 3}));  // input, output, comment
  EXPECT_EQ(rows("output", "日"), (std::vector<uint32_t>{2}));
  EXPECT_TRUE(rows("output", "fo").empty());
  EXPECT_TRUE(rows("metadata", "1").empty());  // numbers are not text
  EXPECT_EQ(rows("metadata", "m"), (std::vector<uint32_t>{4}));
  EXPECT_TRUE(rows("id", "s1").empty());  // ids are not indexed
}

TEST_F(SegmentTest, SmallBlocksSplitRowsAcrossBlocks) {
  Build(/*block_bytes=*/64);
  auto rows = SampleRows();
  for (size_t r = 0; r < rows.size(); ++r) {
    Result<RowPtr> got = seg_->Row(r);
    ASSERT_TRUE(got.ok());
    if (rows[r].row) {
      EXPECT_EQ(json::serialize(**got), json::serialize(*rows[r].row));
    }
  }
}

TEST_F(SegmentTest, WriterRefusesRowsOutOfOrderOrOutOfRange) {
  SegmentWriter w("experiment:e", kBase, kBase + 9);
  EXPECT_TRUE(w.Add({kBase + 5, "b", Row(R"({"id":"b"})")}).ok());
  EXPECT_FALSE(w.Add({kBase + 6, "a", Row(R"({"id":"a"})")}).ok());  // newer after older
  EXPECT_FALSE(w.Add({kBase + 5, "c", Row(R"({"id":"c"})")}).ok());  // same xact, larger id
  EXPECT_FALSE(w.Add({kBase, "a", Row(R"({"id":"a"})")}).ok());      // at the exclusive lower bound
  EXPECT_FALSE(w.Add({kBase + 10, "a", Row(R"({"id":"a"})")}).ok());
}

TEST_F(SegmentTest, TruncatedOrDamagedFilesAreRefused) {
  Build();
  std::string b = built_.bytes;
  auto open = [&](const std::string& bytes) {
    return Segment::Open("seg/bad", bytes.size(), MemorySegmentFile(bytes), blocks_).status();
  };
  EXPECT_FALSE(open(b.substr(0, b.size() - 1)).ok());
  std::string bad_trailer = b;
  bad_trailer[bad_trailer.size() - 1] ^= 1;
  EXPECT_NE(open(bad_trailer).message().find("corrupt segment seg/bad"), std::string::npos);
  std::string bad_dir = b;
  bad_dir[codec::GetLE<uint64_t>(b.data() + b.size() - segfmt::kTrailerSize) + 2] ^= 1;
  EXPECT_FALSE(open(bad_dir).ok());
}

}  // namespace
}  // namespace tv::store
