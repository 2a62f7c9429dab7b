// hnswlib's on-disk index format, read and written by our own code.
//
// hnswlib's loadIndex trusts the file (a bad link id or link-list size is an out-of-bounds access
// on the next search) and reads it with an unchecked ifstream; its saveIndex writes with an
// unchecked ofstream (a full disk or RLIMIT_FSIZE leaves a truncated file and reports success).
// These functions produce and accept byte-for-byte the same format (see the tests), but:
//   - loadIndexFile reads the file once, into the index's own buffers, through one descriptor
//     (nothing can change between validation and use), and validates every field against the
//     others and against the file's size before the index is used (see the list in the .cc);
//   - saveIndexFile writes with checked write(2) calls, fsyncs, drops the written pages from the
//     page cache and compares the file read back with the index, streaming.
// Both refuse anything that is not a regular file (FIFOs, devices, directories) without blocking.
#pragma once

#include <memory>
#include <string>

#include "hnsw.h"
#include "label_map.h"

namespace creator_match {

// hnswlib's fixed header: 6 size_t, an int, a tableint, 3 size_t, a double and a size_t.
constexpr size_t kHeaderBytes = 96;

struct LoadedIndex {
  std::unique_ptr<Hnsw> index;
  LabelMap labels;  // every label in the file (live or deleted) -> its internal id
};

// Throws IndexFileError with a message naming the file and the first inconsistency found.
// `space` must outlive the returned index (hnswlib keeps a pointer to its distance parameters).
LoadedIndex loadIndexFile(const std::string& path, size_t dims, hnswlib::SpaceInterface<float>& space);

// Throws IndexFileError; a partially written file is removed.
void saveIndexFile(const Hnsw& index, const std::string& path);

}  // namespace creator_match
