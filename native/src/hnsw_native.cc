// creator-match native HNSW engine: the N-API class `NativeHnsw` (typed in
// src/index/native-binding.ts) over hnswlib's headers as hnswlib-node@3.0.0 ships them. It builds
// and serves indexes in hnswlib's file format (hnswlib-node reads our files and we read its).
//
// Design
//   - engine.h / engine.cc: the graph, the label table and the lock (pure C++, no Node).
//   - index_file.h / index_file.cc: the file format, with a validating reader and a checked,
//     fsync'd, read-back-verified writer (hnswlib's own trust the file and ignore write errors).
//   - this file: argument checking and the JS object's lifecycle. Every operation that can take
//     time or takes the engine's lock runs on the libuv thread pool and returns a Promise; the
//     JS thread only checks arguments, copies them (a typed array could be detached or changed
//     while a worker reads it) and settles promises. `create` is synchronous (it allocates, it
//     takes no contended lock: no operation can be in flight on an object without an index).
//   - Every C++ exception is caught at the boundary (JS thread and workers, `catch (...)`
//     included) and becomes a JS error: RangeError for a caller's mistake found by the engine
//     (unknown label...), Error otherwise. Synchronous argument errors are TypeError/RangeError.
//
// Locking
//   The engine has one readers-writer lock that prefers writers:
//     shared:    search, vectors, save (searches run concurrently with each other and with saves)
//     exclusive: insert, upsert, markDelete, resize, close, and installing a loaded graph.
//   Inserts do NOT run concurrently with searches (engine.h says why); within one insert,
//   `threads` threads add points in parallel under hnswlib's per-element locks. Only pool threads
//   (and the insert's own threads) ever wait on the lock: the two synchronous reads for small
//   label sets (distancesNow, vectorsNow) try it and return undefined instead of waiting.
//
// Lifecycle (JS-thread state, in `Shared`)
//   empty --create()--> ready;  empty --load()--> loading --ok--> ready (--failed--> empty).
//   Operations on an object that is not ready, or closed, return a rejected promise.
//   close() marks the object closed at once (later calls reject "index is closed"); the memory
//   is freed on the pool once every operation submitted before it has settled (they complete
//   normally), and close's promise resolves then. Counting operations on the JS thread, rather
//   than waiting for them on a pool thread, means close never ties up a pool thread.

#include <napi.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#if defined(__GLIBC__)  // set by any C library header included above
#include <malloc.h>
#endif

#include "engine.h"

namespace creator_match {
namespace {

constexpr size_t kMaxThreads = 256;
// Most labels one call of distancesNow / vectorsNow may cover: bounded work on the JS thread
// (~4096 x 512 multiply-adds, tens of microseconds).
constexpr size_t kMaxNowLabels = 4096;
constexpr double kMaxUint32 = 4294967295.0;

struct Shared {
  Shared(size_t dims, bool simd) : engine(dims, simd) {}
  Engine engine;
  // JS thread only:
  enum class State { Empty, Loading, Ready } state = State::Empty;
  bool closed = false;
  bool freeing = false;
  bool freed = false;
  size_t inflight = 0;
  std::vector<Napi::Promise::Deferred> closeWaiters;
};

// ---- argument checking (JS thread; throws TypeError / RangeError) ----

std::string describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "the number " + v.ToString().Utf8Value();
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_bigint: return "a bigint";
    case napi_function: return "a function";
    case napi_external: return "an external";
    case napi_object: break;
  }
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "an Int8Array";
      case napi_uint8_array: return "a Uint8Array";
      case napi_uint8_clamped_array: return "a Uint8ClampedArray";
      case napi_int16_array: return "an Int16Array";
      case napi_uint16_array: return "a Uint16Array";
      case napi_int32_array: return "an Int32Array";
      case napi_uint32_array: return "a Uint32Array";
      case napi_float32_array: return "a Float32Array";
      case napi_float64_array: return "a Float64Array";
      default: return "a typed array of another kind";
    }
  }
  if (v.IsArray()) return "an array";
  if (v.IsArrayBuffer()) return "an ArrayBuffer";
  return "an object";
}

