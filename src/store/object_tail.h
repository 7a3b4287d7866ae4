// ObjectTail: one object's rows that are not compacted yet, decoded in memory
// — every version newer than the segment set folded into a per-id history of
// states, so a read at any snapshot is a lookup, not a re-parse. Lookup maps:
// id → history, root_span_id → ids, comment target → comment ids. A version
// of an id the tail has not seen folds onto the id's newest state in the
// segments. The tail and the segment set it was loaded with are one
// consistent view of the object.
//
// Thread-safety: none of its own (a plain value, movable); the TailCache
// guards each installed tail with a lock.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/merge.h"
#include "store/open_set.h"

namespace tv::store {

class ObjectTail {
 public:
  struct State {
    XactId xact;
    RowPtr row;  // null: deleted at this xact
  };
  struct History {
    std::vector<State> states;  // xact order
    bool is_comment = false;
    uint32_t number = 0;  // this id's number in the tail's term index
  };

  // Folds one version in. Versions must arrive in xact order; a version at or
  // below loaded_through() is already in and is skipped. Fails only when the
  // segment state it folds onto cannot be read.
  Status Apply(const json::object& version, XactId xact, size_t approx_bytes);
  // Empties the tail and gives it `segments` (a reload).
  void Reset(std::shared_ptr<const OpenSet> segments);
  // Moves the tail onto a new set of the same object after compaction:
  // states the set now covers (xact <= its through) leave the tail, the rest
  // stay as folded.
  void Rebase(std::shared_ptr<const OpenSet> segments);
  const std::shared_ptr<const OpenSet>& segments() const { return segments_; }
  void MarkLoaded(XactId through) { loaded_through_ = std::max(loaded_through_, through); }
  XactId loaded_through() const { return loaded_through_; }

  // The newest state at or below snapshot `as_of`, or null when none.
  static const State* StateAsOf(const History& h, XactId as_of);
  // The row as of snapshot `as_of`: null when absent or deleted.
  static RowPtr AsOf(const History& h, XactId as_of) {
    const State* s = StateAsOf(h, as_of);
    return s ? s->row : nullptr;
  }

  const std::unordered_map<std::string, History>& rows() const { return rows_; }
  const History* Find(std::string_view id) const;
  const std::vector<std::string>* IdsWithRoot(std::string_view root_span_id) const;
  const std::vector<std::string>* CommentsOn(std::string_view id) const;

  // The numbers (History::number) of ids some state of which has `token` in
  // the top-level field `field` (any text field when empty): a superset of
  // the matches, to be confirmed on the row. The same tokenizer as segments.
  Roaring TermIds(std::string_view field, std::string_view token) const;

  size_t bytes() const { return bytes_; }
  XactId max_xact() const { return max_xact_; }

 private:
  void IndexTerms(uint32_t number, const json::object& row);

  std::shared_ptr<const OpenSet> segments_;
  std::unordered_map<std::string, History> rows_;
  uint32_t next_number_ = 0;
  // field → token → id numbers: the tail's full-text index.
  std::unordered_map<std::string, std::unordered_map<std::string, Roaring>> terms_;
  std::unordered_map<std::string, std::vector<std::string>> ids_by_root_;
  std::unordered_map<std::string, std::vector<std::string>> comments_by_target_;
  XactId loaded_through_ = 0;
  XactId max_xact_ = 0;
  size_t bytes_ = 0;
};

}  // namespace tv::store
