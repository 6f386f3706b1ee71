#include "kube/write_fence.h"

#include "kube/api_error.h"

namespace tfws::kube {

FencedTransport::FencedTransport(std::shared_ptr<Transport> inner, std::function<bool()> may_write)
    : inner_(std::move(inner)), may_write_(std::move(may_write)) {}

HttpResponse FencedTransport::Send(const HttpRequest& request) {
  if (request.method != "GET" && may_write_ && !may_write_()) {
    throw TransportError("refused " + request.method + " " + request.path +
                         ": this replica does not hold the leader Lease (fenced)");
  }
  return inner_->Send(request);
}

HttpResponse FencedTransport::Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                     std::stop_token stop) {
  return inner_->Stream(request, on_chunk, stop);
}

}  // namespace tfws::kube
