#include "engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <queue>
#include <shared_mutex>
#include <system_error>
#include <thread>

#include "index_file.h"

namespace creator_match {
namespace {

std::string num(uint64_t v) { return std::to_string(v); }

struct Bitset : hnswlib::BaseFilterFunctor {
  explicit Bitset(const std::vector<uint8_t>& b) : bits(b.data()), nbits(b.size() * 8) {}
  bool operator()(labeltype label) override { return label < nbits && ((bits[label >> 3] >> (label & 7)) & 1) != 0; }
  const uint8_t* bits;
  size_t nbits;
};

// Keeps the k smallest (distance, label) pairs (a max-heap), then returns them ascending.
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

class VisitedScope {
 public:
  explicit VisitedScope(const Hnsw& h) : pool_(*h.visited_list_pool_), list_(pool_.getFreeVisitedList()) {}
  ~VisitedScope() { pool_.releaseVisitedList(list_); }
  VisitedScope(const VisitedScope&) = delete;
  VisitedScope& operator=(const VisitedScope&) = delete;
  // True the first time it is called for `id` in this scope.
  bool firstVisit(tableint id) {
    if (list_->mass[id] == list_->curV) return false;
    list_->mass[id] = list_->curV;
    return true;
  }

 private:
  hnswlib::VisitedListPool& pool_;
  hnswlib::VisitedList* list_;
};

float distanceTo(const Hnsw& h, const float* q, tableint id) { return h.fstdistfunc_(q, h.getDataByInternalId(id), h.dist_func_param_); }

// Calls f(i, ids[i]) for each i in order, with the rows of the next ids prefetched: rows scattered
// over the level-0 block cost mostly the wait for memory, which the prefetches overlap
// (`npm run bench:native`: exact scores over scattered labels ~1.4x faster). kNoLabel ids are passed on.
template <typename F>
void forRows(const Hnsw& h, const std::vector<uint32_t>& ids, F f) {
  constexpr size_t kAhead = 4;
  const size_t n = ids.size();
  const size_t rowBytes = h.data_size_;
  const auto prefetch = [&](size_t i) {
    if (i >= n || ids[i] == kNoLabel) return;
    const char* row = h.getDataByInternalId(ids[i]);
    for (size_t b = 0; b < rowBytes; b += 64) __builtin_prefetch(row + b);
  };
  for (size_t i = 0; i < kAhead; i++) prefetch(i);
  for (size_t i = 0; i < n; i++) {
    prefetch(i + kAhead);
    f(i, ids[i]);
  }
}

// hnswlib's searchKnn with ef as an argument (no shared setEf state) and without metric counters.
void knn(const Hnsw& h, const float* q, size_t k, size_t ef, hnswlib::BaseFilterFunctor* filter, std::vector<Hit>& out) {
  out.clear();
  if (h.cur_element_count == 0 || k == 0) return;
  tableint cur = h.enterpoint_node_;
  float curDist = distanceTo(h, q, cur);
  for (int level = h.maxlevel_; level > 0; level--) {
    bool changed = true;
    while (changed) {
      changed = false;
      const unsigned int* data = h.get_linklist(cur, level);
      const int size = h.getListCount(const_cast<unsigned int*>(data));
      const tableint* links = reinterpret_cast<const tableint*>(data + 1);
      for (int i = 0; i < size; i++) {
        float d = distanceTo(h, q, links[i]);
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
    out[i] = Hit(top.top().first, static_cast<uint32_t>(h.getExternalLabel(top.top().second)));
    top.pop();
  }
}

// hnswlib's addPoint(data, label, level) for a label known to be new, with two changes:
//   - the level is drawn by the caller: hnswlib draws it inside addPoint from one generator that
//     concurrent inserts share without a lock (a data race; the engine draws all levels first,
//     in input order, so that one thread gives exactly hnswlib's sequence);
//   - the entry point is read while `global` is held (hnswlib reads it after unlocking);
//   - the upper-level link block is allocated before the slot is taken (a failed malloc leaves
//     no half-made element behind), with the padding allocateUpperLinks explains.
// Otherwise it is hnswlib's code step for step: with one thread it builds the same graph as
// hnswlib-node's addPoint, byte for byte in the saved file (tested).
tableint insertNew(Hnsw& h, const float* point, labeltype label, int level) {
  char* upperLinks = level > 0 ? allocateUpperLinks(h.size_links_per_element_ * level) : nullptr;
  tableint id;
  {
    // label_lookup_lock guards the slot counter here; hnswlib's label_lookup_ map itself stays
    // empty (the engine's LabelMap is the one label table, see engine.h).
    std::unique_lock<std::mutex> table(h.label_lookup_lock);
    if (h.cur_element_count >= h.max_elements_) {
      std::free(upperLinks);
      throw std::runtime_error("The number of elements exceeds the specified limit");
    }
    id = static_cast<tableint>(h.cur_element_count);
    h.cur_element_count++;
  }
  std::unique_lock<std::mutex> elementLock(h.link_list_locks_[id]);
  h.element_levels_[id] = level;
  h.linkLists_[id] = upperLinks;

  std::unique_lock<std::mutex> globalLock(h.global);
  const int maxLevel = h.maxlevel_;
  const tableint entry = h.enterpoint_node_;
  if (level <= maxLevel) globalLock.unlock();

  std::memset(h.data_level0_memory_ + id * h.size_data_per_element_ + h.offsetLevel0_, 0, h.size_data_per_element_);
  std::memcpy(h.getExternalLabeLp(id), &label, sizeof(labeltype));
  std::memcpy(h.getDataByInternalId(id), point, h.data_size_);

  if (static_cast<int>(entry) != -1) {
    tableint cur = entry;
    if (level < maxLevel) {
      float curDist = distanceTo(h, point, cur);
      for (int l = maxLevel; l > level; l--) {
        bool changed = true;
        while (changed) {
          changed = false;
          std::unique_lock<std::mutex> lock(h.link_list_locks_[cur]);
          unsigned int* data = h.get_linklist(cur, l);
          const int size = h.getListCount(data);
          const tableint* links = reinterpret_cast<const tableint*>(data + 1);
          for (int i = 0; i < size; i++) {
            float d = distanceTo(h, point, links[i]);
            if (d < curDist) {
              curDist = d;
              cur = links[i];
              changed = true;
            }
          }
        }
      }
    }
    const bool entryDeleted = h.isMarkedDeleted(entry);
    for (int l = std::min(level, maxLevel); l >= 0; l--) {
      auto candidates = h.searchBaseLayer(cur, point, l);
      if (entryDeleted) {
        candidates.emplace(distanceTo(h, point, entry), entry);
        if (candidates.size() > h.ef_construction_) candidates.pop();
      }
      cur = h.mutuallyConnectNewElement(point, id, candidates, l, false);
    }
  } else {
    h.enterpoint_node_ = 0;
    h.maxlevel_ = level;
  }
  if (level > maxLevel) {
    h.enterpoint_node_ = id;
    h.maxlevel_ = level;
  }
  return id;
}

std::vector<uint32_t> sortedUnique(const uint32_t* labels, size_t n, const char* op) {
  std::vector<uint32_t> sorted(labels, labels + n);
  std::sort(sorted.begin(), sorted.end());
  auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) throw UsageError(std::string(op) + ": label " + num(*dup) + " appears more than once");
  return sorted;
}

}  // namespace

Engine::Engine(size_t dims, bool simd) : dims_(dims), space_(dims, simd) {}

Hnsw& Engine::index() const {
  if (!index_) throw std::runtime_error("index is closed");
  return *index_;
}

uint32_t Engine::liveId(uint32_t label) const {
  uint32_t id = labels_.find(label);
  return id != kNoLabel && !index_->isMarkedDeleted(id) ? id : kNoLabel;
}

void Engine::publish() {
  count_.store(index_ ? index_->cur_element_count.load() : 0, std::memory_order_relaxed);
  deleted_.store(index_ ? index_->num_deleted_.load() : 0, std::memory_order_relaxed);
  capacity_.store(index_ ? index_->max_elements_ : 0, std::memory_order_relaxed);
}

void Engine::checkFinite(const float* vectors, size_t n, const uint32_t* labels, const char* op) const {
  for (size_t i = 0; i < n; i++) {
    const float* row = vectors + i * dims_;
    for (size_t d = 0; d < dims_; d++) {
      if (!std::isfinite(row[d])) {
        throw UsageError(std::string(op) + ": the vector of label " + num(labels[i]) + " has a non-finite value at dimension " + num(d));
      }
    }
  }
}

// Grows the capacity to hold `needed` slots, by at least half (amortised appends).
void Engine::grow(size_t needed) {
  Hnsw& h = *index_;
  if (needed <= h.max_elements_) return;
  if (needed > kMaxCapacity) throw UsageError("the index would need " + num(needed) + " slots, more than hnswlib's " + num(kMaxCapacity));
  h.resizeIndex(std::min(kMaxCapacity, std::max(needed, h.max_elements_ + h.max_elements_ / 2 + 16)));
}

// hnswlib's per-element link-list locks (a std::mutex, 40 bytes, per slot) serialise concurrent
// inserts and updates; searches never take them. A loaded index has none (loadIndexFile frees
// them: a served version that never changes saves 40 bytes per creator); the first write
// allocates them again, under the exclusive lock, so no search or insert is running.
void Engine::ensureLinkLocks() {
  Hnsw& h = *index_;
  if (h.link_list_locks_.size() < h.max_elements_) std::vector<std::mutex>(h.max_elements_).swap(h.link_list_locks_);
}

void Engine::create(const CreateOptions& opts) {
  std::unique_lock<RwLock> lock(rw_);
  if (index_) throw std::runtime_error("the index already exists");
  index_ = std::make_unique<Hnsw>(&space_, opts.capacity, opts.m, opts.efConstruction, opts.seed, true);
  publish();
}

void Engine::load(const std::string& path) {
  LoadedIndex loaded = loadIndexFile(path, dims_, space_);
  std::unique_lock<RwLock> lock(rw_);
  if (index_) throw std::runtime_error("the index already exists");
  index_ = std::move(loaded.index);
  labels_ = std::move(loaded.labels);
  publish();
}

void Engine::insert(const float* vectors, const uint32_t* labels, size_t n, size_t threads) {
  checkFinite(vectors, n, labels, "insert");
  sortedUnique(labels, n, "insert");
  std::unique_lock<RwLock> lock(rw_);
  Hnsw& h = index();
  for (size_t i = 0; i < n; i++) {
    uint32_t id = labels_.find(labels[i]);
    if (id != kNoLabel) {
      throw UsageError("insert: label " + num(labels[i]) + " is already in the index" +
                       (h.isMarkedDeleted(id) ? " (deleted: upsert reuses it)" : " (upsert replaces it)"));
    }
  }
  // Everything that can fail for lack of memory happens before the first point goes in.
  grow(h.cur_element_count + n);
  ensureLinkLocks();
  labels_.reserve(labels_.size() + n);
  std::vector<int> levels(n);
  for (size_t i = 0; i < n; i++) levels[i] = h.getRandomLevel(h.mult_);
  std::vector<uint32_t> ids(n, kNoLabel);

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex errorLock;
  std::exception_ptr error;
  auto work = [&]() {
    try {
      for (size_t i; !failed.load() && (i = next.fetch_add(1)) < n;) ids[i] = insertNew(h, vectors + i * dims_, labels[i], levels[i]);
    } catch (...) {
      std::lock_guard<std::mutex> guard(errorLock);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> helpers;
  const size_t extra = n == 0 ? 0 : std::min(threads, n) - 1;
  for (size_t t = 0; t < extra; t++) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads available: the ones we have do the work
    }
  }
  work();
  for (std::thread& t : helpers) t.join();
  for (size_t i = 0; i < n; i++) {
    if (ids[i] != kNoLabel) labels_.assign(labels[i], ids[i]);
  }
  publish();
  if (error) std::rethrow_exception(error);
}

void Engine::upsert(const float* vector, uint32_t label) {
  checkFinite(vector, 1, &label, "upsert");
  std::unique_lock<RwLock> lock(rw_);
  Hnsw& h = index();
  const uint32_t existing = labels_.find(label);
  if (existing != kNoLabel) {
    // hnswlib's addPoint on a known label: revive it if deleted, then move it.
    ensureLinkLocks();
    if (h.isMarkedDeleted(existing)) h.unmarkDeletedInternal(existing);
    h.updatePoint(vector, existing, 1.0);
  } else if (!h.deleted_elements.empty()) {
    // hnswlib's addPoint(replace_deleted = true) reusing a deleted slot, with our table in step.
    // (hnswlib does not check that the label is new; doing this for a known label would leave
    // two slots with one label.)
    const tableint id = *h.deleted_elements.begin();
    const labeltype replaced = h.getExternalLabel(id);
    labels_.reserve(labels_.size() + 1);
    ensureLinkLocks();
    h.setExternalLabel(id, label);
    labels_.erase(static_cast<uint32_t>(replaced));
    labels_.assign(label, id);
    h.unmarkDeletedInternal(id);
    h.updatePoint(vector, id, 1.0);
  } else {
    grow(h.cur_element_count + 1);
    ensureLinkLocks();
    labels_.reserve(labels_.size() + 1);
    labels_.assign(label, insertNew(h, vector, label, h.getRandomLevel(h.mult_)));
  }
  publish();
}

void Engine::markDelete(const std::vector<uint32_t>& labels) {
  sortedUnique(labels.data(), labels.size(), "markDelete");
  std::unique_lock<RwLock> lock(rw_);
  Hnsw& h = index();
  std::vector<tableint> ids(labels.size());
  for (size_t i = 0; i < labels.size(); i++) {
    const uint32_t id = labels_.find(labels[i]);
    if (id == kNoLabel) throw UsageError("markDelete: label " + num(labels[i]) + " is not in the index");
    if (h.isMarkedDeleted(id)) throw UsageError("markDelete: label " + num(labels[i]) + " is already deleted");
    ids[i] = id;
  }
  h.deleted_elements.reserve(h.deleted_elements.size() + ids.size());
  for (tableint id : ids) h.markDeletedInternal(id);
  publish();
}

void Engine::resize(size_t capacity) {
  std::unique_lock<RwLock> lock(rw_);
  Hnsw& h = index();
  if (capacity < h.cur_element_count) {
    throw UsageError("resize: capacity " + num(capacity) + " is below the " + num(h.cur_element_count) + " slots in use");
  }
  if (capacity != h.max_elements_) h.resizeIndex(capacity);
  publish();
}

void Engine::save(const std::string& path) const {
  std::shared_lock<RwLock> lock(rw_);
  saveIndexFile(index(), path);
}

void Engine::search(const SearchRequest& req, std::vector<Hit>& out) const {
  std::shared_lock<RwLock> lock(rw_);
  const Hnsw& h = index();
  const float* q = req.query.data();
  Bitset bitset(req.bitset);
  hnswlib::BaseFilterFunctor* filter = req.filtered ? &bitset : nullptr;
  switch (req.mode) {
    case SearchRequest::Mode::Knn:
      knn(h, q, req.k, req.ef, filter, out);
      break;
    case SearchRequest::Mode::ExactLabels: {
      // Exact top-k over the given labels; absent, deleted and repeated labels are skipped.
      TopK top(req.k);
      VisitedScope seen(h);
      std::vector<uint32_t> ids;
      std::vector<uint32_t> kept;
      ids.reserve(req.labels.size());
      kept.reserve(req.labels.size());
      for (uint32_t label : req.labels) {
        const uint32_t id = labels_.find(label);
        if (id == kNoLabel || !seen.firstVisit(id) || h.isMarkedDeleted(id)) continue;
        ids.push_back(id);
        kept.push_back(label);
      }
      forRows(h, ids, [&](size_t i, uint32_t id) { top.push(distanceTo(h, q, id), kept[i]); });
      top.drain(out);
      break;
    }
    case SearchRequest::Mode::ExactScan: {
      // Exact top-k over every live point that the bitset (if any) allows.
      TopK top(req.k);
      const size_t n = h.cur_element_count;
      for (tableint id = 0; id < n; id++) {
        if (h.isMarkedDeleted(id)) continue;
        const labeltype label = h.getExternalLabel(id);
        if (filter != nullptr && !(*filter)(label)) continue;
        top.push(distanceTo(h, q, id), static_cast<uint32_t>(label));
      }
      top.drain(out);
      break;
    }
  }
}

void Engine::vectors(const std::vector<uint32_t>& labels, float* out) const {
  std::shared_lock<RwLock> lock(rw_);
  copyVectors(index(), labels.data(), labels.size(), out);
}

void Engine::copyVectors(const Hnsw& h, const uint32_t* labels, size_t n, float* out) const {
  for (size_t i = 0; i < n; i++) {
    float* row = out + i * dims_;
    const uint32_t id = liveId(labels[i]);
    if (id == kNoLabel) {
      std::fill(row, row + dims_, std::numeric_limits<float>::quiet_NaN());
    } else {
      std::memcpy(row, h.getDataByInternalId(id), dims_ * sizeof(float));
    }
  }
}

bool Engine::tryDistances(const float* query, const uint32_t* labels, size_t n, float* distances) const {
  std::shared_lock<RwLock> lock(rw_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  const Hnsw& h = index();
  std::vector<uint32_t> ids(n);
  for (size_t i = 0; i < n; i++) ids[i] = liveId(labels[i]);
  forRows(h, ids, [&](size_t i, uint32_t id) { distances[i] = id == kNoLabel ? std::numeric_limits<float>::quiet_NaN() : distanceTo(h, query, id); });
  return true;
}

bool Engine::tryVectors(const uint32_t* labels, size_t n, float* out) const {
  std::shared_lock<RwLock> lock(rw_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  copyVectors(index(), labels, n, out);
  return true;
}

void Engine::close() {
  std::unique_lock<RwLock> lock(rw_);
  index_.reset();
  labels_.clear();
  publish();
}

}  // namespace creator_match
