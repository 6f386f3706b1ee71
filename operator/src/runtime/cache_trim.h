// Transforms that shrink objects before they enter a Store (see store.h).
//
// Every kind: drop metadata.managedFields and the
// kubectl.kubernetes.io/last-applied-configuration annotation (the controller
// never reads either; together they are often half of an object's bytes).
// Per kind, a conservative keep-list of what tfws reads (documented in
// docs/architecture.md):
//   Pod  - all of metadata (minus the above); spec.{nodeName, nodeSelector,
//          tolerations, restartPolicy, serviceAccountName, schedulerName,
//          priorityClassName, containers[]/initContainers[].{name, image,
//          resources, ports}, volumes[].{name, persistentVolumeClaim}}; status.{phase,
//          conditions, containerStatuses[]/initContainerStatuses[].{name, ready,
//          started, restartCount, state, lastState, image, imageID}, podIP,
//          podIPs, hostIP, startTime, reason, message, nominatedNodeName, qosClass}.
//   Service, NetworkPolicy, Ingress - metadata, and of everything else only the
//          fields `owner` (the operator's field manager) owns according to
//          metadata.managedFields (OwnedFields below): what the operator set,
//          so a hand edit of one of them shows as drift, without the rest of
//          the object (status, clusterIP, fields others own). Without an owner,
//          metadata only.
//   PersistentVolumeClaim - metadata and status.phase.
//   Node - everything except status.images, status.volumesInUse, status.volumesAttached.
//   other kinds - only the common drops.
// Pure functions; never throw on unexpected shapes (they keep what they do not understand).
#pragma once

#include <string>

#include "runtime/store.h"

namespace tfws::runtime {

// The Transform for objects of `kind` ("Pod", "Node", ...). `owner`: the
// field manager whose fields of children are kept (see above).
Transform TrimForCache(const std::string& kind, const std::string& owner = "");

// The pieces, exposed for tests and for controllers that build their own.
kube::Json DropServerBookkeeping(kube::Json object);  // the common drops
// Keeps only the fields named by `mask`: a JSON object whose keys are field
// names and whose values are `true` (keep the whole value) or a nested mask
// (applied to an object, or to every element of an array).
kube::Json KeepOnly(const kube::Json& value, const kube::Json& mask);
// The fields of `object` outside metadata (and apiVersion, kind) that field
// manager `manager` owns: the union of its managedFields entries (fieldsV1:
// "f:" fields, "k:" list elements by key, "v:" set values, "i:" indexes; a
// leaf owns its whole value). A field someone else changed by hand is theirs
// from then on (the API server moves its ownership), so it is missing here.
// An empty object when the manager owns nothing.
kube::Json OwnedFields(const kube::Json& object, const std::string& manager);

}  // namespace tfws::runtime
