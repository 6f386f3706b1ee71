// Receives the changes a Watcher applies to its Store, in the order applied.
//
// Called on the watcher's thread: implementations must be quick and must not
// block (controllers only enqueue keys). Exceptions are caught and logged by
// the watcher. Objects are the transformed, cached snapshots.
#pragma once

#include <functional>

#include "runtime/object.h"

namespace tfws::runtime {

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void OnAdd(const ObjectPtr& object) { (void)object; }
  virtual void OnUpdate(const ObjectPtr& old_object, const ObjectPtr& new_object) {
    (void)old_object, (void)new_object;
  }
  // `object` is the last known state (from the DELETED event, or from the
  // cache when the deletion was discovered by a relist).
  virtual void OnDelete(const ObjectPtr& object) { (void)object; }
};

// An EventHandler from lambdas; missing ones do nothing.
class FuncEventHandler final : public EventHandler {
 public:
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr&, const ObjectPtr&)> on_update;
  std::function<void(const ObjectPtr&)> on_delete;

  void OnAdd(const ObjectPtr& o) override {
    if (on_add) on_add(o);
  }
  void OnUpdate(const ObjectPtr& a, const ObjectPtr& b) override {
    if (on_update) on_update(a, b);
  }
  void OnDelete(const ObjectPtr& o) override {
    if (on_delete) on_delete(o);
  }
};

}  // namespace tfws::runtime
