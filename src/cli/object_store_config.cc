#include "cli/object_store_config.h"

#include <spdlog/spdlog.h>

#include "objstore/faulty_object_store.h"
#include "objstore/local/local_object_store.h"
#include "objstore/s3/s3_object_store.h"

namespace tv::cli {
namespace {

Result<std::unique_ptr<objstore::ObjectStore>> OpenS3(const StoreFlags& f, std::string_view location) {
  objstore::S3Options o;
  size_t slash = location.find('/');
  o.bucket = std::string(location.substr(0, slash));
  if (slash != std::string_view::npos) o.prefix = std::string(location.substr(slash + 1));
  if (o.bucket.empty()) return InvalidArgument("--object-store s3://BUCKET[/PREFIX] needs a bucket");
  o.region = f.s3_region;
  o.endpoint = f.s3_endpoint.empty() ? "https://s3." + f.s3_region + ".amazonaws.com" : f.s3_endpoint;
  o.access_key = f.s3_access_key;
  o.secret_key = f.s3_secret_key;
  o.session_token = f.s3_session_token;
  o.path_style = !f.s3_virtual_hosted;
  if (o.access_key.empty() || o.secret_key.empty())
    return InvalidArgument(
        "S3 needs credentials: --s3-access-key/--s3-secret-key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  return objstore::OpenS3ObjectStore(std::move(o));
}

}  // namespace

Result<std::unique_ptr<objstore::ObjectStore>> OpenObjectStore(const StoreFlags& f, const DataDir& dir) {
  std::unique_ptr<objstore::ObjectStore> store;
  std::string_view spec = f.object_store;
  if (spec.empty()) {
    TV_ASSIGN_OR_RETURN(store, objstore::OpenLocalObjectStore(dir.root + "/data/objects"));
  } else if (spec.starts_with("file://")) {
    TV_ASSIGN_OR_RETURN(store, objstore::OpenLocalObjectStore(std::string(spec.substr(7))));
  } else if (spec.starts_with("s3://")) {
    TV_ASSIGN_OR_RETURN(store, OpenS3(f, spec.substr(5)));
  } else {
    return InvalidArgument("--object-store must be file:///PATH or s3://BUCKET[/PREFIX], got '{}'", spec);
  }
  if (!f.faults.empty()) {
    TV_ASSIGN_OR_RETURN(objstore::FaultOptions faults, objstore::ParseFaultOptions(f.faults));
    spdlog::warn("object storage fault injection is on: {}", f.faults);
    store = objstore::WrapWithFaults(std::move(store), faults);
  }
  spdlog::info("object storage: {}", store->Describe());
  return store;
}

}  // namespace tv::cli
