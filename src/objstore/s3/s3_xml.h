// The few S3 XML replies the object store reads: ListObjectsV2 pages,
// InitiateMultipartUpload and <Error> bodies. S3 replies are flat and
// machine-written, so this extracts known elements by name rather than parsing
// XML in general: no attributes, CDATA or namespace prefixes are read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "objstore/object_store.h"

namespace tv::objstore::s3 {

// The text of the first <tag>...</tag> in `xml`, entities decoded.
std::optional<std::string> XmlElementText(std::string_view xml, std::string_view tag);

struct ListPage {
  std::vector<ObjectEntry> entries;  // keys as S3 returned them
  bool truncated = false;
  std::string next_token;  // NextContinuationToken when truncated
};

// A ListBucketResult body; InvalidArgument (naming the flaw) when it is not one.
Result<ListPage> ParseListObjectsV2(std::string_view xml);

struct S3ErrorBody {
  std::string code;  // "NoSuchKey"; empty when the body had none
  std::string message;
};

S3ErrorBody ParseErrorBody(std::string_view xml);

}  // namespace tv::objstore::s3
