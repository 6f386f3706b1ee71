#include "manifest_builder.h"


#include "args.h"
#include "workspace/gpu_resource.h"
#include "workspace/name_syntax.h"
#include "workspace/naming.h"
#include "workspace/quantity.h"
#include "workspace/ssh_key.h"
#include "workspace/workspace_types.h"

namespace tfws::plugin {

namespace {

using nlohmann::json;

void RequireQuantity(const std::string& flag, const std::string& value, const char* example) {
  if (!workspace::IsQuantity(value) || value.size() > 64) {
    throw UsageError("--" + flag + ": invalid value \"" + value + "\": must be a Kubernetes quantity such as " +
                     example);
  }
}

json Datasets(const std::vector<std::string>& specs) {
  json out = json::array();
  std::vector<std::string> seen;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    const std::string name = eq == std::string::npos ? "" : spec.substr(0, eq);
    const std::string claim = eq == std::string::npos ? "" : spec.substr(eq + 1);
    if (name.empty() || claim.empty()) {
      throw UsageError("--dataset: invalid value \"" + spec + "\": must be NAME=CLAIM, e.g. imagenet=imagenet-pvc");
    }
    if (name.size() > 50 || !workspace::IsDns1123Label(name)) {
      throw UsageError("--dataset " + spec + ": the name \"" + name +
                       "\" must be a lower-case DNS label of at most 50 characters (a-z, 0-9, '-'), e.g. imagenet");
    }
    if (!workspace::IsDns1123Subdomain(claim)) {
      throw UsageError("--dataset " + spec + ": \"" + claim + "\" is not a PersistentVolumeClaim name");
    }
    for (const auto& s : seen) {
      if (s == name) throw UsageError("--dataset: the name \"" + name + "\" is given twice; names must be unique");
    }
    seen.push_back(name);
    out.push_back({{"name", name}, {"claimName", claim}});
  }
  if (out.size() > 16) throw UsageError("--dataset: at most 16 datasets");
  return out;
}

}  // namespace

json BuildWorkspaceManifest(const WorkspaceRequest& r) {
  if (r.name.empty()) throw UsageError("a workspace NAME is required, e.g. kubectl tfws create alice-resnet");
  if (r.name.size() > workspace::kMaxWorkspaceNameLength || !workspace::IsDns1035Label(r.name)) {
    throw UsageError("\"" + r.name +
                     "\" is not a valid workspace name: at most 59 characters, starting with a lower-case letter, "
                     "only a-z, 0-9 and '-' (e.g. alice-resnet)");
  }
  json ws = {{"apiVersion", workspace::kApiVersion}, {"kind", workspace::kKind}, {"metadata", {{"name", r.name}}}};
  if (!r.namespace_.empty()) ws["metadata"]["namespace"] = r.namespace_;
  json spec = json::object();

  if (!r.image.empty()) spec["image"] = r.image;
  if (!r.class_name.empty()) {
    if (!workspace::IsDns1123Subdomain(r.class_name)) {
      throw UsageError("--class: \"" + r.class_name + "\" is not a TFWorkspaceClass name (lower-case DNS name)");
    }
    spec["className"] = r.class_name;
  }
  if (!r.owner.empty()) spec["owner"] = r.owner;

  // GPUs: --mig and --gpu-product imply one GPU unless --gpus says how many.
  const bool wants_gpu = !r.mig_profile.empty() || !r.gpu_product.empty();
  if (r.gpus || wants_gpu) {
    const int count = r.gpus.value_or(1);
    if (count == 0 && wants_gpu) {
      throw UsageError(std::string(r.mig_profile.empty() ? "--gpu-product" : "--mig") +
                       " needs at least one GPU: drop --gpus 0 or the GPU flag");
    }
    json gpu = {{"count", count}};
    if (!r.mig_profile.empty()) {
      if (!workspace::IsGpuResource("nvidia.com/mig-" + r.mig_profile)) {
        throw UsageError("--mig: invalid value \"" + r.mig_profile + "\": must be a MIG profile such as 1g.10gb or 3g.40gb");
      }
      if (count > workspace::kMaxMigCount) {
        throw UsageError("--gpus " + std::to_string(count) + ": a MIG workspace takes 1 to 7 slices");
      }
      gpu["resource"] = "nvidia.com/mig-" + r.mig_profile;
    }
    if (!r.gpu_product.empty()) {
      if (r.gpu_product.size() > 63 || !workspace::IsLabelValue(r.gpu_product)) {
        throw UsageError("--gpu-product: invalid value \"" + r.gpu_product +
                         "\": must be a GPU model label such as NVIDIA-A100-SXM4-80GB (see kubectl tfws gpus)");
      }
      gpu["product"] = r.gpu_product;
    }
    spec["gpu"] = gpu;
  }

  // --cpu is the request (no CPU limit: throttling hurts data loaders);
  // --memory is request and limit (memory above the limit kills the kernel anyway).
  if (!r.cpu.empty()) {
    RequireQuantity("cpu", r.cpu, "4 or 500m");
    spec["resources"]["requests"]["cpu"] = r.cpu;
  }
  if (!r.memory.empty()) {
    RequireQuantity("memory", r.memory, "32Gi or 512Mi");
    spec["resources"]["requests"]["memory"] = r.memory;
    spec["resources"]["limits"]["memory"] = r.memory;
  }

  if (!r.size.empty()) {
    RequireQuantity("size", r.size, "50Gi");
    spec["storage"]["workspace"]["size"] = r.size;
  }
  if (!r.datasets.empty()) spec["storage"]["datasets"] = Datasets(r.datasets);

  if (!r.ssh_keys.empty()) {
    if (r.ssh_keys.size() > 32) throw UsageError("--ssh-key: at most 32 public keys");
    spec["ssh"] = {{"enabled", true}, {"authorizedKeys", r.ssh_keys}};
  }
  ws["spec"] = spec;
  return ws;
}

std::vector<std::string> ParsePublicKeys(const std::string& text, const std::string& source) {
  auto check = workspace::CheckAuthorizedKeys(text);
  if (!check.problems.empty()) {
    throw UsageError("--ssh-key " + source + ": " + check.problems.front() +
                     " (give the .pub file, e.g. ~/.ssh/id_ed25519.pub, never the private key)");
  }
  if (check.keys.empty()) throw UsageError("--ssh-key " + source + ": no public key in the file");
  return check.keys;
}

std::string OwnerFromUsername(const std::string& username) {
  std::string out;
  for (char c : username) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += ok ? c : '-';
  }
  if (out.size() > 63) out.resize(63);
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  while (!out.empty() && !alnum(out.front())) out.erase(out.begin());
  while (!out.empty() && !alnum(out.back())) out.pop_back();
  return out;
}

}  // namespace tfws::plugin