size_t integerArg(const Napi::Value& v, const std::string& name, double min, double max) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), name + " must be a number, got " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < min || d > max) {
    throw Napi::RangeError::New(v.Env(), name + " must be an integer from " + Napi::Number::New(v.Env(), min).ToString().Utf8Value() + " to " +
                                             Napi::Number::New(v.Env(), max).ToString().Utf8Value() + ", got " + v.ToString().Utf8Value());
  }
  return static_cast<size_t>(d);
}

template <typename Array>
Array typedArrayArg(const Napi::Value& v, napi_typedarray_type type, const char* typeName, const std::string& name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(v.Env(), name + " must be a " + typeName + ", got " + describe(v));
  }
  return v.As<Array>();
}

Napi::Float32Array float32Arg(const Napi::Value& v, const std::string& name) {
  return typedArrayArg<Napi::Float32Array>(v, napi_float32_array, "Float32Array", name);
}
Napi::Uint32Array uint32ArrayArg(const Napi::Value& v, const std::string& name) {
  return typedArrayArg<Napi::Uint32Array>(v, napi_uint32_array, "Uint32Array", name);
}

template <typename T>
std::vector<T> copyOf(const Napi::TypedArrayOf<T>& a) {
  const T* data = a.Data();
  return std::vector<T>(data, data + a.ElementLength());
}

// A copy of a Float32Array of exactly `dims` finite values.
std::vector<float> vectorArg(const Napi::Value& v, size_t dims, const std::string& name) {
  auto a = float32Arg(v, name);
  if (a.ElementLength() != dims) {
    throw Napi::RangeError::New(v.Env(), name + " has " + std::to_string(a.ElementLength()) + " values, the index has " + std::to_string(dims) + " dims");
  }
  std::vector<float> out = copyOf(a);
  for (size_t i = 0; i < dims; i++) {
    if (!std::isfinite(out[i])) throw Napi::RangeError::New(v.Env(), name + "[" + std::to_string(i) + "] is not finite");
  }
  return out;
}

// A copy of a Uint32Array of labels (each at most kMaxLabel).
std::vector<uint32_t> labelsArg(const Napi::Value& v, const std::string& name) {
  std::vector<uint32_t> out = copyOf(uint32ArrayArg(v, name));
  for (size_t i = 0; i < out.size(); i++) {
    if (out[i] > kMaxLabel) {
      throw Napi::RangeError::New(v.Env(), name + "[" + std::to_string(i) + "] is " + std::to_string(out[i]) + "; labels go up to " + std::to_string(kMaxLabel));
    }
  }
  return out;
}

std::string pathArg(const Napi::Value& v, const std::string& name) {
  if (!v.IsString()) throw Napi::TypeError::New(v.Env(), name + " must be a string (a file path), got " + describe(v));
  std::string path = v.As<Napi::String>().Utf8Value();
  if (path.empty()) throw Napi::TypeError::New(v.Env(), name + " must not be empty");
  if (path.find('\0') != std::string::npos) throw Napi::TypeError::New(v.Env(), name + " must not contain NUL characters");
  return path;
}

Napi::Object optionsArg(const Napi::Value& v, const std::string& name, std::initializer_list<const char*> allowed) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction() || v.IsTypedArray()) {
    throw Napi::TypeError::New(v.Env(), name + " must be an object, got " + describe(v));
  }
  Napi::Object opts = v.As<Napi::Object>();
  napi_value names;
  napi_status status = napi_get_all_property_names(v.Env(), opts, napi_key_own_only, static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                                   napi_key_numbers_to_strings, &names);
  if (status != napi_ok) throw Napi::Error::New(v.Env());
  Napi::Array keys(v.Env(), names);
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    bool known = false;
    std::string list;
    for (const char* a : allowed) {
      known = known || key == a;
      list += list.empty() ? a : std::string(", ") + a;
    }
    if (!known) throw Napi::TypeError::New(v.Env(), name + " has an unknown option '" + key + "' (options: " + list + ")");
  }
  return opts;
}

Napi::Value rejected(Napi::Env env, const std::string& message) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(Napi::Error::New(env, message).Value());
  return deferred.Promise();
}

// ---- operations on the pool ----

void startFree(Napi::Env env, const std::shared_ptr<Shared>& shared);

