// libFuzzer target: prototype's dataset readers (IDX images + labels, CIFAR-10 batches, gzip),
// which need no libtorch. The first byte picks the reader; for IDX the rest is split at the
// first "\n--\n" into the image file and the label file.
#include "rlab/prototype.h"

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return rlab::fuzz::read_picked(data, size, [](uint8_t pick, const std::string& t) {
    switch (pick % 3) {
      case 0: {
        const auto cut = t.find("\n--\n");
        const std::string images = t.substr(0, cut);
        const std::string labels = cut == std::string::npos ? "" : t.substr(cut + 4);
        (void)rlab::prototype::parse_idx(images, "images.idx", labels,
                                         labels.empty() ? "" : "labels.idx");
        break;
      }
      case 1:
        (void)rlab::prototype::parse_cifar10({{"data_batch_1.bin", t}});
        break;
      default:
        (void)rlab::prototype::gunzip_if_needed(t, "file.gz");
    }
  });
}
