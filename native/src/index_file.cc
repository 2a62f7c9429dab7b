#include "index_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <vector>

namespace creator_match {
namespace {

constexpr size_t kIoBufferBytes = 1 << 20;
constexpr uint64_t kMaxSpareSlots = 65536;
constexpr uint64_t kMaxSpareBytes = 64 << 20;

std::string errnoMessage(int err) { return std::generic_category().message(err); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports close(2)'s result (NFS reports some write errors only here).
  int closeChecked() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd);
  }

 private:
  int fd_;
};

const char* fileKind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

// Opens with O_NONBLOCK so that a FIFO or a device cannot block the calling (pool) thread, then
// accepts only a regular file.
Fd openRegular(const std::string& path, int flags, struct stat& st, const std::string& what) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_NONBLOCK | O_CLOEXEC, 0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw IndexFileError(what + ": cannot open: " + errnoMessage(errno));
  Fd file(fd);
  if (::fstat(fd, &st) != 0) throw IndexFileError(what + ": fstat failed: " + errnoMessage(errno));
  if (!S_ISREG(st.st_mode)) throw IndexFileError(what + ": " + fileKind(st.st_mode) + ", not a regular file");
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return file;
}

// read(2) until `n` bytes or end of file; returns the bytes read.
size_t readFully(int fd, char* dst, size_t n, const std::string& what) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::read(fd, dst + done, std::min<size_t>(n - done, 1 << 30));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw IndexFileError(what + ": read failed: " + errnoMessage(errno));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

// Sequential, buffered reads of exactly the `size` bytes that fstat reported.
class Reader {
 public:
  Reader(int fd, uint64_t size, const std::string& what) : fd_(fd), size_(size), what_(what) {}
  uint64_t remaining() const { return size_ - pos_; }

  void read(void* out, size_t n) {
    if (n > remaining()) throw IndexFileError(what_ + ": unexpected end of file");
    pos_ += n;
    char* dst = static_cast<char*>(out);
    const size_t fromBuffer = std::min(n, buffered_.size() - next_);
    if (fromBuffer > 0) std::memcpy(dst, buffered_.data() + next_, fromBuffer);
    next_ += fromBuffer;
    dst += fromBuffer;
    n -= fromBuffer;
    if (n == 0) return;
    // The buffer is used up: large reads go straight to `out`, small ones refill it.
    if (n >= kIoBufferBytes) {
      fetch(dst, n);
      return;
    }
    buffered_.resize(std::min<uint64_t>(kIoBufferBytes, size_ - fetched_));
    fetch(buffered_.data(), buffered_.size());
    std::memcpy(dst, buffered_.data(), n);
    next_ = n;
  }

 private:
  void fetch(char* dst, size_t n) {
    if (readFully(fd_, dst, n, what_) != n) throw IndexFileError(what_ + ": the file shrank while it was read");
    fetched_ += n;
  }

  int fd_;
  uint64_t size_;
  uint64_t pos_ = 0;      // bytes handed out
  uint64_t fetched_ = 0;  // bytes read from the descriptor
  const std::string& what_;
  std::vector<char> buffered_;
  size_t next_ = 0;
};

// The fields of hnswlib's header, in file order.
struct Header {
  size_t offsetLevel0, maxElements, count, sizeDataPerElement, labelOffset, offsetData;
  int maxLevel;
  tableint enterpoint;
  size_t maxM, maxM0, M;
  double mult;
  size_t efConstruction;
};

Header parseHeader(const unsigned char* raw) {
  Header h;
  size_t at = 0;
  auto take = [&](auto& field) {
    std::memcpy(&field, raw + at, sizeof(field));
    at += sizeof(field);
  };
  take(h.offsetLevel0);
  take(h.maxElements);
  take(h.count);
  take(h.sizeDataPerElement);
  take(h.labelOffset);
  take(h.offsetData);
  take(h.maxLevel);
  take(h.enterpoint);
  take(h.maxM);
  take(h.maxM0);
  take(h.M);
  take(h.mult);
  take(h.efConstruction);
  return h;
}

std::string num(uint64_t v) { return std::to_string(v); }

std::string real(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", v);
  return text;
}