// Runs `f` in a handle scope and swallows what it throws: for completion callbacks, which no
// exception may leave (it would cross a C callback: std::terminate). Settling a promise fails
// only while the environment is torn down (a terminating worker thread), with no one to tell.
template <typename F>
void guarded(Napi::Env env, F f) {
  try {
    Napi::HandleScope scope(env);
    f();
  } catch (...) {
  }
}

// One engine call on the pool. Counted in flight from `start` until it completes.
class Op : public Napi::AsyncWorker {
 public:
  Op(Napi::Env env, std::shared_ptr<Shared> shared)
      : Napi::AsyncWorker(env), shared_(std::move(shared)), deferred_(Napi::Promise::Deferred::New(env)) {}

  static Napi::Value start(Op* op) {
    Napi::Value promise = op->deferred_.Promise();
    op->shared_->inflight++;
    try {
      op->Queue();
    } catch (...) {
      op->shared_->inflight--;
      delete op;
      throw;
    }
    return promise;
  }

 protected:
  virtual void run(Engine& engine) = 0;                                 // pool thread
  virtual Napi::Value result(Napi::Env env) { return env.Undefined(); }  // JS thread, on success
  virtual void settled(Shared&, bool /*ok*/) {}                         // JS thread

 private:
  enum class Failure { None, Range, Plain };

  void Execute() override {
    try {
      run(shared_->engine);
    } catch (const UsageError& e) {
      fail(Failure::Range, e.what());
    } catch (const std::bad_alloc&) {
      fail(Failure::Plain, "out of memory");
    } catch (const std::exception& e) {
      fail(Failure::Plain, e.what());
    } catch (...) {
      fail(Failure::Plain, "unknown native exception");
    }
  }
  void fail(Failure kind, const char* message) {
    failure_ = kind;
    message_ = message;
  }

  void OnWorkComplete(Napi::Env env, napi_status status) override {
    settled(*shared_, status != napi_cancelled && failure_ == Failure::None);
    shared_->inflight--;
    if (status != napi_cancelled) guarded(env, [&] { settle(env); });
    if (shared_->inflight == 0 && shared_->closed) guarded(env, [&] { startFree(env, shared_); });
    Destroy();
  }

  void settle(Napi::Env env) {
    try {
      if (failure_ == Failure::Range) {
        deferred_.Reject(Napi::RangeError::New(env, message_).Value());
      } else if (failure_ == Failure::Plain) {
        deferred_.Reject(Napi::Error::New(env, message_).Value());
      } else {
        deferred_.Resolve(result(env));
      }
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());  // building the result failed (out of memory)
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, e.what()).Value());
    }
  }

  std::shared_ptr<Shared> shared_;
  Napi::Promise::Deferred deferred_;
  Failure failure_ = Failure::None;
  std::string message_;
};

// Frees the engine's memory once nothing is in flight, then resolves every close() promise.
class FreeWorker : public Napi::AsyncWorker {
 public:
  FreeWorker(Napi::Env env, std::shared_ptr<Shared> shared) : Napi::AsyncWorker(env), shared_(std::move(shared)) {}
  void Execute() override {
    try {
      shared_->engine.close();
    } catch (...) {
      // engine.close() only takes an uncontended lock and frees; nothing to report
    }
  }
  void OnWorkComplete(Napi::Env env, napi_status) override {
    shared_->freeing = false;
    shared_->freed = true;
    std::vector<Napi::Promise::Deferred> waiters;
    waiters.swap(shared_->closeWaiters);
    guarded(env, [&] {
      for (auto& d : waiters) d.Resolve(env.Undefined());
    });
    Destroy();
  }

 private:
  std::shared_ptr<Shared> shared_;
};

void startFree(Napi::Env env, const std::shared_ptr<Shared>& shared) {
  if (shared->freeing || shared->freed) return;
  shared->freeing = true;
  (new FreeWorker(env, shared))->Queue();
}

class LoadOp : public Op {
 public:
  LoadOp(Napi::Env env, std::shared_ptr<Shared> s, std::string path) : Op(env, std::move(s)), path_(std::move(path)) {}
  void run(Engine& e) override { e.load(path_); }
  void settled(Shared& s, bool ok) override { s.state = ok ? Shared::State::Ready : Shared::State::Empty; }

