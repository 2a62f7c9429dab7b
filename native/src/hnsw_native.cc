// creator-match native HNSW accessor.
//
// hnswlib-node (the builder's binding) searches synchronously on the event loop, takes plain JS
// arrays, filters through a JS callback per visited node and exposes no access to the vectors it
// stores. This addon wraps the same hnswlib headers (so it reads and writes the same file format)
// and adds what the service needs:
//   - searches run on the libuv thread pool (AsyncWorker), so concurrent calls use every core
//     over one shared index, and the event loop keeps serving I/O;
//   - ef is a per-call argument (no shared setEf state between concurrent searches);
//   - filters are bitsets checked in C++ inside hnswlib's traversal;
//   - exact search reads the index's own vectors in place, so the service keeps one copy of them.
// Concurrency: searches take a shared lock; add/markDelete/resize/close take an exclusive lock.

#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <shared_mutex>
#include <string>
#include <vector>

#include "hnswlib.h"

namespace {

using Hnsw = hnswlib::HierarchicalNSW<float>;
using tableint = hnswlib::tableint;
using labeltype = hnswlib::labeltype;
using Hit = std::pair<float, uint32_t>;  // (distance = 1 - cosine, label)

constexpr uint32_t kAbsent = std::numeric_limits<uint32_t>::max();

struct Bitset : hnswlib::BaseFilterFunctor {
  const uint8_t* bits = nullptr;
  size_t nbits = 0;
  bool operator()(labeltype label) override {
    return label < nbits && ((bits[label >> 3] >> (label & 7)) & 1) != 0;
  }
};

// State shared by the JS object and the workers in flight (they keep it alive).
struct Core {
  explicit Core(size_t d) : dims(d) {}
  size_t dims;
  std::unique_ptr<hnswlib::InnerProductSpace> space;
  std::unique_ptr<Hnsw> index;
  std::vector<uint32_t> label2id;  // may be stale after a slot is reused: always verify the label
  mutable std::shared_mutex rw;

  void indexLabels() {
    label2id.assign(index->cur_element_count, kAbsent);
    for (tableint id = 0; id < index->cur_element_count; id++) setLabel(index->getExternalLabel(id), id);
  }
  void setLabel(labeltype label, tableint id) {
    if (label >= label2id.size()) label2id.resize(std::max<size_t>(label + 1, label2id.size() * 2), kAbsent);
    label2id[label] = id;
  }
  // Internal id of a live label, or kAbsent.
  uint32_t idOf(labeltype label) const {
    if (label >= label2id.size()) return kAbsent;
    uint32_t id = label2id[label];
    if (id == kAbsent || id >= index->cur_element_count) return kAbsent;
    if (index->getExternalLabel(id) != label || index->isMarkedDeleted(id)) return kAbsent;
    return id;
  }
  float distance(const float* q, uint32_t id) const {
    return index->fstdistfunc_(q, index->getDataByInternalId(id), index->dist_func_param_);
  }
};

// Keeps the k smallest distances (a max-heap), then returns them ascending.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void push(float d, uint32_t label) {
    if (k_ == 0) return;
    if (heap_.size() < k_) {
      heap_.emplace(d, label);
    } else if (d < heap_.top().first) {
      heap_.pop();
      heap_.emplace(d, label);
    }
  }
  void drain(std::vector<Hit>& out) {
    out.resize(heap_.size());
    for (size_t i = out.size(); i-- > 0;) {
      out[i] = heap_.top();
      heap_.pop();
    }
  }

 private:
  size_t k_;
  std::priority_queue<Hit> heap_;
};

// hnswlib's searchKnn with ef as an argument (no shared setEf) and without its metric counters.
void knn(const Core& c, const float* q, size_t k, size_t ef, hnswlib::BaseFilterFunctor* filter, std::vector<Hit>& out) {
  out.clear();
  const Hnsw& h = *c.index;
  if (h.cur_element_count == 0 || k == 0) return;
  tableint cur = h.enterpoint_node_;
  float curDist = c.distance(q, cur);
  for (int level = h.maxlevel_; level > 0; level--) {
    bool changed = true;
    while (changed) {
      changed = false;
      unsigned int* data = (unsigned int*)h.get_linklist(cur, level);
      int size = h.getListCount(data);
      tableint* links = (tableint*)(data + 1);
      for (int i = 0; i < size; i++) {
        float d = c.distance(q, links[i]);
        if (d < curDist) {
          curDist = d;
          cur = links[i];
          changed = true;
        }
      }
    }
  }
  auto top = (h.num_deleted_ == 0 && filter == nullptr) ? h.searchBaseLayerST<true>(cur, q, std::max(ef, k), filter)
                                                       : h.searchBaseLayerST<false>(cur, q, std::max(ef, k), filter);
  while (top.size() > k) top.pop();
  out.resize(top.size());
  for (size_t i = out.size(); i-- > 0;) {
    out[i] = Hit(top.top().first, (uint32_t)h.getExternalLabel(top.top().second));
    top.pop();
  }
}

