#include "workspace/manifest.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace tfws::workspace {

namespace {

using Json = nlohmann::json;

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// YAML 1.2 core schema integers and floats (decimal only), hand-rolled to stay
// allocation-free and warning-free.
bool LooksInteger(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return AllDigits(s);
}

bool LooksFloat(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::string_view mantissa = s, exponent;
  if (auto e = s.find_first_of("eE"); e != std::string_view::npos) {
    mantissa = s.substr(0, e);
    exponent = s.substr(e + 1);
    if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.remove_prefix(1);
    if (!AllDigits(exponent)) return false;
  }
  const auto dot = mantissa.find('.');
  if (dot == std::string_view::npos) return AllDigits(mantissa) && !exponent.empty();
  const auto whole = mantissa.substr(0, dot), frac = mantissa.substr(dot + 1);
  if (whole.empty() && frac.empty()) return false;
  return (whole.empty() || AllDigits(whole)) && (frac.empty() || AllDigits(frac));
}

Json PlainScalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  if (LooksInteger(s)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return s;
    }
  }
  if (LooksFloat(s)) return std::stod(s);
  return s;
}

Json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags plain scalars "?" and quoted ones "!".
      return node.Tag() == "!" ? Json(node.Scalar()) : PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = ToJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  if (!PlainScalar(s).is_string()) return true;  // would read back as bool/number/null
  static constexpr std::string_view kSafeFirst =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./";
  static constexpr std::string_view kSafe =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=+@ -";
  return kSafeFirst.find(s.front()) == std::string_view::npos || s.find_first_not_of(kSafe) != std::string::npos ||
         s.back() == ' ' || s.find(" -") != std::string::npos;
}

void Emit(YAML::Emitter& out, const Json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, item] : v.items()) {
      out << YAML::Key << k << YAML::Value;
      Emit(out, item);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& item : v) Emit(out, item);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (NeedsQuotes(s)) {
      out << YAML::DoubleQuoted << s;
    } else {
      out << s;
    }
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();
  }
}

}  // namespace

std::vector<Json> ParseManifests(std::string_view yaml_text, std::string_view source) {
  std::vector<Json> docs;
  try {
    for (const auto& node : YAML::LoadAll(std::string(yaml_text))) {
      Json doc = ToJson(node);
      if (!doc.is_null()) docs.push_back(std::move(doc));
    }
  } catch (const YAML::Exception& e) {
    throw ManifestError(std::string(source) + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return docs;
}

std::vector<Json> ReadManifestFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ManifestError(path + ": cannot read the file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseManifests(buffer.str(), path);
}

std::string ToYaml(const Json& value) {
  YAML::Emitter out;
  Emit(out, value);
  return out.c_str();
}

}  // namespace tfws::workspace