 private:
  std::string path_;
};

class InsertOp : public Op {
 public:
  InsertOp(Napi::Env env, std::shared_ptr<Shared> s, std::vector<float> vectors, std::vector<uint32_t> labels, size_t threads)
      : Op(env, std::move(s)), vectors_(std::move(vectors)), labels_(std::move(labels)), threads_(threads) {}
  void run(Engine& e) override { e.insert(vectors_.data(), labels_.data(), labels_.size(), threads_); }

 private:
  std::vector<float> vectors_;
  std::vector<uint32_t> labels_;
  size_t threads_;
};

class UpsertOp : public Op {
 public:
  UpsertOp(Napi::Env env, std::shared_ptr<Shared> s, std::vector<float> vector, uint32_t label)
      : Op(env, std::move(s)), vector_(std::move(vector)), label_(label) {}
  void run(Engine& e) override { e.upsert(vector_.data(), label_); }

 private:
  std::vector<float> vector_;
  uint32_t label_;
};

class MarkDeleteOp : public Op {
 public:
  MarkDeleteOp(Napi::Env env, std::shared_ptr<Shared> s, std::vector<uint32_t> labels) : Op(env, std::move(s)), labels_(std::move(labels)) {}
  void run(Engine& e) override { e.markDelete(labels_); }

 private:
  std::vector<uint32_t> labels_;
};

class ResizeOp : public Op {
 public:
  ResizeOp(Napi::Env env, std::shared_ptr<Shared> s, size_t capacity) : Op(env, std::move(s)), capacity_(capacity) {}
  void run(Engine& e) override { e.resize(capacity_); }

 private:
  size_t capacity_;
};

class SaveOp : public Op {
 public:
  SaveOp(Napi::Env env, std::shared_ptr<Shared> s, std::string path) : Op(env, std::move(s)), path_(std::move(path)) {}
  void run(Engine& e) override { e.save(path_); }

 private:
  std::string path_;
};

class SearchOp : public Op {
 public:
  SearchOp(Napi::Env env, std::shared_ptr<Shared> s, SearchRequest req) : Op(env, std::move(s)), req_(std::move(req)) {}
  void run(Engine& e) override { e.search(req_, hits_); }
  Napi::Value result(Napi::Env env) override {
    auto labels = Napi::Uint32Array::New(env, hits_.size());
    auto distances = Napi::Float32Array::New(env, hits_.size());
    for (size_t i = 0; i < hits_.size(); i++) {
      labels[i] = hits_[i].second;
      distances[i] = hits_[i].first;
    }
    auto out = Napi::Object::New(env);
    out.Set("labels", labels);
    out.Set("distances", distances);
    return out;
  }

 private:
  SearchRequest req_;
  std::vector<Hit> hits_;
};

// Writes straight into an ArrayBuffer created on the JS thread and not exposed until it resolves.
class VectorsOp : public Op {
 public:
  VectorsOp(Napi::Env env, std::shared_ptr<Shared> s, std::vector<uint32_t> labels, size_t dims)
      : Op(env, std::move(s)), labels_(std::move(labels)), values_(labels_.size() * dims) {
    auto buffer = Napi::ArrayBuffer::New(env, values_ * sizeof(float));
    out_ = static_cast<float*>(buffer.Data());
    buffer_ = Napi::Persistent(buffer);
  }
  void run(Engine& e) override { e.vectors(labels_, out_); }
  Napi::Value result(Napi::Env env) override { return Napi::Float32Array::New(env, values_, buffer_.Value(), 0); }

 private:
  std::vector<uint32_t> labels_;
  size_t values_;
  float* out_ = nullptr;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
};

// ---- the JS class ----

