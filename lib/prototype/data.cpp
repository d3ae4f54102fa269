// Datasets without libtorch: IDX (MNIST format), CIFAR-10 binary batches, synthetic patterns,
// seeded splits and channel statistics.
#include "rlab/error.h"
#include "rlab/prototype.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rlab::prototype {

namespace {

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

std::uint64_t splitmix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string gunzip_if_needed(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1f ||
      static_cast<unsigned char>(bytes[1]) != 0x8b) {
    return bytes;
  }
  std::string out;
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw InputError(name + ": cannot start zlib");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  std::string buf(1 << 20, '\0');
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // another gzip member follows
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      throw InputError(name + ": truncated gzip data (after " + std::to_string(out.size()) +
                       " bytes inflated)");
    }
    const std::string why = zs.msg != nullptr ? zs.msg : "error " + std::to_string(rc);
    inflateEnd(&zs);
    throw InputError(name + ": corrupt gzip data: " + why);
  }
  inflateEnd(&zs);
  return out;
}

Images parse_idx(const std::string& images_in, const std::string& images_name,
                 const std::string& labels_in, const std::string& labels_name) {
  const std::string img = gunzip_if_needed(images_in, images_name);
  if (img.size() < 16) {
    throw InputError(images_name + ": too short for an IDX image header (" +
                     std::to_string(img.size()) + " bytes, need 16)");
  }
  const std::uint32_t magic = be32(img, 0);
  if (magic != 0x00000803U) {
    throw InputError(images_name + ": not an IDX image file (magic " + hex32(magic) +
                     ", expected 0x00000803: unsigned bytes, 3 dimensions)");
  }
  const std::uint64_t n = be32(img, 4);
  const std::uint64_t rows = be32(img, 8);
  const std::uint64_t cols = be32(img, 12);
  if (rows == 0 || cols == 0 || rows > 65536 || cols > 65536) {
    throw InputError(images_name + ": image size " + std::to_string(rows) + "x" +
                     std::to_string(cols) + " is not plausible");
  }
  const std::uint64_t need = n * rows * cols;
  const std::uint64_t have = img.size() - 16;
  if (have < need) {
    throw InputError(images_name + ": truncated: the header says " + std::to_string(n) +
                     " images of " + std::to_string(rows) + "x" + std::to_string(cols) + " (" +
                     std::to_string(need) + " bytes), the file holds " + std::to_string(have));
  }
  if (have > need) {
    throw InputError(images_name + ": " + std::to_string(have - need) + " bytes after the " +
                     std::to_string(n) + " images the header announces");
  }
  Images r;
  r.channels = 1;
  r.height = static_cast<int>(rows);
  r.width = static_cast<int>(cols);
  r.pixels.assign(img.begin() + 16, img.end());
  if (labels_in.empty()) return r;
  const std::string lab = gunzip_if_needed(labels_in, labels_name);
  if (lab.size() < 8) {
    throw InputError(labels_name + ": too short for an IDX label header (" +
                     std::to_string(lab.size()) + " bytes, need 8)");
  }
  const std::uint32_t lmagic = be32(lab, 0);
  if (lmagic != 0x00000801U) {
    throw InputError(labels_name + ": not an IDX label file (magic " + hex32(lmagic) +
                     ", expected 0x00000801: unsigned bytes, 1 dimension)");
  }
  const std::uint64_t ln = be32(lab, 4);
  if (lab.size() - 8 != ln) {
    throw InputError(labels_name + ": " + (lab.size() - 8 < ln ? "truncated: " : "") +
                     "the header says " + std::to_string(ln) + " labels, the file holds " +
                     std::to_string(lab.size() - 8));
  }
  if (ln != n) {
    throw InputError(labels_name + ": " + std::to_string(ln) + " labels for " + std::to_string(n) +
                     " images in " + images_name);
  }
  r.labels.resize(ln);
  int max_label = -1;
  for (std::uint64_t i = 0; i < ln; ++i) {
    r.labels[i] = static_cast<unsigned char>(lab[8 + i]);
    max_label = std::max(max_label, r.labels[i]);
  }
  r.classes = max_label + 1;
  return r;
}

Images parse_cifar10(const std::vector<std::pair<std::string, std::string>>& files) {
  constexpr std::size_t kRecord = 1 + 3 * 32 * 32;
  Images r;
  r.channels = 3;
  r.height = 32;
  r.width = 32;
  r.classes = 10;
  for (const auto& [name, bytes] : files) {
    if (bytes.empty()) throw InputError(name + ": empty file, expected CIFAR-10 records");
    if (bytes.size() % kRecord != 0) {
      throw InputError(name + ": truncated: " + std::to_string(bytes.size()) +
                       " bytes is not a whole number of 3073-byte CIFAR-10 records (" +
                       std::to_string(bytes.size() / kRecord) + " records and " +
                       std::to_string(bytes.size() % kRecord) + " bytes)");
    }
    const std::size_t n = bytes.size() / kRecord;
    for (std::size_t i = 0; i < n; ++i) {
      const auto label = static_cast<unsigned char>(bytes[i * kRecord]);
      if (label > 9) {
        throw InputError(name + ": record " + std::to_string(i) + " has label " +
                         std::to_string(label) + ", expected 0-9 (not a CIFAR-10 batch?)");
      }
      r.labels.push_back(label);
      r.pixels.insert(r.pixels.end(), bytes.begin() + static_cast<long>(i * kRecord + 1),
                      bytes.begin() + static_cast<long>((i + 1) * kRecord));
    }
  }
  return r;
}

