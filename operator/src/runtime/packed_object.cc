#include "runtime/packed_object.h"

namespace tfws::runtime {

PackedObject::PackedObject(const kube::Json& object)
    : resource_version_(ResourceVersionOf(object)), cbor_(kube::Json::to_cbor(object)) {
  cbor_.shrink_to_fit();  // to_cbor grows its buffer by doubling: keep only the bytes
}

ObjectPtr PackedObject::Unpack() const {
  return std::make_shared<const kube::Json>(kube::Json::from_cbor(cbor_));
}

}  // namespace tfws::runtime
