// libFuzzer target: pomodoro's state file, history file (Open Pomodoro Format) and mood journal.
// The first byte picks the reader, the rest is the file.
#include "rlab/pomodoro.h"

#include "fuzz_support.h"

namespace pd = rlab::pomodoro;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return rlab::fuzz::read_picked(data, size, [](uint8_t pick, const std::string& t) {
    switch (pick % 3) {
      case 0: {
        const pd::State s = pd::decode_state(t, "state");
        // What was read must write back and read again to the same thing.
        const pd::State again = pd::decode_state(pd::encode_state(s), "state");
        if (again.start != s.start || again.duration != s.duration || again.task != s.task ||
            again.tags != s.tags)
          std::abort();
        break;
      }
      case 1: {
        const auto h = pd::parse_history(t, "history");
        for (const auto& s : h) (void)pd::parse_history_line(pd::format_history_line(s), "h", 1);
        if (!h.empty()) (void)pd::next_break_is_long(h, h.back().start, h.back().offset, 4);
        break;
      }
      default:
        (void)pd::parse_journal(t, "journal");
    }
  });
}
