// Large allocations on transparent huge pages (see rlab/huge_pages.h).
#include "rlab/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace rlab {

namespace {

constexpr std::size_t kHuge = std::size_t{2} << 20;  // 2 MiB, x86-64 and arm64 THP size
constexpr std::size_t kThreshold = std::size_t{4} << 20;

std::size_t mapped_size(std::size_t bytes) { return (bytes + kHuge - 1) / kHuge * kHuge; }

}  // namespace

void* huge_allocate(std::size_t bytes) {
  if (bytes < kThreshold) return ::operator new(bytes);
  const std::size_t size = mapped_size(bytes);
  // Map one huge page more than needed and trim both ends, so the block starts on a 2 MiB
  // boundary (older kernels do not align anonymous mappings themselves).
  void* raw =
      ::mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (base + kHuge - 1) / kHuge * kHuge;
  if (aligned > base) ::munmap(raw, aligned - base);
  const std::uintptr_t end = base + size + kHuge;
  if (end > aligned + size) ::munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  void* p = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
  ::madvise(p, size, MADV_HUGEPAGE);  // advice only: without THP the pages are 4 KiB
#endif
  return p;
}

void huge_deallocate(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kThreshold) {
    ::operator delete(p);
    return;
  }
  ::munmap(p, mapped_size(bytes));
}

void advise_huge_pages(void* p, std::size_t bytes) noexcept {
#ifdef MADV_HUGEPAGE
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = (begin + kHuge - 1) / kHuge * kHuge;
  const std::uintptr_t last = (begin + bytes) / kHuge * kHuge;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace rlab
