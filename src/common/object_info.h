// ObjectInfo: what the tenancy check needs to know about an object named by
// id — its type, name, organization and parent project.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tv {

enum class ObjectType { kOrganization, kProject, kExperiment, kDataset };

inline std::string_view ObjectTypeName(ObjectType t) {
  switch (t) {
    case ObjectType::kOrganization:
      return "organization";
    case ObjectType::kProject:
      return "project";
    case ObjectType::kExperiment:
      return "experiment";
    case ObjectType::kDataset:
      return "dataset";
  }
  return "object";
}

inline std::optional<ObjectType> ParseObjectType(std::string_view s) {
  if (s == "organization" || s == "org") return ObjectType::kOrganization;
  if (s == "project") return ObjectType::kProject;
  if (s == "experiment") return ObjectType::kExperiment;
  if (s == "dataset") return ObjectType::kDataset;
  return std::nullopt;
}

struct ObjectInfo {
  ObjectType type = ObjectType::kProject;
  std::string id;
  std::string name;
  std::string org_id;
  std::string project_id;    // empty for organizations and projects
  std::string project_name;  // empty for organizations and projects
};

}  // namespace tv
