// The pure matcher at the benchmark's size: 1,000,000 bill lines into the sorted fixed-size
// index (domain/bill_match.h), then 1,000,000 lookups in random order, as the bill run does for
// the day's local orders. Prints "<name> <value> <unit>". bill.sh runs this first, then the
// end-to-end `wxrecon bill` benchmark. Usage: bench_bill [ROWS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "domain/bill_match.h"

using namespace wx;

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::atol(argv[1]) : 1000000;
  const TimePoint noon = beijingDayStart({2026, 11, 25}) + std::chrono::hours(12);
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(rows));
  for (long i = 0; i < rows; ++i) ids.push_back("G20261125" + std::to_string(1000000000 + i));
  std::mt19937_64 rng(7);
  std::shuffle(ids.begin(), ids.end(), rng);  // a bill is in time order, not id order

  const auto t0 = std::chrono::steady_clock::now();
  BillIndex index;
  for (const auto& id : ids) {
    index.add(*makeBillLine(id, "4200000001202611250000000000", false, 100, noon));
  }
  index.seal();
  const auto t1 = std::chrono::steady_clock::now();
  std::shuffle(ids.begin(), ids.end(), rng);
  long found = 0;
  for (const auto& id : ids) {
    if (BillLine* l = index.payment(id)) {
      l->matched = true;
      ++found;
    }
  }
  const auto t2 = std::chrono::steady_clock::now();
  const double build = std::chrono::duration<double>(t1 - t0).count();
  const double look = std::chrono::duration<double>(t2 - t1).count();
  std::printf("bill_match_rows %ld rows\n", rows);
  std::printf("bill_match_index_build %.3f s\n", build);
  std::printf("bill_match_lookups %.0f lookups/s (%ld found)\n", static_cast<double>(rows) / look,
              found);
  std::printf("bill_match_index_memory %.1f MB (%zu bytes a line)\n",
              static_cast<double>(index.memoryBytes()) / (1 << 20), sizeof(BillLine));
  return found == rows ? 0 : 1;
}
