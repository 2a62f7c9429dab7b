// The HNSW engine: one hnswlib graph, its label table and the lock that orders everything on it.
// Pure C++ (no Node): the N-API layer (hnsw_native.cc) calls it from libuv pool threads.
//
// Locking (see also the top of hnsw_native.cc):
//   - shared:    search, vectors, save            (any number at once)
//   - exclusive: create, load's install, insert, upsert, markDelete, resize, close
// Inserts do not run concurrently with searches. hnswlib allows addPoint next to searchKnn, but
// its searches read link lists and vectors that a concurrent insert is writing without any
// synchronisation (a data race by the C++ memory model), our exact scans would read slots being
// filled, and resize / replace-deleted are not safe next to anything. The lock prefers writers,
// so a stream of searches cannot starve an update; an insert of many points holds it for the
// whole batch (batch small updates on a serving index). Within one insert, `threads` threads add
// points in parallel under hnswlib's per-element locks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hnsw.h"
#include "ip_space.h"
#include "label_map.h"

namespace creator_match {

// Readers-writer lock that prefers writers (std::shared_mutex on glibc prefers readers).
// Meets the SharedMutex requirements used by std::shared_lock / std::unique_lock.
class RwLock {
 public:
  void lock_shared() {
    std::unique_lock<std::mutex> guard(mutex_);
    readersMayEnter_.wait(guard, [this] { return !writing_ && writersWaiting_ == 0; });
    readers_++;
  }
  // Never waits: false while a writer holds the lock or waits for it (writers stay preferred).
  bool try_lock_shared() {
    std::lock_guard<std::mutex> guard(mutex_);
    if (writing_ || writersWaiting_ > 0) return false;
    readers_++;
    return true;
  }
  void unlock_shared() {
    std::lock_guard<std::mutex> guard(mutex_);
    if (--readers_ == 0 && writersWaiting_ > 0) writerMayEnter_.notify_one();
  }
  void lock() {
    std::unique_lock<std::mutex> guard(mutex_);
    writersWaiting_++;
    writerMayEnter_.wait(guard, [this] { return !writing_ && readers_ == 0; });
    writersWaiting_--;
    writing_ = true;
  }
  void unlock() {
    std::lock_guard<std::mutex> guard(mutex_);
    writing_ = false;
    if (writersWaiting_ > 0) {
      writerMayEnter_.notify_one();
    } else {
      readersMayEnter_.notify_all();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable readersMayEnter_;
  std::condition_variable writerMayEnter_;
  size_t readers_ = 0;
  size_t writersWaiting_ = 0;
  bool writing_ = false;
};

using Hit = std::pair<float, uint32_t>;  // (distance = 1 - cosine, label)

struct SearchRequest {
  enum class Mode { Knn, ExactLabels, ExactScan };
  Mode mode = Mode::Knn;
  std::vector<float> query;
  size_t k = 0;
  size_t ef = 0;
  bool filtered = false;        // `bitset` applies (an empty bitset allows nothing)
  std::vector<uint8_t> bitset;  // bit l of byte l >> 3 allows label l
  std::vector<uint32_t> labels;  // ExactLabels: the candidates
};

struct CreateOptions {
  size_t capacity = 0;
  size_t m = 0;
  size_t efConstruction = 0;
  uint32_t seed = 0;
};

class Engine {
 public:
  // Constructs the inner-product space (hnswlib's constructor sets process-wide SIMD function
  // pointers: call it on the JS thread, not on a pool thread next to running searches).
  // simd: see ip_space.h (false keeps hnswlib's distance function).
  Engine(size_t dims, bool simd);

  size_t dims() const { return dims_; }
  Kernel kernel() const { return space_.kernel(); }
  // Lock-free mirrors of the index's counters, updated under the exclusive lock.
  size_t count() const { return count_.load(std::memory_order_relaxed); }
  size_t deleted() const { return deleted_.load(std::memory_order_relaxed); }
  size_t capacity() const { return capacity_.load(std::memory_order_relaxed); }

  void create(const CreateOptions& opts);
  void load(const std::string& path);
  // `vectors` holds n rows of dims floats. Labels must be new (not in the index, even deleted).
  void insert(const float* vectors, const uint32_t* labels, size_t n, size_t threads);
  void upsert(const float* vector, uint32_t label);
  void markDelete(const std::vector<uint32_t>& labels);
  void resize(size_t capacity);
  void save(const std::string& path) const;
  void search(const SearchRequest& req, std::vector<Hit>& out) const;
  // labels.size() rows into `out`; a row of NaN where a label is not live.
  void vectors(const std::vector<uint32_t>& labels, float* out) const;
  // For the JS thread, which must never wait: what `search` (exact over labels, every one kept,
  // in the given order) and `vectors` compute, when the shared lock is free at once; false when
  // a writer holds or waits for it (nothing written), and the caller goes to the pool instead.
  // `distances` gets one value per label (NaN where a label is not live). Throws if closed.
  bool tryDistances(const float* query, const uint32_t* labels, size_t n, float* distances) const;
  bool tryVectors(const uint32_t* labels, size_t n, float* out) const;
  void close();

 private:
  Hnsw& index() const;
  uint32_t liveId(uint32_t label) const;
  void copyVectors(const Hnsw& h, const uint32_t* labels, size_t n, float* out) const;
  void checkFinite(const float* vectors, size_t n, const uint32_t* labels, const char* op) const;
  void grow(size_t needed);
  void ensureLinkLocks();
  void publish();

  const size_t dims_;
  InnerProductKernelSpace space_;
  std::unique_ptr<Hnsw> index_;
  // Label -> slot for every slot's label, live or deleted. hnswlib's own label_lookup_ (an
  // unordered_map, ~40 bytes per creator) is left empty: only hnswlib functions the engine never
  // calls (addPoint, markDelete, getDataByLabel) read it.
  LabelMap labels_;
  mutable RwLock rw_;
  std::atomic<size_t> count_{0};
  std::atomic<size_t> deleted_{0};
  std::atomic<size_t> capacity_{0};
};

}  // namespace creator_match
