// Runs a child process and captures its output (tests only).
#pragma once

#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace wx::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `command args...` with extra environment variables; stdin gets `input`.
inline ProcessResult runProcess(const std::string& command, const std::vector<std::string>& args,
                                const std::map<std::string, std::string>& env = {},
                                const std::string& input = "", const std::string& cwd = "") {
  Poco::Pipe in_pipe, out_pipe, err_pipe;
  Poco::Process::Env penv(env.begin(), env.end());
  Poco::ProcessHandle h = Poco::Process::launch(command, args, cwd.empty() ? "." : cwd, &in_pipe,
                                                &out_pipe, &err_pipe, penv);
  ProcessResult r;
  std::thread reader_err([&] {
    Poco::PipeInputStream es(err_pipe);
    Poco::StreamCopier::copyToString(es, r.err);
  });
  {
    Poco::PipeOutputStream os(in_pipe);
    os << input;
    os.close();
  }
  Poco::PipeInputStream os(out_pipe);
  Poco::StreamCopier::copyToString(os, r.out);
  reader_err.join();
  r.exit_code = h.wait();
  return r;
}

}  // namespace wx::test
