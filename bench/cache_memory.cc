// Cache memory per Pod and list/watch decode throughput, against a real API
// server (hack/testenv). See bench/README.md for the command and results.
//
//   cache_memory --kubeconfig F [--pods 10000] [--namespace bench-cache]
//                [--threads 32] [--skip-fill]
//
// 1. fill: server-side-applies N Pods of realistic size (labels, annotations,
//    one container with env/resources/ports/mounts) so managedFields exist,
//    from many threads with client-side rate limiting off;
// 2. list: pages of 500 through kube::Client (decode throughput, objects/s);
// 3. watch: a watch from resourceVersion 0 replays every Pod as ADDED
//    (decode throughput, objects/s);
// 4. memory: bytes per cached Pod in a runtime::Store, untransformed vs
//    TrimForCache("Pod"): live heap bytes counted by a replacement global
//    operator new/delete (malloc_usable_size of every block, i.e. what the
//    allocator really hands out; works with and without sanitizers).
#include <malloc.h>

#include <cstdlib>
#include <new>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "kube/api_error.h"
#include "kube/client_factory.h"
#include "kube/config_loader.h"
#include "runtime/cache_trim.h"
#include "runtime/store.h"

namespace {

using tfws::kube::Json;
using Clock = std::chrono::steady_clock;
namespace resources = tfws::kube::resources;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
std::atomic<long long> g_live_bytes{0};
long long HeapInUse() { return g_live_bytes.load(); }

Json BenchPod(const std::string& name, int i) {
  std::string team = "team-" + std::to_string(i % 17);
  return {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"labels",
         {{"app.kubernetes.io/name", "tfws-workspace"},
          {"app.kubernetes.io/instance", name},
          {"app.kubernetes.io/managed-by", "tfws-operator"},
          {"tfws.io/workspace", name},
          {"tfws.io/owner", "user-" + std::to_string(i % 997)},
          {"tfws.io/team", team}}},
        {"annotations",
         {{"tfws.io/spec-hash", "9f2c1e7a4b6d8c0e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e"},
          {"tfws.io/base-url", "/tfws/bench-cache/" + name + "/"},
          {"prometheus.io/scrape", "false"},
          {"description", "benchmark workspace " + std::to_string(i) + " of team " + team}}}}},
      {"spec",
       // Matches no node: the Pod stays Pending (the scheduler records why), so no
       // kubelet/kwok rewrites it and the pod GC does not delete it.
       {{"nodeSelector", {{"tfws.io/bench", "no-such-node"}}},
        {"restartPolicy", "Always"},
        {"securityContext",
         {{"runAsNonRoot", true}, {"runAsUser", 1000}, {"runAsGroup", 1000}, {"fsGroup", 1000},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
        {"containers",
         Json::array({{{"name", "workspace"},
                       {"image", "tensorflow/tensorflow:2.9.0-gpu-jupyter"},
                       {"command", Json::array({"jupyter", "notebook", "--notebook-dir=/tf", "--ip=0.0.0.0",
                                                "--port=8888", "--no-browser"})},
                       {"env", Json::array({{{"name", "HOME"}, {"value", "/home/tfws"}},
                                            {{"name", "TFWS_BASE_URL"}, {"value", "/tfws/bench-cache/" + name + "/"}},
                                            {{"name", "TFWS_SSH_ENABLED"}, {"value", "false"}}})},
                       {"ports", Json::array({{{"name", "http"}, {"containerPort", 8888}}})},
                       {"resources",
                        {{"limits", {{"cpu", "4"}, {"memory", "16Gi"}}},
                         {"requests", {{"cpu", "2"}, {"memory", "8Gi"}}}}},
                       {"volumeMounts", Json::array({{{"name", "home"}, {"mountPath", "/home/tfws"}},
                                                     {{"name", "tmp"}, {"mountPath", "/tmp"}}})},
                       {"securityContext",
                        {{"allowPrivilegeEscalation", false}, {"capabilities", {{"drop", Json::array({"ALL"})}}}}}}})},
        {"volumes", Json::array({{{"name", "home"}, {"emptyDir", Json::object()}},
                                 {{"name", "tmp"}, {"emptyDir", Json::object()}}})}}}};
}

struct Args {
  std::string kubeconfig;
  std::string ns = "bench-cache-pods";
  int pods = 10000;
  int threads = 32;
  bool skip_fill = false;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--kubeconfig") a.kubeconfig = next();
    else if (arg == "--namespace") a.ns = next();
    else if (arg == "--pods") a.pods = std::stoi(next());
    else if (arg == "--threads") a.threads = std::stoi(next());
    else if (arg == "--skip-fill") a.skip_fill = true;
    else throw std::invalid_argument("unknown flag " + arg);
  }
  return a;
}

