// Linked with every module's core in whole (no adapter, no CLI11): the link fails when a core
// calls into an adapter (a command.cpp) or needs CLI11, so the cores stay usable on their own.
#include <cstdio>

int main() {
  std::puts("every core links without its adapter");
  return 0;
}
