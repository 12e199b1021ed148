#include "app/logging_setup.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <iostream>
#include <Poco/FileChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/SplitterChannel.h>

namespace wx {

void setupLogging(const std::string& level, const std::string& file) {
  Poco::AutoPtr<Poco::PatternFormatter> fmt(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %t"));
  fmt->setProperty("times", "UTC");
  Poco::AutoPtr<Poco::SplitterChannel> split(new Poco::SplitterChannel);
  Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel(std::cerr));
  split->addChannel(console);
  if (!file.empty()) {
    Poco::AutoPtr<Poco::FileChannel> fc(new Poco::FileChannel(file));
    fc->setProperty("rotation", "50 M");
    fc->setProperty("archive", "timestamp");
    fc->setProperty("purgeCount", "10");
    split->addChannel(fc);
  }
  Poco::AutoPtr<Poco::FormattingChannel> fch(new Poco::FormattingChannel(fmt, split));
  Poco::Logger::get("wxrecon").setChannel(fch);
  Poco::Logger::get("wxrecon").setLevel(level);
}

}  // namespace wx
