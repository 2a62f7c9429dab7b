// libFuzzer target for the index file reader and everything that runs on what it accepts:
//   clang++ -fsanitize=fuzzer,address,undefined ... (see run.sh)
// Each input is written to a memfd and loaded as an 8-dimensional index. A file that loads is
// searched in every mode, updated, saved to a second memfd and loaded again. Rejections
// (IndexFileError, UsageError) are fine; any other exception, a crash or a sanitizer report is
// a finding.
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine.h"

using namespace creator_match;

namespace {

constexpr size_t kDims = 8;

int memfdWith(const uint8_t* data, size_t size) {
  int fd = memfd_create("index", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  for (size_t done = 0; done < size;) {
    ssize_t w = write(fd, data + done, size - done);
    if (w <= 0) std::abort();
    done += static_cast<size_t>(w);
  }
  return fd;
}

std::string pathOf(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

void exercise(Engine& engine) {
  SearchRequest req;
  req.query.assign(kDims, 1.0f / std::sqrt(static_cast<float>(kDims)));
  req.k = 10;
  req.ef = 32;
  std::vector<Hit> hits;
  engine.search(req, hits);
  req.mode = SearchRequest::Mode::ExactScan;
  engine.search(req, hits);
  req.filtered = true;
  req.bitset.assign(4, 0x5a);
  engine.search(req, hits);
  req.mode = SearchRequest::Mode::Knn;
  engine.search(req, hits);
  req.filtered = false;
  req.mode = SearchRequest::Mode::ExactLabels;
  for (uint32_t l = 0; l < 20; l++) req.labels.push_back(l);
  engine.search(req, hits);
  std::vector<float> rows(req.labels.size() * kDims);
  engine.vectors(req.labels, rows.data());
  try {
    engine.markDelete({3});
  } catch (const UsageError&) {
  }
  engine.upsert(req.query.data(), 4);
  engine.upsert(req.query.data(), 1u << 30);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int input = memfdWith(data, size);
  try {
    Engine engine(kDims, true);
    engine.load(pathOf(input));
    exercise(engine);
    const int copy = memfdWith(nullptr, 0);
    engine.save(pathOf(copy));
    Engine again(kDims, true);
    again.load(pathOf(copy));
    if (again.count() != engine.count() || again.deleted() != engine.deleted()) std::abort();
    close(copy);
  } catch (const IndexFileError&) {
  } catch (const UsageError&) {
  }
  close(input);
  return 0;
}