Images synthetic(const SyntheticSpec& spec) {
  Images r;
  r.channels = spec.channels;
  r.height = spec.size;
  r.width = spec.size;
  r.classes = spec.classes;
  const long long per = r.image_size();
  r.pixels.resize(static_cast<std::size_t>(spec.samples * per));
  r.labels.resize(static_cast<std::size_t>(spec.samples));
  std::uint64_t x = spec.seed ^ 0x5EED5EED5EED5EEDULL;
  const int square = std::max(2, spec.size / 4);
  // Class k places its square at cell k of a grid over the image.
  const int grid = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(spec.classes))));
  const int cell = grid > 1 ? (spec.size - square) / (grid - 1) : 0;
  for (long long i = 0; i < spec.samples; ++i) {
    const int label = static_cast<int>(splitmix(x) % static_cast<std::uint64_t>(spec.classes));
    r.labels[static_cast<std::size_t>(i)] = label;
    const int top = std::min(spec.size - square, (label / grid) * cell);
    const int left = std::min(spec.size - square, (label % grid) * cell);
    std::uint8_t* img = r.pixels.data() + i * per;
    for (int c = 0; c < spec.channels; ++c) {
      for (int yy = 0; yy < spec.size; ++yy) {
        for (int xx = 0; xx < spec.size; ++xx) {
          const bool on = yy >= top && yy < top + square && xx >= left && xx < left + square;
          const int noise = static_cast<int>(splitmix(x) % 64);
          img[(c * spec.size + yy) * spec.size + xx] =
              static_cast<std::uint8_t>(on ? 191 + noise : noise);
        }
      }
    }
  }
  return r;
}

Images subset(const Images& from, const std::vector<long long>& index) {
  Images r;
  r.channels = from.channels;
  r.height = from.height;
  r.width = from.width;
  r.classes = from.classes;
  const long long per = from.image_size();
  r.pixels.resize(index.size() * static_cast<std::size_t>(per));
  for (std::size_t k = 0; k < index.size(); ++k) {
    std::copy_n(from.pixels.begin() + index[k] * per, per,
                r.pixels.begin() + static_cast<long>(k) * per);
  }
  if (!from.labels.empty()) {
    r.labels.resize(index.size());
    for (std::size_t k = 0; k < index.size(); ++k)
      r.labels[k] = from.labels[static_cast<std::size_t>(index[k])];
  }
  return r;
}

Split split_indices(long long n, double validation_fraction, std::uint64_t seed) {
  std::vector<long long> p(static_cast<std::size_t>(n));
  for (long long i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  std::uint64_t x = seed;
  for (long long i = n - 1; i > 0; --i) {
    const auto j = static_cast<long long>(splitmix(x) % static_cast<std::uint64_t>(i + 1));
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  const auto nv =
      static_cast<long long>(std::llround(static_cast<double>(n) * validation_fraction));
  Split s;
  s.validation.assign(p.begin(), p.begin() + nv);
  s.train.assign(p.begin() + nv, p.end());
  std::sort(s.validation.begin(), s.validation.end());
  std::sort(s.train.begin(), s.train.end());
  return s;
}

void channel_stats(const Images& images, std::vector<double>& mean, std::vector<double>& stddev) {
  mean.assign(static_cast<std::size_t>(images.channels), 0.0);
  stddev.assign(static_cast<std::size_t>(images.channels), 1.0);
  const long long n = images.count();
  const long long plane = static_cast<long long>(images.height) * images.width;
  if (n == 0 || plane == 0) return;
  for (int c = 0; c < images.channels; ++c) {
    double sum = 0;
    double sq = 0;
    for (long long i = 0; i < n; ++i) {
      const std::uint8_t* p = images.pixels.data() + (i * images.channels + c) * plane;
      for (long long k = 0; k < plane; ++k) {
        const double v = p[k] / 255.0;
        sum += v;
        sq += v * v;
      }
    }
    const double count = static_cast<double>(n * plane);
    const double m = sum / count;
    const double var = std::max(0.0, sq / count - m * m);
    mean[static_cast<std::size_t>(c)] = m;
    stddev[static_cast<std::size_t>(c)] = var > 0 ? std::sqrt(var) : 1.0;
  }
}

}  // namespace rlab::prototype
