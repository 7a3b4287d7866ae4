#include "common/log.h"

#include <cstdio>

#include <spdlog/sinks/stdout_color_sinks.h>

#include "common/mutex.h"

namespace tv {

void ConfigureLogging(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("tracevault");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

void WriteAccessLogLine(std::string_view line) {
  static Mutex* mu = new Mutex();
  MutexLock lock(*mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace tv
