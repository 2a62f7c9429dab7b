// ThreadSanitizer stress of the engine, without Node (run.sh builds it with -fsanitize=thread;
// node itself is not instrumented, so the engine is driven from plain threads here):
//   tsan_stress <seconds> <scratch dir>
// Readers search (every mode), copy vectors and try the non-waiting reads while writers insert on several threads, upsert,
// markDelete, resize and save + reload, all on one engine. TSan reports any data race the
// engine's lock or the parallel insert lets through; the program also fails on an unexpected
// exception or a wrong count.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine.h"

using namespace creator_match;

namespace {

constexpr size_t kDims = 16;
// A label no writer of the main engine uses: an insert into a reloaded copy.
constexpr uint32_t kCopyLabel = 4000000000u;

std::vector<float> unitVectors(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> gauss;
  std::vector<float> v(n * kDims);
  for (size_t i = 0; i < n; i++) {
    float s = 0;
    for (size_t d = 0; d < kDims; d++) s += (v[i * kDims + d] = gauss(rng)) * v[i * kDims + d];
    for (size_t d = 0; d < kDims; d++) v[i * kDims + d] /= std::sqrt(s);
  }
  return v;
}

std::atomic<bool> failed{false};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what);
    failed = true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  Engine engine(kDims, true);
  engine.create(CreateOptions{100, 8, 32, 1});
  std::atomic<uint32_t> nextLabel{0};
  {
    std::mt19937 rng(1);
    std::vector<float> v = unitVectors(rng, 2000);
    std::vector<uint32_t> labels(2000);
    std::iota(labels.begin(), labels.end(), 0);
    engine.insert(v.data(), labels.data(), labels.size(), 4);
    nextLabel = 2000;
  }
  std::atomic<bool> stop{false};
  std::atomic<long> operations{0};

  auto reader = [&](unsigned seed) {
    std::mt19937 rng(seed);
    while (!stop) {
      SearchRequest req;
      req.query = unitVectors(rng, 1);
      req.k = 1 + rng() % 20;
      req.ef = rng() % 80;
      switch (rng() % 4) {
        case 0: break;
        case 1: req.mode = SearchRequest::Mode::ExactScan; break;
        case 2:
          req.mode = SearchRequest::Mode::ExactLabels;
          for (int i = 0; i < 50; i++) req.labels.push_back(rng() % (nextLabel + 10));
          break;
        case 3:
          req.filtered = true;
          req.bitset.resize(300);
          for (auto& b : req.bitset) b = static_cast<uint8_t>(rng());
          break;
      }
      std::vector<Hit> hits;
      engine.search(req, hits);
      check(hits.size() <= req.k, "search returned more than k hits");
      std::vector<uint32_t> labels{static_cast<uint32_t>(rng() % (nextLabel + 5)), 0, 1};
      std::vector<float> out(labels.size() * kDims);
      engine.vectors(labels, out.data());
      // The JS thread's non-waiting reads (distancesNow / vectorsNow): either they get the lock at once or write nothing.
      std::vector<float> distances(labels.size());
      (void)engine.tryDistances(req.query.data(), labels.data(), labels.size(), distances.data());
      (void)engine.tryVectors(labels.data(), labels.size(), out.data());
      operations++;
    }
  };

  auto writer = [&](unsigned seed) {
    std::mt19937 rng(seed);
    const std::string file = dir + "/tsan-" + std::to_string(seed) + ".hnsw";
    while (!stop) {
      try {
        switch (rng() % 5) {
          case 0: {
            const size_t n = 1 + rng() % 50;
            const uint32_t first = nextLabel.fetch_add(static_cast<uint32_t>(n));
            std::vector<float> v = unitVectors(rng, n);
            std::vector<uint32_t> labels(n);
            std::iota(labels.begin(), labels.end(), first);
            engine.insert(v.data(), labels.data(), n, 1 + rng() % 3);
            break;
          }
          case 1: {
            std::vector<float> v = unitVectors(rng, 1);
            engine.upsert(v.data(), rng() % 2 ? static_cast<uint32_t>(rng() % nextLabel) : nextLabel.fetch_add(1));
            break;
          }
          case 2:
            engine.markDelete({static_cast<uint32_t>(rng() % nextLabel)});
            break;
          case 3:
            engine.resize(engine.count() + rng() % 100);
            break;
          case 4: {
            engine.save(file);
            Engine copy(kDims, true);
            copy.load(file);
            check(copy.count() > 0, "a reloaded copy is empty");
            SearchRequest req;
            req.query = unitVectors(rng, 1);
            req.k = 5;
            req.ef = 20;
            std::vector<Hit> hits;
            copy.search(req, hits);
            check(hits.size() == 5, "a reloaded copy does not answer");
            // A loaded index has no link-list locks until its first write brings them back.
            const std::vector<float> moved = unitVectors(rng, 1);
            copy.upsert(moved.data(), hits[0].second);
            copy.upsert(moved.data(), kCopyLabel);
            check(copy.count() > 0, "a reloaded copy lost its points on a write");
            copy.close();
            break;
          }
        }
      } catch (const UsageError&) {
        // deleting an already deleted label, or a resize below a count that grew meanwhile
      } catch (const std::exception& e) {
        std::fprintf(stderr, "FAIL: unexpected exception: %s\n", e.what());
        failed = true;
      }
      operations++;
    }
  };

  std::vector<std::thread> threads;
  for (unsigned i = 0; i < 3; i++) threads.emplace_back(reader, 10 + i);
  for (unsigned i = 0; i < 2; i++) threads.emplace_back(writer, 20 + i);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  check(engine.count() >= engine.deleted(), "more deleted points than slots");
  engine.close();
  check(engine.count() == 0 && engine.capacity() == 0, "close left a graph behind");
  std::printf("tsan stress: %ld operations, %s\n", operations.load(), failed ? "FAILED" : "ok");
  return failed ? 1 : 0;
}
