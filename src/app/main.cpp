// wxrecon: the entry point only wires (STYLE.md). See app/cli.cpp for the command table.
#include <iostream>

#include "app/cli.h"

int main(int argc, char** argv) { return wx::runCli(argc, argv, std::cin, std::cout, std::cerr); }