// Exact top-k over the given labels (absent or deleted labels are skipped).
void exactLabels(const Core& c, const float* q, const std::vector<uint32_t>& labels, size_t k, std::vector<Hit>& out) {
  TopK top(k);
  for (uint32_t label : labels) {
    uint32_t id = c.idOf(label);
    if (id != kAbsent) top.push(c.distance(q, id), label);
  }
  top.drain(out);
}

// Exact top-k over every live point that the bitset (if any) allows.
void exactScan(const Core& c, const float* q, size_t k, hnswlib::BaseFilterFunctor* filter, std::vector<Hit>& out) {
  TopK top(k);
  const Hnsw& h = *c.index;
  const size_t n = h.cur_element_count;
  for (tableint id = 0; id < n; id++) {
    if (h.isMarkedDeleted(id)) continue;
    labeltype label = h.getExternalLabel(id);
    if (filter != nullptr && !(*filter)(label)) continue;
    top.push(c.distance(q, id), (uint32_t)label);
  }
  top.drain(out);
}

enum class Mode { Knn, ExactLabels, ExactScan };

// One search request, copied out of JS values so it can run on any thread.
struct Request {
  Mode mode = Mode::Knn;
  std::vector<float> query;
  size_t k = 0;
  size_t ef = 0;
  std::vector<uint8_t> bits;  // empty: no filter
  size_t nbits = 0;
  std::vector<uint32_t> labels;

  void run(const Core& c, std::vector<Hit>& out) const {
    std::shared_lock<std::shared_mutex> lock(c.rw);
    if (!c.index) throw std::runtime_error("native HNSW index is closed");
    Bitset bitset;
    hnswlib::BaseFilterFunctor* filter = nullptr;
    if (!bits.empty() || nbits > 0) {
      bitset.bits = bits.data();
      bitset.nbits = std::min(nbits, bits.size() * 8);
      filter = &bitset;
    }
    switch (mode) {
      case Mode::Knn: knn(c, query.data(), k, ef, filter, out); break;
      case Mode::ExactLabels: exactLabels(c, query.data(), labels, k, out); break;
      case Mode::ExactScan: exactScan(c, query.data(), k, filter, out); break;
    }
  }
};

Napi::Object hitsToJs(Napi::Env env, const std::vector<Hit>& hits) {
  auto labels = Napi::Uint32Array::New(env, hits.size());
  auto distances = Napi::Float32Array::New(env, hits.size());
  for (size_t i = 0; i < hits.size(); i++) {
    labels[i] = hits[i].second;
    distances[i] = hits[i].first;
  }
  auto result = Napi::Object::New(env);
  result.Set("labels", labels);
  result.Set("distances", distances);
  return result;
}

