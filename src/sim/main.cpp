// wxpay-sim: the WeChat Pay v2 simulator (DESIGN.md §7). Built out by issue 4.
#include <cstring>
#include <iostream>

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::cout << "usage: wxpay-sim --config FILE [--listen HOST:PORT] [--seed N]\n"
                 "A WeChat Pay v2 simulator. Not built yet: it arrives with issue 4.\n";
    return 0;
  }
  std::cerr << "wxpay-sim: not built yet — it arrives with issue 4.\n";
  return 2;
}
