// Value semantics shared by the evaluator and the executor: equality, the
// comparison orders, canonical JSON for grouping keys, and number helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/json.h"

namespace tv::btql {

bool IsNumber(const json::value& v);
std::optional<double> AsDouble(const json::value& v);

// Structural equality: numbers by value (1 = 1.0, exact between integers),
// strings byte for byte, arrays element-wise, objects key-wise; null = null.
bool ValuesEqual(const json::value& a, const json::value& b);

// The comparison operators' order: -1, 0 or 1 for two numbers, two strings
// (bytewise) or two booleans; nullopt for null, NaN or different kinds.
std::optional<int> CompareScalars(const json::value& a, const json::value& b);

// A total order for `sort`: null < booleans < numbers < strings < arrays <
// objects; within a kind as CompareScalars, arrays lexicographically, objects
// by their canonical JSON.
int CompareForSort(const json::value& a, const json::value& b);

// JSON with object keys sorted (recursively) and numbers in one spelling per
// value (1 and 1.0 alike): equal values give equal text. Grouping keys,
// count_distinct and comparison keys use it.
std::string CanonicalJson(const json::value& v);

// 16 lowercase hex digits of a 64-bit hash of CanonicalJson(v).
std::string CanonicalHash(const json::value& v);

// The string at `key`, or "" when it is absent or not a string.
std::string_view StringAt(const json::object& o, std::string_view key);

// Integers stay integers when the result fits; otherwise doubles. A result
// outside the range of a double (an overflowing sum) is null.
json::value NumberValue(double d);

}  // namespace tv::btql
