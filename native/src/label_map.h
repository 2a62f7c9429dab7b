// Label -> internal id table: open addressing with linear probing over 32-bit keys.
// A dense vector indexed by label would make one huge label (4e9) allocate 16 GB; this table's
// memory is proportional to the number of labels, and a lookup is one probe in the common case
// (exact searches over label lists do one per label). Not thread-safe: the engine mutates it only
// under its exclusive lock and reads it under its shared lock.
#pragma once

#include <cstdint>
#include <vector>

#include "hnsw.h"

namespace creator_match {

class LabelMap {
 public:
  size_t size() const { return size_; }

  // The internal id of `label`, or kNoLabel.
  uint32_t find(uint32_t label) const {
    if (slots_.empty()) return kNoLabel;
    for (size_t i = home(label);; i = next(i)) {
      const Slot& s = slots_[i];
      if (s.label == label) return s.id;
      if (s.label == kNoLabel) return kNoLabel;
    }
  }

  // Inserts or overwrites. `label` must not be kNoLabel.
  void assign(uint32_t label, uint32_t id) {
    reserve(size_ + 1);
    size_t i = home(label);
    while (slots_[i].label != kNoLabel && slots_[i].label != label) i = next(i);
    if (slots_[i].label == kNoLabel) size_++;
    slots_[i] = Slot{label, id};
  }

  void erase(uint32_t label) {
    if (slots_.empty()) return;
    size_t hole = home(label);
    while (slots_[hole].label != label) {
      if (slots_[hole].label == kNoLabel) return;
      hole = next(hole);
    }
    // Backward-shift deletion: pull later members of the probe run into the hole when their home
    // position does not lie cyclically in (hole, j].
    for (size_t j = next(hole); slots_[j].label != kNoLabel; j = next(j)) {
      size_t h = home(slots_[j].label);
      bool stays = hole < j ? (h > hole && h <= j) : (h > hole || h <= j);
      if (!stays) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    size_--;
  }

  // Makes room for `n` labels (load factor at most 1/2) so that `assign` does not rehash.
  void reserve(size_t n) {
    if (2 * n <= slots_.size()) return;
    size_t capacity = 16;
    unsigned bits = 4;
    while (capacity < 2 * n) {
      capacity *= 2;
      bits++;
    }
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    shift_ = 64 - bits;
    size_ = 0;
    for (const Slot& s : old) {
      if (s.label != kNoLabel) assign(s.label, s.id);
    }
  }

  void clear() {
    std::vector<Slot>().swap(slots_);
    size_ = 0;
  }

 private:
  struct Slot {
    uint32_t label = kNoLabel;
    uint32_t id = 0;
  };

  // Fibonacci hashing: spreads strided label patterns (multiples of powers of two) evenly.
  size_t home(uint32_t label) const { return static_cast<size_t>((label * 0x9E3779B97F4A7C15ull) >> shift_); }
  size_t next(size_t i) const { return (i + 1) & (slots_.size() - 1); }

  std::vector<Slot> slots_;
  size_t size_ = 0;
  unsigned shift_ = 60;
};

}  // namespace creator_match
