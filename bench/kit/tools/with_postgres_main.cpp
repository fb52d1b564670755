// uwitter-with-postgres: runs a command beside a throwaway PostgreSQL server
// (kit::PgServer: a temporary folder, a free port on 127.0.0.1, run as nobody
// under root). For each `--db NAME` it creates a fresh database and puts its
// URI in the environment variable NAME; `--server NAME` puts the URI of the
// server's "postgres" database there (for a script that makes its own);
// `--fsync` runs the server with fsync on (benchmarks: a durable commit is
// what they measure). Then it runs the command with the same
// stdin/stdout/stderr, stops and removes the server, and exits with the
// command's status. CTest's browser-postgres runs the browser test this way
// (tests/CMakeLists.txt), scripts/bench-web.sh --db postgresql its rounds.
//
//   uwitter-with-postgres [--fsync] [--server NAME] [--db NAME]... -- COMMAND [ARG]...
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/kit/pg_server.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> dbs;
  std::string server_var;
  uw::kit::PgServer::Options options;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--db" && i + 1 < argc) {
      dbs.emplace_back(argv[++i]);
      continue;
    }
    if (a == "--server" && i + 1 < argc) {
      server_var = argv[++i];
      continue;
    }
    if (a == "--fsync") {
      options.fsync = true;
      continue;
    }
    std::fprintf(
        stderr,
        "usage: uwitter-with-postgres [--fsync] [--server NAME] [--db NAME]... -- COMMAND [ARG]...\n");
    return 2;
  }
  if (i >= argc) {
    std::fprintf(stderr, "uwitter-with-postgres: no command (try -- COMMAND)\n");
    return 2;
  }
  uw::kit::PgServer pg;
  if (!pg.start(options)) {
    std::fprintf(stderr, "uwitter-with-postgres: %s\n", pg.error().c_str());
    return 1;
  }
  for (const auto& name : dbs) {
    const std::string uri = pg.create_database();
    if (uri.empty()) {
      std::fprintf(stderr, "uwitter-with-postgres: %s\n", pg.error().c_str());
      return 1;
    }
    ::setenv(name.c_str(), uri.c_str(), 1);
    std::fprintf(stderr, "uwitter-with-postgres: %s=%s\n", name.c_str(), uri.c_str());
  }
  if (!server_var.empty()) ::setenv(server_var.c_str(), pg.uri("postgres").c_str(), 1);
  const pid_t child = ::fork();
  if (child < 0) {
    std::perror("uwitter-with-postgres: fork");
    return 1;
  }
  if (child == 0) {
    ::execvp(argv[i], argv + i);
    std::perror("uwitter-with-postgres: exec");
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      std::perror("uwitter-with-postgres: waitpid");
      return 1;
    }
  }
  // pg's destructor stops the server and removes its folder.
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
