#pragma once
// uw::kit::PgServer — a throwaway PostgreSQL server for tests and benchmarks:
// Debian's initdb and postgres (/usr/lib/postgresql/<newest>/bin) run in a
// kit::TempDir, on a free port on 127.0.0.1 (unix sockets inside the temp
// dir, so no system directory is touched), trust authentication for the user
// "postgres". When the tests run as root the server runs as `nobody`
// (postgres refuses root): the directory is handed to nobody and the
// programs start through setpriv(1). start() waits (polling PQping, bounded)
// until the server accepts connections. The destructor stops the server (SIGINT:
// fast shutdown, then SIGKILL if it hangs) and removes the directory, so a
// failing test leaves nothing running. A test process that dies without
// running it (an abort, a sanitizer report, SIGKILL) takes the server with it:
// postgres gets SIGKILL when the thread that started it exits
// (PR_SET_PDEATHSIG, kept across setpriv's change of user by --pdeathsig keep),
// and its backends follow their postmaster. So start() belongs on a thread
// that lives as long as the server: the main thread, in the tests.
//
// initdb runs once per machine (and version): its result is kept as a
// template folder under $TMPDIR (uwitter-pg-template-<version>-<uid>, files
// only) and copied for each server, since every test process starts its own.
//
// A missing server is an error with a clear message (".ci/install-deps
// installs it"), never a silent skip. Used by one thread at a time.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

namespace uw::kit {

// A TCP port on 127.0.0.1 the kernel had free a moment ago, 0 if none: the
// caller binds it (or has its server bind it) at once and retries on the rare
// collision. Used by PgServer and RabbitMqServer. Any thread.
uint16_t free_tcp_port();

// Runs one query on the database at uri (a libpq URI) and returns the first
// column of its first row as text; nullopt (with *error set when given) when
// it fails or returns no row. For tests that look at what was stored.
std::optional<std::string> pg_query_value(const std::string& uri, const std::string& sql,
                                          std::string* error = nullptr);

class PgServer {
 public:
  struct Options {
    // Off by default: tests never pull the plug, and every CREATE DATABASE
    // and commit waiting for the disk costs them seconds on a busy machine.
    // Benchmarks turn it on (a durable commit is what they measure).
    bool fsync = false;
    int max_connections = 200;
  };
  PgServer() = default;
  ~PgServer();  // stop() and remove the directory
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // The folder holding Debian's initdb and postgres (the newest version
  // installed), or "" when there is none.
  static std::string bin_dir();

  // initdb (first time only) and start; false with error() on failure.
  bool start(const Options& options);
  bool start() { return start(Options{}); }
  // Fast shutdown (SIGINT) and wait; the data stays for a later start() on the same port.
  bool stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running() const { return proc_.running(); }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  // The server's log (stderr of postgres).
  std::string log_text() const { return proc_.stderr_text(); }

  // libpq URI of database `db` on this server.
  std::string uri(const std::string& db = "postgres") const;
  // Creates a fresh, empty database (named `name`, or t1, t2, ... when empty)
  // and returns its URI; "" with error() on failure.
  std::string create_database(const std::string& name = "");
  // Runs SQL on database `db` (setup and inspection in tests); "" on success, else the error.
  std::string exec(const std::string& db, const std::string& sql);

 private:
  bool wait_ready(std::chrono::milliseconds timeout);
  std::string template_path() const;
  bool copy_template();
  void save_template();
  std::unique_ptr<TempDir> dir_;
  std::string bin_;
  std::string data_;
  std::string sockets_;
  bool as_nobody_ = false;
  unsigned uid_ = 0, gid_ = 0;  // nobody's, when as_nobody_
  uint16_t port_ = 0;
  int next_db_ = 0;
  Options options_;
  ChildProcess proc_;
  std::string error_;
};

}  // namespace uw::kit
