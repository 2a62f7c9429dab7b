// Types, limits and error classes shared by the engine (engine.h), the file reader/writer
// (index_file.h) and the N-API layer (hnsw_native.cc). Nothing here depends on Node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <limits>
#include <stdexcept>
#include <string>

#include "hnswlib.h"

namespace creator_match {

using Hnsw = hnswlib::HierarchicalNSW<float>;
using tableint = hnswlib::tableint;
using labeltype = hnswlib::labeltype;

// Labels are 32-bit; this value marks an empty slot in the label table and is not a valid label.
constexpr uint32_t kNoLabel = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kMaxLabel = kNoLabel - 1;
// hnswlib's VisitedListPool sizes its arrays with an int: capacity must fit in one.
constexpr size_t kMaxCapacity = static_cast<size_t>(std::numeric_limits<int>::max());
constexpr size_t kMaxDims = 65536;
constexpr size_t kMinM = 2;  // M = 1 makes hnswlib's level multiplier 1/log(1) infinite
constexpr size_t kMaxM = 10000;  // hnswlib caps M here (and link counts are 16-bit)
constexpr size_t kMaxEfConstruction = std::numeric_limits<uint32_t>::max();
// hnswlib draws levels as (int)(-log(u) / log(M)) with u >= 2^-62 (two 31-bit draws): at most 62.
constexpr int kMaxLevel = 64;

// A block of `bytes` of upper-level link lists, zeroed, plus one zeroed tableint: hnswlib's
// searchBaseLayer prefetches links[j + 1] for the last link j, one slot past a full list, and the
// last level's list ends its block (hnswlib's own addPoint pads with 1 byte, too few for a read
// of 4: AddressSanitizer reports it). The padding is never saved.
inline char* allocateUpperLinks(size_t bytes) {
  char* block = static_cast<char*>(std::calloc(1, bytes + sizeof(tableint)));
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

// A caller's mistake (bad label, capacity below count...): a RangeError in JS.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file that is not a valid index for this object, or an I/O failure: an Error in JS.
class IndexFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace creator_match