// Every header field against the others, against `dims` and against the file's size, before
// anything is allocated from them.
void checkHeader(const Header& h, size_t dims, uint64_t fileSize, const std::string& what) {
  auto fail = [&](const std::string& why) { return IndexFileError(what + ": " + why); };
  if (h.offsetLevel0 != 0) throw fail("offsetLevel0 is " + num(h.offsetLevel0) + ", hnswlib writes 0 (not an hnswlib index?)");
  if (h.M < kMinM || h.M > kMaxM) throw fail("M is " + num(h.M) + ", expected " + num(kMinM) + ".." + num(kMaxM));
  if (h.maxM != h.M || h.maxM0 != 2 * h.M) {
    throw fail("maxM " + num(h.maxM) + " and maxM0 " + num(h.maxM0) + " do not match M " + num(h.M) + " (hnswlib writes M and 2M)");
  }
  const size_t linkBytes0 = h.maxM0 * sizeof(tableint) + sizeof(hnswlib::linklistsizeint);
  if (h.offsetData != linkBytes0) throw fail("offsetData is " + num(h.offsetData) + ", expected " + num(linkBytes0) + " for M " + num(h.M));
  if (h.labelOffset <= h.offsetData || (h.labelOffset - h.offsetData) % sizeof(float) != 0) {
    throw fail("label_offset " + num(h.labelOffset) + " is inconsistent with offsetData " + num(h.offsetData));
  }
  const size_t fileDims = (h.labelOffset - h.offsetData) / sizeof(float);
  if (fileDims != dims) throw fail("the file holds " + num(fileDims) + "-dimensional vectors, this index has " + num(dims) + " dims");
  if (h.sizeDataPerElement != h.labelOffset + sizeof(labeltype)) {
    throw fail("size_data_per_element is " + num(h.sizeDataPerElement) + ", expected " + num(h.labelOffset + sizeof(labeltype)));
  }
  const double mult = 1.0 / std::log(static_cast<double>(h.M));
  if (!std::isfinite(h.mult) || std::fabs(h.mult - mult) > 1e-9 * mult) {
    throw fail("the level multiplier " + real(h.mult) + " is not 1/ln(M) for M " + num(h.M));
  }
  if (h.efConstruction < h.M || h.efConstruction > kMaxEfConstruction) {
    throw fail("ef_construction is " + num(h.efConstruction) + ", expected at least M " + num(h.M) + " and at most " + num(kMaxEfConstruction));
  }
  if (h.count > h.maxElements) throw fail("it holds " + num(h.count) + " elements, more than its capacity " + num(h.maxElements));
  // Each element takes its level-0 block and a 4-byte link-list size: this bounds the count by
  // the file's real size before any allocation uses it.
  const uint64_t perElement = h.sizeDataPerElement + sizeof(uint32_t);
  if (h.count > (fileSize - kHeaderBytes) / perElement) {
    throw fail("the header says " + num(h.count) + " elements of " + num(perElement) + "+ bytes, the file has only " + num(fileSize) +
               " bytes (truncated?)");
  }
  // We fit the capacity to the count before saving; older builders left some room (up to twice
  // the count). Beyond that, allow only a little spare room (in slots and in bytes) rather than
  // allocate for a number nothing in the file backs.
  const uint64_t spare = h.maxElements - h.count;
  const bool plausible = h.maxElements <= kMaxCapacity &&
                         (spare <= h.count || (spare <= kMaxSpareSlots && spare * h.sizeDataPerElement <= kMaxSpareBytes));
  if (!plausible) {
    throw fail("the header asks for capacity " + num(h.maxElements) + " for " + num(h.count) + " elements (implausible; refusing to allocate)");
  }
  if (h.count == 0) {
    if (h.enterpoint != static_cast<tableint>(-1) || h.maxLevel != -1) {
      throw fail("an empty index must have no entry point (hnswlib writes -1), found entry point " + num(h.enterpoint) + " at level " +
                 std::to_string(h.maxLevel));
    }
  } else {
    if (h.enterpoint >= h.count) throw fail("the entry point " + num(h.enterpoint) + " is beyond the " + num(h.count) + " elements");
    if (h.maxLevel < 0 || h.maxLevel > kMaxLevel) throw fail("the max level " + std::to_string(h.maxLevel) + " is not in 0.." + std::to_string(kMaxLevel));
  }
}

uint32_t listCount(const hnswlib::linklistsizeint* list) { return *list & 0xFFFF; }

