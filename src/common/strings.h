// Small text helpers shared by every room: the one splitter of separated lists
// (comma lists in headers, query parameters, flags and environment variables).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tv {

// Whether SplitList trims the items it returns.
enum class ListItems {
  kTrimmed,   // ASCII whitespace (space, \t, \n, \v, \f, \r) around each item is removed
  kVerbatim,  // items are returned byte for byte
};

// `text` with ASCII letters lower-cased (other bytes, UTF-8 included, unchanged).
std::string AsciiLower(std::string_view text);

// `text` with ASCII whitespace removed from both ends.
std::string_view TrimWhitespace(std::string_view text);

// The items of `text` separated by any character of `separators`, in order,
// each trimmed or not as `items` says; items that are empty (after trimming)
// are dropped, so "" and " , ," yield nothing. The views point into `text`.
std::vector<std::string_view> SplitList(std::string_view text, std::string_view separators = ",",
                                        ListItems items = ListItems::kTrimmed);

}  // namespace tv