class SearchWorker : public Napi::AsyncWorker {
 public:
  SearchWorker(Napi::Env env, std::shared_ptr<Core> core, Request req)
      : Napi::AsyncWorker(env), core_(std::move(core)), req_(std::move(req)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      req_.run(*core_, hits_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(hitsToJs(Env(), hits_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::shared_ptr<Core> core_;
  Request req_;
  std::vector<Hit> hits_;
  Napi::Promise::Deferred deferred_;
};

// Runs `job` on the thread pool; resolves with undefined or rejects with its exception message.
class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, std::function<void()> job)
      : Napi::AsyncWorker(env), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      job_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::function<void()> job_;
  Napi::Promise::Deferred deferred_;
};

size_t toSize(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || !std::isfinite(d) || d > 4294967295.0) throw Napi::RangeError::New(v.Env(), std::string(what) + " must be a non-negative 32-bit integer");
  return (size_t)d;
}

class NativeHnsw : public Napi::ObjectWrap<NativeHnsw> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeHnsw",
                       {
                           InstanceMethod("load", &NativeHnsw::Load),
                           InstanceMethod("search", &NativeHnsw::Search),
                           InstanceMethod("searchSync", &NativeHnsw::SearchSync),
                           InstanceMethod("getVector", &NativeHnsw::GetVector),
                           InstanceMethod("scores", &NativeHnsw::Scores),
                           InstanceMethod("addPoint", &NativeHnsw::AddPoint),
                           InstanceMethod("markDelete", &NativeHnsw::MarkDelete),
                           InstanceMethod("writeIndex", &NativeHnsw::WriteIndex),
                           InstanceMethod("close", &NativeHnsw::Close),
                           InstanceAccessor("currentCount", &NativeHnsw::CurrentCount, nullptr),
                           InstanceAccessor("deletedCount", &NativeHnsw::DeletedCount, nullptr),
                           InstanceAccessor("maxElements", &NativeHnsw::MaxElements, nullptr),
                           InstanceAccessor("dims", &NativeHnsw::Dims, nullptr),
                       });
  }

  explicit NativeHnsw(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeHnsw>(info) {
    size_t dims = toSize(info[0], "dims");
    if (dims == 0) throw Napi::RangeError::New(info.Env(), "dims must be positive");
    core_ = std::make_shared<Core>(dims);
  }

 private:
  std::shared_ptr<Core> core_;
  bool loadStarted_ = false;

  const Core& ready(Napi::Env env) const {
    if (!core_->index) throw Napi::Error::New(env, "native HNSW index is not loaded or is closed");
    return *core_;
  }

  std::vector<float> queryOf(const Napi::Value& v) const {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(v.Env(), "query must be a Float32Array");
    }
    auto arr = v.As<Napi::Float32Array>();
    if (arr.ElementLength() != core_->dims) throw Napi::RangeError::New(v.Env(), "query has " + std::to_string(arr.ElementLength()) + " values, index has " + std::to_string(core_->dims) + " dims");
    return std::vector<float>(arr.Data(), arr.Data() + arr.ElementLength());
  }

  // search(query, k, ef, {bitset?: Uint8Array, nbits?: number, labels?: Uint32Array, exact?: boolean})
  Request requestOf(const Napi::CallbackInfo& info) const {
    Request req;
    req.query = queryOf(info[0]);
    req.k = toSize(info[1], "k");
    req.ef = toSize(info[2], "ef");
    if (info.Length() > 3 && info[3].IsObject()) {
      auto opts = info[3].As<Napi::Object>();
      auto bitset = opts.Get("bitset");
      if (bitset.IsTypedArray()) {
        auto b = bitset.As<Napi::Uint8Array>();
        req.bits.assign(b.Data(), b.Data() + b.ElementLength());
        req.nbits = opts.Get("nbits").IsNumber() ? toSize(opts.Get("nbits"), "nbits") : b.ElementLength() * 8;
        if (req.bits.empty()) req.nbits = 1;  // an empty bitset allows nothing (filter present)
      }
      auto labels = opts.Get("labels");
      if (labels.IsTypedArray()) {
        auto l = labels.As<Napi::Uint32Array>();
        req.labels.assign(l.Data(), l.Data() + l.ElementLength());
        req.mode = Mode::ExactLabels;
      } else if (opts.Get("exact").ToBoolean()) {
        req.mode = Mode::ExactScan;
      }
    }
    return req;
  }

  Napi::Value Load(const Napi::CallbackInfo& info) {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    if (loadStarted_) throw Napi::Error::New(info.Env(), "load() may be called once per object (load a new object, then swap)");
    loadStarted_ = true;
    std::string path = info[0].As<Napi::String>();
    auto core = core_;
    auto* worker = new TaskWorker(info.Env(), [core, path]() {
      auto space = std::make_unique<hnswlib::InnerProductSpace>(core->dims);
      auto index = std::make_unique<Hnsw>(space.get(), path, false, 0, true);
      std::unique_lock<std::shared_mutex> lock(core->rw);
      core->space = std::move(space);
      core->index = std::move(index);
      core->indexLabels();
    });
    auto promise = worker->promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Search(const Napi::CallbackInfo& info) {
    ready(info.Env());
    auto* worker = new SearchWorker(info.Env(), core_, requestOf(info));
    auto promise = worker->promise();
    worker->Queue();
    return promise;
  }

  Napi::Value SearchSync(const Napi::CallbackInfo& info) {
    const Core& c = ready(info.Env());
    std::vector<Hit> hits;
    try {
      requestOf(info).run(c, hits);
    } catch (const std::runtime_error& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return hitsToJs(info.Env(), hits);
  }

  // A copy of the stored vector of a live label, or undefined.
  Napi::Value GetVector(const Napi::CallbackInfo& info) {
    const Core& c = ready(info.Env());
    labeltype label = toSize(info[0], "label");
    std::shared_lock<std::shared_mutex> lock(c.rw);
    uint32_t id = c.idOf(label);
    if (id == kAbsent) return info.Env().Undefined();
    auto out = Napi::Float32Array::New(info.Env(), c.dims);
    const float* src = (const float*)c.index->getDataByInternalId(id);
    std::copy(src, src + c.dims, out.Data());
    return out;
  }

  // scores(query, from, to): 1 - distance for labels [from, to); NaN where a label is not live.
  Napi::Value Scores(const Napi::CallbackInfo& info) {
    const Core& c = ready(info.Env());
    auto q = queryOf(info[0]);
    size_t from = toSize(info[1], "from"), to = toSize(info[2], "to");
    if (to < from) to = from;
    auto out = Napi::Float32Array::New(info.Env(), to - from);
    std::shared_lock<std::shared_mutex> lock(c.rw);
    for (size_t label = from; label < to; label++) {
      uint32_t id = c.idOf(label);
      out[label - from] = id == kAbsent ? std::numeric_limits<float>::quiet_NaN() : 1.0f - c.distance(q.data(), id);
    }
    return out;
  }

  // addPoint(vector, label): reuses a deleted slot when there is one, grows (x2) when full.
  Napi::Value AddPoint(const Napi::CallbackInfo& info) {
    ready(info.Env());
    auto v = queryOf(info[0]);
    labeltype label = toSize(info[1], "label");
    std::unique_lock<std::shared_mutex> lock(core_->rw);
    Hnsw& h = *core_->index;
    try {
      if (h.getDeletedCount() == 0 && h.cur_element_count >= h.max_elements_) h.resizeIndex(std::max<size_t>(16, h.max_elements_ * 2));
      h.addPoint(v.data(), label, true);
      std::unique_lock<std::mutex> table(h.label_lookup_lock);
      auto found = h.label_lookup_.find(label);
      if (found != h.label_lookup_.end()) core_->setLabel(label, found->second);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }

  Napi::Value MarkDelete(const Napi::CallbackInfo& info) {
    ready(info.Env());
    labeltype label = toSize(info[0], "label");
    std::unique_lock<std::shared_mutex> lock(core_->rw);
    try {
      core_->index->markDelete(label);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), std::string(e.what()) + ": label " + std::to_string(label));
    }
    return info.Env().Undefined();
  }

  // hnswlib writes with an unchecked ofstream: callers must read the file back to verify it.
  Napi::Value WriteIndex(const Napi::CallbackInfo& info) {
    ready(info.Env());
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
    std::string path = info[0].As<Napi::String>();
    auto core = core_;
    auto* worker = new TaskWorker(info.Env(), [core, path]() {
      std::shared_lock<std::shared_mutex> lock(core->rw);
      if (!core->index) throw std::runtime_error("native HNSW index is closed");
      core->index->saveIndex(path);
    });
    auto promise = worker->promise();
    worker->Queue();
    return promise;
  }

  // Frees the native memory now (waits for searches in flight). Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    std::unique_lock<std::shared_mutex> lock(core_->rw);
    core_->index.reset();
    core_->space.reset();
    std::vector<uint32_t>().swap(core_->label2id);
    return info.Env().Undefined();
  }

  Napi::Value CurrentCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), core_->index ? (double)core_->index->cur_element_count : 0);
  }
  Napi::Value DeletedCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), core_->index ? (double)core_->index->num_deleted_ : 0);
  }
  Napi::Value MaxElements(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), core_->index ? (double)core_->index->max_elements_ : 0);
  }
  Napi::Value Dims(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), (double)core_->dims); }
};

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeHnsw", NativeHnsw::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(hnsw_native, InitModule)