// The graph and the data of every element, in memory, against the header: link counts within
// maxM0/maxM, link targets within the elements (and, on upper levels, at elements that have that
// level: searches follow them there), the entry point at the max level, 32-bit unique labels,
// finite vectors. Fills the label table and the deleted set.
void checkElements(Hnsw& index, const Header& h, size_t dims, LabelMap& labels, const std::string& what) {
  auto fail = [&](size_t id, const std::string& why) { return IndexFileError(what + ": element " + num(id) + " " + why); };
  const size_t count = h.count;
  labels.reserve(count);
  for (size_t id = 0; id < count; id++) {
    const hnswlib::linklistsizeint* ll0 = index.get_linklist0(static_cast<tableint>(id));
    const uint32_t flags = *ll0 >> 16;
    if (flags > Hnsw::DELETE_MARK) throw fail(id, "has unknown flags " + num(flags) + " in its level-0 list header");
    const uint32_t n0 = listCount(ll0);
    if (n0 > h.maxM0) throw fail(id, "has " + num(n0) + " level-0 links, more than maxM0 " + num(h.maxM0));
    for (uint32_t j = 0; j < n0; j++) {
      if (ll0[1 + j] >= count) throw fail(id, "links to element " + num(ll0[1 + j]) + " at level 0, beyond the " + num(count) + " elements");
    }
    const int level = index.element_levels_[id];
    for (int l = 1; l <= level; l++) {
      const hnswlib::linklistsizeint* ll = index.get_linklist(static_cast<tableint>(id), l);
      if ((*ll >> 16) != 0) throw fail(id, "has a malformed link-list header at level " + std::to_string(l));
      const uint32_t n = listCount(ll);
      if (n > h.maxM) throw fail(id, "has " + num(n) + " links at level " + std::to_string(l) + ", more than maxM " + num(h.maxM));
      for (uint32_t j = 0; j < n; j++) {
        const tableint to = ll[1 + j];
        if (to >= count || index.element_levels_[to] < l) {
          throw fail(id, "links to element " + num(to) + " at level " + std::to_string(l) + ", which has no such level");
        }
      }
    }
    const labeltype label = index.getExternalLabel(static_cast<tableint>(id));
    if (label > kMaxLabel) throw fail(id, "has label " + num(label) + ", beyond the largest label " + num(kMaxLabel));
    const uint32_t previous = labels.find(static_cast<uint32_t>(label));
    if (previous != kNoLabel) throw fail(id, "has label " + num(label) + ", already used by element " + num(previous));
    labels.assign(static_cast<uint32_t>(label), static_cast<uint32_t>(id));
    const float* v = reinterpret_cast<const float*>(index.getDataByInternalId(static_cast<tableint>(id)));
    for (size_t d = 0; d < dims; d++) {
      if (!std::isfinite(v[d])) throw fail(id, "(label " + num(label) + ") has a non-finite value at dimension " + num(d));
    }
    if (flags & Hnsw::DELETE_MARK) {
      index.num_deleted_++;
      index.deleted_elements.insert(static_cast<tableint>(id));
    }
  }
  if (count > 0 && index.element_levels_[h.enterpoint] != h.maxLevel) {
    throw fail(h.enterpoint, "is the entry point at level " + num(index.element_levels_[h.enterpoint]) + ", but the max level is " +
                                 std::to_string(h.maxLevel));
  }
}

// Sinks for `serialize`: one function defines the byte layout for sizing, writing and verifying.
class CountingSink {
 public:
  void put(const void*, size_t n) { bytes += n; }
  uint64_t bytes = 0;
};

class WriteSink {
 public:
  WriteSink(int fd, const std::string& what) : fd_(fd), what_(what) { buffer_.reserve(kIoBufferBytes); }
  void put(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    if (buffer_.size() + n > kIoBufferBytes) flush();
    if (n >= kIoBufferBytes) {
      writeAll(p, n);
    } else {
      buffer_.insert(buffer_.end(), p, p + n);
    }
  }
  void flush() {
    writeAll(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

 private:
  void writeAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, std::min<size_t>(n, 1 << 30));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        throw IndexFileError(what_ + ": write failed after " + num(written_) + " bytes: " + (w < 0 ? errnoMessage(errno) : "no progress"));
      }
      p += w;
      n -= static_cast<size_t>(w);
      written_ += static_cast<uint64_t>(w);
    }
  }

  int fd_;
  const std::string& what_;
  std::vector<char> buffer_;
  uint64_t written_ = 0;
};