void Fill(tfws::kube::Client& client, const Args& args) {
  try {
    client.Create(resources::kNamespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", args.ns}}}});
  } catch (const tfws::kube::ApiError& e) {
    if (!e.IsAlreadyExists()) throw;
  }
  std::atomic<int> next{0}, failed{0};
  auto start = Clock::now();
  std::vector<std::jthread> workers;
  for (int t = 0; t < args.threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < args.pods; i = next++) {
        std::string name = "ws-" + std::to_string(i);
        try {
          tfws::kube::PatchOptions options;
          options.field_manager = "tfws-operator";
          options.force = true;
          client.Apply(resources::kPods, args.ns, BenchPod(name, i), options);
        } catch (const std::exception& e) {
          if (failed++ < 5) std::cerr << "apply " << name << ": " << e.what() << "\n";
        }
      }
    });
  }
  workers.clear();
  std::printf("fill: %d pods applied in %.1f s (%d failed)\n", args.pods, Seconds(Clock::now() - start),
              failed.load());
}

}  // namespace

void* operator new(std::size_t size) {
  void* p = std::malloc(size ? size : 1);
  if (!p) throw std::bad_alloc();
  g_live_bytes += static_cast<long long>(malloc_usable_size(p));
  return p;
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept {
  if (!p) return;
  g_live_bytes -= static_cast<long long>(malloc_usable_size(p));
  std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

int main(int argc, char** argv) {
  try {
    Args args = Parse(argc, argv);
    tfws::kube::ConfigSourceOptions source;
    source.kubeconfig = args.kubeconfig;
    tfws::kube::ClientOptions client_options;
    client_options.qps = 0;  // off: the benchmark measures us, not the limiter
    auto client = tfws::kube::MakeClient(tfws::kube::LoadClusterConfig(source), client_options);
    if (!args.skip_fill) Fill(*client, args);

    // ---- list throughput
    auto t0 = Clock::now();
    std::vector<Json> items;
    std::size_t wire_bytes = 0;
    std::string rv;
    tfws::kube::ListOptions options;
    options.limit = 500;
    do {
      Json page = client->List(resources::kPods, args.ns, options);
      if (rv.empty()) rv = page["metadata"].value("resourceVersion", "");
      options.continue_token = page["metadata"].value("continue", "");
      for (auto& item : page["items"]) {
        wire_bytes += item.dump().size();
        items.push_back(std::move(item));
      }
    } while (!options.continue_token.empty());
    double list_s = Seconds(Clock::now() - t0);
    std::size_t n = items.size();
    if (n == 0) throw std::runtime_error("no pods in namespace " + args.ns);
    std::printf("list: %zu pods in %.2f s = %.0f objects/s (JSON %.0f bytes/pod compact)\n", n, list_s,
                static_cast<double>(n) / list_s, static_cast<double>(wire_bytes) / static_cast<double>(n));

    // ---- watch throughput: rv=0 replays the current state as ADDED events
    {
      tfws::kube::ListOptions watch_options;
      watch_options.resource_version = "0";
      watch_options.timeout_seconds = 120;
      std::size_t seen = 0;
      auto w0 = Clock::now();
      std::stop_source stop;
      client->Watch(resources::kPods, args.ns, watch_options,
                    [&](tfws::kube::WatchEvent&& e) {
                      if (e.type == "ADDED") ++seen;
                      return seen < n;
                    },
                    stop.get_token());
      double watch_s = Seconds(Clock::now() - w0);
      std::printf("watch: %zu ADDED events in %.2f s = %.0f objects/s\n", seen, watch_s,
                  static_cast<double>(seen) / watch_s);
    }

    // ---- memory per cached pod: decoded trees (the cache's form before it
    // packed its objects) against the Store itself (trimmed, packed as CBOR)
    auto per_pod = [&](const char* label, long long delta) {
      std::printf("cache %-16s: %.0f bytes/pod (%zu pods, %.1f MiB)\n", label,
                  static_cast<double>(delta) / static_cast<double>(n), n,
                  static_cast<double>(delta) / (1024.0 * 1024.0));
      return delta;
    };
    auto tree_bytes = [&](const char* label, const tfws::runtime::Transform& transform) {
      long long before = HeapInUse();
      std::vector<tfws::runtime::ObjectPtr> trees;
      trees.reserve(items.size());
      for (auto& item : items) trees.push_back(std::make_shared<const Json>(transform ? transform(item) : item));
      return per_pod(label, HeapInUse() - before);
    };
    long long raw = tree_bytes("tree, raw", {});
    long long trimmed = tree_bytes("tree, trimmed", tfws::runtime::TrimForCache("Pod"));
    long long packed = 0;
    {
      long long before = HeapInUse();
      tfws::runtime::Store store(tfws::runtime::TrimForCache("Pod"));
      std::vector<tfws::runtime::PackedPtr> listed;
      listed.reserve(items.size());
      for (auto& item : items) listed.push_back(store.Pack(item));  // copy; items stay
      store.Replace(std::move(listed), rv);
      packed = per_pod("Store (packed)", HeapInUse() - before);
    }
    std::printf("trim saves %.0f%% (%.1fx smaller); packing the trimmed tree %.1fx more; %.1fx in all\n",
                100.0 * (1.0 - static_cast<double>(trimmed) / static_cast<double>(raw)),
                static_cast<double>(raw) / static_cast<double>(trimmed),
                static_cast<double>(trimmed) / static_cast<double>(packed),
                static_cast<double>(raw) / static_cast<double>(packed));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cache_memory: " << e.what() << "\n";
    return 1;
  }
}
