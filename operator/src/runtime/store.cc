#include "runtime/store.h"

#include <stdexcept>

namespace tfws::runtime {

Store::Store(Transform transform) : transform_(std::move(transform)) {
  index_funcs_[kIndexNamespace] = [](const kube::Json& o) -> std::vector<std::string> {
    return {NamespaceOf(o)};
  };
  index_funcs_[kIndexOwnerUid] = [](const kube::Json& o) {
    std::vector<std::string> uids;
    for (auto& ref : OwnerReferencesOf(o)) {
      if (!ref.uid.empty()) uids.push_back(ref.uid);
    }
    return uids;
  };
  for (auto& [name, func] : index_funcs_) indexes_[name];
}

void Store::AddIndex(const std::string& name, IndexFunc func) {
  std::unique_lock lock(mu_);
  if (written_) throw std::logic_error("Store::AddIndex(\"" + name + "\"): indexes must be added before the first write");
  index_funcs_[name] = std::move(func);
  indexes_[name];
}

ObjectPtr Store::Get(const std::string& key) const {
  PackedPtr packed;
  {
    std::shared_lock lock(mu_);
    auto it = items_.find(key);
    if (it == items_.end()) return nullptr;
    packed = it->second;
  }
  return packed->Unpack();  // outside the lock: the writer never waits for a decode
}

std::vector<ObjectPtr> Store::List() const {
  std::vector<PackedPtr> packed;
  {
    std::shared_lock lock(mu_);
    packed.reserve(items_.size());
    for (auto& [key, obj] : items_) packed.push_back(obj);
  }
  std::vector<ObjectPtr> out;
  out.reserve(packed.size());
  for (auto& p : packed) out.push_back(p->Unpack());
  return out;
}

std::vector<std::string> Store::Keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (auto& [key, obj] : items_) out.push_back(key);
  return out;
}

std::vector<ObjectPtr> Store::ByIndex(const std::string& index, const std::string& value) const {
  std::vector<PackedPtr> packed;
  {
    std::shared_lock lock(mu_);
    auto idx = indexes_.find(index);
    if (idx == indexes_.end()) throw std::out_of_range("Store::ByIndex: no index named \"" + index + "\"");
    auto keys = idx->second.find(value);
    if (keys == idx->second.end()) return {};
    for (auto& key : keys->second) packed.push_back(items_.at(key));
  }
  std::vector<ObjectPtr> out;
  out.reserve(packed.size());
  for (auto& p : packed) out.push_back(p->Unpack());
  return out;
}

std::size_t Store::Size() const {
  std::shared_lock lock(mu_);
  return items_.size();
}

std::size_t Store::PackedBytes() const {
  std::shared_lock lock(mu_);
  std::size_t bytes = 0;
  for (auto& [key, obj] : items_) bytes += obj->bytes();
  return bytes;
}

std::string Store::ResourceVersion() const {
  std::shared_lock lock(mu_);
  return resource_version_;
}

bool Store::Synced() const {
  std::lock_guard lock(sync_mu_);
  return synced_;
}

bool Store::WaitForSync(std::stop_token stop, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(sync_mu_);
  auto ready = [&] { return synced_; };
  if (timeout == std::chrono::milliseconds::max()) return sync_cv_.wait(lock, stop, ready);
  return sync_cv_.wait_for(lock, stop, timeout, ready);
}

void Store::MarkSynced() {
  {
    std::lock_guard lock(sync_mu_);
    synced_ = true;
  }
  sync_cv_.notify_all();
}

ObjectPtr Store::Prepare(kube::Json object) const {
  if (transform_) object = transform_(std::move(object));
  return std::make_shared<const kube::Json>(std::move(object));
}

PackedPtr Store::Pack(kube::Json object) const {
  if (transform_) object = transform_(std::move(object));
  return std::make_shared<const PackedObject>(object);
}

void Store::IndexLocked(const std::string& key, const kube::Json& object) {
  for (auto& [name, func] : index_funcs_) {
    auto& index = indexes_[name];
    for (auto& value : func(object)) index[value].insert(key);
  }
}

void Store::UnindexLocked(const std::string& key, const kube::Json& object) {
  for (auto& [name, func] : index_funcs_) {
    auto& index = indexes_[name];
    for (auto& value : func(object)) {
      auto it = index.find(value);
      if (it == index.end()) continue;
      it->second.erase(key);
      if (it->second.empty()) index.erase(it);
    }
  }
}

ObjectPtr Store::Upsert(ObjectPtr object) {
  std::string key = KeyOf(*object);
  auto packed = std::make_shared<const PackedObject>(*object);
  std::unique_lock lock(mu_);
  written_ = true;
  ObjectPtr old;
  auto it = items_.find(key);
  if (it != items_.end()) {
    old = it->second->Unpack();
    UnindexLocked(key, *old);
    it->second = std::move(packed);
  } else {
    items_.emplace(key, std::move(packed));
  }
  IndexLocked(key, *object);
  std::string rv = ResourceVersionOf(*object);
  if (!rv.empty()) resource_version_ = std::move(rv);
  return old;
}

ObjectPtr Store::Remove(const std::string& key) {
  std::unique_lock lock(mu_);
  written_ = true;
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = it->second->Unpack();
  UnindexLocked(key, *old);
  items_.erase(it);
  return old;
}

ReplaceDiff Store::Replace(std::vector<PackedPtr> objects, std::string resource_version) {
  // Build the new contents and indexes outside the lock, then swap. Each
  // object is decoded once here, for its key and index values, and dropped.
  std::map<std::string, IndexFunc> funcs;
  {
    std::shared_lock lock(mu_);
    funcs = index_funcs_;
  }
  std::unordered_map<std::string, PackedPtr> fresh;
  std::map<std::string, Index> fresh_indexes;
  std::vector<std::string> order;  // diffs follow the list's order
  fresh.reserve(objects.size());
  order.reserve(objects.size());
  for (auto& packed : objects) {
    ObjectPtr object = packed->Unpack();
    std::string key = KeyOf(*object);
    if (!fresh.try_emplace(key, std::move(packed)).second) continue;  // lists never repeat a key; the first wins
    for (auto& [name, func] : funcs) {
      auto& index = fresh_indexes[name];
      for (auto& value : func(*object)) index[value].insert(key);
    }
    order.push_back(std::move(key));
  }
  for (auto& [name, func] : funcs) fresh_indexes[name];  // every index exists, even when empty
  objects.clear();

  ReplaceDiff diff;
  {
    std::unique_lock lock(mu_);
    written_ = true;
    for (auto& key : order) {
      const PackedPtr& obj = fresh.at(key);
      auto old = items_.find(key);
      if (old == items_.end()) {
        diff.added.push_back(obj);
      } else if (old->second->resource_version() != obj->resource_version()) {
        diff.updated.emplace_back(old->second, obj);
      }
    }
    for (auto& [key, obj] : items_) {
      if (!fresh.contains(key)) diff.deleted.push_back(obj);
    }
    items_.swap(fresh);
    indexes_.swap(fresh_indexes);
    resource_version_ = std::move(resource_version);
  }
  MarkSynced();
  return diff;
}

void Store::SetResourceVersion(std::string resource_version) {
  std::unique_lock lock(mu_);
  resource_version_ = std::move(resource_version);
}

}  // namespace tfws::runtime