class CompareSink {
 public:
  CompareSink(int fd, const std::string& what) : fd_(fd), what_(what), buffer_(kIoBufferBytes) {}
  void put(const void* data, size_t n) {
    const char* expected = static_cast<const char*>(data);
    while (n > 0) {
      size_t chunk = std::min(n, buffer_.size());
      if (readFully(fd_, buffer_.data(), chunk, what_) != chunk) {
        throw IndexFileError(what_ + ": the file read back ends at byte " + num(offset_) + " (disk full or file-size limit?)");
      }
      if (std::memcmp(buffer_.data(), expected, chunk) != 0) {
        size_t at = 0;
        while (buffer_[at] == expected[at]) at++;
        throw IndexFileError(what_ + ": the file read back differs from the index at byte " + num(offset_ + at));
      }
      expected += chunk;
      n -= chunk;
      offset_ += chunk;
    }
  }

 private:
  int fd_;
  const std::string& what_;
  std::vector<char> buffer_;
  uint64_t offset_ = 0;
};

template <class Sink, class T>
void putPod(Sink& out, const T& value) {
  out.put(&value, sizeof(value));
}

// hnswlib's saveIndex, field for field.
template <class Sink>
void serialize(const Hnsw& h, Sink& out) {
  const size_t count = h.cur_element_count.load();
  putPod(out, h.offsetLevel0_);
  putPod(out, h.max_elements_);
  putPod(out, count);
  putPod(out, h.size_data_per_element_);
  putPod(out, h.label_offset_);
  putPod(out, h.offsetData_);
  putPod(out, h.maxlevel_);
  putPod(out, h.enterpoint_node_);
  putPod(out, h.maxM_);
  putPod(out, h.maxM0_);
  putPod(out, h.M_);
  putPod(out, h.mult_);
  putPod(out, h.ef_construction_);
  out.put(h.data_level0_memory_, count * h.size_data_per_element_);
  for (size_t i = 0; i < count; i++) {
    const int level = h.element_levels_[i];
    const uint32_t bytes = level > 0 ? static_cast<uint32_t>(h.size_links_per_element_ * level) : 0;
    putPod(out, bytes);
    if (bytes) out.put(h.linkLists_[i], bytes);
  }
}