class NativeHnsw : public Napi::ObjectWrap<NativeHnsw> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeHnsw",
                       {
                           InstanceMethod("create", &NativeHnsw::Create),
                           InstanceMethod("load", &NativeHnsw::Load),
                           InstanceMethod("insert", &NativeHnsw::Insert),
                           InstanceMethod("upsert", &NativeHnsw::Upsert),
                           InstanceMethod("markDelete", &NativeHnsw::MarkDelete),
                           InstanceMethod("resize", &NativeHnsw::Resize),
                           InstanceMethod("save", &NativeHnsw::Save),
                           InstanceMethod("search", &NativeHnsw::Search),
                           InstanceMethod("vectors", &NativeHnsw::Vectors),
                           InstanceMethod("distancesNow", &NativeHnsw::DistancesNow),
                           InstanceMethod("vectorsNow", &NativeHnsw::VectorsNow),
                           InstanceMethod("close", &NativeHnsw::Close),
                           InstanceAccessor("dims", &NativeHnsw::Dims, nullptr),
                           InstanceAccessor("kernel", &NativeHnsw::KernelName, nullptr),
                           InstanceAccessor("count", &NativeHnsw::Count, nullptr),
                           InstanceAccessor("deleted", &NativeHnsw::Deleted, nullptr),
                           InstanceAccessor("capacity", &NativeHnsw::Capacity, nullptr),
                           InstanceAccessor("closed", &NativeHnsw::Closed, nullptr),
                       });
  }

  explicit NativeHnsw(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeHnsw>(info) {
    const size_t dims = integerArg(info[0], "NativeHnsw: dims", 1, static_cast<double>(kMaxDims));
    bool simd = true;
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      Napi::Value value = optionsArg(info[1], "NativeHnsw: opts", {"simd"}).Get("simd");
      if (!value.IsUndefined() && !value.IsBoolean()) throw Napi::TypeError::New(info.Env(), "NativeHnsw: opts.simd must be a boolean, got " + describe(value));
      simd = !value.IsBoolean() || value.As<Napi::Boolean>().Value();
    }
    shared_ = std::make_shared<Shared>(dims, simd);
  }

 private:
  std::shared_ptr<Shared> shared_;

  size_t dims() const { return shared_->engine.dims(); }

  // The rejected promise an operation returns when the object cannot run it now; else empty.
  Napi::Value unavailable(Napi::Env env, const char* op) const {
    if (shared_->closed) return rejected(env, std::string(op) + ": index is closed");
    if (shared_->state == Shared::State::Empty) return rejected(env, std::string(op) + ": index is empty (call create() or load() first)");
    if (shared_->state == Shared::State::Loading) return rejected(env, std::string(op) + ": index is still loading (await load() first)");
    return Napi::Value();
  }

  Napi::Value Create(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object opts = optionsArg(info[0], "create: opts", {"capacity", "m", "efConstruction", "seed"});
    CreateOptions o;
    o.capacity = integerArg(opts.Get("capacity"), "create: opts.capacity", 1, static_cast<double>(kMaxCapacity));
    o.m = integerArg(opts.Get("m"), "create: opts.m", static_cast<double>(kMinM), static_cast<double>(kMaxM));
    o.efConstruction = integerArg(opts.Get("efConstruction"), "create: opts.efConstruction", 1, static_cast<double>(kMaxEfConstruction));
    o.seed = static_cast<uint32_t>(integerArg(opts.Get("seed"), "create: opts.seed", 0, kMaxUint32));
    if (shared_->closed) throw Napi::Error::New(env, "create: index is closed");
    if (shared_->state != Shared::State::Empty) throw Napi::Error::New(env, "create: the index already has a graph (create() or load() once per object)");
    try {
      shared_->engine.create(o);
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "create: out of memory for capacity " + std::to_string(o.capacity));
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, std::string("create: ") + e.what());
    }
    shared_->state = Shared::State::Ready;
    return env.Undefined();
  }

  Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path = pathArg(info[0], "load: file");
    if (shared_->closed) return rejected(env, "load: index is closed");
    if (shared_->state != Shared::State::Empty) return rejected(env, "load: the index already has a graph (create() or load() once per object)");
    Napi::Value promise = Op::start(new LoadOp(env, shared_, std::move(path)));
    shared_->state = Shared::State::Loading;
    return promise;
  }

  Napi::Value Insert(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto vectors = float32Arg(info[0], "insert: vectors");
    if (vectors.ElementLength() % dims() != 0) {
      throw Napi::RangeError::New(env, "insert: vectors has " + std::to_string(vectors.ElementLength()) + " values, not a multiple of dims " +
                                           std::to_string(dims()));
    }
    const size_t n = vectors.ElementLength() / dims();
    std::vector<uint32_t> labels = labelsArg(info[1], "insert: labels");
    if (labels.size() != n) {
      throw Napi::RangeError::New(env, "insert: labels has " + std::to_string(labels.size()) + " entries, vectors has " + std::to_string(n) +
                                           " rows of " + std::to_string(dims()));
    }
    const size_t threads = integerArg(info[2], "insert: threads", 1, static_cast<double>(kMaxThreads));
    Napi::Value no = unavailable(env, "insert");
    if (!no.IsEmpty()) return no;
    return Op::start(new InsertOp(env, shared_, copyOf(vectors), std::move(labels), threads));
  }

  Napi::Value Upsert(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<float> vector = vectorArg(info[0], dims(), "upsert: vector");
    const uint32_t label = static_cast<uint32_t>(integerArg(info[1], "upsert: label", 0, kMaxLabel));
    Napi::Value no = unavailable(env, "upsert");
    if (!no.IsEmpty()) return no;
    return Op::start(new UpsertOp(env, shared_, std::move(vector), label));
  }

  Napi::Value MarkDelete(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<uint32_t> labels = labelsArg(info[0], "markDelete: labels");
    Napi::Value no = unavailable(env, "markDelete");
    if (!no.IsEmpty()) return no;
    return Op::start(new MarkDeleteOp(env, shared_, std::move(labels)));
  }

  Napi::Value Resize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const size_t capacity = integerArg(info[0], "resize: capacity", 1, static_cast<double>(kMaxCapacity));
    Napi::Value no = unavailable(env, "resize");
    if (!no.IsEmpty()) return no;
    return Op::start(new ResizeOp(env, shared_, capacity));
  }

  Napi::Value Save(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path = pathArg(info[0], "save: file");
    Napi::Value no = unavailable(env, "save");
    if (!no.IsEmpty()) return no;
    return Op::start(new SaveOp(env, shared_, std::move(path)));
  }

  // search(query, k, ef, { bitset?: Uint8Array, labels?: Uint32Array, exact?: boolean })
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SearchRequest req;
    req.query = vectorArg(info[0], dims(), "search: query");
    req.k = integerArg(info[1], "search: k", 0, kMaxUint32);
    req.ef = integerArg(info[2], "search: ef", 0, kMaxUint32);
    if (info.Length() > 3 && !info[3].IsUndefined()) {
      Napi::Object opts = optionsArg(info[3], "search: opts", {"bitset", "labels", "exact"});
      Napi::Value bitset = opts.Get("bitset");
      if (!bitset.IsUndefined()) {
        req.bitset = copyOf(typedArrayArg<Napi::Uint8Array>(bitset, napi_uint8_array, "Uint8Array", "search: opts.bitset"));
        req.filtered = true;
      }
      Napi::Value labels = opts.Get("labels");
      Napi::Value exact = opts.Get("exact");
      if (!exact.IsUndefined() && !exact.IsBoolean()) throw Napi::TypeError::New(env, "search: opts.exact must be a boolean, got " + describe(exact));
      const bool exactScan = exact.IsBoolean() && exact.As<Napi::Boolean>().Value();
      if (!labels.IsUndefined()) {
        if (req.filtered) throw Napi::TypeError::New(env, "search: pass opts.labels or opts.bitset, not both");
        if (exact.IsBoolean() && !exactScan) throw Napi::TypeError::New(env, "search: opts.labels means an exact search; opts.exact cannot be false");
        req.labels = copyOf(uint32ArrayArg(labels, "search: opts.labels"));
        req.mode = SearchRequest::Mode::ExactLabels;
      } else if (exactScan) {
        req.mode = SearchRequest::Mode::ExactScan;
      }
    }
    Napi::Value no = unavailable(env, "search");
    if (!no.IsEmpty()) return no;
    return Op::start(new SearchOp(env, shared_, std::move(req)));
  }

  Napi::Value Vectors(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<uint32_t> labels = copyOf(uint32ArrayArg(info[0], "vectors: labels"));
    Napi::Value no = unavailable(env, "vectors");
    if (!no.IsEmpty()) return no;
    return Op::start(new VectorsOp(env, shared_, std::move(labels), dims()));
  }

  // The synchronous calls below run on the JS thread and never wait for the lock: they return
  // undefined while a writer holds or waits for it (the caller then uses search / vectors).
  void throwUnlessReady(Napi::Env env, const char* op) const {
    if (shared_->closed) throw Napi::Error::New(env, std::string(op) + ": index is closed");
    if (shared_->state != Shared::State::Ready) throw Napi::Error::New(env, std::string(op) + ": index is not ready (create() or await load() first)");
  }

  Napi::Uint32Array nowLabelsArg(const Napi::Value& v, const char* name) const {
    Napi::Uint32Array labels = uint32ArrayArg(v, name);
    if (labels.ElementLength() > kMaxNowLabels) {
      throw Napi::RangeError::New(v.Env(), std::string(name) + " has " + std::to_string(labels.ElementLength()) + " labels; at most " +
                                               std::to_string(kMaxNowLabels) + " on the JS thread (use search with opts.labels)");
    }
    return labels;
  }

  // distancesNow(query, labels): Float32Array of labels.length distances (NaN: not live) | undefined
  Napi::Value DistancesNow(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<float> query = vectorArg(info[0], dims(), "distancesNow: query");
    Napi::Uint32Array labels = nowLabelsArg(info[1], "distancesNow: labels");
    throwUnlessReady(env, "distancesNow");
    const size_t n = labels.ElementLength();
    auto out = Napi::Float32Array::New(env, n);
    if (!shared_->engine.tryDistances(query.data(), labels.Data(), n, out.Data())) return env.Undefined();
    return out;
  }

  // vectorsNow(labels): Float32Array of labels.length rows (NaN rows: not live) | undefined
  Napi::Value VectorsNow(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint32Array labels = nowLabelsArg(info[0], "vectorsNow: labels");
    throwUnlessReady(env, "vectorsNow");
    const size_t n = labels.ElementLength();
    auto out = Napi::Float32Array::New(env, n * dims());
    if (!shared_->engine.tryVectors(labels.Data(), n, out.Data())) return env.Undefined();
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    if (shared_->freed) {
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    shared_->closed = true;
    shared_->closeWaiters.push_back(deferred);
    if (shared_->inflight == 0) startFree(env, shared_);
    return deferred.Promise();
  }

  Napi::Value Dims(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(dims())); }
  Napi::Value KernelName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), kernelName(shared_->engine.kernel())); }
  Napi::Value Count(const Napi::CallbackInfo& info) { return counter(info, shared_->engine.count()); }
  Napi::Value Deleted(const Napi::CallbackInfo& info) { return counter(info, shared_->engine.deleted()); }
  Napi::Value Capacity(const Napi::CallbackInfo& info) { return counter(info, shared_->engine.capacity()); }
  Napi::Value Closed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), shared_->closed); }
  Napi::Value counter(const Napi::CallbackInfo& info, size_t value) const {
    return Napi::Number::New(info.Env(), shared_->closed ? 0 : static_cast<double>(value));
  }
};

// The C heap's policy for large blocks, set once per process when the addon loads. glibc serves
// a malloc of 128 KiB or more with mmap, and munmaps it on free, until the first such free: then
// it raises its mmap threshold to that block's size (up to 32 MiB) and its trim threshold to
// twice that, so from then on blocks below 32 MiB come from the heap and their frees leave holes
// the process keeps. A version load is made of such blocks (file chunks, catalog columns grown
// by copying, the lexical file and its decode): at 1M creators the holes held ~25-40 MiB after the
// load. A fixed threshold keeps every large block in its own mapping, returned as soon as it is
// freed. MALLOC_MMAP_THRESHOLD_ in the environment (glibc's own tunable) is left to rule.
constexpr int kMmapThresholdBytes = 128 * 1024;

const char* setHeapPolicy() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr) return "environment";
  return mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1 ? "mmap-threshold-131072" : "default";
#else
  return "default";
#endif
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeHnsw", NativeHnsw::Init(env));
  static const char* const heapPolicy = setHeapPolicy();
  exports.Set("heapPolicy", Napi::String::New(env, heapPolicy));
  return exports;
}

}  // namespace
}  // namespace creator_match

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return creator_match::InitModule(env, exports); }

NODE_API_MODULE(hnsw_native, Init)
