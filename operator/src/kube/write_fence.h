// Fencing: a transport that refuses every write (any method but GET) while
// `may_write` says no. The operator's client goes through it with
// may_write = "this replica holds the leader Lease within its renew
// deadline", so a replica that lost the Lease (or was frozen past it) sends
// no further write, whatever its workers are doing; reads and watches go on.
// Thread-safe when may_write is.
#pragma once

#include <functional>
#include <memory>

#include "kube/transport.h"

namespace tfws::kube {

class FencedTransport final : public Transport {
 public:
  FencedTransport(std::shared_ptr<Transport> inner, std::function<bool()> may_write);

  // Throws TransportError (no request sent) for a write while fenced.
  HttpResponse Send(const HttpRequest& request) override;
  HttpResponse Stream(const HttpRequest& request, const ChunkHandler& on_chunk, std::stop_token stop) override;
  std::string Host() const override { return inner_->Host(); }

 private:
  std::shared_ptr<Transport> inner_;
  std::function<bool()> may_write_;
};

}  // namespace tfws::kube