std::string parentDirectory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Makes the new directory entry durable (best effort: some file systems refuse to fsync a directory).
void syncDirectory(const std::string& path, const std::string& what) {
  int fd = ::open(parentDirectory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  Fd dir(fd);
  if (::fsync(fd) != 0 && errno == EIO) throw IndexFileError(what + ": fsync of the directory failed: " + errnoMessage(EIO));
}

bool sameFile(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

void removeIfSame(const std::string& path, const struct stat& written) {
  struct stat now;
  if (::stat(path.c_str(), &now) == 0 && sameFile(now, written)) ::unlink(path.c_str());
}

void verify(const Hnsw& h, const std::string& path, const struct stat& written, uint64_t expected, const std::string& what) {
  struct stat st;
  Fd file = openRegular(path, O_RDONLY, st, what + " (reading it back)");
  if (!sameFile(st, written)) throw IndexFileError(what + ": the file was replaced while it was written");
  if (static_cast<uint64_t>(st.st_size) != expected) {
    throw IndexFileError(what + ": the file is " + num(st.st_size) + " bytes after writing, expected " + num(expected) +
                         " (disk full or file-size limit?)");
  }
#ifdef POSIX_FADV_DONTNEED
  // The pages are clean after fsync: dropping them makes the read-back come from the storage.
  ::posix_fadvise(file.get(), 0, 0, POSIX_FADV_DONTNEED);
#endif
  CompareSink check(file.get(), what);
  serialize(h, check);
  char extra;
  if (readFully(file.get(), &extra, 1, what) != 0) throw IndexFileError(what + ": the file read back is longer than the index");
}

}  // namespace

LoadedIndex loadIndexFile(const std::string& path, size_t dims, hnswlib::SpaceInterface<float>& space) {
  const std::string what = "cannot load " + path;
  struct stat st;
  Fd file = openRegular(path, O_RDONLY, st, what);
  const uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  if (fileSize < kHeaderBytes) {
    throw IndexFileError(what + ": the file is " + num(fileSize) + " bytes, shorter than the " + num(kHeaderBytes) + "-byte hnswlib header");
  }
  Reader in(file.get(), fileSize, what);
  unsigned char raw[kHeaderBytes];
  in.read(raw, kHeaderBytes);
  const Header h = parseHeader(raw);
  checkHeader(h, dims, fileSize, what);

  LoadedIndex loaded;
  // The constructor allocates max_elements slots and sets M, maxM, maxM0, the sizes and offsets
  // (equal to the header's, checked above). hnswlib's loadIndex leaves both generators
  // default-seeded; so do we, so that inserts after a load draw the same levels as hnswlib-node.
  loaded.index = std::make_unique<Hnsw>(&space, std::max<size_t>(h.maxElements, 1), h.M, h.efConstruction, 100, true);
  Hnsw& index = *loaded.index;
  index.level_generator_.seed(std::default_random_engine::default_seed);
  index.update_probability_generator_.seed(std::default_random_engine::default_seed);
  index.mult_ = h.mult;
  index.revSize_ = 1.0 / h.mult;

  in.read(index.data_level0_memory_, h.count * h.sizeDataPerElement);
  const size_t linkBytes = index.size_links_per_element_;
  for (size_t id = 0; id < h.count; id++) {
    uint32_t bytes;
    if (in.remaining() < sizeof(bytes)) throw IndexFileError(what + ": the file ends before the link lists of element " + num(id) + " (truncated?)");
    in.read(&bytes, sizeof(bytes));
    if (bytes % linkBytes != 0) {
      throw IndexFileError(what + ": element " + num(id) + " has " + num(bytes) + " bytes of upper-level links, not a multiple of " + num(linkBytes));
    }
    const size_t level = bytes / linkBytes;
    if (level > static_cast<size_t>(h.maxLevel)) {
      throw IndexFileError(what + ": element " + num(id) + " has level " + num(level) + ", above the max level " + std::to_string(h.maxLevel));
    }
    if (bytes > in.remaining()) throw IndexFileError(what + ": the file ends inside the link lists of element " + num(id) + " (truncated?)");
    char* lists = level > 0 ? allocateUpperLinks(bytes) : nullptr;
    // Published before reading, so that the destructor frees it if anything below throws.
    index.linkLists_[id] = lists;
    index.element_levels_[id] = static_cast<int>(level);
    index.cur_element_count = id + 1;
    if (lists) in.read(lists, bytes);
  }
  if (in.remaining() != 0) {
    throw IndexFileError(what + ": " + num(in.remaining()) + " bytes follow the last link list (the file is longer than its header says)");
  }

  checkElements(index, h, dims, loaded.labels, what);
  index.enterpoint_node_ = h.count == 0 ? static_cast<tableint>(-1) : h.enterpoint;
  index.maxlevel_ = h.maxLevel;
  // No hnswlib label_lookup_ (loaded.labels is the label table) and no per-element link-list
  // locks until the first write (Engine::ensureLinkLocks): a served version that never changes
  // does not hold them.
  std::vector<std::mutex>().swap(index.link_list_locks_);
  return loaded;
}

void saveIndexFile(const Hnsw& index, const std::string& path) {
  const std::string what = "cannot save " + path;
  CountingSink size;
  serialize(index, size);
  struct stat st;
  Fd file = openRegular(path, O_WRONLY | O_CREAT, st, what);
  // From here on a failure removes the file: a partial index is never useful.
  try {
    if (::ftruncate(file.get(), 0) != 0) throw IndexFileError(what + ": truncate failed: " + errnoMessage(errno));
    WriteSink out(file.get(), what);
    serialize(index, out);
    out.flush();
    if (::fsync(file.get()) != 0) throw IndexFileError(what + ": fsync failed: " + errnoMessage(errno));
    if (file.closeChecked() != 0) throw IndexFileError(what + ": close failed: " + errnoMessage(errno));
    syncDirectory(path, what);
    verify(index, path, st, size.bytes, what);
  } catch (...) {
    removeIfSame(path, st);
    throw;
  }
}

}  // namespace creator_match
