// JavaScript's text forms of JSON values, byte for byte as Node prints them.
//
// The Braintrust SDK renders prompt templates in JavaScript, so a value inserted into
// a template reads the way JSON.stringify or String() writes it: 1e21 is "1e+21",
// 2.0 is "2", 0.1 is "0.1" (Boost.JSON would write "1E21", "2E0", "1E-1").
// Pure functions; thread-safe.
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace tv::proxy {

// Number.prototype.toString() of `d`: the shortest round-trip digits, plain notation
// for exponents in [-7, 21), otherwise "1.5e+21" / "1e-7". NaN and infinities as JS.
std::string JsNumberText(double d);

// JSON.stringify(v) with no indentation: object keys in insertion order, integers
// beyond 2^53 printed as the double JavaScript would hold.
std::string JsJsonStringify(const boost::json::value& v);

// String(v): strings as-is, arrays joined with "," (null items empty), objects as
// "[object Object]", null as "null".
std::string JsStringConversion(const boost::json::value& v);

// The length of `s` (UTF-8) in UTF-16 code units, as JavaScript's String.length.
size_t Utf16Length(std::string_view s);

}  // namespace tv::proxy
