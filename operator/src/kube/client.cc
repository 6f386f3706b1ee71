#include "kube/client.h"

#include <utility>

#include "kube/watch_decoder.h"

namespace tfws::kube {
namespace {

// Builds "?a=1&b=2" with encoded values; empty values are left out.
class Query {
 public:
  Query& Add(std::string_view key, std::string_view value) {
    if (value.empty()) return *this;
    text_ += text_.empty() ? '?' : '&';
    text_ += key;
    text_ += '=';
    text_ += UrlEncode(value);
    return *this;
  }
  Query& Add(std::string_view key, long value, bool when = true) {
    return when ? Add(key, std::to_string(value)) : *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

void AddListOptions(Query& query, const ListOptions& o) {
  query.Add("labelSelector", o.label_selector)
      .Add("fieldSelector", o.field_selector)
      .Add("limit", o.limit, o.limit > 0)
      .Add("continue", o.continue_token)
      .Add("resourceVersion", o.resource_version)
      .Add("resourceVersionMatch", o.resource_version_match)
      .Add("timeoutSeconds", o.timeout_seconds, o.timeout_seconds > 0);
}

std::string NameOf(const Json& object, std::string_view verb) {
  if (object.is_object()) {
    auto metadata = object.find("metadata");
    if (metadata != object.end() && metadata->is_object()) {
      auto name = metadata->find("name");
      if (name != metadata->end() && name->is_string() &&
          !name->get_ref<const std::string&>().empty()) {
        return name->get<std::string>();
      }
    }
  }
  throw std::invalid_argument(std::string(verb) + ": metadata.name: must be set on the object");
}

std::string ResourceVersionOf(const Json& object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  auto rv = metadata->find("resourceVersion");
  return rv != metadata->end() && rv->is_string() ? rv->get<std::string>() : std::string();
}

// The namespace to address: the argument, else the object's own metadata.namespace.
std::string NamespaceFor(const Resource& r, const std::string& ns, const Json& object) {
  if (!r.namespaced || !ns.empty()) return ns;
  auto metadata = object.find("metadata");
  if (metadata != object.end() && metadata->is_object()) {
    auto object_ns = metadata->find("namespace");
    if (object_ns != metadata->end() && object_ns->is_string())
      return object_ns->get<std::string>();
  }
  return ns;
}

std::string_view ContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::string Excerpt(const std::string& body) {
  return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

ApiError ApiErrorFromStatus(const Json& status) {
  int code = 500;
  if (status.is_object()) {
    auto it = status.find("code");
    if (it != status.end() && it->is_number_integer()) code = it->get<int>();
  }
  Json copy = status;
  if (copy.is_object() && !copy.contains("kind")) copy["kind"] = "Status";
  return ApiErrorFromResponse(code, copy.dump());
}

Client::Client(std::shared_ptr<Transport> transport, std::chrono::milliseconds request_deadline)
    : transport_(std::move(transport)), request_deadline_(request_deadline) {}

Json Client::Exchange(HttpRequest request) {
  request.deadline = request_deadline_;
  HttpResponse response = transport_->Send(request);
  if (response.status < 200 || response.status > 299) {
    throw ApiErrorFromResponse(response.status, response.body, response.headers);
  }
  if (response.body.empty()) return Json::object();
  Json parsed = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw TransportError(request.method + " " + request.path + ": the answer (HTTP " +
                         std::to_string(response.status) +
                         ") is not JSON: " + Excerpt(response.body));
  }
  return parsed;
}

Json Client::Get(const Resource& r, const std::string& ns, const std::string& name,
                 const std::string& subresource) {
  HttpRequest request;
  request.method = "GET";
  request.path = r.Path(ns, name, subresource);
  request.idempotent = true;
  return Exchange(std::move(request));
}

Json Client::List(const Resource& r, const std::string& ns, const ListOptions& options) {
  Query query;
  AddListOptions(query, options);
  HttpRequest request;
  request.method = "GET";
  request.path = r.Path(ns) + query.str();
  request.idempotent = true;
  return Exchange(std::move(request));
}

Json Client::ListAll(const Resource& r, const std::string& ns, ListOptions options) {
  Json result = List(r, ns, options);
  if (!result.contains("items") || !result["items"].is_array()) result["items"] = Json::array();
  std::string next = result.value("/metadata/continue"_json_pointer, std::string());
  while (!next.empty()) {
    options.continue_token = next;
    options.resource_version.clear();  // the continue token pins the snapshot
    options.resource_version_match.clear();
    Json page = List(r, ns, options);
    if (page.contains("items") && page["items"].is_array()) {
      for (auto& item : page["items"]) result["items"].push_back(std::move(item));
    }
    next = page.value("/metadata/continue"_json_pointer, std::string());
  }
  if (result.contains("metadata") && result["metadata"].is_object()) {
    result["metadata"].erase("continue");
    result["metadata"].erase("remainingItemCount");
  }
  return result;
}

Json Client::Create(const Resource& r, const std::string& ns, const Json& object,
                    const WriteOptions& options) {
  Query query;
  query.Add("fieldManager", options.field_manager).Add("dryRun", options.dry_run ? "All" : "");
  HttpRequest request;
  request.method = "POST";
  request.path = r.Path(NamespaceFor(r, ns, object)) + query.str();
  request.body = object.dump();
  request.content_type = "application/json";
  return Exchange(std::move(request));
}

Json Client::Update(const Resource& r, const std::string& ns, const Json& object,
                    const WriteOptions& options, const std::string& subresource) {
  Query query;
  query.Add("fieldManager", options.field_manager).Add("dryRun", options.dry_run ? "All" : "");
  HttpRequest request;
  request.method = "PUT";
  request.path =
      r.Path(NamespaceFor(r, ns, object), NameOf(object, "update"), subresource) + query.str();
  request.body = object.dump();
  request.content_type = "application/json";
  // With a resourceVersion a repeated PUT cannot apply twice: the second gets 409.
  request.idempotent = !ResourceVersionOf(object).empty();
  return Exchange(std::move(request));
}

Json Client::Patch(const Resource& r, const std::string& ns, const std::string& name,
                   PatchType type, const Json& patch, const PatchOptions& options,
                   const std::string& subresource) {
  if (type == PatchType::kApply && options.field_manager.empty()) {
    throw std::invalid_argument("server-side apply of " + r.kind + " " + name +
                                ": fieldManager: must be set");
  }
  Query query;
  query.Add("fieldManager", options.field_manager)
      .Add("force", type == PatchType::kApply && options.force ? "true" : "")
      .Add("dryRun", options.dry_run ? "All" : "");
  HttpRequest request;
  request.method = "PATCH";
  request.path = r.Path(ns, name, subresource) + query.str();
  request.body = patch.dump();  // JSON is valid YAML, so apply-patch+yaml takes it too
  request.content_type = std::string(ContentType(type));
  // Merge patches and apply set fields to values: repeating them changes nothing.
  request.idempotent = type == PatchType::kMerge || type == PatchType::kApply;
  return Exchange(std::move(request));
}

Json Client::Apply(const Resource& r, const std::string& ns, const Json& object,
                   const PatchOptions& options, const std::string& subresource) {
  Json body = object;
  if (!body.contains("apiVersion")) body["apiVersion"] = r.ApiVersion();
  if (!body.contains("kind")) body["kind"] = r.kind;
  return Patch(r, NamespaceFor(r, ns, object), NameOf(object, "apply"), PatchType::kApply, body,
               options, subresource);
}

Json Client::Delete(const Resource& r, const std::string& ns, const std::string& name,
                    const DeleteOptions& options) {
  Json body = Json::object();
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.precondition_uid) body["preconditions"]["uid"] = *options.precondition_uid;
  if (options.precondition_resource_version) {
    body["preconditions"]["resourceVersion"] = *options.precondition_resource_version;
  }
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (options.dry_run) body["dryRun"] = Json::array({"All"});
  HttpRequest request;
  request.method = "DELETE";
  request.path = r.Path(ns, name);
  if (!body.empty()) {
    body["apiVersion"] = "v1";
    body["kind"] = "DeleteOptions";
    request.body = body.dump();
    request.content_type = "application/json";
  }
  request.idempotent =
      options.precondition_resource_version.has_value() || options.precondition_uid.has_value();
  return Exchange(std::move(request));
}

void Client::Watch(const Resource& r, const std::string& ns, const ListOptions& options,
                   const std::function<bool(WatchEvent&&)>& on_event, std::stop_token stop) {
  Query query;
  query.Add("watch", "1");
  AddListOptions(query, options);
  query.Add("allowWatchBookmarks", options.allow_watch_bookmarks ? "true" : "");
  query.Add("sendInitialEvents", options.send_initial_events ? "true" : "");
  HttpRequest request;
  request.method = "GET";
  request.path = r.Path(ns) + query.str();
  request.idempotent = true;
  // The server ends the stream after timeoutSeconds; our deadline is only a
  // safety net against a connection that silently died.
  request.deadline = options.timeout_seconds > 0
                         ? std::chrono::seconds(options.timeout_seconds + 30)
                         : std::chrono::milliseconds(0);
  WatchDecoder decoder;
  bool stopped_by_handler = false;
  HttpResponse response = transport_->Stream(
      request,
      [&](std::string_view chunk) {
        if (!decoder.Feed(chunk, on_event)) {
          stopped_by_handler = true;
          return false;
        }
        return true;
      },
      stop);
  if (stop.stop_requested() && !stopped_by_handler) return;
  if (response.status < 200 || response.status > 299) {
    throw ApiErrorFromResponse(response.status, response.body, response.headers);
  }
  if (!stopped_by_handler && !stop.stop_requested() && !decoder.AtLineBoundary()) {
    throw TransportError("watch " + request.path + ": the stream ended in the middle of an event");
  }
}

}  // namespace tfws::kube
