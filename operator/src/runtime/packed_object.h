// An object as a Store keeps it: the CBOR encoding (RFC 8949) of the
// transformed object, and its resourceVersion for cheap comparisons.
//
// Why: a decoded nlohmann::json tree costs about six times its JSON text (a
// std::map node and a std::string per key, a heap block per value); the CBOR
// bytes cost a little less than the JSON text. Readers decode on access, so
// every Unpack() builds a fresh immutable tree that the reader owns and the
// cache does not: its memory goes when the reader drops it. Decoding a cached
// child (~1 KiB) takes microseconds, far below the cost of any API request a
// reconcile makes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/object.h"

namespace tfws::runtime {

class PackedObject {
 public:
  explicit PackedObject(const kube::Json& object);

  // A fresh decoded copy; never null.
  ObjectPtr Unpack() const;
  const std::string& resource_version() const { return resource_version_; }
  // Heap bytes this object holds (the encoding, exactly sized).
  std::size_t bytes() const { return cbor_.capacity(); }

 private:
  std::string resource_version_;
  std::vector<std::uint8_t> cbor_;
};

using PackedPtr = std::shared_ptr<const PackedObject>;

}  // namespace tfws::runtime
