// Large arrays on transparent huge pages. On a virtual machine a page fault costs several
// microseconds, and an array of 100 MB in 4 KiB pages takes 25,000 of them; in 2 MiB pages it
// takes 50. Where the kernel offers THP only on request (mode "madvise", Debian's default),
// big allocations ask for it; elsewhere they behave like operator new.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace rlab {

/// Allocates `bytes`: below 4 MiB with operator new, above with an anonymous mapping aligned to
/// 2 MiB and marked MADV_HUGEPAGE. Throws std::bad_alloc.
void* huge_allocate(std::size_t bytes);
/// Frees what huge_allocate(bytes) returned (the same `bytes`).
void huge_deallocate(void* p, std::size_t bytes) noexcept;

/// Asks for huge pages under the whole 2 MiB pages inside [p, p + bytes), for a large block
/// that another allocator made (a std::vector's buffer, before its elements are constructed).
void advise_huge_pages(void* p, std::size_t bytes) noexcept;

/// A standard allocator over huge_allocate, for std::vector of plain data.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>& /*other*/) noexcept {}  // NOLINT: rebinding
  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(huge_allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { huge_deallocate(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const HugePageAllocator<U>& /*other*/) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const HugePageAllocator<U>& /*other*/) const noexcept {
    return false;
  }
};

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace rlab
