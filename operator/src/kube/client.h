// REST verbs on any resource, JSON in and out.
//
// Thread-safe; share one Client between all watchers and workers. Every call
// returns the decoded response object or throws ApiError (the server said no)
// or TransportError (no answer). Objects are nlohmann::json values as the
// server sends them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "kube/api_error.h"
#include "kube/resource.h"
#include "kube/transport.h"
#include "kube/watch_event.h"

namespace tfws::kube {

using Json = nlohmann::json;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 0;                       // page size; 0 = server default (all)
  std::string continue_token;          // from a previous page's metadata.continue
  std::string resource_version;        // "" = most recent
  std::string resource_version_match;  // "NotOlderThan" / "Exact" / ""
  int timeout_seconds = 0;             // watch: server ends the stream after this long
  bool allow_watch_bookmarks = false;
  // watch: replay the current state as ADDED events first, ended by a BOOKMARK annotated
  // k8s.io/initial-events-end (a streaming list; needs resource_version_match "NotOlderThan"
  // and allow_watch_bookmarks).
  bool send_initial_events = false;
};

struct WriteOptions {
  std::string field_manager = "tfws-operator";
  bool dry_run = false;
};

enum class PatchType { kMerge, kJson, kStrategicMerge, kApply };

struct PatchOptions {
  std::string field_manager = "tfws-operator";
  bool force = false;  // server-side apply: take ownership of conflicting fields
  bool dry_run = false;
};

struct DeleteOptions {
  std::string propagation_policy;  // "Foreground", "Background", "Orphan", "" = server default
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  std::optional<int> grace_period_seconds;
  bool dry_run = false;
};

// The ApiError described by a metav1.Status object (e.g. an "ERROR" watch event).
ApiError ApiErrorFromStatus(const Json& status);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string UrlEncode(std::string_view text);

class Client {
 public:
  // request_deadline bounds every call but Watch (retries included, see
  // retrying_transport.h); leader election uses a short one so a hung
  // apiserver cannot keep a leader past its lease.
  explicit Client(std::shared_ptr<Transport> transport,
                  std::chrono::milliseconds request_deadline = std::chrono::seconds(30));

  Json Get(const Resource& r, const std::string& ns, const std::string& name,
           const std::string& subresource = {});
  // One page; the result is the List object (items, metadata.continue, metadata.resourceVersion).
  Json List(const Resource& r, const std::string& ns, const ListOptions& options = {});
  // All pages, following metadata.continue; items concatenated, resourceVersion of the first page.
  Json ListAll(const Resource& r, const std::string& ns, ListOptions options = {});

  Json Create(const Resource& r, const std::string& ns, const Json& object,
              const WriteOptions& options = {});
  // PUT of the whole object (metadata.name and metadata.resourceVersion taken from it).
  Json Update(const Resource& r, const std::string& ns, const Json& object,
              const WriteOptions& options = {}, const std::string& subresource = {});
  Json UpdateStatus(const Resource& r, const std::string& ns, const Json& object,
                    const WriteOptions& options = {}) {
    return Update(r, ns, object, options, "status");
  }
  Json Patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
             const Json& patch, const PatchOptions& options = {},
             const std::string& subresource = {});
  // Server-side apply of a complete desired object (apiVersion/kind/metadata.name required).
  Json Apply(const Resource& r, const std::string& ns, const Json& object,
             const PatchOptions& options = {}, const std::string& subresource = {});
  // Returns the server's answer (the deleted object or a Status).
  Json Delete(const Resource& r, const std::string& ns, const std::string& name,
              const DeleteOptions& options = {});

  // Streams watch events until the server closes the stream, on_event returns
  // false, or stop is requested. Decodes line by line whatever the chunk
  // boundaries. Throws ApiError for a non-2xx answer (410 Gone included) and
  // TransportError when the connection breaks (or the stream ends mid-event).
  // An "ERROR" event (e.g. a 410 Status once the watch has started) is handed
  // to on_event like any other; ApiErrorFromStatus() turns it into an ApiError.
  void Watch(const Resource& r, const std::string& ns, const ListOptions& options,
             const std::function<bool(WatchEvent&&)>& on_event, std::stop_token stop);

  Transport& transport() { return *transport_; }

 private:
  Json Exchange(HttpRequest request);
  std::shared_ptr<Transport> transport_;
  std::chrono::milliseconds request_deadline_;
};

}  // namespace tfws::kube
