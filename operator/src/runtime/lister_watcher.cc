#include "runtime/lister_watcher.h"

namespace tfws::runtime {

ClientListerWatcher::ClientListerWatcher(kube::Client& client, kube::Resource resource, std::string ns,
                                         std::string label_selector, std::string field_selector)
    : client_(client),
      resource_(std::move(resource)),
      ns_(std::move(ns)),
      label_selector_(std::move(label_selector)),
      field_selector_(std::move(field_selector)) {}

kube::ListOptions ClientListerWatcher::WithSelectors(kube::ListOptions options) const {
  if (options.label_selector.empty()) options.label_selector = label_selector_;
  if (options.field_selector.empty()) options.field_selector = field_selector_;
  return options;
}

kube::Json ClientListerWatcher::List(const kube::ListOptions& options) {
  return client_.List(resource_, ns_, WithSelectors(options));
}

void ClientListerWatcher::Watch(const kube::ListOptions& options,
                                const std::function<bool(kube::WatchEvent&&)>& on_event,
                                std::stop_token stop) {
  client_.Watch(resource_, ns_, WithSelectors(options), on_event, stop);
}

std::string ClientListerWatcher::Describe() const {
  std::string what = resource_.resource;
  if (!resource_.group.empty()) what += "." + resource_.group;
  return what + (ns_.empty() ? " in all namespaces" : " in " + ns_);
}

}  // namespace tfws::runtime
